// Package okta pushes IP risk to Okta's Risk Events API (Early Access) and
// reads the Risk Providers that attribute those events to a service app.
//
// Okta is the one vendor risktop writes to. Every payload rule Okta documents
// is checked before a request leaves (Validate), many signals are packed into
// few requests (Pack), and a request budget keeps the integration guide's
// 3 requests a minute unless configured up to the reference's 30.
package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
)

const (
	// DefaultRequestsPerMinute is the integration guide's limit per risk provider.
	DefaultRequestsPerMinute = 3
	// MaxRequestsPerMinute is the API reference's limit for the endpoint.
	MaxRequestsPerMinute = 30
	// DefaultMaxRetryWait covers a whole Okta rate-limit window (one minute),
	// so a 429 is waited out inside Push rather than handed back. Pushes run
	// in the background and every wait is cancellable.
	DefaultMaxRetryWait = 65 * time.Second
)

// Scopes the client asks the org authorization server for.
const (
	ScopeRiskEvents    = "okta.riskEvents.manage"
	ScopeProvidersRead = "okta.riskProviders.read"
)

// Config says where the org is and how to authenticate. Exactly one of the
// two modes must be set: APIToken (SSWS), or ClientID + PrivateKeyPEM
// (OAuth 2.0 service app with private_key_jwt, Okta's recommendation and the
// only way events are attributed to a risk provider).
type Config struct {
	BaseURL string // the org URL, https://acme.okta.com — not the -admin host

	APIToken secret.Value // SSWS token

	ClientID      string       // the service app's client id
	PrivateKeyPEM secret.Value // RSA key, PKCS#1 or PKCS#8 PEM
	KeyID         string       // the JWK's kid, when the app has several keys

	// RequestsPerMinute is the push budget; 0 means DefaultRequestsPerMinute.
	RequestsPerMinute int

	// Push is the push path; "" means PushRiskEvents. With PushSSF the
	// SETs are signed with SSFKeyPEM (RSA 2048+ for RS256, or EC P-256
	// for ES256) under SSFKeyID and issued by SSFIssuer, the issuer of
	// the org's Security Events Provider; the API credential (APIToken
	// or the OAuth service app) is then optional and only reads the
	// org's providers.
	Push      PushPath
	SSFIssuer string
	SSFKeyPEM secret.Value
	SSFKeyID  string

	// AllowDocumentationRanges says the tenant is a simulator whose world
	// uses the documentation ranges (RFC 5737, RFC 3849) for every
	// address: the actions service then accepts pushes of them. The client
	// itself sends any address it is given.
	AllowDocumentationRanges bool

	HTTP httpx.Options
}

// Mode names the configured authentication: "oauth", "ssws", or "none"
// (push: ssf without an API credential).
func (cfg Config) Mode() string {
	switch {
	case cfg.ClientID != "" || !cfg.PrivateKeyPEM.IsZero():
		return "oauth"
	case cfg.APIToken.IsZero() && cfg.PushPath() == PushSSF:
		return "none"
	}
	return "ssws"
}

// PushPath is Push with its default.
func (cfg Config) PushPath() PushPath {
	if cfg.Push == "" {
		return PushRiskEvents
	}
	return cfg.Push
}

