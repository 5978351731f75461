// Package onelogin is risktop's client for the OneLogin APIs it polls: Get
// Events (v1), the event-type catalogue, Get Score Insights (v2) and Get Rate
// Limit, authenticated with an OAuth 2.0 client-credentials token.
package onelogin

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

// vendorName is the vendor's name in errors and the config.
const vendorName = "onelogin"

const (
	tokenPath     = "/auth/oauth2/v2/token"
	rateLimitPath = "/auth/rate_limit"
	// defaultTokenTTL is the documented expires_in (10 h), used when a token
	// response omits it.
	defaultTokenTTL = 36000 * time.Second
	// tokenRefreshMargin is how long before expiry a token is replaced.
	tokenRefreshMargin = 5 * time.Minute
)

// Config is one OneLogin account's API credential.
type Config struct {
	// BaseURL is the account's API host: https://<subdomain>.onelogin.com,
	// or a regional https://api.us.onelogin.com / https://api.eu.onelogin.com.
	BaseURL string
	// ClientID and ClientSecret are an API credential pair with Read All
	// (or Manage All) scope.
	ClientID     string
	ClientSecret secret.Value
	HTTP         httpx.Options
}

// Client calls the OneLogin APIs. It is safe for concurrent use.
type Client struct {
	http     *httpx.Client
	base     *url.URL
	now      func() time.Time
	clientID string
	secret   secret.Value
	auth     *authorizer
	types    httpx.TokenCache[*EventTypeCatalog]
}

// New checks cfg and builds the client. No request is sent until a method
// needs one.
func New(cfg Config) (*Client, error) {
	switch {
	case strings.TrimSpace(cfg.BaseURL) == "":
		return nil, errors.New("onelogin: Config.BaseURL is required (https://<subdomain>.onelogin.com)")
	case strings.TrimSpace(cfg.ClientID) == "":
		return nil, errors.New("onelogin: Config.ClientID is required (Developers → API Credentials)")
	case cfg.ClientSecret.IsZero():
		return nil, errors.New("onelogin: Config.ClientSecret is required (Developers → API Credentials)")
	}
	now := cfg.HTTP.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{now: now, clientID: cfg.ClientID, secret: cfg.ClientSecret, auth: &authorizer{}}
	c.auth.tokens = httpx.TokenCache[string]{Mint: c.mint, Now: now}
	c.types = httpx.TokenCache[*EventTypeCatalog]{Mint: c.fetchEventTypes, Now: now}
	hc, err := httpx.New(httpx.Config{
		Vendor:      vendorName,
		BaseURL:     cfg.BaseURL,
		Options:     cfg.HTTP,
		Auth:        c.auth,
		RateLimit:   parseRateLimit,
		DecodeError: decodeError,
	})
	if err != nil {
		return nil, fmt.Errorf("onelogin: Config.BaseURL: %w", err)
	}
	c.http = hc
	c.base, _ = url.Parse(hc.BaseURL())
	return c, nil
}

