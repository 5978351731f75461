// Package olsim simulates the OneLogin APIs risktop reads: the v2 token
// endpoint, Get Events (v1, cursor paging), the event-type catalogue, Get
// Score Insights (v2) and Get Rate Limit, with OneLogin's auth quirks, its
// {status:{…}} error envelope and its 5,000-an-hour account budget.
//
// Choices where the real API is unconfirmed (vendors.md §1, §6):
//   - Error bodies, including the token endpoint's, 429 and 500, use the v1
//     envelope {"status":{"error":true,"code":n,"type":…,"message":…}}.
//   - The hourly budget covers every resource call (v1 and v2); the token
//     endpoint and /auth/rate_limit do not spend it.
//   - Events without a sort come newest first (-id).
//   - since/until compare to the second, as the Get Events page says.
//   - A Score Insights window reaching more than 90 days back is a 400.
package olsim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// Defaults for Options.
const (
	DefaultClientID     = "risktop-sim-onelogin-client"
	DefaultClientSecret = "risktop-sim-onelogin-secret"
	DefaultTokenTTL     = 36000 * time.Second // expires_in of the real endpoint
	DefaultRateLimit    = 5000
	DefaultRateWindow   = time.Hour
	DefaultAccountID    = 55555
	// EventIDBase plus an activity's Seq is its event id.
	EventIDBase = 900_000_000
	// MaxPageSize is the most events one page holds; a larger limit is cut to it.
	MaxPageSize = 50
	// MaxLookback is how far back Score Insights may reach.
	MaxLookback = 90 * 24 * time.Hour
	// logCap bounds the request log of a demo left running.
	logCap = 1000
)

// The messages OneLogin documents for its auth failures.
const (
	MsgAuthHeader   = "Authorization Information is incorrect"
	MsgAuthFailure  = "Authentication Failure"
	MsgNoRoute      = "No Route Exists"
	MsgRateExceeded = "Rate Limit Exceeded"
)

// Options configure a Server. The zero value serves the defaults at the root.
type Options struct {
	BasePath     string        // path prefix the handler is mounted at, e.g. "/onelogin"; default ""
	ClientID     string        // default DefaultClientID
	ClientSecret string        // default DefaultClientSecret
	TokenTTL     time.Duration // default DefaultTokenTTL
	RateLimit    int           // calls per RateWindow per account; default DefaultRateLimit
	RateWindow   time.Duration // default DefaultRateWindow
	AccountID    int64         // default DefaultAccountID

	// LegacyBearerOnly accepts only "Authorization: bearer:<token>", so the
	// client's fallback from "Bearer <token>" can be tested.
	LegacyBearerOnly bool
	// OwnerDeleted answers 500 everywhere, as OneLogin does once the admin
	// who created the API credential has been deleted.
	OwnerDeleted bool
}

func (o *Options) defaults() {
	o.BasePath = strings.TrimRight(o.BasePath, "/")
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.RateLimit <= 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.RateWindow <= 0 {
		o.RateWindow = DefaultRateWindow
	}
	if o.AccountID == 0 {
		o.AccountID = DefaultAccountID
	}
}

// Served is one request the simulator answered itself (injected faults are
// counted by Faults().Requests() instead).
type Served struct {
	Method string
	Path   string // with BasePath
	Query  string // raw query
	Auth   string // AuthBearer, AuthLegacy, AuthBasic, AuthClientPair, AuthNone or AuthOther
	Status int
}

// Authorization forms seen in Served.Auth.
const (
	AuthBearer     = "Bearer"
	AuthLegacy     = "bearer:"
	AuthBasic      = "Basic"
	AuthClientPair = "client_id"
	AuthNone       = ""
	AuthOther      = "other"
)

// Server is a simulated OneLogin account.
type Server struct {
	world  *simkit.World
	clock  simkit.Clock
	faults *simkit.FaultSet
	tokens *simkit.Tokens

	mu     sync.Mutex
	opts   Options
	window budget
	log    []Served
	served int
}

// New serves w's people and activity as a OneLogin account.
func New(w *simkit.World, opts Options) *Server {
	opts.defaults()
	s := &Server{world: w, clock: w.Clock(), opts: opts, tokens: simkit.NewTokens(w.Clock(), "")}
	s.window = budget{limit: opts.RateLimit, length: opts.RateWindow}
	s.faults = simkit.NewFaultSet(simkit.Vendor{Name: "onelogin", ErrorBody: func(w http.ResponseWriter, code int, msg string) {
		s.fail(w, code, msg)
	}}, w.Seed()^0x0e10)
	return s
}

