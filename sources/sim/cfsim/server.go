// Package cfsim simulates Cloudflare Zero Trust risk scoring
// (accounts/{account_id}/zt_risk_scoring/…) over the shared simkit.World:
// people's activity with a Signal becomes behavior events, the summary and
// user detail follow from them, resets clear them, and integrations live in
// memory. Auth, envelopes, error bodies and the per-user rate limit (1,200
// requests / 5 min, then ALL calls blocked) behave like the real API as far
// as it is documented.
package cfsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// Defaults. The tokens are constants so the demo and tests can use them.
const (
	DefaultAccountID    = "5e3c1a7b9d2f4e6a8c0b1d3f5a7c9e1b" // 32 hex, the real shape
	DefaultToken        = "cfsim-token-zero-trust-read-write-pii"
	DefaultTokenNoPII   = "cfsim-token-without-pii-read"
	DefaultTokenNoWrite = "cfsim-token-without-zero-trust-write"
	DefaultTokenExpired = "cfsim-token-expired"
	DefaultAPIEmail     = "soc-admin@example.com"
	DefaultAPIKey       = "cfsim0global0api0key0legacy000000000" // 37 characters, like a pre-cfk_ Global API Key
	DefaultRateLimit    = 1200
	DefaultRateWindow   = 5 * time.Minute
	DefaultMaxEvents    = 200
)

// Options shape the simulator. The zero value is the demo's setup.
type Options struct {
	// BasePath is where the handler is mounted, e.g. "/cloudflare/client/v4";
	// it serves BasePath + "/accounts/{account_id}/zt_risk_scoring/…".
	BasePath string
	// AccountID is the one account served (default DefaultAccountID).
	// Another well-formed (32 hex) account gets 403 code 10000, as a token
	// without access to it would; a malformed one 404 code 7003.
	AccountID string

	Token        string // every permission; default DefaultToken
	TokenNoPII   string // lacks 'Zero Trust: PII Read'; default DefaultTokenNoPII
	TokenNoWrite string // lacks 'Zero Trust Write'; default DefaultTokenNoWrite
	TokenExpired string // verify says "expired", every other call 401; default DefaultTokenExpired

	// The Global API Key (X-Auth-Email with X-Auth-Key) has its user's
	// permissions: by default every one on the account. KeyNoPII takes
	// away the user's PII read; KeyNotMember removes the user from the
	// account, so every account call is refused.
	APIEmail     string // default DefaultAPIEmail
	APIKey       string // default DefaultAPIKey
	KeyNoPII     bool
	KeyNotMember bool

	RateLimit  int           // requests per window and token; default 1,200
	RateWindow time.Duration // default 5 minutes
	BlockFor   time.Duration // how long ALL calls fail once over; default RateWindow

	// Real accounts start with every behavior disabled. The demo enables
	// them all so there is data; AllDisabled gives the real start, and
	// Disabled turns off the behaviors named by key.
	AllDisabled bool
	Disabled    []string

	// SummaryPageSize > 0 makes the summary honour page/per_page with this
	// default page size; 0 returns every user in one answer and ignores
	// paging (the SDK sends none; which is real is unconfirmed).
	SummaryPageSize int
	// SummaryIgnoresPage serves page 1 whatever page is asked, while
	// result_info still counts every user: the other reading.
	SummaryIgnoresPage bool

	// MaxEventsPerUser bounds the events kept for a user's detail (newest
	// kept); counts and levels still see every event. Default 200.
	MaxEventsPerUser int
}

