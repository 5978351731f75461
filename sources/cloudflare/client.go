// Package cloudflare is the client for Cloudflare Zero Trust risk scoring
// (accounts/{account_id}/zt_risk_scoring/…): the per-user summary and
// detail, resets, the behaviors map and the Okta (SSF) integrations.
//
// Every call goes through sources/httpx and every string it returns has
// passed sources/sanitize.
package cloudflare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
)

// DefaultBaseURL is Cloudflare's v4 API.
const DefaultBaseURL = "https://api.cloudflare.com/client/v4"

// Config is what the client needs: AccountID, and one credential, either
// an API token or a Global API Key with its user's email.
//
// Cloudflare's reference lists both schemes for every zt_risk_scoring
// call: "API Token" (Authorization: Bearer) and "API Email + API Key"
// (X-Auth-Email with X-Auth-Key), the latter "the previous authorization
// scheme … used in conjunction with a Global API key"
// (https://developers.cloudflare.com/api/go/resources/zero_trust/subresources/risk_scoring/methods/get).
type Config struct {
	BaseURL   string // default DefaultBaseURL
	AccountID string // the 32 hex characters in the dashboard URL
	APIToken  secret.Value
	APIEmail  string       // the user's email, with APIKey
	APIKey    secret.Value // the user's Global API Key, with APIEmail
	HTTP      httpx.Options
}

// Credential is the kind of credential a client sends.
type Credential int

const (
	// CredToken is an API token: scoped to the permissions it was given.
	CredToken Credential = iota
	// CredGlobalKey is a Global API Key: it has "the exact same permissions
	// as the user" (https://developers.cloudflare.com/fundamentals/api/get-started/keys),
	// so what it lacks is the user's access to the account, not a token
	// permission.
	CredGlobalKey
)

// Client talks to one Cloudflare account. It is safe for concurrent use.
type Client struct {
	http    *httpx.Client
	account string
	cred    Credential
	email   string
}

// New checks cfg and builds the client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if err := checkAccountID(cfg.AccountID); err != nil {
		return nil, err
	}
	auth, cred, err := authOf(cfg)
	if err != nil {
		return nil, err
	}
	hc, err := httpx.New(httpx.Config{
		Vendor:      vendorName,
		BaseURL:     cfg.BaseURL,
		Options:     cfg.HTTP,
		Auth:        auth,
		RateLimit:   ParseRateLimit,
		DecodeError: decodeError,
	})
	if err != nil {
		return nil, fmt.Errorf("cloudflare: Config.BaseURL %q must be an absolute http(s) URL, like %s", sanitize.Line(cfg.BaseURL), DefaultBaseURL)
	}
	return &Client{http: hc, account: cfg.AccountID, cred: cred, email: cfg.APIEmail}, nil
}

// authOf picks the one credential cfg holds.
func authOf(cfg Config) (httpx.Authorizer, Credential, error) {
	hasKey := !cfg.APIKey.IsZero() || cfg.APIEmail != ""
	switch {
	case !cfg.APIToken.IsZero() && hasKey:
		return nil, 0, errors.New("cloudflare: both Config.APIToken and Config.APIKey are set; keep one: an API token (preferred) or the Global API Key with Config.APIEmail")
	case hasKey:
		if cfg.APIKey.IsZero() {
			return nil, 0, errors.New("cloudflare: Config.APIKey is empty; with Config.APIEmail set it to the user's Global API Key (My Profile → API Tokens → Global API Key)")
		}
		if cfg.APIEmail == "" {
			return nil, 0, errors.New("cloudflare: Config.APIEmail is empty; the Global API Key is sent with the email of the user it belongs to")
		}
		if badHeader(cfg.APIKey.Reveal()) {
			return nil, 0, errors.New("cloudflare: Config.APIKey contains spaces or control characters (copied with a trailing newline?)")
		}
		if badHeader(cfg.APIEmail) || !strings.Contains(cfg.APIEmail, "@") {
			return nil, 0, fmt.Errorf("cloudflare: Config.APIEmail %q is not an email address", sanitize.LineN(cfg.APIEmail, 80))
		}
		return globalKey{email: cfg.APIEmail, key: cfg.APIKey}, CredGlobalKey, nil
	case cfg.APIToken.IsZero():
		return nil, 0, errors.New("cloudflare: Config.APIToken is empty; create an API token with Zero Trust read permission (plus 'Zero Trust: PII Read' for user detail), or set Config.APIEmail and Config.APIKey (Global API Key)")
	case badHeader(cfg.APIToken.Reveal()):
		// Never echo the token; say what is wrong with it.
		return nil, 0, errors.New("cloudflare: Config.APIToken contains spaces or control characters (copied with a trailing newline?)")
	}
	return bearer{cfg.APIToken}, CredToken, nil
}

