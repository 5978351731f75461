package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// StoreEnv names the variable that stands in for store: (a path, or a
// PostgreSQL URL whose password then stays out of the config file).
const StoreEnv = "RISKTOP_STORE"

// IsStoreURL reports whether a store: value is a PostgreSQL URL.
func IsStoreURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// checkStoreURL refuses a URL risktop cannot connect with, naming the
// part that is wrong and never the password; shown is how to name the
// URL (its variable when it came from one).
func checkStoreURL(s, shown string) error {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s is not a valid PostgreSQL URL (%v); write postgres://user@host:5432/database", shown, err)
	}
	if strings.Trim(u.Path, "/") == "" && u.Query().Get("dbname") == "" {
		return fmt.Errorf("%s names no database; write postgres://user@host:5432/database", shown)
	}
	return nil
}

// RedactURL is a store URL without its password, for messages, logs and
// the screen.
func RedactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@")
	if at < 0 {
		// A password may also come as a parameter.
		return redactParam(s)
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if hasPass {
		user += ":…"
	}
	return redactParam(scheme + "://" + user + rest[at:])
}

func redactParam(s string) string {
	base, query, ok := strings.Cut(s, "?")
	if !ok {
		return s
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		if k, _, _ := strings.Cut(p, "="); strings.EqualFold(k, "password") {
			parts[i] = k + "=…"
		}
	}
	return base + "?" + strings.Join(parts, "&")
}

// StoreName names the store for a status line: its path, or its URL
// without the password.
func (c *Config) StoreName() string {
	if c.StoreURL != "" {
		return RedactURL(c.StoreURL)
	}
	return c.StorePath
}