// RateLimit is the budget reported by the last response's X-RateLimit-*
// headers, if any came.
func (c *Client) RateLimit() (httpx.RateLimit, bool) { return c.http.RateLimit() }

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	CreatedAt   string `json:"created_at"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
	AccountID   int64  `json:"account_id"`
}

// mint asks for a token the way the official Go SDK does: HTTP Basic with
// the credential pair and a JSON body naming the grant.
func (c *Client) mint(ctx context.Context) (string, time.Time, error) {
	start := c.now()
	basic := base64.StdEncoding.EncodeToString([]byte(c.clientID + ":" + c.secret.Reveal()))
	req := httpx.Request{
		Method:      http.MethodPost,
		Path:        tokenPath,
		Body:        []byte(`{"grant_type":"client_credentials"}`),
		ContentType: "application/json",
		Header:      http.Header{"Authorization": {"Basic " + basic}},
		NoAuth:      true,
		Op:          "POST " + tokenPath,
		// The token endpoint's 500 means the credential's owner was deleted
		// (generate-tokens-2, errors.go): a repeat cannot fix it and spends
		// the budget.
		Final: func(status int, _ []byte) bool { return status == http.StatusInternalServerError },
	}
	var tok tokenResponse
	if _, err := c.http.JSON(ctx, req, &tok); err != nil {
		return "", time.Time{}, ownerDeleted(err)
	}
	if tok.AccessToken == "" {
		return "", time.Time{}, &httpx.Error{Vendor: vendorName, Op: req.Op, Kind: httpx.KindDecode,
			Err: errors.New("the token response has no access_token")}
	}
	ttl := time.Duration(tok.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = defaultTokenTTL
	}
	// Renew shortly before expiry; a short-lived token keeps 9/10 of its life.
	return tok.AccessToken, start.Add(ttl - min(tokenRefreshMargin, ttl/10)), nil
}

// authorizer presents the token. OneLogin's pages ask for
// "bearer:<token>" while its SDKs send "Bearer <token>" (vendors.md 1.2);
// we start with the standard form and switch for good when the server
// answers 400 "Authorization Information is incorrect".
type authorizer struct {
	tokens httpx.TokenCache[string]
	legacy atomic.Bool
}

// formUsed records, per call, which header form Authorize chose, so a
// refusal switches away from that form and not from one another call has
// already switched to.
type formUsed struct {
	set, legacy bool
}

type formKey struct{}

func (a *authorizer) Authorize(ctx context.Context, h http.Header) error {
	tok, err := a.tokens.Get(ctx)
	if err != nil {
		return err
	}
	legacy := a.legacy.Load()
	if u, ok := ctx.Value(formKey{}).(*formUsed); ok {
		u.set, u.legacy = true, legacy
	}
	if legacy {
		h.Set("Authorization", "bearer:"+tok)
	} else {
		h.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

// Rejected mints a new token after a 401 (expired or revoked). The 400 of
// the header form is handled in do, which knows which form was sent.
func (a *authorizer) Rejected(status int, _ []byte) bool {
	if status == http.StatusUnauthorized {
		a.tokens.Invalidate()
		return true
	}
	return false
}

// do sends an authorized request and decodes the answer into out.
//
// A 500 is not retried blindly: OneLogin answers 500 to every call once
// the admin who created the credential is deleted (generate-tokens-2), so
// the first 500 asks the token endpoint, which is documented to fail that
// way, for a fresh token. If it answers 500 too, that error (with its
// hint) is returned and nothing is retried; if it mints, the 500 was
// something else and the call is retried as usual.
func (c *Client) do(ctx context.Context, req httpx.Request, out any) (*httpx.Response, error) {
	req.Final = func(status int, _ []byte) bool { return status == http.StatusInternalServerError }
	switched, probed := false, false
	for {
		used := &formUsed{}
		resp, err := c.http.JSON(context.WithValue(ctx, formKey{}, used), req, out)
		if !switched && used.set && authHeaderRefused(err) {
			switched = true
			c.auth.legacy.CompareAndSwap(used.legacy, !used.legacy)
			continue
		}
		if !probed && resourceServerError(err, req.Op) {
			probed = true
			if saysOwnerDeleted(err.Error()) {
				return resp, ownerDeleted(err)
			}
			c.auth.tokens.Invalidate()
			if _, terr := c.auth.tokens.Get(ctx); terr != nil {
				return resp, terr // the owner-deleted 500, or why no token came
			}
			req.Final = nil
			continue
		}
		return resp, err
	}
}

// resourceServerError reports a 500 answered by the resource call op
// itself, not by the token endpoint behind it.
func resourceServerError(err error, op string) bool {
	var he *httpx.Error
	return errors.As(err, &he) && he.Status == http.StatusInternalServerError && he.Op == op
}

// ownerDeleted marks a 500 as the deleted owner's: its hint, and a long
// Retry-After so the poller does not spend the budget on repeats.
func ownerDeleted(err error) error {
	var he *httpx.Error
	if errors.As(err, &he) && he.Status == http.StatusInternalServerError {
		he.Hint = hintOwnerDeleted
		he.RetryAfter = max(he.RetryAfter, ownerDeletedWait)
	}
	return err
}

// authHeaderRefused reports OneLogin's 400 for a header form it does not take.
func authHeaderRefused(err error) bool {
	var apiErr *APIError
	return httpx.StatusOf(err) == http.StatusBadRequest && errors.As(err, &apiErr) && isAuthHeaderMessage(apiErr.Message)
}

// parseRateLimit reads X-RateLimit-Limit/Remaining/Reset. OneLogin's Reset
// is the seconds left in the hour, not an epoch time.
func parseRateLimit(h http.Header, now time.Time) (httpx.RateLimit, bool) {
	limit, okLimit := headerInt(h, "X-RateLimit-Limit")
	remaining, okRemaining := headerInt(h, "X-RateLimit-Remaining")
	if !okLimit && !okRemaining {
		return httpx.RateLimit{}, false
	}
	rl := httpx.RateLimit{Limit: limit, Remaining: remaining}
	if reset, ok := headerInt(h, "X-RateLimit-Reset"); ok && reset >= 0 {
		rl.Reset = now.Add(time.Duration(reset) * time.Second)
	}
	return rl, true
}

func headerInt(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// FetchRateLimit asks GET /auth/rate_limit for the account's hourly budget.
func (c *Client) FetchRateLimit(ctx context.Context) (httpx.RateLimit, error) {
	op := "GET " + rateLimitPath
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if _, err := c.do(ctx, httpx.Request{Method: http.MethodGet, Path: rateLimitPath, Op: op}, &env); err != nil {
		return httpx.RateLimit{}, err
	}
	var data struct {
		Limit     *int `json:"X-RateLimit-Limit"`
		Remaining *int `json:"X-RateLimit-Remaining"`
		Reset     *int `json:"X-RateLimit-Reset"`
	}
	raw := env.Data
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		raw = list[0] // tolerate the data-array form of other v1 calls
	}
	if err := json.Unmarshal(raw, &data); err != nil || data.Limit == nil || data.Remaining == nil {
		return httpx.RateLimit{}, &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode,
			Err: errors.New("data lacks X-RateLimit-Limit/X-RateLimit-Remaining")}
	}
	now := c.now()
	rl := httpx.RateLimit{Limit: *data.Limit, Remaining: *data.Remaining, Observed: now}
	if data.Reset != nil && *data.Reset >= 0 {
		rl.Reset = now.Add(time.Duration(*data.Reset) * time.Second)
	}
	return rl, nil
}
