// Package sim serves all four vendor simulators from one loopback listener,
// over one shared generated world, with a small control API for faults.
// The same handlers back the tests, `risktop sim` and `risktop demo`, so the
// demo runs the real clients' HTTP code paths.
package sim

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// Where each vendor is mounted on the simulator's listener.
const (
	PathOneLogin   = "/onelogin"
	PathCASB       = "/casb"
	PathCloudflare = "/cloudflare/client/v4"
	PathOkta       = "/okta"
	PathControl    = "/sim"
)

// Vendor names, as the control API and the fault knobs take them.
const (
	OneLogin   = "onelogin"
	CASB       = "casb"
	Cloudflare = "cloudflare"
	Okta       = "okta"
)

// Vendors lists the vendor names in display order.
var Vendors = []string{OneLogin, CASB, Cloudflare, Okta}

// Options shape the simulated tenant.
type Options struct {
	World simkit.Options
	// CloudflareAccountID is the account the Cloudflare simulator serves.
	CloudflareAccountID string
	// OktaKey is the client key the Okta simulator trusts; nil generates
	// one. Tests that build many simulators share one (generating is slow).
	OktaKey *rsa.PrivateKey
}

// Sim is the four vendor simulators over one world.
type Sim struct {
	World      *simkit.World
	OneLogin   *olsim.Server
	CASB       *casbsim.Server
	Cloudflare *cfsim.Server
	Okta       *oktasim.Server
	// OktaKeyPEM is the private key whose public half the Okta simulator
	// trusts for OktaClientID's client assertions.
	OktaKeyPEM   []byte
	OktaClientID string

	mux *http.ServeMux
}

// New builds the simulators. Generating the world's history takes a moment.
func New(opts Options) (*Sim, error) {
	w := simkit.NewWorld(opts.World)
	key, pemBytes, err := oktaKey(opts.OktaKey)
	if err != nil {
		return nil, fmt.Errorf("sim: okta key: %w", err)
	}
	s := &Sim{
		World:        w,
		OneLogin:     olsim.New(w, olsim.Options{BasePath: PathOneLogin}),
		CASB:         casbsim.New(w, casbsim.Options{BasePath: PathCASB}),
		Cloudflare:   cfsim.New(w, cfsim.Options{BasePath: PathCloudflare, AccountID: opts.CloudflareAccountID}),
		OktaKeyPEM:   pemBytes,
		OktaClientID: oktasim.DefaultClientID,
	}
	s.Okta = oktasim.New(w, oktasim.Options{BasePath: PathOkta, ClientID: s.OktaClientID, PublicKey: &key.PublicKey,
		// The same key signs SETs for the demo's Security Events Provider.
		SSFProviders: []oktasim.SSFProvider{{Name: "risktop", Issuer: oktasim.DefaultSSFIssuer,
			JWKS: oktasim.RSAJWKS(&key.PublicKey, oktasim.DefaultKeyID)}}})
	mux := http.NewServeMux()
	mux.Handle(PathOneLogin+"/", s.OneLogin.Handler())
	mux.Handle(PathCASB+"/", s.CASB.Handler())
	mux.Handle(PathCloudflare+"/", s.Cloudflare.Handler())
	mux.Handle(PathOkta+"/", s.Okta.Handler())
	s.control(mux)
	s.mux = mux
	return s, nil
}

