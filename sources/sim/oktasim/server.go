// Package oktasim serves Okta's Risk Events and Risk Providers APIs, and the
// org authorization server's token endpoint, on loopback: SSWS tokens and
// private_key_jwt client assertions, the payload rules, the rate limit with
// X-Rate-Limit-* headers, Okta's error bodies, and a record of every IP risk
// pushed, so the real client cannot tell it from Okta.
package oktasim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// Defaults the demo and tests can use.
const (
	DefaultAPIToken = "00sim-okta-ssws-4f1c2b7e9d0a6c5b3e8f" // the SSWS token
	DefaultClientID = "0oasimrisktop0000001"                 // the service app's client id
	DefaultKeyID    = "sim-risktop-key-1"                    // a kid the demo may register

	DefaultTokenTTL       = time.Hour // expires_in 3600, as Okta's access tokens
	DefaultRateLimit      = 30        // events requests a minute (the API reference)
	DefaultProvidersLimit = 100       // providers requests a minute (undocumented; generous)
	DefaultProviderName   = "risktop"
	DefaultProviderAction = "enforce_and_log"
)

// Scopes the org authorization server knows for this API.
const (
	ScopeRiskEvents      = "okta.riskEvents.manage"
	ScopeProvidersRead   = "okta.riskProviders.read"
	ScopeProvidersManage = "okta.riskProviders.manage"
)

// Options configure the simulated org. Zero values mean the defaults.
type Options struct {
	BasePath string // path prefix the handler is mounted at, e.g. "/okta"

	APIToken string // SSWS token accepted; default DefaultAPIToken

	// ClientID and PublicKey register the OAuth service app; without both
	// the token endpoint refuses every client (invalid_client).
	ClientID  string
	PublicKey *rsa.PublicKey
	KeyID     string   // when set, the assertion's kid header must match
	Scopes    []string // granted to the app; default riskEvents.manage + riskProviders.read
	TokenTTL  time.Duration

	RateLimit      int // POST /api/v1/risk/events/ip per minute; default 30
	ProvidersLimit int // GET /api/v1/risk/providers per minute; default 100

	// The provider named "risktop" for ClientID (listed when ClientID is set).
	ProviderAction string // default enforce_and_log
	Unregistered   bool   // list no provider for ClientID

	// ProviderTimes is the form of a risk provider's created and
	// lastUpdated: ProviderTimesRFC3339 (the default, the schema's) or
	// ProviderTimesExample (the reference's examples, "2021-01-05 22:18:30").
	ProviderTimes string

	// StrictMessage rejects spaces in messages, the letter of the docs.
	StrictMessage bool
	// SSFProviders are the Security Events Providers registered at start.
	SSFProviders []SSFProvider
	// SETMaxAge is how old a SET's iat may be; default DefaultSETMaxAge.
	SETMaxAge time.Duration
	// SSFDisabled is an org without the SSF receiver (no Identity Threat
	// Protection): the providers list answers 403 E0000006 and SETs are
	// refused with access_denied.
	SSFDisabled bool
	// RiskEventsGone is an org where the deprecated Risk Events and Risk
	// Providers APIs are gone: they answer 404 E0000007.
	RiskEventsGone bool
	// JWKSClient fetches providers' jwks_url; default http.DefaultClient.
	JWKSClient *http.Client

	// FeatureDisabled answers 403 E0000006 on the risk endpoints, like an
	// org where Okta support has not enabled third-party risk providers.
	FeatureDisabled bool
}

// Pushed is one accepted subject, as Okta would have consumed it.
type Pushed struct {
	IP          string    `json:"ip"`
	Level       string    `json:"riskLevel"`
	Message     string    `json:"message,omitempty"`
	Timestamp   time.Time `json:"timestamp"` // zero when the event had none
	ExpiresAt   time.Time `json:"expiresAt"` // zero when the event had none (Okta: 24 h after consuming)
	Received    time.Time `json:"received"`
	Auth        string    `json:"auth"`               // "SSWS" or "OAuth"
	ClientID    string    `json:"clientId,omitempty"` // the OAuth client; "" for SSWS
	InAttackNet bool      `json:"inAttackNet"`        // from the scenario's credential-stuffing /24
}

type grant struct {
	clientID string
	scopes   []string
}

type provider struct {
	id, name, clientID, action string
	created, updated           time.Time
}

// Server is the simulated Okta org.
type Server struct {
	*simkit.Server
	opts Options

	events    *simkit.Window
	providers *simkit.Window

	mu            sync.Mutex
	rng           *mrand.Rand
	grants        map[string]grant
	jtis          map[string]time.Time // assertion id → its expiry
	pushed        []Pushed
	eventRequests int
	accepted      int
	listed        []provider

	setWindow    *simkit.Window
	ssfProviders []ssfProvider
	sets         []AcceptedSET
	setJTIs      map[string]time.Time
	setRequests  int
}