func badHeader(v string) bool {
	return strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f })
}

// Credential says which kind of credential the client sends.
func (c *Client) Credential() Credential { return c.cred }

// checkAccountID accepts any non-empty id made of URL-safe characters; the
// real shape is 32 hex characters, but the simulator and tests may differ.
func checkAccountID(id string) error {
	if id == "" {
		return errors.New("cloudflare: Config.AccountID is empty; it is the 32 hex characters after dash.cloudflare.com/ in the dashboard URL")
	}
	if id == "." || id == ".." || strings.ContainsFunc(id, func(r rune) bool { return !isUnreserved(r) }) {
		return fmt.Errorf("cloudflare: Config.AccountID %q may only hold letters, digits, '-', '_', '.' and '~'", sanitize.LineN(id, 64))
	}
	return nil
}

func isUnreserved(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~", r)
}

// RateLimit returns the budget from the last Ratelimit headers seen.
func (c *Client) RateLimit() (httpx.RateLimit, bool) { return c.http.RateLimit() }

// AccountID is the account the client reads.
func (c *Client) AccountID() string { return c.account }

// bearer sends the static API token. There is nothing to refresh, so a
// rejection is final.
type bearer struct{ token secret.Value }

func (b bearer) Authorize(_ context.Context, h http.Header) error {
	h.Set("Authorization", "Bearer "+b.token.Reveal())
	return nil
}

func (bearer) Rejected(int, []byte) bool { return false }

// globalKey sends the legacy Global API Key with its user's email
// (X-Auth-Email, X-Auth-Key), as Cloudflare's reference shows. Static too.
type globalKey struct {
	email string
	key   secret.Value
}

func (g globalKey) Authorize(_ context.Context, h http.Header) error {
	h.Set("X-Auth-Email", g.email)
	h.Set("X-Auth-Key", g.key.Reveal())
	return nil
}

func (globalKey) Rejected(int, []byte) bool { return false }

// Message is one entry of an envelope's errors or messages.
type Message struct {
	Code             int            `json:"code"`
	Message          string         `json:"message"`
	DocumentationURL string         `json:"documentation_url,omitempty"`
	Source           *MessageSource `json:"source,omitempty"`
}

// MessageSource points at the request field a message is about.
type MessageSource struct {
	Pointer string `json:"pointer"`
}

// ResultInfo is the envelope's paging block.
type ResultInfo struct {
	Count      int `json:"count"`
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	TotalCount int `json:"total_count"`
}

// envelope is every Cloudflare v4 answer.
type envelope[T any] struct {
	Success    *bool       `json:"success"`
	Errors     []Message   `json:"errors"`
	Messages   []Message   `json:"messages"`
	Result     T           `json:"result"`
	ResultInfo *ResultInfo `json:"result_info"`
}

// APIError is Cloudflare's error envelope: the HTTP status and the errors
// it listed, with their codes.
type APIError struct {
	Status int
	Errors []Message
}

