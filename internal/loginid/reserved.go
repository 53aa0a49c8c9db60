package loginid

// reservedUsernames is part of the list Authgear refuses as usernames when
// types.username.block_reserved_usernames is on (the default): the common
// names of services and roles. Authgear's own list is longer; this subset
// keeps the fake from accepting the obvious ones.
var reservedUsernames = map[string]bool{}

func init() {
	for _, n := range []string{
		"about", "abuse", "account", "accounts", "admin", "administration", "administrator",
		"administrators", "anonymous", "api", "app", "apps", "auth", "authentication",
		"authgear", "billing", "blog", "bot", "cache", "config", "contact", "dashboard",
		"dev", "developer", "developers", "docs", "email", "faq", "ftp", "guest", "help",
		"home", "host", "hostmaster", "info", "login", "logout", "mail", "mailer-daemon",
		"me", "news", "nobody", "noreply", "no-reply", "null", "oauth", "official",
		"operator", "owner", "password", "postmaster", "privacy", "register", "root",
		"sales", "security", "settings", "signin", "signout", "signup", "staff", "status",
		"support", "sys", "sysadmin", "system", "team", "terms", "test", "undefined",
		"user", "username", "users", "webmaster", "www",
	} {
		reservedUsernames[n] = true
	}
}
