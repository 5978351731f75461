package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/risktop/risktop/model/rules"
	"github.com/risktop/risktop/sources/vendorkit"
)

// Defaults and limits. Each vendor's own (its interval's minimum, and why)
// are in its vendorkit.Descriptor.
const (
	DefaultRefresh   = 30 * time.Second
	MinRefresh       = 5 * time.Second
	DefaultRetention = 90 * day // the vendors' own window

	// risktop serve: an SSH session with no key press for the idle timeout
	// is closed (0: never); shorter than a minute closes sessions while the
	// operator reads a screen.
	DefaultIdleTimeout = 30 * time.Minute
	MinIdleTimeout     = time.Minute
	// Each session is a dashboard program with its own caches (a few MB);
	// the vendors see one set of pollers whatever the count.
	DefaultMaxSessions = 16
	MaxMaxSessions     = 256
)

// Config is a loaded, validated config file: plain values. A vendor the
// file leaves out of sources: is off.
type Config struct {
	Path      string        // the file it was read from
	Refresh   time.Duration // default poll interval
	ReadOnly  bool          // actions need false here or --write
	StorePath string        // the SQLite database; "" when StoreURL is set
	StoreURL  string        // a PostgreSQL database (postgres://…), shared by a team's instances
	Retention time.Duration // events older than this are pruned
	AuditLog  string        // JSON-lines copy of the audit log; "" for none
	ExportDir string        // where the dashboard writes CSV/JSON exports (resolved)
	Serve     Serve         // risktop serve's limits
	Rules     []rules.Rule  // the detection rules: the defaults, changed and added to by rules:
	Notify    Notify        // where alerts are sent besides the dashboard (notify.go)

	sources []source // the configured vendors, in the order Load was given them
}

type source struct {
	vendor  vendorkit.Descriptor
	section *vendorkit.Section
}

// Serve holds risktop serve's limits; its flags override them.
type Serve struct {
	IdleTimeout time.Duration // no key press for this long closes a session; 0: never
	MaxSessions int           // SSH sessions at once
}

// Source is the named vendor's section, or nil when the vendor is off.
func (c *Config) Source(name string) *vendorkit.Section {
	for _, s := range c.sources {
		if s.vendor.Name == name {
			return s.section
		}
	}
	return nil
}

// String summarises the config without any credential, for a status line
// or a log.
func (c *Config) String() string {
	if c == nil {
		return "<no config>"
	}
	mode := "read-only"
	if !c.ReadOnly {
		mode = "read-write"
	}
	head := fmt.Sprintf("refresh %s, %s, store %s, retention %s",
		FormatDuration(c.Refresh), mode, c.StoreName(), FormatDuration(c.Retention))
	if c.AuditLog != "" {
		head += ", audit log " + c.AuditLog
	}
	head += ", exports " + c.ExportDir
	if c.Serve != (Serve{IdleTimeout: DefaultIdleTimeout, MaxSessions: DefaultMaxSessions}) {
		idle := "never"
		if c.Serve.IdleTimeout > 0 {
			idle = FormatDuration(c.Serve.IdleTimeout)
		}
		head += fmt.Sprintf(", serve: idle timeout %s, at most %d sessions", idle, c.Serve.MaxSessions)
	}
	if c.Notify.Webhook != nil || c.Notify.Syslog != nil || c.Notify.Terminal != DefaultNotifyTerminal {
		head += ", " + c.Notify.String()
	}
	parts := []string{head}
	for _, s := range c.sources {
		parts = append(parts, s.vendor.Summary(s.section))
	}
	if len(parts) == 1 {
		parts = append(parts, "no sources")
	}
	return strings.Join(parts, "; ")
}

// Sources names the enabled vendors, in the order Load was given them.
func (c *Config) Sources() []string {
	out := make([]string, 0, len(c.sources))
	for _, s := range c.sources {
		out = append(out, s.vendor.Name)
	}
	return out
}