func (cfg Config) check() error {
	if err := checkBaseURL(cfg.BaseURL); err != nil {
		return err
	}
	ssws := !cfg.APIToken.IsZero()
	oauth := cfg.ClientID != "" || !cfg.PrivateKeyPEM.IsZero() || cfg.KeyID != ""
	ssf := cfg.PushPath() == PushSSF
	switch cfg.PushPath() {
	case PushRiskEvents:
		if cfg.SSFIssuer != "" || !cfg.SSFKeyPEM.IsZero() || cfg.SSFKeyID != "" {
			return errors.New("okta: SSFIssuer, SSFKeyPEM and SSFKeyID are for Push " + string(PushSSF) + "; set Push to it, or leave them out")
		}
	case PushSSF:
		if strings.TrimSpace(cfg.SSFIssuer) == "" {
			return errors.New("okta: SSFIssuer is required with Push ssf (the issuer of the org's Security Events Provider)")
		}
		if cfg.SSFKeyPEM.IsZero() {
			return errors.New("okta: SSFKeyPEM is required with Push ssf (the private key the SETs are signed with)")
		}
		if strings.TrimSpace(cfg.SSFKeyID) == "" {
			return errors.New("okta: SSFKeyID is required with Push ssf (the kid of the key in the provider's JWKS)")
		}
	default:
		return fmt.Errorf("okta: Push %q must be %s or %s", truncate(string(cfg.Push), 20), PushRiskEvents, PushSSF)
	}
	switch {
	case ssws && oauth:
		return errors.New("okta: set either APIToken (SSWS) or ClientID + PrivateKeyPEM (OAuth), not both")
	case !ssws && !oauth && ssf:
		// SETs need no API credential.
	case !ssws && !oauth:
		return errors.New("okta: no credentials: set APIToken (SSWS) or ClientID + PrivateKeyPEM (OAuth service app)")
	case oauth && cfg.ClientID == "":
		return errors.New("okta: ClientID is required with PrivateKeyPEM (the service app's client id)")
	case oauth && cfg.PrivateKeyPEM.IsZero():
		return errors.New("okta: PrivateKeyPEM is required with ClientID (the service app's RSA private key)")
	}
	if cfg.RequestsPerMinute < 0 || cfg.RequestsPerMinute > MaxRequestsPerMinute {
		return fmt.Errorf("okta: RequestsPerMinute %d must be between 1 and %d (0 means the guide's %d)",
			cfg.RequestsPerMinute, MaxRequestsPerMinute, DefaultRequestsPerMinute)
	}
	return nil
}

// checkBaseURL refuses the Admin Console host: the API lives on the org URL.
func checkBaseURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("okta: BaseURL %q must be the org URL, like https://acme.okta.com", raw)
	}
	host := u.Hostname()
	label, rest, _ := strings.Cut(host, ".")
	if base, ok := strings.CutSuffix(label, "-admin"); ok && base != "" {
		org := base
		if rest != "" {
			org += "." + rest
		}
		return fmt.Errorf("okta: BaseURL host %q is the Admin Console; use the org URL %s://%s", host, u.Scheme, org)
	}
	return nil
}

// Client talks to one Okta org. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *httpx.Client
	auth   authMode
	budget *Budget
	now    func() time.Time
	sender Sender

	// spacesRefused remembers that Okta rejected spaces in a message, so
	// later pushes send underscores at once instead of spending budget.
	spacesRefused atomic.Bool
}

// New checks cfg, parses the private key and builds the client.
func New(cfg Config) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if cfg.HTTP.MaxRetryWait == 0 {
		cfg.HTTP.MaxRetryWait = DefaultMaxRetryWait
	}
	now := cfg.HTTP.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{cfg: cfg, now: now}
	c.budget = newBudget(cfg.RequestsPerMinute, now, cfg.HTTP.Sleep)

	var auth authMode
	var oauth *oauthAuth
	switch cfg.Mode() {
	case "oauth":
		key, err := parsePrivateKey(cfg.PrivateKeyPEM)
		if err != nil {
			return nil, err
		}
		oauth = &oauthAuth{clientID: cfg.ClientID, keyID: cfg.KeyID, key: key, now: now}
		auth = oauth
	case "none":
		auth = noAuth{}
	default:
		auth = sswsAuth{token: cfg.APIToken}
	}
	c.sender = riskEventsSender{c}
	if cfg.PushPath() == PushSSF {
		signer, err := NewSETSigner(cfg.SSFKeyPEM, cfg.SSFKeyID)
		if err != nil {
			return nil, err
		}
		c.sender = ssfSender{c: c, signer: signer, issuer: strings.TrimSpace(cfg.SSFIssuer)}
	}
	c.auth = auth
	hc, err := httpx.New(httpx.Config{
		Vendor:      vendorName,
		BaseURL:     strings.TrimSpace(cfg.BaseURL),
		Options:     cfg.HTTP,
		Auth:        auth,
		RateLimit:   parseRateLimit,
		DecodeError: c.decodeError,
	})
	if err != nil {
		return nil, err
	}
	c.http = hc
	if oauth != nil {
		oauth.http = hc
		oauth.tokenURL = hc.BaseURL() + tokenPath
	}
	return c, nil
}