func (o *Options) defaults() {
	simkit.Default(&o.AccountID, DefaultAccountID)
	simkit.Default(&o.Token, DefaultToken)
	simkit.Default(&o.TokenNoPII, DefaultTokenNoPII)
	simkit.Default(&o.TokenNoWrite, DefaultTokenNoWrite)
	simkit.Default(&o.TokenExpired, DefaultTokenExpired)
	simkit.Default(&o.APIEmail, DefaultAPIEmail)
	simkit.Default(&o.APIKey, DefaultAPIKey)
	simkit.Default(&o.RateLimit, DefaultRateLimit)
	simkit.Default(&o.RateWindow, DefaultRateWindow)
	simkit.Default(&o.BlockFor, o.RateWindow)
	simkit.Default(&o.MaxEventsPerUser, DefaultMaxEvents)
	o.BasePath = strings.TrimRight(o.BasePath, "/")
}

// perms is what a credential may do.
type perms struct {
	pii, write bool
	outsider   bool // the key's user is no member of the account
}

// Server is the simulated API. Lock order: s.mu, then the World's.
type Server struct {
	*simkit.Server
	opts Options

	mu           sync.Mutex
	revoked      bool
	budgets      map[string]*simkit.Window // by token
	cursor       int64                     // last World activity turned into events
	behaviors    map[string]*behavior
	users        map[string]*userState // by Access user id
	userIDs      map[int]string        // World person index → user id
	resets       []Reset
	integrations []*integration
	rng          *rand.Rand
}

// New builds the simulator over w and turns the World's history so far
// into events.
func New(w *simkit.World, opts Options) *Server {
	opts.defaults()
	s := &Server{
		opts:      opts,
		budgets:   map[string]*simkit.Window{},
		behaviors: map[string]*behavior{},
		users:     map[string]*userState{},
		userIDs:   map[int]string{},
		rng:       rand.New(rand.NewPCG(w.Seed(), 0xcf)),
	}
	s.Server = simkit.NewServer(w, simkit.ServerConfig{
		Vendor: "cloudflare", FaultSeed: 0xcf, ErrorBody: s.faultBody, Routes: http.HandlerFunc(s.serve),
	})
	for _, p := range w.People() {
		s.userIDs[p.Index] = p.CloudflareID
		s.users[p.CloudflareID] = &userState{person: p.Index}
	}
	disabled := map[string]bool{}
	for _, k := range opts.Disabled {
		disabled[k] = true
	}
	for _, c := range catalog() {
		s.behaviors[c.key] = &behavior{spec: c, timeline: []setting{{
			enabled: !opts.AllDisabled && !disabled[c.key],
			level:   c.level,
		}}}
	}
	s.mu.Lock()
	s.sync()
	s.mu.Unlock()
	return s
}

// RevokeTokens makes every token fail with 401, as when an admin rolls or
// deletes them. API tokens are static: nothing re-mints them, so
// TokensMinted stays 0.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	s.revoked = true
	s.mu.Unlock()
}

// RestoreTokens ends a revocation, as when the admin gives the same token
// back: the next request with it succeeds.
func (s *Server) RestoreTokens() {
	s.mu.Lock()
	s.revoked = false
	s.mu.Unlock()
}

// AccountID is the one account the simulator serves.
func (s *Server) AccountID() string { return s.opts.AccountID }

// Error codes. 10000, 7000, 7003 and 971 are Cloudflare's usual ones; the
// rest are invented (the API documents its 4XX only as an envelope).
const (
	codeAuth          = 10000 // "Authentication error" (401 and 403)
	codeNoRoute       = 7000  // "No route for that URI"
	codeBadIdentifier = 7003  // "Could not route to …, perhaps your object identifier is invalid?"
	codeRateLimited   = 971   // "Please wait and consider throttling your request speed"
	codeValidation    = 1000  // the sample code in the 4XX schema
	codeNotFound      = 1004  // invented
	codeConflict      = 1009  // invented
	codeMethod        = 10405 // invented
	codeUnavailable   = 10503 // invented
)

// msg is one envelope error or message.
type msg struct {
	Code       int    `json:"code"`
	Message    string `json:"message"`
	ErrorChain []msg  `json:"error_chain,omitempty"`
}

