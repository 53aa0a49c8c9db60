package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/exports"
	"github.com/agmigrate/agmigrate/passwords"
)

// legacyIDKey carries each user's provider ID through the converted file
// into the report; it is never uploaded.
const legacyIDKey = "agmigrate_legacy_id"

// fromFlags are the flags of "agmigrate import --from PROVIDER FILE".
type fromFlags struct {
	provider, hashes, firebaseConfig, customAttrs, sidecar string
	noRoles, convertOnly                                   bool
}

// registerFrom adds the --from flags to the import command's flag set.
func registerFrom(fs *flag.FlagSet) *fromFlags {
	var ff fromFlags
	fs.StringVar(&ff.provider, "from", "", "read the export FILE of auth0, firebase, cognito, okta or keycloak: agmigrate import --from PROVIDER [flags] FILE.\n"+
		"Records are mapped field by field and imported; non-bcrypt hashes go to a sidecar (mode 0600) for the passwords package;\n"+
		"what cannot be carried over is listed per user in the report. Written next to FILE: FILE.authgear.ndjson, FILE.hashes.jsonl")
	fs.StringVar(&ff.hashes, "hashes", "", "with --from auth0: Auth0's password hash export (NDJSON) to join")
	fs.StringVar(&ff.firebaseConfig, "firebase-hash-config", "", "with --from firebase: the project's password hash parameters (the console's hash_config block, or JSON)")
	fs.StringVar(&ff.customAttrs, "custom-attributes", "", "comma-separated custom attributes configured in Authgear, to fill from the provider's attributes of the same name")
	fs.BoolVar(&ff.noRoles, "no-roles", false, "with --from keycloak: leave realm roles and groups out")
	fs.StringVar(&ff.sidecar, "sidecar", "", "where to write non-bcrypt hashes (default FILE.hashes.jsonl)")
	fs.BoolVar(&ff.convertOnly, "convert-only", false, "write the converted records, the sidecar and the report; upload nothing")
	return &ff
}

// run converts the export, then hands the converted file to the import.
func (ff *fromFlags) run(ctx context.Context, fs *flag.FlagSet, f *importFlags, stdout, stderr io.Writer) int {
	file := f.file
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
		// Flags may follow FILE.
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
	}
	if file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "agmigrate import: --from takes one export FILE (see --help)")
		return 2
	}
	code, err := ff.convertAndImport(ctx, file, f, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate import:", err)
	}
	return code
}

func (ff *fromFlags) convertAndImport(ctx context.Context, file string, f *importFlags, stdout io.Writer) (int, error) {
	opts := exports.Options{Identifier: adminapi.Identifier(f.identifier), NoRoles: ff.noRoles}
	for _, a := range strings.Split(ff.customAttrs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			opts.CustomAttributes = append(opts.CustomAttributes, a)
		}
	}
	p := exports.Provider(ff.provider)
	switch {
	case ff.hashes != "" && p != exports.Auth0:
		return 2, errors.New("--hashes goes with --from auth0")
	case ff.firebaseConfig != "" && p != exports.Firebase:
		return 2, errors.New("--firebase-hash-config goes with --from firebase")
	}
	if ff.hashes != "" {
		h, err := os.Open(ff.hashes)
		if err != nil {
			return 2, err
		}
		defer h.Close()
		opts.Auth0Hashes = h
	}
	if ff.firebaseConfig != "" {
		b, err := os.ReadFile(ff.firebaseConfig)
		if err != nil {
			return 2, err
		}
		params, err := exports.ParseFirebaseHashConfig(b)
		if err != nil {
			return 2, err
		}
		opts.Firebase = &params
	}
	in, err := os.Open(file)
	if err != nil {
		return 2, err
	}
	users, err := exports.Read(p, in, opts)
	in.Close()
	if err != nil {
		return 2, err
	}
	if len(users) == 0 {
		return 1, fmt.Errorf("no user in the %s export", p)
	}

	converted := file + ".authgear.ndjson"
	if err := writeConverted(converted, users); err != nil {
		return 2, err
	}
	entries := exports.SidecarEntries(users)
	if ff.sidecar == "" {
		ff.sidecar = file + ".hashes.jsonl"
	}
	if len(entries) > 0 {
		if err := passwords.WriteSidecar(ff.sidecar, entries); err != nil {
			return 2, err
		}
	}
	sec := exportSection(p, file, converted, users, adminapi.Identifier(f.identifier))
	if len(entries) > 0 {
		sec.Sidecar, sec.SidecarEntries = ff.sidecar, len(entries)
	}
	fmt.Fprintf(stdout, "%s export: %d users; %d bcrypt hashes in the records, %d other hashes in %s; %d users with something not carried over (see the report)\n",
		p, len(users), sec.BcryptHashes, len(entries), sidecarName(len(entries), ff.sidecar), len(sec.NotCarried))

	if f.report == "" {
		f.report = file + ".report.json"
	}
	if f.state == "" {
		f.state = file + ".state.json"
	}
	if ff.convertOnly {
		fmt.Fprintf(stdout, "converted records: %s (nothing uploaded)\nreport: %s\n", converted, f.report)
		return 0, addExportSection(f.report, sec)
	}
	f.file, f.format, f.legacyIDField = converted, "ndjson", legacyIDKey
	code, runErr := f.run(ctx, stdout)
	if err := addExportSection(f.report, sec); err != nil && runErr == nil {
		return 2, err
	}
	return code, runErr
}