// String describes the client without its credentials.
func (c *Client) String() string {
	path := ""
	if c.PushPath() == PushSSF {
		path = ", pushing over SSF as " + c.cfg.SSFIssuer
	}
	switch c.cfg.Mode() {
	case "oauth":
		return fmt.Sprintf("okta client for %s (OAuth service app %s%s)", c.http.BaseURL(), c.cfg.ClientID, path)
	case "none":
		return fmt.Sprintf("okta client for %s (no API credential%s)", c.http.BaseURL(), path)
	}
	return fmt.Sprintf("okta client for %s (SSWS token%s)", c.http.BaseURL(), path)
}

// Sender is the configured push path.
func (c *Client) Sender() Sender { return c.sender }

// PushPath names the configured push path.
func (c *Client) PushPath() PushPath { return c.sender.Path() }

// PackSignals plans signals for the configured push path within budget
// requests (Pack for the Risk Events API; one IP a request over SSF).
func (c *Client) PackSignals(signals []Signal, budget int, now time.Time) Plan {
	return c.sender.Pack(signals, budget, now)
}

// SignalsPerRequest is the most signals one push request carries.
func (c *Client) SignalsPerRequest() int { return c.sender.PerRequest() }

// PushUserRisk sends a person's risk to Okta as a user-risk-change SET,
// through the push budget. Only push: ssf can: the Risk Events API takes
// IP risk only.
func (c *Client) PushUserRisk(ctx context.Context, r UserRisk) error {
	return c.sender.SendUserRisk(ctx, r)
}

// SSFIssuer is the configured SET issuer ("" without push: ssf).
func (c *Client) SSFIssuer() string { return c.cfg.SSFIssuer }

// SETSigner is the SSF signer (nil without push: ssf), for
// `risktop okta ssf-setup`'s public key set.
func (c *Client) SETSigner() *SETSigner {
	if s, ok := c.sender.(ssfSender); ok {
		return s.signer
	}
	return nil
}

// Format keeps fmt from walking into the parsed private key, whatever the verb.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// RateLimit returns the last X-Rate-Limit-* headers seen on any endpoint.
func (c *Client) RateLimit() (httpx.RateLimit, bool) { return c.http.RateLimit() }

// Budget is the push request budget.
func (c *Client) Budget() *Budget { return c.budget }

// Available is how many pushes the budget allows right now.
func (c *Client) Available() int { return c.budget.Available() }

// AllowsDocumentationRanges reports Config.AllowDocumentationRanges.
func (c *Client) AllowsDocumentationRanges() bool { return c.cfg.AllowDocumentationRanges }

// ClientID is the configured OAuth client id ("" with SSWS).
func (c *Client) ClientID() string { return c.cfg.ClientID }

// SpacesRefused reports whether Okta rejected a message with spaces, after
// which messages are sent with underscores instead.
func (c *Client) SpacesRefused() bool { return c.spacesRefused.Load() }

type scopeKey struct{}

func withScope(ctx context.Context, scope string) context.Context {
	return context.WithValue(ctx, scopeKey{}, scope)
}

func scopeOf(ctx context.Context) string {
	if s, ok := ctx.Value(scopeKey{}).(string); ok {
		return s
	}
	return ScopeRiskEvents
}

// do sends req with the credential for scope. Re-authentication happens
// here rather than through httpx's Authorizer.Rejected, which cannot tell
// which scope's token the refused request carried.
func (c *Client) do(ctx context.Context, scope string, req httpx.Request, out any) (*httpx.Response, error) {
	ctx = withScope(ctx, scope)
	if err := c.auth.ready(ctx); err != nil {
		return nil, err
	}
	resp, err := c.http.JSON(ctx, req, out)
	if err != nil && httpx.StatusOf(err) == http.StatusUnauthorized && c.auth.refused(ctx) {
		if err := c.auth.ready(ctx); err != nil {
			return nil, err
		}
		resp, err = c.http.JSON(ctx, req, out)
	}
	return resp, err
}

// parseRateLimit reads Okta's headers; Reset is UTC epoch seconds.
func parseRateLimit(h http.Header, _ time.Time) (httpx.RateLimit, bool) {
	limit, errL := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Limit")))
	remaining, errR := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")))
	reset, errS := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Reset")), 10, 64)
	if errL != nil && errR != nil && errS != nil {
		return httpx.RateLimit{}, false
	}
	rl := httpx.RateLimit{Limit: limit, Remaining: remaining}
	if errR != nil {
		rl.Remaining = -1 // unknown, not spent
	}
	if errS == nil && reset > 0 {
		rl.Reset = time.Unix(reset, 0).UTC()
	}
	return rl, true
}