func (e *APIError) Error() string {
	if len(e.Errors) == 0 {
		return "request failed (no error details)"
	}
	parts := make([]string, 0, len(e.Errors))
	for _, m := range e.Errors {
		s := fmt.Sprintf("error %d: %s", m.Code, m.Message)
		if m.Source != nil && m.Source.Pointer != "" {
			s += " (at " + m.Source.Pointer + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Has reports whether Cloudflare listed the error code.
func (e *APIError) Has(code int) bool {
	for _, m := range e.Errors {
		if m.Code == code {
			return true
		}
	}
	return false
}

// Cloudflare error codes the client knows what to say about.
const (
	CodeNoRoute        = 7000  // "No route for that URI"
	CodeBadIdentifier  = 7003  // "Could not route to …, perhaps your object identifier is invalid?"
	CodeAuthentication = 10000 // "Authentication error"
	CodeRateLimited    = 971   // "Please wait and consider throttling your request speed"
	// A Global API Key refused: 6003 "Invalid request headers" (a
	// malformed X-Auth-Key or X-Auth-Email, github.com/rmbolger/Posh-ACME/issues/126)
	// and 9103 "Unknown X-Auth-Key or X-Auth-Email" (github.com/netcccyun/dnsmgr/issues/245).
	CodeBadHeaders = 6003
	CodeUnknownKey = 9103
)

// credentialRefused reports whether Cloudflare refused the credential
// itself, whatever the status it chose for it.
func credentialRefused(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && (apiErr.Has(CodeBadHeaders) || apiErr.Has(CodeUnknownKey))
}

// Hints a person can act on.
const (
	hintUnauthorized = "the API token is invalid, expired or revoked; create a new one under My Profile → API Tokens"
	hintForbidden    = "the API token needs Zero Trust read permission on this account, and risk scoring is Enterprise-only"
	hintPIIRead      = "the API token lacks 'Zero Trust: PII Read' (user detail returns names and emails)"
	hintWrite        = "the API token lacks 'Zero Trust Write'"
	hintRateLimited  = "the 1,200 requests / 5 min budget is per user and shared with other automation on that user (Terraform, scripts); once it is spent Cloudflare blocks ALL calls for 5 minutes"
	hintAccount      = "check Config.AccountID (the 32 hex characters in the dashboard URL) and Config.BaseURL (…/client/v4)"
)

func decodeError(status int, _ http.Header, body []byte) (error, string) {
	apiErr := decodeAPIError(status, body)
	hint := statusHint(status, apiErr)
	if apiErr == nil {
		return nil, hint // httpx falls back to a sanitized snippet of the body
	}
	return apiErr, hint
}

// decodeAPIError reads an envelope's errors; nil when the body is not one.
func decodeAPIError(status int, body []byte) *APIError {
	var env envelope[json.RawMessage]
	if err := json.Unmarshal(body, &env); err != nil || (env.Success == nil && len(env.Errors) == 0) {
		return nil
	}
	e := &APIError{Status: status, Errors: env.Errors}
	sanitize.Struct(e)
	return e
}

func statusHint(status int, e *APIError) string {
	if e != nil && (e.Has(CodeBadIdentifier) || e.Has(CodeNoRoute)) {
		return hintAccount
	}
	if e != nil && (e.Has(CodeBadHeaders) || e.Has(CodeUnknownKey)) {
		return hintUnauthorized
	}
	switch status {
	case http.StatusUnauthorized:
		return hintUnauthorized
	case http.StatusForbidden:
		return hintForbidden
	case http.StatusTooManyRequests:
		return hintRateLimited
	}
	return ""
}

// call is one request to a zt_risk_scoring endpoint.
type call struct {
	method  string
	path    []string // segments after zt_risk_scoring/, unescaped
	query   url.Values
	body    any
	noRetry bool
	root    []string // when set, the path from the API root instead of under zt_risk_scoring
	hint403 string   // what a 403 means for this endpoint
	hint404 string
}

// send makes the call and unwraps the envelope into T.
func send[T any](ctx context.Context, c *Client, k call) (*envelope[T], error) {
	target, label, err := c.target(k)
	op := k.method + " " + label
	if err != nil {
		return nil, &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode, Err: err}
	}
	req := httpx.Request{Method: k.method, Path: target, Query: k.query, NoRetry: k.noRetry, Op: op}
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return nil, &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode, Err: err}
		}
		req.Body, req.ContentType = b, "application/json"
	}
	var env envelope[T]
	resp, err := c.http.JSON(ctx, req, &env)
	if err != nil {
		var he *httpx.Error
		if errors.As(err, &he) {
			he.Hint = c.forCredential(endpointHint(he, k))
		}
		return nil, err
	}
	if env.Success == nil {
		return nil, &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode,
			Err: errors.New(`the answer is not a Cloudflare API envelope (no "success" field)`)}
	}
	if !*env.Success {
		// A 2xx that says it failed is still a failure.
		apiErr := &APIError{Status: resp.Status, Errors: env.Errors}
		sanitize.Struct(apiErr)
		he := &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindStatus, Status: resp.Status, Attempts: 1, Err: apiErr}
		he.Hint = c.forCredential(endpointHint(he, k))
		return nil, he
	}
	return &env, nil
}