// Faults is the fault knob set in front of every endpoint.
func (s *Server) Faults() *simkit.FaultSet { return s.faults }

// RevokeTokens invalidates every token issued so far.
func (s *Server) RevokeTokens() { s.tokens.RevokeAll() }

// TokensMinted counts the distinct tokens issued (a reused token is not new).
func (s *Server) TokensMinted() int { return s.tokens.Minted() }

// SetOwnerDeleted turns the deleted-owner failure on or off.
func (s *Server) SetOwnerDeleted(v bool) {
	s.mu.Lock()
	s.opts.OwnerDeleted = v
	s.mu.Unlock()
}

// SetLegacyBearerOnly turns the bearer:-only quirk on or off.
func (s *Server) SetLegacyBearerOnly(v bool) {
	s.mu.Lock()
	s.opts.LegacyBearerOnly = v
	s.mu.Unlock()
}

// Log returns the most recent requests the simulator answered, oldest first.
func (s *Server) Log() []Served {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Served(nil), s.log...)
}

// ServedCount is how many requests the simulator answered, ever.
func (s *Server) ServedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}

// Handler serves every endpoint under BasePath behind the fault knobs.
func (s *Server) Handler() http.Handler {
	return s.faults.Middleware(http.HandlerFunc(s.serve))
}

func (s *Server) options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

type route struct {
	method  string
	auth    bool // needs a token and spends the budget
	handler func(s *Server, w http.ResponseWriter, r *http.Request)
}

var routes = map[string]route{
	"/auth/oauth2/v2/token": {http.MethodPost, false, (*Server).token},
	"/auth/rate_limit":      {http.MethodGet, true, (*Server).rateLimit},
	"/api/1/events":         {http.MethodGet, true, (*Server).events},
	"/api/1/events/types":   {http.MethodGet, true, (*Server).eventTypes},
	"/api/2/risk/scores":    {http.MethodGet, true, (*Server).scores},
}

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	w := &simkit.StatusRecorder{ResponseWriter: rw}
	defer s.record(r, w)
	opts := s.options()
	if opts.OwnerDeleted {
		s.fail(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, opts.BasePath)
	rt, known := routes[path]
	if !ok || !known || r.Method != rt.method {
		s.fail(w, http.StatusNotFound, MsgNoRoute)
		return
	}
	if rt.auth {
		if !s.authorize(w, r, opts) {
			return
		}
		if path != "/auth/rate_limit" && !s.spend(w) {
			return
		}
	}
	rt.handler(s, w, r)
}

func (s *Server) record(r *http.Request, w *simkit.StatusRecorder) {
	form, _ := authForm(r.Header.Get("Authorization"))
	rec := Served{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: form, Status: w.Status}
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served++
	if len(s.log) >= logCap {
		s.log = append(s.log[:0], s.log[len(s.log)-logCap+1:]...)
	}
	s.log = append(s.log, rec)
}

// authForm names the Authorization header's form and returns its credential.
func authForm(h string) (form, cred string) {
	switch {
	case h == "":
		return AuthNone, ""
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer:"):
		return AuthLegacy, strings.TrimSpace(h[7:])
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
		return AuthBearer, strings.TrimSpace(h[7:])
	case len(h) > 6 && strings.EqualFold(h[:6], "basic "):
		return AuthBasic, strings.TrimSpace(h[6:])
	case strings.HasPrefix(strings.ToLower(strings.TrimSpace(h)), "client_id:"):
		return AuthClientPair, h
	}
	return AuthOther, ""
}

// authorize checks the token. A header of the wrong shape is a 400 and a
// bad or expired token a 401, as Get Events documents.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, opts Options) bool {
	form, tok := authForm(r.Header.Get("Authorization"))
	if (form != AuthBearer && form != AuthLegacy) || tok == "" || (opts.LegacyBearerOnly && form != AuthLegacy) {
		s.fail(w, http.StatusBadRequest, MsgAuthHeader)
		return false
	}
	if !s.tokens.Valid(tok) {
		s.fail(w, http.StatusUnauthorized, MsgAuthFailure)
		return false
	}
	return true
}

// spend takes one call from the account's budget and reports it in the
// X-RateLimit-* headers; Reset is the seconds left in the window.
func (s *Server) spend(w http.ResponseWriter) bool {
	now := s.clock.Now()
	s.mu.Lock()
	limit, remaining, reset, ok := s.window.take(now)
	s.mu.Unlock()
	setRateHeaders(w.Header(), limit, remaining, reset)
	if !ok {
		s.fail(w, http.StatusTooManyRequests, MsgRateExceeded)
	}
	return ok
}

func setRateHeaders(h http.Header, limit, remaining, reset int) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(reset))
}

