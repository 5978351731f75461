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
//   - Get User's 403 (UsersRefused) uses the v2 shape of its documented 401
//     and 404, {"message","name","statusCode"}; the page shows no 403.
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
	// who created the API credential has been deleted: "any credentials
	// they created will fail to work and return an HTTP 500 error"
	// (https://developers.onelogin.com/api-docs/2/oauth20-tokens/generate-tokens-2).
	// The page shows no body for it; we send the v1 envelope.
	OwnerDeleted bool
	// UsersRefused answers Get User (GET /api/2/users/:id) with 403, as for
	// a credential whose scope does not cover users.
	UsersRefused bool
	// ScoresIgnoreWindow answers Score Insights for the server's default
	// window (the last 30 days) whatever before/after say: the official
	// SDKs declare no parameters for the call, so a server may ignore them.
	ScoresIgnoreWindow bool
}

func (o *Options) defaults() {
	o.BasePath = strings.TrimRight(o.BasePath, "/")
	simkit.Default(&o.ClientID, DefaultClientID)
	simkit.Default(&o.ClientSecret, DefaultClientSecret)
	simkit.Default(&o.TokenTTL, DefaultTokenTTL)
	simkit.Default(&o.RateLimit, DefaultRateLimit)
	simkit.Default(&o.RateWindow, DefaultRateWindow)
	if o.AccountID == 0 { // a negative one is served as given
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

// Server is a simulated OneLogin account. TokensMinted counts distinct
// tokens: a reused one is not new.
type Server struct {
	*simkit.Server
	window *simkit.Window
	log    *simkit.Log[Served]

	mu           sync.Mutex
	opts         Options
	serverErrors int
	usersServed  int
}

// UsersServed is how many Get User requests the simulator answered.
func (s *Server) UsersServed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usersServed
}

// New serves w's people and activity as a OneLogin account.
func New(w *simkit.World, opts Options) *Server {
	opts.defaults()
	s := &Server{opts: opts, window: simkit.NewWindow(w.Clock(), opts.RateLimit, opts.RateWindow), log: simkit.NewLog[Served](logCap)}
	s.Server = simkit.NewServer(w, simkit.ServerConfig{
		Vendor: "onelogin", FaultSeed: 0x0e10, ErrorBody: s.fail,
		Routes: http.HandlerFunc(s.serve), Served: s.record,
	})
	return s
}

// SetOwnerDeleted turns the deleted-owner failure on or off.
func (s *Server) SetOwnerDeleted(v bool) {
	s.mu.Lock()
	s.opts.OwnerDeleted = v
	s.mu.Unlock()
}

// SetUsersRefused turns the 403 on Get User on or off.
func (s *Server) SetUsersRefused(v bool) {
	s.mu.Lock()
	s.opts.UsersRefused = v
	s.mu.Unlock()
}

// SetScoresIgnoreWindow makes Score Insights ignore before/after, or not.
func (s *Server) SetScoresIgnoreWindow(v bool) {
	s.mu.Lock()
	s.opts.ScoresIgnoreWindow = v
	s.mu.Unlock()
}

// SetServerErrors makes the next n resource calls (not the token
// endpoint) answer a passing 500, the kind a retry gets past.
func (s *Server) SetServerErrors(n int) {
	s.mu.Lock()
	s.serverErrors = n
	s.mu.Unlock()
}

// takeServerError reports whether this call is one of them.
func (s *Server) takeServerError() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.serverErrors > 0 {
		s.serverErrors--
		return true
	}
	return false
}

// SetLegacyBearerOnly turns the bearer:-only quirk on or off.
func (s *Server) SetLegacyBearerOnly(v bool) {
	s.mu.Lock()
	s.opts.LegacyBearerOnly = v
	s.mu.Unlock()
}

// Log returns the most recent requests the simulator answered, oldest first.
func (s *Server) Log() []Served { return s.log.Items() }

// ServedCount is how many requests the simulator answered, ever.
func (s *Server) ServedCount() int { return s.log.Count() }

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

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	opts := s.options()
	if opts.OwnerDeleted {
		s.fail(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, opts.BasePath)
	rt, known := routes[path]
	if id, isUser := strings.CutPrefix(path, usersPrefix); isUser && id != "" && !strings.Contains(id, "/") {
		rt, known = route{http.MethodGet, true, (*Server).user}, true
		s.mu.Lock()
		s.usersServed++
		s.mu.Unlock()
	}
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
		if s.takeServerError() {
			s.fail(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
	}
	rt.handler(s, w, r)
}

func (s *Server) record(r *http.Request, status int) {
	form, _ := authForm(r.Header.Get("Authorization"))
	if status == 0 {
		status = http.StatusOK
	}
	s.log.Add(Served{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: form, Status: status})
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
	if !s.Tokens().Valid(tok) {
		s.fail(w, http.StatusUnauthorized, MsgAuthFailure)
		return false
	}
	return true
}

// spend takes one call from the account's budget and reports it in the
// X-RateLimit-* headers; Reset is the seconds left in the window.
func (s *Server) spend(w http.ResponseWriter) bool {
	remaining, reset, ok := s.window.Take()
	setRateHeaders(w.Header(), s.window.Limit, remaining, s.secondsTo(reset))
	if !ok {
		s.fail(w, http.StatusTooManyRequests, MsgRateExceeded)
	}
	return ok
}

// secondsTo is whole seconds until t, as OneLogin's Reset counts.
func (s *Server) secondsTo(t time.Time) int { return simkit.CeilSeconds(t.Sub(s.Clock().Now())) }

func setRateHeaders(h http.Header, limit, remaining, reset int) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(reset))
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
		message = s.Faults().Text(message)
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
	now := s.Clock().Now()
	tok, exp, ok := s.Tokens().Reuse()
	if !ok {
		tok, exp = s.Tokens().Issue(opts.TokenTTL)
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
	remaining, reset := s.window.Peek()
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"status": success,
		"data": map[string]int{
			"X-RateLimit-Limit":     s.window.Limit,
			"X-RateLimit-Remaining": remaining,
			"X-RateLimit-Reset":     s.secondsTo(reset),
		},
	})
}