// New builds the simulated org over w.
func New(w *simkit.World, opts Options) *Server {
	opts.BasePath = "/" + strings.Trim(opts.BasePath, "/")
	if opts.BasePath == "/" {
		opts.BasePath = ""
	}
	simkit.Default(&opts.APIToken, DefaultAPIToken)
	if len(opts.Scopes) == 0 {
		opts.Scopes = []string{ScopeRiskEvents, ScopeProvidersRead}
	}
	simkit.Default(&opts.TokenTTL, DefaultTokenTTL)
	simkit.Default(&opts.RateLimit, DefaultRateLimit)
	simkit.Default(&opts.ProvidersLimit, DefaultProvidersLimit)
	simkit.Default(&opts.ProviderAction, DefaultProviderAction)
	simkit.Default(&opts.SETMaxAge, DefaultSETMaxAge)
	s := &Server{
		opts:      opts,
		events:    simkit.NewWindow(w.Clock(), opts.RateLimit, time.Minute),
		providers: simkit.NewWindow(w.Clock(), opts.ProvidersLimit, time.Minute),
		rng:       mrand.New(mrand.NewPCG(w.Seed(), 0x6f6b7461)),
		grants:    map[string]grant{},
		jtis:      map[string]time.Time{},
		setWindow: simkit.NewWindow(w.Clock(), opts.RateLimit, time.Minute),
		setJTIs:   map[string]time.Time{},
	}
	s.Server = simkit.NewServer(w, simkit.ServerConfig{
		Vendor: "okta", FaultSeed: 0x6f6b7461, TokenPrefix: "eyJraWQiOiJzaW0ifQ.", ErrorBody: s.faultBody, Routes: s.routes(),
	})
	created := w.Start().UTC().Truncate(time.Second)
	s.listed = append(s.listed, provider{
		id: s.newID("rkp"), name: "Default ", clientID: "null", action: "log_only",
		created: created, updated: created,
	})
	if opts.ClientID != "" && !opts.Unregistered {
		s.listed = append(s.listed, provider{
			id: s.newID("rkp"), name: DefaultProviderName, clientID: opts.ClientID, action: opts.ProviderAction,
			created: created.Add(time.Hour), updated: created.Add(2 * time.Hour),
		})
	}
	for _, p := range opts.SSFProviders {
		s.RegisterSSFProvider(p)
	}
	return s
}

// routes serves every endpoint under BasePath.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	bp := s.opts.BasePath
	mux.HandleFunc(bp+"/oauth2/v1/token", s.token)
	mux.HandleFunc(bp+"/api/v1/risk/events/ip", s.pushEvents)
	mux.HandleFunc(bp+"/api/v1/risk/providers", s.listProviders)
	mux.HandleFunc(bp+"/api/v1/risk/providers/{id}", s.getProvider)
	mux.HandleFunc(bp+"/api/v1/security-events-providers", s.securityEventsProviders)
	mux.HandleFunc(bp+"/security/api/v1/security-events", s.securityEvents)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path+" (HttpResource)")
	})
	return mux
}

// RevokeTokens invalidates every access token issued so far.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	s.grants = map[string]grant{}
	s.mu.Unlock()
	s.Server.RevokeTokens()
}

// Pushed returns a copy of every accepted subject, oldest first.
func (s *Server) Pushed() []Pushed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Pushed(nil), s.pushed...)
}

// EventRequests counts requests that reached POST /api/v1/risk/events/ip
// (refused ones included; injected faults excluded).
func (s *Server) EventRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eventRequests
}

// Accepted counts event requests answered 202.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// SETRequests counts requests that reached the SET endpoint.
func (s *Server) SETRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setRequests
}

// faultBody writes Okta's error body for an injected status.
func (s *Server) faultBody(w http.ResponseWriter, status int, message string) {
	if status == http.StatusTooManyRequests {
		reset := s.Clock().Now().Add(time.Minute)
		if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err == nil {
			reset = s.Clock().Now().Add(time.Duration(ra) * time.Second)
		}
		setRateHeaders(w, s.opts.RateLimit, 0, reset)
		s.writeError(w, status, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	s.writeError(w, status, "E0000009", "Internal Server Error ("+message+")")
}

// setRateHeaders writes Okta's headers; Reset is UTC epoch seconds, rounded
// up so a client that waits for it never comes back early.
func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	secs := reset.Unix()
	if reset.Nanosecond() > 0 {
		secs++
	}
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(secs, 10))
}

// errorBody is Okta's error envelope.
type errorBody struct {
	ErrorCode    string       `json:"errorCode"`
	ErrorSummary string       `json:"errorSummary"`
	ErrorLink    string       `json:"errorLink"`
	ErrorID      string       `json:"errorId"`
	ErrorCauses  []errorCause `json:"errorCauses"`
}

type errorCause struct {
	ErrorSummary string `json:"errorSummary"`
}

func (s *Server) writeError(w http.ResponseWriter, status int, code, summary string, causes ...string) {
	body := errorBody{
		ErrorCode:    code,
		ErrorSummary: s.Faults().Text(summary),
		ErrorLink:    code,
		ErrorID:      s.newID("oae"),
		ErrorCauses:  []errorCause{},
	}
	for _, c := range causes {
		body.ErrorCauses = append(body.ErrorCauses, errorCause{ErrorSummary: s.Faults().Text(c)})
	}
	simkit.WriteJSON(w, status, body)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID makes an Okta-looking id ("oae…", "rkp…"), deterministic per seed.
func (s *Server) newID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := []byte(prefix)
	for len(b) < 20 {
		b = append(b, base62[s.rng.IntN(len(base62))])
	}
	return string(b)
}

// GenerateKey makes a 2048-bit RSA key for a simulated service app and
// returns it with its PKCS#8 PEM; register key.Public() as Options.PublicKey
// and give the PEM to the client.
func GenerateKey() (*rsa.PrivateKey, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// externalBase is the org URL as the client sees it: scheme and Host of the
// request, then BasePath.
func (s *Server) externalBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.opts.BasePath
}
