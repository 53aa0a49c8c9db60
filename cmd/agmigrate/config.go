package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/agmigrate/agmigrate/adminapi"
)

// authgearFlags are the settings every command needs to reach Authgear.
type authgearFlags struct {
	endpoint, adminURL, projectID, keyFile, keyID, clientID string
}

// register adds the flags, defaulting to the environment.
func (a *authgearFlags) register(fs *flag.FlagSet, env func(string) string) {
	fs.StringVar(&a.endpoint, "endpoint", env("AUTHGEAR_ENDPOINT"), "the project's public origin, e.g. https://myapp.authgear.cloud ($AUTHGEAR_ENDPOINT)")
	fs.StringVar(&a.adminURL, "admin-url", env("AUTHGEAR_ADMIN_URL"), "a separate admin listener (self-hosted, port 3002), reached with the public host ($AUTHGEAR_ADMIN_URL)")
	fs.StringVar(&a.projectID, "project-id", env("AUTHGEAR_PROJECT_ID"), "the project ID, e.g. myapp ($AUTHGEAR_PROJECT_ID)")
	fs.StringVar(&a.keyFile, "admin-key-file", env("AUTHGEAR_ADMIN_KEY_FILE"), "the Admin API private key: the portal's PEM, or a JWK set ($AUTHGEAR_ADMIN_KEY_FILE)")
	fs.StringVar(&a.keyID, "admin-key-id", env("AUTHGEAR_ADMIN_KEY_ID"), "the Admin API key ID, shown in the portal ($AUTHGEAR_ADMIN_KEY_ID)")
	fs.StringVar(&a.clientID, "client-id", env("AUTHGEAR_CLIENT_ID"), "the OAuth client sessions are created for ($AUTHGEAR_CLIENT_ID)")
}

// admin builds the Admin API client.
func (a *authgearFlags) admin() (*adminapi.Client, error) {
	if a.endpoint == "" || a.projectID == "" || a.keyFile == "" {
		return nil, errors.New("set --endpoint, --project-id and --admin-key-file (or AUTHGEAR_ENDPOINT, AUTHGEAR_PROJECT_ID, AUTHGEAR_ADMIN_KEY_FILE)")
	}
	key, err := adminapi.LoadKeyFile(a.keyFile, a.keyID)
	if err != nil {
		return nil, fmt.Errorf("admin key: %w", err)
	}
	return adminapi.New(adminapi.Config{Endpoint: a.endpoint, AdminURL: a.adminURL, ProjectID: a.projectID, Key: key})
}
