package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/agmigrate/agmigrate/adminapi"
)

// authgearFlags are the settings every command needs to reach Authgear.
type authgearFlags struct {
	endpoint, adminURL, projectID, keyFile, keyID, clientID string
	allowReadableKey                                        bool
}

// register adds the flags, defaulting to the environment.
func (a *authgearFlags) register(fs *flag.FlagSet, env func(string) string) {
	fs.StringVar(&a.endpoint, "endpoint", env("AUTHGEAR_ENDPOINT"), "the project's public origin, e.g. https://myapp.authgear.cloud ($AUTHGEAR_ENDPOINT)")
	fs.StringVar(&a.adminURL, "admin-url", env("AUTHGEAR_ADMIN_URL"), "a separate admin listener (self-hosted, port 3002), reached with the public host ($AUTHGEAR_ADMIN_URL)")
	fs.StringVar(&a.projectID, "project-id", env("AUTHGEAR_PROJECT_ID"), "the project ID, e.g. myapp ($AUTHGEAR_PROJECT_ID)")
	fs.StringVar(&a.keyFile, "admin-key-file", env("AUTHGEAR_ADMIN_KEY_FILE"), "the Admin API private key: the portal's PEM, or a JWK set ($AUTHGEAR_ADMIN_KEY_FILE); must not be readable by other users")
	fs.StringVar(&a.keyID, "admin-key-id", env("AUTHGEAR_ADMIN_KEY_ID"), "the Admin API key ID, shown in the portal ($AUTHGEAR_ADMIN_KEY_ID)")
	fs.StringVar(&a.clientID, "client-id", env("AUTHGEAR_CLIENT_ID"), "the OAuth client sessions are created for ($AUTHGEAR_CLIENT_ID)")
	fs.BoolVar(&a.allowReadableKey, "allow-readable-key-file", false, "use an admin key file (or HS256 secret file) that other users of this machine can read (not recommended)")
}

// errKeyFileReadable: the admin key file is open to every user of the
// machine. The key signs admin JWTs for the whole project (read and change
// every user, create sessions), so it is refused unless the operator says
// otherwise.
var errKeyFileReadable = errors.New("the admin key file can be read by every user of this machine")

// checkKeyFile refuses a key file that other users can read or write.
func checkKeyFile(path string) error {
	if runtime.GOOS == "windows" {
		return nil // permission bits say nothing there
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o007 != 0 {
		return fmt.Errorf("%w (mode %04o): run chmod 600 %s, or pass --allow-readable-key-file", errKeyFileReadable, perm, path)
	}
	return nil
}

// admin builds the Admin API client.
func (a *authgearFlags) admin() (*adminapi.Client, error) {
	if a.endpoint == "" || a.projectID == "" || a.keyFile == "" {
		return nil, errors.New("set --endpoint, --project-id and --admin-key-file (or AUTHGEAR_ENDPOINT, AUTHGEAR_PROJECT_ID, AUTHGEAR_ADMIN_KEY_FILE)")
	}
	if !a.allowReadableKey {
		if err := checkKeyFile(a.keyFile); err != nil {
			return nil, fmt.Errorf("admin key: %w", err)
		}
	}
	key, err := adminapi.LoadKeyFile(a.keyFile, a.keyID)
	if err != nil {
		return nil, fmt.Errorf("admin key: %w", err)
	}
	return adminapi.New(adminapi.Config{Endpoint: a.endpoint, AdminURL: a.adminURL, ProjectID: a.projectID, Key: key})
}
