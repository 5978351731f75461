// Package casb is a client for the Oracle CASB Cloud Service API: an access
// key and secret exchanged for a bearer token bound to a tenant, and the
// paged user risk report.
package casb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
)

// vendorName is the vendor's name in errors and the config.
const vendorName = "casb"

const (
	// DefaultReport is the report name the docs use.
	DefaultReport = "Userrisk"
	// MaxPageSize is the documented cap on pagesize.
	MaxPageSize = 100
	// DefaultTokenLifetime is how long a token is trusted when expiresAt
	// is missing, unreadable or already past by our clock. A 401 re-mints
	// earlier if the server disagrees.
	DefaultTokenLifetime = 10 * time.Minute
	// tokenMargin is how long before expiresAt a token is replaced.
	tokenMargin = time.Minute
)

const tokenPath = "/api/v1/token"

// Config says how to reach one CASB tenant. Both halves of the key pair are
// secrets: the access key alone identifies the API user to anyone who sees it.
type Config struct {
	BaseURL      string // e.g. https://api-trial.palerra.net
	AccessKey    secret.Value
	AccessSecret secret.Value
	Report       string // report name; default "Userrisk"
	PageSize     int    // rows per request, 1–100; default 100
	HTTP         httpx.Options
}

// Client talks to one tenant. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *httpx.Client
	tokens *httpx.TokenCache[token]
	now    func() time.Time
}

// token is a minted access token and the tenant it belongs to, which every
// call must name in X-Apprity-Tenant-Id.
type token struct {
	access secret.Value
	tenant string
}

// New checks cfg and builds the client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		return nil, errors.New("casb: Config.BaseURL is required (the tenant's CASB API host, e.g. https://api-trial.palerra.net)")
	}
	if cfg.AccessKey.IsZero() {
		return nil, errors.New("casb: Config.AccessKey is required (generate a key pair in the CASB console)")
	}
	if cfg.AccessSecret.IsZero() {
		return nil, errors.New("casb: Config.AccessSecret is required (generate a key pair in the CASB console)")
	}
	if cfg.Report == "" {
		cfg.Report = DefaultReport
	}
	if err := checkReportName(cfg.Report); err != nil {
		return nil, err
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = MaxPageSize
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return nil, fmt.Errorf("casb: Config.PageSize %d is out of range: CASB allows 1 to %d", cfg.PageSize, MaxPageSize)
	}
	c := &Client{cfg: cfg, now: cfg.HTTP.Now}
	if c.now == nil {
		c.now = time.Now
	}
	c.tokens = &httpx.TokenCache[token]{Mint: c.mint, Now: c.now}
	hc, err := httpx.New(httpx.Config{
		Vendor:      vendorName,
		BaseURL:     cfg.BaseURL,
		Options:     cfg.HTTP,
		Auth:        authorizer{c.tokens},
		DecodeError: decodeError,
	})
	if err != nil {
		return nil, fmt.Errorf("casb: Config.BaseURL: %w", err)
	}
	c.http = hc
	return c, nil
}

// checkReportName refuses names that cannot travel as one path segment
// everywhere: a "/", a "%" or a dot segment is unescaped or cleaned away by
// some path joiners (httpx's own, before it joined escaped forms), which
// would silently ask for another URL.
func checkReportName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("casb: Config.Report must not be blank")
	case strings.ContainsAny(name, "/\\%"), name == ".", name == "..":
		return fmt.Errorf("casb: Config.Report %q must be a single path segment", sanitize.Line(name))
	case !sanitize.Valid(name):
		return fmt.Errorf("casb: Config.Report %q has control characters", sanitize.Line(name))
	}
	return nil
}

// RateLimit returns the last rate-limit headers seen. CASB documents none,
// so this reports false unless that changes.
func (c *Client) RateLimit() (httpx.RateLimit, bool) { return c.http.RateLimit() }

// String names the client without its credentials.
func (c *Client) String() string { return "casb client for " + c.http.BaseURL() }

// authorizer puts the cached token and its tenant on every request.
type authorizer struct{ tokens *httpx.TokenCache[token] }

func (a authorizer) Authorize(ctx context.Context, h http.Header) error {
	t, err := a.tokens.Get(ctx)
	if err != nil {
		return err
	}
	h.Set("Authorization", "Bearer "+t.access.Reveal())
	h.Set("X-Apprity-Tenant-Id", t.tenant)
	return nil
}

// Rejected re-mints on 401 only: a 403 means the APIs are off for the
// tenant, and a 400 is about the request, so a new token would not help.
func (a authorizer) Rejected(status int, _ []byte) bool {
	if status != http.StatusUnauthorized {
		return false
	}
	a.tokens.Invalidate()
	return true
}

// mint exchanges the key pair for a token.
func (c *Client) mint(ctx context.Context) (token, time.Time, error) {
	body, err := json.Marshal(map[string]string{
		"accessKey":    c.cfg.AccessKey.Reveal(),
		"accessSecret": c.cfg.AccessSecret.Reveal(),
	})
	if err != nil {
		return token{}, time.Time{}, err
	}
	op := "POST " + tokenPath
	// The docs say 201, public scripts check 200: Do accepts any 2xx.
	resp, err := c.http.Do(ctx, httpx.Request{
		Method: http.MethodPost, Path: tokenPath, Body: body,
		ContentType: "application/json", NoAuth: true, Op: op,
	})
	if err != nil {
		return token{}, time.Time{}, err
	}
	bad := func(format string, args ...any) error {
		return &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode, Err: fmt.Errorf(format, args...)}
	}
	var tr struct {
		AccessToken flexString      `json:"accessToken"`
		ExpiresAt   json.RawMessage `json:"expiresAt"`
		TenantID    flexString      `json:"tenantId"`
	}
	if err := json.Unmarshal(resp.Body, &tr); err != nil {
		return token{}, time.Time{}, bad("token response: %v", describeJSONError(err, len(resp.Body)))
	}
	access, tenant := strings.TrimSpace(tr.AccessToken.s), strings.TrimSpace(tr.TenantID.s)
	switch {
	case access == "":
		return token{}, time.Time{}, bad("token response has no accessToken")
	case tenant == "":
		return token{}, time.Time{}, bad("token response has no tenantId")
	case !headerSafe(access):
		return token{}, time.Time{}, bad("accessToken has characters a header cannot carry")
	case !headerSafe(tenant):
		return token{}, time.Time{}, bad("tenantId has characters a header cannot carry")
	}
	return token{access: secret.New(access), tenant: tenant}, c.expiry(tr.ExpiresAt), nil
}

// expiry is when to stop using a token: a little before expiresAt, or a
// conservative default when the server's time cannot be read or trusted.
func (c *Client) expiry(raw json.RawMessage) time.Time {
	now := c.now()
	var exp time.Time
	if v, ok := detailValue(raw); ok {
		exp, _ = parseTime(v)
	}
	if !exp.After(now) {
		return now.Add(DefaultTokenLifetime)
	}
	margin := min(tokenMargin, exp.Sub(now)/4)
	return exp.Add(-margin)
}

func headerSafe(s string) bool {
	if len(s) > 8192 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
