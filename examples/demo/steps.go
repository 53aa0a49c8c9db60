package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"

	"github.com/agmigrate/agmigrate"
)

type client struct {
	*http.Client
	jar *cookiejar.Jar
}

func newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{Client: &http.Client{Jar: jar}, jar: jar}
}

func (c *client) get(ctx context.Context, u string, bearer string) (map[string]string, *http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var m map[string]string
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m)
	return m, resp, nil
}

func (w *world) step(n int, format string, args ...any) {
	fmt.Fprintf(w.out, "\n%d. "+format+"\n", append([]any{n}, args...)...)
}

func (w *world) say(format string, args ...any) { fmt.Fprintf(w.out, "   "+format+"\n", args...) }

func (w *world) check(ok bool, format string, args ...any) error {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
	}
	fmt.Fprintf(w.out, "   [%s] "+format+"\n", append([]any{mark}, args...)...)
	if !ok {
		return errStep
	}
	return nil
}

// setLegacyCookie gives a browser client the legacy session for the app.
func (w *world) setLegacyCookie(c *client, tok string) {
	u, _ := url.Parse(w.app.URL)
	c.jar.SetCookies(u, []*http.Cookie{{Name: "legacy_session", Value: tok, Path: "/"}})
}

func (w *world) cookie(c *client, name string) string {
	u, _ := url.Parse(w.app.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (w *world) walk(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	alice, bob := w.users[0], w.users[1]

	w.step(1, "Alice signs in to the legacy system and opens the app (a browser with a cookie jar).")
	browser := newClient()
	w.setLegacyCookie(browser, legacyToken(alice))
	me, resp, err := browser.get(ctx, w.app.URL+"/api/me", "")
	if err != nil {
		return err
	}
	w.say("GET /api/me → %d %v", resp.StatusCode, me)
	if err := w.check(me["source"] == "exchanged" && me["authgear_user"] != "", "her legacy session was exchanged for an Authgear session"); err != nil {
		return err
	}
	if err := w.check(w.cookie(browser, "ag_access") != "" && w.cookie(browser, "ag_refresh") != "" && w.cookie(browser, "legacy_session") == "",
		"Authgear cookies set (HttpOnly, SameSite=Lax), legacy cookie cleared"); err != nil {
		return err
	}
	if w.fake != nil {
		if err := w.check(w.calls("getUserByLoginID") == 1 && w.calls("createSession") == 1, "Admin API: 1 getUserByLoginID, 1 createSession"); err != nil {
			return err
		}
	}

	w.step(2, "Alice's next request carries only the Authgear cookie.")
	before := w.calls("graphql")
	me, _, err = browser.get(ctx, w.app.URL+"/api/me", "")
	if err != nil {
		return err
	}
	if err := w.check(me["source"] == "authgear", "served from the Authgear session (source %q)", me["source"]); err != nil {
		return err
	}
	if w.fake != nil {
		if err := w.check(w.calls("graphql") == before, "no Admin API call"); err != nil {
			return err
		}
	}

	w.step(3, "Bob signs in to the legacy system; his first page load fires 50 requests at once.")
	tok := legacyToken(bob)
	beforeSessions := w.calls("createSession")
	var wg sync.WaitGroup
	users := make([]string, 50)
	for i := range users {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := newClient()
			w.setLegacyCookie(c, tok)
			if m, _, err := c.get(ctx, w.app.URL+"/api/me", ""); err == nil {
				users[i] = m["authgear_user"]
			}
		}(i)
	}
	wg.Wait()
	same := users[0] != ""
	for _, u := range users {
		same = same && u == users[0]
	}
	if err := w.check(same, "all 50 served as the same Authgear user"); err != nil {
		return err
	}
	if w.fake != nil {
		if err := w.check(w.calls("createSession")-beforeSessions == 1, "one session created for the 50 requests"); err != nil {
			return err
		}
	}

	if w.fake != nil {
		w.step(4, "Dave is in the legacy system but was never imported into Authgear.")
		dave := newClient()
		w.setLegacyCookie(dave, legacyToken("dave@example.com"))
		me, _, err = dave.get(ctx, w.app.URL+"/api/me", "")
		if err != nil {
			return err
		}
		if err := w.check(me["source"] == "legacy" && me["legacy_login_id"] == "dave@example.com",
			"served as a legacy user, not locked out (outcome user_missing: %d)", w.seen(agmigrate.OutcomeUserMissing)); err != nil {
			return err
		}
	}

	w.step(5, "A mobile app migrates itself through the migration endpoint.")
	mobileUser := alice
	if len(w.users) > 2 {
		mobileUser = w.users[2]
	}
	legacyTok := legacyToken(mobileUser)
	req, _ := http.NewRequestWithContext(ctx, "POST", w.app.URL+"/migrate",
		strings.NewReader(`{"login_id":"`+mobileUser+`","device_info":{"ios":{"uname":{"machine":"iPhone15,2"}}}}`))
	req.Header.Set("Authorization", "Bearer "+legacyTok)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	var tokens map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()
	at, _ := tokens["access_token"].(string)
	if err := w.check(resp.StatusCode == 200 && at != "" && tokens["refresh_token"] != nil && tokens["token_type"] == "Bearer",
		"POST /migrate → %d with access_token, refresh_token, token_type %v, expires_in %v", resp.StatusCode, tokens["token_type"], tokens["expires_in"]); err != nil {
		return err
	}
	me, _, err = newClient().get(ctx, w.app.URL+"/api/me", at)
	if err != nil {
		return err
	}
	return w.check(me["source"] == "authgear", "the app accepts the new access token as a Bearer token")
}

func (w *world) printCurl() {
	fmt.Fprintf(w.out, `
Servers keep running until Ctrl-C:
  legacy login system  %[1]s   (POST /login, email=…)
  app                  %[2]s   (GET /api/me, POST /migrate)
  Authgear             %[3]s

Try it by hand:
  # sign in to the legacy system (the cookie goes to the jar; the app reads legacy_session)
  curl -s -X POST -d email=alice@example.com %[1]s/login | tee /tmp/legacy.json
  TOKEN=$(sed 's/.*"legacy_token":"\([^"]*\)".*/\1/' /tmp/legacy.json)
  # first request: exchanged, Authgear cookies set
  curl -s -c /tmp/jar -b "legacy_session=$TOKEN" %[2]s/api/me
  # next request: the Authgear cookie alone
  curl -s -b /tmp/jar %[2]s/api/me
  # a mobile client migrating itself
  curl -s -X POST -H "Authorization: Bearer $(sed 's/.*"legacy_token":"\([^"]*\)".*/\1/' <(curl -s -X POST -d email=bob@example.com %[1]s/login))" %[2]s/migrate
  # someone never imported into Authgear: served as legacy
  curl -s -b "legacy_session=$(sed 's/.*"legacy_token":"\([^"]*\)".*/\1/' <(curl -s -X POST -d email=dave@example.com %[1]s/login))" %[2]s/api/me
`, w.legacy.URL, w.app.URL, w.endpoint)
}