func sidecarName(n int, path string) string {
	if n == 0 {
		return "no sidecar"
	}
	return path + " (mode 0600)"
}

// writeConverted writes the records as NDJSON in Authgear's import format,
// each with its legacy ID; mode 0600, as they may hold bcrypt hashes.
func writeConverted(path string, users []exports.User) error {
	var buf bytes.Buffer
	for i := range users {
		b, err := json.Marshal(&users[i].Record)
		if err != nil {
			return err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		id, _ := json.Marshal(users[i].LegacyID)
		m[legacyIDKey] = id
		line, err := json.Marshal(m)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return writeFilePrivate(path, buf.Bytes())
}

// writeFilePrivate replaces path with data, mode 0600, through a new
// temporary file renamed over it, so a planted file or symlink is never
// written through (as writeJSON does).
func writeFilePrivate(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+strings.TrimPrefix(base, ".")+".*.tmp")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// exportReport is the "export" section added to the import report.
type exportReport struct {
	Provider       string          `json:"provider"`
	File           string          `json:"file"`
	Converted      string          `json:"converted"`
	Users          int             `json:"users"`
	BcryptHashes   int             `json:"bcrypt_hashes"`
	Sidecar        string          `json:"sidecar,omitempty"`
	SidecarEntries int             `json:"sidecar_entries"`
	NotCarried     []notCarriedFor `json:"not_carried,omitempty"`
}

type notCarriedFor struct {
	LegacyID   string   `json:"legacy_id"`
	Identifier string   `json:"identifier,omitempty"`
	Items      []string `json:"items"`
}

func exportSection(p exports.Provider, file, converted string, users []exports.User, ident adminapi.Identifier) *exportReport {
	sec := &exportReport{Provider: string(p), File: file, Converted: converted, Users: len(users)}
	for _, u := range users {
		if u.Record.Password != nil {
			sec.BcryptHashes++
		}
		if len(u.NotCarried) > 0 {
			sec.NotCarried = append(sec.NotCarried, notCarriedFor{LegacyID: u.LegacyID, Identifier: identOf(u.Record, ident), Items: u.NotCarried})
		}
	}
	return sec
}

// addExportSection adds the export's section to the report the import
// wrote (or starts a report when nothing was imported).
func addExportSection(path string, sec *exportReport) error {
	rep := map[string]json.RawMessage{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &rep); err != nil {
			return fmt.Errorf("report %s: %v", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	b, err := json.Marshal(sec)
	if err != nil {
		return err
	}
	rep["export"] = b
	return writeJSON(path, rep)
}