// forCredential turns a hint about an API token's permissions into what
// a Global API Key lacks: the key carries its user's permissions, so it is
// the user's membership and role on the account that falls short
// (https://developers.cloudflare.com/fundamentals/api/get-started/keys;
// roles: https://developers.cloudflare.com/fundamentals/manage-members/roles).
func (c *Client) forCredential(hint string) string {
	if c.cred != CredGlobalKey {
		return hint
	}
	user := "the key's user " + c.email
	switch hint {
	case hintUnauthorized:
		return "the Global API Key or api_email is wrong, or the key was rolled; see My Profile → API Tokens → Global API Key (or use an API token)"
	case hintForbidden:
		return "a Global API Key has exactly its user's permissions: " + user + " needs to be a member of this account with a role that reads Zero Trust, and risk scoring is Enterprise-only"
	case hintPIIRead:
		return "a Global API Key has exactly its user's permissions: " + user + " has no role on this account that may read Zero Trust PII (user detail returns names and emails)"
	case hintWrite:
		return "a Global API Key has exactly its user's permissions: " + user + " has no role on this account that may edit Zero Trust"
	}
	return hint
}

// endpointHint refines the generic hint with what this endpoint needs.
func endpointHint(he *httpx.Error, k call) string {
	var apiErr *APIError
	routing := errors.As(he.Err, &apiErr) && (apiErr.Has(CodeBadIdentifier) || apiErr.Has(CodeNoRoute))
	switch {
	case routing:
		return hintAccount
	case credentialRefused(he.Err):
		return hintUnauthorized
	case he.Status == http.StatusForbidden && k.hint403 != "":
		return k.hint403
	case he.Status == http.StatusForbidden:
		return hintForbidden
	case he.Status == http.StatusNotFound && k.hint404 != "":
		return k.hint404
	case he.Status == http.StatusUnauthorized:
		return hintUnauthorized
	case he.Status == http.StatusTooManyRequests:
		return hintRateLimited
	}
	return he.Hint
}

// target builds the escaped path of a call. Ids are escaped one segment at
// a time (httpx keeps the escaping), and dot segments are refused because a
// server would resolve them into another resource.
func (c *Client) target(k call) (target, label string, err error) {
	if k.root != nil {
		var esc strings.Builder
		for _, seg := range k.root {
			esc.WriteString("/" + url.PathEscape(seg))
		}
		return esc.String(), sanitize.LineN(strings.Join(k.root, "/"), 160), nil
	}
	var esc, lbl strings.Builder
	esc.WriteString("/accounts/")
	esc.WriteString(url.PathEscape(c.account))
	esc.WriteString("/zt_risk_scoring")
	lbl.WriteString("zt_risk_scoring")
	for _, seg := range k.path {
		if seg == "" || seg == "." || seg == ".." {
			return "", sanitize.Line(lbl.String()), fmt.Errorf("invalid id %q in the path", seg)
		}
		esc.WriteString("/" + url.PathEscape(seg))
		lbl.WriteString("/" + seg)
	}
	return esc.String(), sanitize.LineN(lbl.String(), 160), nil
}

// checkID refuses an id that cannot name anything, before a request is spent.
func checkID(what, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("cloudflare: %s is empty", what)
	}
	if id == "." || id == ".." {
		return fmt.Errorf("cloudflare: %s %q is not an id", what, id)
	}
	return nil
}