// resultInfo is the v4 paging block. total_pages is among its fields in
// https://developers.cloudflare.com/api/resources/zero_trust/subresources/risk_scoring/index.md
// (see ../../cloudflare/testdata/examples/user.json); ok fills it.
type resultInfo struct {
	Count      int `json:"count"`
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

type envelope struct {
	Success    bool        `json:"success"`
	Errors     []msg       `json:"errors"`
	Messages   []msg       `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

func (s *Server) ok(w http.ResponseWriter, result any, info *resultInfo) {
	if info != nil && info.PerPage > 0 {
		info.TotalPages = (info.TotalCount + info.PerPage - 1) / info.PerPage
	}
	simkit.WriteJSON(w, http.StatusOK, envelope{Success: true, Errors: []msg{}, Messages: []msg{}, Result: result, ResultInfo: info})
}

// fail writes the error envelope; messages go through the hostile knob
// like every other text field.
func (s *Server) fail(w http.ResponseWriter, status, code int, format string, args ...any) {
	m := msg{Code: code, Message: s.Faults().Text(fmt.Sprintf(format, args...))}
	simkit.WriteJSON(w, status, envelope{Success: false, Errors: []msg{m}, Messages: []msg{}, Result: nil})
}

func (s *Server) faultBody(w http.ResponseWriter, status int, message string) {
	code := codeUnavailable
	if status == http.StatusTooManyRequests {
		code = codeRateLimited
	}
	s.fail(w, status, code, "%s", message)
}

// serve checks auth, the rate limit and the account, then routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	prefix := s.opts.BasePath + "/accounts/"
	path := r.URL.EscapedPath()
	user := path == s.opts.BasePath+"/user" || path == s.opts.BasePath+"/user/tokens/verify"
	if !strings.HasPrefix(path, prefix) && !user {
		s.fail(w, http.StatusNotFound, codeNoRoute, "No route for that URI")
		return
	}
	if path == s.opts.BasePath+"/user/tokens/verify" {
		s.handleVerify(w, r)
		return
	}
	p, token, refused := s.authenticate(r)
	if refused != nil {
		// Unauthenticated requests belong to no user, so they spend no
		// budget and carry no Ratelimit headers.
		refused(w)
		return
	}
	if !s.spend(w, token) {
		return
	}
	if user {
		if r.Method != http.MethodGet {
			s.fail(w, http.StatusMethodNotAllowed, codeMethod, "Method %s not allowed for this route", r.Method)
			return
		}
		s.ok(w, map[string]any{"id": "9a7806061c88ada191ed06f989cc3dac", "email": s.opts.APIEmail}, nil)
		return
	}
	var segs []string
	for _, raw := range strings.Split(strings.TrimPrefix(path, prefix), "/") {
		seg, err := url.PathUnescape(raw)
		if err != nil {
			s.fail(w, http.StatusBadRequest, codeValidation, "malformed path segment")
			return
		}
		segs = append(segs, seg)
	}
	if segs[0] != s.opts.AccountID || p.outsider {
		// Another well-formed account: the token has no access to it (403).
		// A malformed id cannot be routed at all (404, code 7003).
		if isHex32(segs[0]) {
			s.fail(w, http.StatusForbidden, codeAuth, "Authentication error")
		} else {
			s.fail(w, http.StatusNotFound, codeBadIdentifier, "Could not route to %s, perhaps your object identifier is invalid?", r.URL.Path)
		}
		return
	}
	if len(segs) < 3 || segs[1] != "zt_risk_scoring" {
		s.fail(w, http.StatusNotFound, codeNoRoute, "No route for that URI")
		return
	}
	s.route(w, r, p, segs[2:])
}

// route dispatches zt_risk_scoring/<rest>.
func (s *Server) route(w http.ResponseWriter, r *http.Request, p perms, rest []string) {
	type endpoint struct {
		method string
		need   string // "", "pii" or "write"
		handle func()
	}
	var eps []endpoint
	switch {
	case len(rest) == 1 && rest[0] == "summary":
		eps = []endpoint{{http.MethodGet, "", func() { s.handleSummary(w, r) }}}
	case len(rest) == 1 && rest[0] == "behaviors":
		eps = []endpoint{
			{http.MethodGet, "", func() { s.handleBehaviors(w) }},
			{http.MethodPut, "write", func() { s.handlePutBehaviors(w, r) }},
		}
	case len(rest) == 1 && rest[0] == "integrations":
		eps = []endpoint{
			{http.MethodGet, "", func() { s.handleListIntegrations(w) }},
			{http.MethodPost, "write", func() { s.handleCreateIntegration(w, r) }},
		}
	case len(rest) == 3 && rest[0] == "integrations" && rest[1] == "reference_id":
		eps = []endpoint{{http.MethodGet, "", func() { s.handleGetIntegration(w, "", rest[2]) }}}
	case len(rest) == 2 && rest[0] == "integrations":
		eps = []endpoint{
			{http.MethodGet, "", func() { s.handleGetIntegration(w, rest[1], "") }},
			{http.MethodPut, "write", func() { s.handleUpdateIntegration(w, r, rest[1]) }},
			{http.MethodDelete, "write", func() { s.handleDeleteIntegration(w, rest[1]) }},
		}
	case len(rest) == 1 && rest[0] != "":
		eps = []endpoint{{http.MethodGet, "pii", func() { s.handleUser(w, rest[0]) }}}
	case len(rest) == 2 && rest[1] == "reset" && rest[0] != "":
		eps = []endpoint{{http.MethodPost, "write", func() { s.handleReset(w, rest[0]) }}}
	default:
		s.fail(w, http.StatusNotFound, codeNoRoute, "No route for that URI")
		return
	}
	for _, ep := range eps {
		if ep.method != r.Method {
			continue
		}
		switch {
		case ep.need == "pii" && !p.pii, ep.need == "write" && !p.write:
			// Cloudflare answers a missing permission with its generic
			// authentication error; the client's hint names the permission.
			s.fail(w, http.StatusForbidden, codeAuth, "Authentication error")
			return
		}
		ep.handle()
		return
	}
	s.fail(w, http.StatusMethodNotAllowed, codeMethod, "Method %s not allowed for this route", r.Method)
}

// Codes for the Global API Key's refusals, as users report them:
// a malformed key is 400 code 6003 "Invalid request headers" with
// error_chain 6103 "Invalid format for X-Auth-Key header"
// (github.com/rmbolger/Posh-ACME/issues/126,
// github.com/cloudflare/cloudflare-typescript/issues/161), an unknown one
// "Unknown X-Auth-Key or X-Auth-Email" (github.com/netcccyun/dnsmgr/issues/245)
// as code 9103; its status (403 here) is unconfirmed.
const (
	codeBadHeaders = 6003
	codeBadEmail   = 6102
	codeBadKey     = 6103
	codeUnknownKey = 9103
)

// authenticate returns the credential's permissions and its budget key,
// or how to refuse it.
func (s *Server) authenticate(r *http.Request) (perms, string, func(http.ResponseWriter)) {
	s.mu.Lock()
	revoked := s.revoked
	s.mu.Unlock()
	unauthorized := func(w http.ResponseWriter) { s.fail(w, http.StatusUnauthorized, codeAuth, "Authentication error") }
	email, key := r.Header.Get("X-Auth-Email"), r.Header.Get("X-Auth-Key")
	if r.Header.Get("Authorization") == "" && (email != "" || key != "") {
		var chain []msg
		if !strings.Contains(email, "@") {
			chain = append(chain, msg{Code: codeBadEmail, Message: "Invalid format for X-Auth-Email header"})
		}
		if len(key) < 32 || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			chain = append(chain, msg{Code: codeBadKey, Message: "Invalid format for X-Auth-Key header"})
		}
		if chain != nil {
			return perms{}, "", func(w http.ResponseWriter) {
				simkit.WriteJSON(w, http.StatusBadRequest, envelope{Errors: []msg{{Code: codeBadHeaders, Message: "Invalid request headers", ErrorChain: chain}}, Messages: []msg{}})
			}
		}
		if revoked || !strings.EqualFold(email, s.opts.APIEmail) || key != s.opts.APIKey {
			return perms{}, "", func(w http.ResponseWriter) {
				s.fail(w, http.StatusForbidden, codeUnknownKey, "Unknown X-Auth-Key or X-Auth-Email")
			}
		}
		return perms{pii: !s.opts.KeyNoPII, write: true, outsider: s.opts.KeyNotMember}, "key:" + s.opts.APIEmail, nil
	}
	token, ok := s.bearer(r)
	if !ok || revoked {
		return perms{}, "", unauthorized
	}
	switch token {
	case s.opts.Token:
		return perms{pii: true, write: true}, token, nil
	case s.opts.TokenNoPII:
		return perms{write: true}, token, nil
	case s.opts.TokenNoWrite:
		return perms{pii: true}, token, nil
	}
	return perms{}, "", unauthorized
}

func (s *Server) bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// handleVerify is GET /user/tokens/verify: a token's id and status
// (active, disabled or expired), as in
// https://developers.cloudflare.com/api/go/resources/user/subresources/tokens/methods/verify
// and https://developers.cloudflare.com/fundamentals/api/troubleshooting.
// It takes API tokens only (the reference lists no other scheme for it);
// anything else is refused as an invalid token, code 1000 as in the
// reference's error example.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.fail(w, http.StatusMethodNotAllowed, codeMethod, "Method %s not allowed for this route", r.Method)
		return
	}
	token, ok := s.bearer(r)
	s.mu.Lock()
	revoked := s.revoked
	s.mu.Unlock()
	status, expires := "active", "2030-01-01T00:00:00Z"
	switch {
	case ok && !revoked && (token == s.opts.Token || token == s.opts.TokenNoPII || token == s.opts.TokenNoWrite):
	case ok && !revoked && token == s.opts.TokenExpired:
		status, expires = "expired", "2024-01-01T00:00:00Z"
	default:
		s.fail(w, http.StatusUnauthorized, codeValidation, "Invalid API Token")
		return
	}
	if !s.spend(w, token) {
		return
	}
	id := fmt.Sprintf("%032x", len(token)*7919) // stable, not the token
	s.ok(w, map[string]any{"id": id, "status": status, "expires_on": expires}, nil)
}

// spend takes one request from the token's budget and writes the
// Ratelimit headers; over the limit it answers 429 and blocks every call
// for BlockFor, as Cloudflare does.
func (s *Server) spend(w http.ResponseWriter, token string) bool {
	s.mu.Lock()
	b := s.budgets[token]
	if b == nil {
		b = simkit.NewWindow(s.Clock(), s.opts.RateLimit, s.opts.RateWindow)
		b.Block = s.opts.BlockFor
		s.budgets[token] = b
	}
	s.mu.Unlock()
	remaining, reset, allowed := b.Take()
	h := w.Header()
	secs := simkit.CeilSeconds(reset.Sub(s.Clock().Now()))
	h.Set("Ratelimit", fmt.Sprintf(`"default";r=%d;t=%d`, remaining, secs))
	h.Set("Ratelimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, s.opts.RateLimit, simkit.CeilSeconds(s.opts.RateWindow)))
	if !allowed {
		h.Set("Retry-After", strconv.Itoa(secs))
		s.fail(w, http.StatusTooManyRequests, codeRateLimited, "Please wait and consider throttling your request speed")
	}
	return allowed
}

func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// readJSON decodes a request body of at most 1 MiB into v.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		s.fail(w, http.StatusBadRequest, codeValidation, "Malformed JSON in request body")
		return false
	}
	return true
}

// timeText is how the simulator writes date-times.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
