package simkit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
)

// Server is what every vendor simulator is built on: the world it serves,
// the fault layer in front of its routes, the tokens it mints, and a look
// at each request its routes answered. A vendor embeds it and brings its
// routes, its error body and its auth scheme.
type Server struct {
	world   *World
	faults  *FaultSet
	tokens  *Tokens
	handler http.Handler
}

// ServerConfig is what differs from one vendor to the next.
type ServerConfig struct {
	Vendor string // the fault knobs' name, e.g. "okta"
	// FaultSeed is mixed into the world's seed, so the vendors' random
	// faults do not fall in step.
	FaultSeed   uint64
	TokenPrefix string // what the vendor's tokens start with (CASB's "v2.")
	// ErrorBody writes the vendor's error body for an injected fault.
	ErrorBody func(w http.ResponseWriter, status int, message string)
	// Routes answers what the fault layer lets through.
	Routes http.Handler
	// Served, when set, is told of each request Routes answered, with the
	// status written (0 for none), so the vendor can keep a request log.
	Served func(r *http.Request, status int)
}

// NewServer puts c.Routes behind the fault layer over w.
func NewServer(w *World, c ServerConfig) *Server {
	s := &Server{
		world:  w,
		faults: NewFaultSet(Vendor{Name: c.Vendor, ErrorBody: c.ErrorBody}, w.Seed()^c.FaultSeed),
		tokens: NewTokens(w.Clock(), c.TokenPrefix),
	}
	routes := c.Routes
	if c.Served != nil {
		routes = recorded(routes, c.Served)
	}
	s.handler = s.faults.Middleware(routes)
	return s
}

// Handler serves the vendor's routes behind the fault layer.
func (s *Server) Handler() http.Handler { return s.handler }

// World is the world the vendor serves.
func (s *Server) World() *World { return s.world }

// Clock is the world's clock.
func (s *Server) Clock() Clock { return s.world.Clock() }

// Faults is the fault knob set in front of every endpoint.
func (s *Server) Faults() *FaultSet { return s.faults }

// Tokens are the access tokens the vendor mints and checks.
func (s *Server) Tokens() *Tokens { return s.tokens }

// RevokeTokens invalidates every token issued so far.
func (s *Server) RevokeTokens() { s.tokens.RevokeAll() }

// TokensMinted counts the tokens issued, so tests can see a client
// authenticate again.
func (s *Server) TokensMinted() int { return s.tokens.Minted() }

// Default sets an option left unset (empty, zero or negative) to def.
func Default[T cmp.Ordered](v *T, def T) {
	var zero T
	if *v <= zero {
		*v = def
	}
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Fprintf(w, `{"encode_error":%q}`, err.Error())
	}
}

// recorded tells served of every request h answers. Only a vendor that
// asks gets the wrapper: it hides the server's own ResponseWriter.
func recorded(h http.Handler, served func(*http.Request, int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusRecorder{ResponseWriter: w}
		defer func() { served(r, sw.status) }()
		h.ServeHTTP(sw, r)
	})
}

// statusRecorder remembers the status a handler wrote, for request logs.
type statusRecorder struct {
	http.ResponseWriter
	status int // 0 until the handler writes
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through so a dripping body still streams.
func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
