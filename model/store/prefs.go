package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// prefsSchema is the per-operator preferences' migration (issue 16, the
// Alerts tab): small named settings, such as how an operator is told of a
// new alert, kept per owner (an SSH key under serve, an OS user locally).
var prefsSchema = `
CREATE TABLE prefs (
	owner      TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	updated_ms INTEGER NOT NULL,
	PRIMARY KEY (owner, name)
) WITHOUT ROWID;
`

// maxPrefValue bounds a preference's value: settings are words, not files.
const maxPrefValue = 1024

// Pref is owner's setting name; "" and false when it was never set.
func (s *SQLite) Pref(ctx context.Context, owner, name string) (string, bool, error) {
	var v string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM prefs WHERE owner = ? AND name = ?`, owner, name).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: pref %q: %w", name, err)
	}
	return v, true, nil
}

// SetPref stores owner's setting name, replacing what it was.
func (s *SQLite) SetPref(ctx context.Context, owner, name, value string, at time.Time) error {
	if name == "" {
		return fmt.Errorf("store: set pref: no name")
	}
	if len(value) > maxPrefValue {
		return fmt.Errorf("store: set pref %q: %d bytes, more than %d", name, len(value), maxPrefValue)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO prefs (owner, name, value, updated_ms) VALUES (?, ?, ?, ?)
		ON CONFLICT (owner, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`,
		owner, name, value, unixMs(at))
	if err != nil {
		return fmt.Errorf("store: set pref %q: %w", name, err)
	}
	return nil
}
