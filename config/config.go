package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/secret"
)

// Defaults and limits. The minimum intervals keep risktop inside budgets it
// shares with other tools; each error quoting one says why.
const (
	DefaultRefresh   = 30 * time.Second
	MinRefresh       = 5 * time.Second
	DefaultRetention = 90 * day // the vendors' own window

	// OneLogin: 5,000 calls an hour per account, shared with every other
	// integration (SIEM collectors too). 10s is 360 polls an hour.
	MinOneLoginInterval = 10 * time.Second
	DefaultBackfill     = 24 * time.Hour
	MaxBackfill         = 90 * day // OneLogin serves no further back

	// CASB documents no limit, and the user risk report is computed daily:
	// polling faster than a minute gains nothing and risks an unknown limit.
	DefaultCASBInterval = 5 * time.Minute
	MinCASBInterval     = time.Minute

	// Cloudflare: 1,200 requests per 5 minutes per user, shared with the
	// dashboard and other automation; going over blocks all calls for 5
	// minutes.
	DefaultCloudflareInterval = 60 * time.Second
	MinCloudflareInterval     = 10 * time.Second

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

// Config is a loaded, validated config file. A vendor section is nil when
// the vendor is absent from the file (off).
type Config struct {
	Path      string        // the file it was read from
	Refresh   time.Duration // default poll interval
	ReadOnly  bool          // actions need false here or --write
	StorePath string        // the SQLite database
	Retention time.Duration // events older than this are pruned
	AuditLog  string        // JSON-lines copy of the audit log; "" for none
	ExportDir string        // where the dashboard writes CSV/JSON exports (resolved)
	Serve     Serve         // risktop serve's limits

	OneLogin   *OneLogin
	CASB       *CASB
	Cloudflare *Cloudflare
	Okta       *Okta
}

// Serve holds risktop serve's limits; its flags override them.
type Serve struct {
	IdleTimeout time.Duration // no key press for this long closes a session; 0: never
	MaxSessions int           // SSH sessions at once
}

// OneLogin polls events and score insights.
type OneLogin struct {
	BaseURL      string
	ClientID     string
	ClientSecret secret.Value
	Interval     time.Duration
	Backfill     time.Duration // how far back the first run reaches
}

// Client is the client config for onelogin.New.
func (s *OneLogin) Client(opts httpx.Options) onelogin.Config {
	return onelogin.Config{BaseURL: s.BaseURL, ClientID: s.ClientID, ClientSecret: s.ClientSecret, HTTP: opts}
}

// CASB polls the user risk report.
type CASB struct {
	BaseURL      string
	AccessKey    secret.Value
	AccessSecret secret.Value
	Report       string
	Interval     time.Duration
}

// Client is the client config for casb.New.
func (s *CASB) Client(opts httpx.Options) casb.Config {
	return casb.Config{BaseURL: s.BaseURL, AccessKey: s.AccessKey, AccessSecret: s.AccessSecret, Report: s.Report, HTTP: opts}
}

// Cloudflare polls Zero Trust user risk.
type Cloudflare struct {
	BaseURL   string
	AccountID string
	APIToken  secret.Value
	Interval  time.Duration
}

// Client is the client config for cloudflare.New.
func (s *Cloudflare) Client(opts httpx.Options) cloudflare.Config {
	return cloudflare.Config{BaseURL: s.BaseURL, AccountID: s.AccountID, APIToken: s.APIToken, HTTP: opts}
}

// Okta receives IP risk pushes; it is not polled, so it has no interval.
// Exactly one of APIToken (SSWS) and ClientID + PrivateKey (OAuth) is set.
type Okta struct {
	BaseURL           string
	APIToken          secret.Value
	ClientID          string
	PrivateKey        secret.Value // PEM, read at load from private_key_file
	KeyID             string
	RequestsPerMinute int
	// AllowDocumentationRanges (allow_documentation_ranges) lets pushes
	// name addresses in the documentation ranges: only a simulator's tenant
	// (risktop sim, demo) uses them.
	AllowDocumentationRanges bool
}

// Client is the client config for okta.New.
func (s *Okta) Client(opts httpx.Options) okta.Config {
	return okta.Config{
		BaseURL: s.BaseURL, APIToken: s.APIToken,
		ClientID: s.ClientID, PrivateKeyPEM: s.PrivateKey, KeyID: s.KeyID,
		RequestsPerMinute: s.RequestsPerMinute, HTTP: opts,
		AllowDocumentationRanges: s.AllowDocumentationRanges,
	}
}

// Mode is "oauth" or "ssws".
func (s *Okta) Mode() string {
	if s.ClientID != "" {
		return "oauth"
	}
	return "ssws"
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
		FormatDuration(c.Refresh), mode, c.StorePath, FormatDuration(c.Retention))
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
	parts := []string{head}
	if s := c.OneLogin; s != nil {
		parts = append(parts, fmt.Sprintf("onelogin %s every %s, back-fill %s",
			s.BaseURL, FormatDuration(s.Interval), FormatDuration(s.Backfill)))
	}
	if s := c.CASB; s != nil {
		parts = append(parts, fmt.Sprintf("casb %s report %s every %s", s.BaseURL, s.Report, FormatDuration(s.Interval)))
	}
	if s := c.Cloudflare; s != nil {
		parts = append(parts, fmt.Sprintf("cloudflare %s account %s every %s", s.BaseURL, s.AccountID, FormatDuration(s.Interval)))
	}
	if s := c.Okta; s != nil {
		part := fmt.Sprintf("okta %s (%s) %d pushes/min", s.BaseURL, s.Mode(), s.RequestsPerMinute)
		if s.AllowDocumentationRanges {
			part += ", documentation ranges allowed"
		}
		parts = append(parts, part)
	}
	if len(parts) == 1 {
		parts = append(parts, "no sources")
	}
	return strings.Join(parts, "; ")
}

// Sources names the enabled vendors in a fixed order.
func (c *Config) Sources() []string {
	var out []string
	if c.OneLogin != nil {
		out = append(out, "onelogin")
	}
	if c.CASB != nil {
		out = append(out, "casb")
	}
	if c.Cloudflare != nil {
		out = append(out, "cloudflare")
	}
	if c.Okta != nil {
		out = append(out, "okta")
	}
	return out
}