func oktaKey(key *rsa.PrivateKey) (*rsa.PrivateKey, []byte, error) {
	if key == nil {
		return oktasim.GenerateKey()
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Handler serves every vendor under its path and the control API.
func (s *Sim) Handler() http.Handler { return s.mux }

// vendor is what the control API drives on every simulator.
type vendor interface {
	Faults() *simkit.FaultSet
	RevokeTokens()
}

func (s *Sim) vendor(name string) (vendor, error) {
	switch name {
	case OneLogin:
		return s.OneLogin, nil
	case CASB:
		return s.CASB, nil
	case Cloudflare:
		return s.Cloudflare, nil
	case Okta:
		return s.Okta, nil
	}
	names := append([]string(nil), Vendors...)
	sort.Strings(names)
	return nil, fmt.Errorf("unknown vendor %q (want one of %v)", name, names)
}

// Faults returns a vendor's fault knobs.
func (s *Sim) Faults(name string) (*simkit.FaultSet, error) {
	v, err := s.vendor(name)
	if err != nil {
		return nil, err
	}
	return v.Faults(), nil
}

// RevokeTokens expires every token a vendor has issued, as if an admin had
// revoked them mid-run.
func (s *Sim) RevokeTokens(name string) error {
	v, err := s.vendor(name)
	if err != nil {
		return err
	}
	v.RevokeTokens()
	return nil
}

// Server is a Sim listening on loopback.
type Server struct {
	*Sim
	URL string // http://127.0.0.1:port, no trailing slash

	srv  *http.Server
	done chan error
}

// Start serves a new Sim on addr (":0" or "127.0.0.1:0" picks a free port).
// A bare port is bound to loopback only: the simulator has no real auth
// for its control API.
func Start(addr string, opts Options) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s, err := New(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &Server{Sim: s, URL: "http://" + ln.Addr().String(), done: make(chan error, 1),
		srv: &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() { srv.done <- srv.srv.Serve(ln) }()
	return srv, nil
}

// Endpoints are the base URLs a client is configured with.
type Endpoints struct {
	OneLogin, CASB, Cloudflare, Okta, Control string
}

// Endpoints returns each vendor's base URL on this server.
func (s *Server) Endpoints() Endpoints { return EndpointsAt(s.URL) }

// Config is a risktop config file that points at these endpoints with the
// simulators' built-in credentials, for trying the real config path.
// oktaKeyFile holds OktaKeyPEM.
func (e Endpoints) Config(oktaKeyFile string) string {
	return fmt.Sprintf(`refresh: 30s
read_only: false
sources:
  onelogin:   {base_url: %s, client_id: %s, client_secret: %s, interval: 30s, backfill: 24h}
  casb:       {base_url: %s, access_key: %s, access_secret: %s, report: Userrisk, interval: 5m}
  cloudflare: {base_url: %s, account_id: %s, api_token: %s, interval: 60s}
  okta:       {base_url: %s, client_id: %s, private_key_file: %q, requests_per_minute: 30, allow_documentation_ranges: true}
  # okta with an SSWS token instead (the simulator accepts this one):
  # okta:     {base_url: %s, api_token: %s, requests_per_minute: 30, allow_documentation_ranges: true}
  # okta pushing over the Shared Signals Framework (signed SETs) instead:
  # okta:     {base_url: %s, push: ssf, ssf_issuer: %s, ssf_key_file: %q, ssf_key_id: %s, requests_per_minute: 30, allow_documentation_ranges: true}
`,
		e.OneLogin, olsim.DefaultClientID, olsim.DefaultClientSecret,
		e.CASB, casbsim.DefaultAccessKey, casbsim.DefaultAccessSecret,
		e.Cloudflare, cfsim.DefaultAccountID, cfsim.DefaultToken,
		e.Okta, oktasim.DefaultClientID, oktaKeyFile,
		e.Okta, oktasim.DefaultAPIToken,
		e.Okta, oktasim.DefaultSSFIssuer, oktaKeyFile, oktasim.DefaultKeyID)
}

// Endpoint is one vendor's base URL, or the control API's ("control").
type Endpoint struct{ Name, URL string }

// List is every endpoint, the vendors in Vendors' order, then the control
// API: for a banner that names them without naming each.
func (e Endpoints) List() []Endpoint {
	return []Endpoint{{OneLogin, e.OneLogin}, {CASB, e.CASB}, {Cloudflare, e.Cloudflare}, {Okta, e.Okta}, {"control", e.Control + "/"}}
}

// WriteConfig writes the files the config needs (the Okta simulator's
// private key, 0600) into dir and returns the config text (Config).
func (s *Server) WriteConfig(dir string) (string, error) {
	keyFile := filepath.Join(dir, "okta-sim-key.pem")
	if err := os.WriteFile(keyFile, s.OktaKeyPEM, 0o600); err != nil {
		return "", fmt.Errorf("sim: writing the Okta simulator's key: %w", err)
	}
	return s.Endpoints().Config(keyFile), nil
}

// EndpointsAt returns the base URLs under a root URL (the server's, or any
// host name when requests are served in-process by Handler).
func EndpointsAt(root string) Endpoints {
	return Endpoints{
		OneLogin:   root + PathOneLogin,
		CASB:       root + PathCASB,
		Cloudflare: root + PathCloudflare,
		Okta:       root + PathOkta,
		Control:    root + PathControl,
	}
}

// Close stops the server, waiting briefly for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