// budget is a fixed window like simkit.Window, which has no way to look at
// the budget without spending it (needed by /auth/rate_limit).
type budget struct {
	limit  int
	length time.Duration
	start  time.Time
	used   int
}

func (b *budget) roll(now time.Time) {
	if b.start.IsZero() || !now.Before(b.start.Add(b.length)) {
		b.start, b.used = now, 0
	}
}

// take spends one call; reset is whole seconds until the window refills.
func (b *budget) take(now time.Time) (limit, remaining, reset int, ok bool) {
	b.roll(now)
	if b.used < b.limit {
		b.used++
		ok = true
	}
	limit, remaining, reset = b.peek(now)
	return
}

func (b *budget) peek(now time.Time) (limit, remaining, reset int) {
	b.roll(now)
	left := b.start.Add(b.length).Sub(now)
	return b.limit, b.limit - b.used, int((left + time.Second - 1) / time.Second)
}

// status is OneLogin's v1 envelope header.
type status struct {
	Error   bool   `json:"error"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

var success = status{Error: false, Code: 200, Type: "success", Message: "Success"}

// fail writes the v1 error envelope; its message goes through the hostile
// knob, except the auth-header refusal, whose exact text the client keys on.
func (s *Server) fail(w http.ResponseWriter, code int, message string) {
	if message != MsgAuthHeader {
		message = s.faults.Text(message)
	}
	writeError(w, code, message)
}

// writeError writes the v1 error envelope.
func writeError(w http.ResponseWriter, code int, message string) {
	simkit.WriteJSON(w, code, map[string]status{"status": {Error: true, Code: code, Type: errorType(code), Message: message}})
}

func errorType(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "bad request"
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not found"
	case http.StatusTooManyRequests:
		return "too many requests"
	case http.StatusServiceUnavailable:
		return "service unavailable"
	}
	return "internal server error"
}

// token serves POST /auth/oauth2/v2/token in the three documented forms:
// "client_id:<id>, client_secret:<secret>" header + JSON body, a form body,
// or HTTP Basic + JSON body. The same credentials get the same token back
// until it expires or is revoked.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	opts := s.options()
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		s.fail(w, http.StatusBadRequest, "Unreadable request body")
		return
	}
	var id, secret, grant string
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			s.fail(w, http.StatusBadRequest, "Malformed form body")
			return
		}
		id, secret, grant = v.Get("client_id"), v.Get("client_secret"), v.Get("grant_type")
	} else {
		var b struct {
			GrantType string `json:"grant_type"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			s.fail(w, http.StatusBadRequest, "Malformed JSON body")
			return
		}
		grant = b.GrantType
		form, cred := authForm(r.Header.Get("Authorization"))
		switch form {
		case AuthBasic:
			raw, err := base64.StdEncoding.DecodeString(cred)
			if err != nil {
				s.fail(w, http.StatusBadRequest, MsgAuthHeader)
				return
			}
			id, secret, _ = strings.Cut(string(raw), ":")
		case AuthClientPair:
			id, secret = parseClientPair(cred)
		default:
			s.fail(w, http.StatusBadRequest, MsgAuthHeader)
			return
		}
	}
	if grant != "client_credentials" {
		s.fail(w, http.StatusBadRequest, "grant_type must be client_credentials")
		return
	}
	if id != opts.ClientID || secret != opts.ClientSecret {
		s.fail(w, http.StatusUnauthorized, MsgAuthFailure)
		return
	}
	now := s.clock.Now()
	tok, exp, ok := s.tokens.Reuse()
	if !ok {
		tok, exp = s.tokens.Issue(opts.TokenTTL)
	}
	created := exp.Add(-opts.TokenTTL)
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"created_at":   created.UTC().Format(timeFormat),
		"expires_in":   int(exp.Sub(now) / time.Second), // what is left of a reused token
		"token_type":   "bearer",
		"account_id":   opts.AccountID,
	})
}

// parseClientPair reads "client_id:<id>, client_secret:<secret>".
func parseClientPair(h string) (id, secret string) {
	for part := range strings.SplitSeq(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), ":")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "client_id":
			id = strings.TrimSpace(v)
		case "client_secret":
			secret = strings.TrimSpace(v)
		}
	}
	return id, secret
}

// rateLimit serves GET /auth/rate_limit without spending the budget.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	s.mu.Lock()
	limit, remaining, reset := s.window.peek(now)
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"status": success,
		"data": map[string]int{
			"X-RateLimit-Limit":     limit,
			"X-RateLimit-Remaining": remaining,
			"X-RateLimit-Reset":     reset,
		},
	})
}
