// Package agenv reads the Authgear settings of the examples from the same
// AUTHGEAR_* environment variables the agmigrate command reads
// (cmd/agmigrate/config.go), so that an example pointed at a real Authgear
// reaches it the same way the command does, self-hosted admin listener
// included.
package agenv

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
)

// Names lists every variable Read looks at, in the order the README gives
// them. A test keeps it equal to what cmd/agmigrate reads.
var Names = []string{
	"AUTHGEAR_ENDPOINT",
	"AUTHGEAR_ADMIN_URL",
	"AUTHGEAR_PROJECT_ID",
	"AUTHGEAR_ADMIN_KEY_FILE",
	"AUTHGEAR_ADMIN_KEY_ID",
	"AUTHGEAR_CLIENT_ID",
}

// required are the variables a real Authgear cannot do without. The admin
// URL is needed only where the Admin API has its own listener (self-hosted),
// and the key ID only when the key file does not name it.
var required = []string{"AUTHGEAR_ENDPOINT", "AUTHGEAR_PROJECT_ID", "AUTHGEAR_ADMIN_KEY_FILE", "AUTHGEAR_CLIENT_ID"}

// ErrIncomplete: some AUTHGEAR_* variables are set, but not all that a real
// Authgear needs. An example then stops rather than fall back to the fake,
// which would hide the mistake.
var ErrIncomplete = errors.New("agenv: incomplete Authgear settings")

// Settings are the values of the variables.
type Settings struct {
	Endpoint  string // AUTHGEAR_ENDPOINT: the public origin
	AdminURL  string // AUTHGEAR_ADMIN_URL: a separate admin listener, or ""
	ProjectID string // AUTHGEAR_PROJECT_ID
	KeyFile   string // AUTHGEAR_ADMIN_KEY_FILE
	KeyID     string // AUTHGEAR_ADMIN_KEY_ID
	ClientID  string // AUTHGEAR_CLIENT_ID
}

// Read returns the settings from env (os.Getenv in a program). ok is false
// when none of the variables is set, and why then says so, for the example
// to log why it falls back to the fake. When some are set but a required
// one is missing the error (ErrIncomplete) names every missing variable.
func Read(env func(string) string) (s Settings, ok bool, why string, err error) {
	s = Settings{
		Endpoint:  strings.TrimRight(env("AUTHGEAR_ENDPOINT"), "/"),
		AdminURL:  strings.TrimRight(env("AUTHGEAR_ADMIN_URL"), "/"),
		ProjectID: env("AUTHGEAR_PROJECT_ID"),
		KeyFile:   env("AUTHGEAR_ADMIN_KEY_FILE"),
		KeyID:     env("AUTHGEAR_ADMIN_KEY_ID"),
		ClientID:  env("AUTHGEAR_CLIENT_ID"),
	}
	var set, missing []string
	for _, n := range Names {
		if env(n) != "" {
			set = append(set, n)
		}
	}
	if len(set) == 0 {
		return s, false, "no AUTHGEAR_* variable is set (" + strings.Join(Names, ", ") + ")", nil
	}
	for _, n := range required {
		if env(n) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return s, false, "", fmt.Errorf("%w: %s set, but %s missing", ErrIncomplete, strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	return s, true, "", nil
}

// Admin builds the Admin API client: through the admin listener when
// AdminURL is set (with the public host in the Host header, so sessions
// carry the public origin), else through the endpoint. httpClient may be
// nil.
func (s Settings) Admin(httpClient *http.Client) (*adminapi.Client, error) {
	key, err := adminapi.LoadKeyFile(s.KeyFile, s.KeyID)
	if err != nil {
		return nil, fmt.Errorf("agenv: AUTHGEAR_ADMIN_KEY_FILE: %w", err)
	}
	return adminapi.New(adminapi.Config{Endpoint: s.Endpoint, AdminURL: s.AdminURL, ProjectID: s.ProjectID, Key: key, HTTPClient: httpClient})
}

// Describe says where Authgear is, for a start-up log line.
func (s Settings) Describe() string {
	if s.AdminURL != "" {
		return s.Endpoint + " (Admin API at " + s.AdminURL + ")"
	}
	return s.Endpoint
}
