package app

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendors"
)

// The fault rig: the four simulators over one world, served in-process
// through streamTransport, and risktop wired as the dashboard wires it
// (config → NewPollers → Runner, an actions.Service and its Sender) on an
// in-memory store. Inside a synctest bubble it runs on fake time.

// rigMaxBody is the clients' body cap in the rig: small, so a body ten
// times over it stays cheap to build.
const rigMaxBody = 256 << 10

// rigBackfill is the OneLogin history the rig's config asks for.
const rigBackfill = time.Hour

// rigPeople is the simulated tenant's size: small keeps 40 cases cheap
// under -race, and the burst still targets every one of them.
const rigPeople = 8

// rigKeyFile is the Okta service app's key in the rig: a fixed test key,
// since generating one under -race costs seconds.
const rigKeyFile = "testdata/okta-test-key.pem"

// sharedOktaKey reads the rig's key.
func sharedOktaKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	pemBytes, err := os.ReadFile(rigKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("%s: no PEM block", rigKeyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey), pemBytes
}

// rigConfig is a risktop config for the simulators at root. Intervals are
// the defaults but CASB's (the fastest it may poll), so every polling
// source polls within a fault window; Okta checks every 15 minutes.
func rigConfig(root string) string {
	e := sim.EndpointsAt(root)
	return fmt.Sprintf(`refresh: 30s
store: /rig/risktop.db
export_dir: /rig/exports
read_only: false
sources:
  onelogin:   {base_url: %s, client_id: %s, client_secret: %s, interval: 30s, backfill: 1h}
  casb:       {base_url: %s, access_key: %s, access_secret: %s, report: Userrisk, interval: 1m}
  cloudflare: {base_url: %s, account_id: %s, api_token: %s, interval: 60s}
  okta:       {base_url: %s, client_id: %s, private_key_file: /rig/okta.pem, requests_per_minute: 30, allow_documentation_ranges: true}
`,
		e.OneLogin, olsim.DefaultClientID, olsim.DefaultClientSecret,
		e.CASB, casbsim.DefaultAccessKey, casbsim.DefaultAccessSecret,
		e.Cloudflare, cfsim.DefaultAccountID, cfsim.DefaultToken,
		e.Okta, oktasim.DefaultClientID)
}

type rig struct {
	sim     *sim.Sim
	st      *store.SQLite
	hub     *hub.Hub
	pollers *Pollers
	svc     *actions.Service

	posts atomic.Int64 // POST /api/v1/risk/events/ip that reached the simulator, faults included

	mu       sync.Mutex
	timeline []stamped              // every health message, in order
	reqs     map[string][]time.Time // "GET /onelogin/api/1/events" → when each arrived
}

type stamped struct {
	at time.Time
	h  model.Health
}

// newRig builds the rig; run starts it.
func newRig(t *testing.T) *rig {
	t.Helper()
	key, pem := sharedOktaKey(t)
	s, err := sim.New(sim.Options{World: simkit.Options{Seed: 7, People: rigPeople, History: 2 * time.Hour, EventsPerMinute: 2, Scenario: true},
		OktaKey: key})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{sim: s, hub: hub.New(), reqs: map[string][]time.Time{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/api/v1/risk/events/ip") {
			r.posts.Add(1)
		}
		r.mu.Lock()
		r.reqs[req.Method+" "+req.URL.Path] = append(r.reqs[req.Method+" "+req.URL.Path], time.Now())
		r.mu.Unlock()
		s.Handler().ServeHTTP(w, req)
	})
	env := config.Env{LookupEnv: func(string) (string, bool) { return "", false }, ReadFile: func(p string) ([]byte, error) {
		if p == "/rig/okta.pem" {
			return pem, nil
		}
		return nil, os.ErrNotExist
	}}
	cfg, _, err := config.Parse("rig.yaml", []byte(rigConfig("http://sim.test")), env, vendors.All)
	if err != nil {
		t.Fatal(err)
	}
	// In memory: the crash tests cover the file; this keeps 40 cases cheap.
	r.st, err = store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := httpx.Options{HTTPClient: &http.Client{Transport: streamTransport{h}}, MaxBody: rigMaxBody, RandN: fixedRandN}
	r.pollers, err = NewPollers(cfg, r.st, r.hub, opts)
	if err != nil {
		t.Fatal(err)
	}
	seedJitter(r.pollers.Runner)
	r.svc, err = actions.New(actions.Options{Store: r.st, Okta: r.pollers.Clients.Okta})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run starts the pollers, the sender and the health recorder; halt stops
// them and waits for every goroutine (calling it twice is harmless).
func (r *rig) run() (halt func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sub := r.hub.Subscribe()
	var wg sync.WaitGroup
	wg.Go(func() { r.pollers.Run(ctx) })
	wg.Go(func() { r.svc.NewSender().Run(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Ready():
			}
			now := time.Now()
			r.mu.Lock()
			for _, m := range sub.Take() {
				if hm, ok := m.(hub.HealthMsg); ok {
					r.timeline = append(r.timeline, stamped{now, hm.Health})
				}
			}
			r.mu.Unlock()
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			sub.Close()
		})
	}
}

// close ends the rig: its goroutines, then the service and the store.
func (r *rig) close(halt func()) {
	halt()
	r.svc.Close()
	r.st.Close()
}

// pollOnce polls every source once from the caller with the runner
// halted, so the store is compared with the simulator at the very moment
// it polled, as a restarted risktop's first poll would.
func (r *rig) pollOnce(t *testing.T) {
	t.Helper()
	for _, s := range r.pollers.Runner.Sources() {
		if _, err := s.Poll(context.Background()); err != nil {
			t.Errorf("%s: a poll after the recovery failed: %v", s.Name(), err)
		}
	}
}

// health is each source's last health at or before t.
func (r *rig) health(t time.Time) map[string]model.Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]model.Health{}
	for _, s := range r.timeline {
		if !s.at.After(t) {
			out[s.h.Source] = s.h
		}
	}
	return out
}

// healthBetween is every health of a source published in [from, to].
func (r *rig) healthBetween(source string, from, to time.Time) []stamped {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stamped
	for _, s := range r.timeline {
		if s.h.Source == source && !s.at.Before(from) && !s.at.After(to) {
			out = append(out, s)
		}
	}
	return out
}

// seedJitter gives every source its own seeded jitter, so a run repeats
// to the nanosecond of fake time (each source draws in its own order).
func seedJitter(r *poll.Runner) {
	r.SetJitter(func(source string) func() float64 {
		h := fnv.New64a()
		h.Write([]byte(source))
		return rand.New(rand.NewPCG(h.Sum64(), 7)).Float64
	})
}

// fixedRandN is the clients' back-off jitter in the rig: a function of n
// alone, so clients drawing at the same instant cannot swap values.
func fixedRandN(n time.Duration) time.Duration {
	h := fnv.New64a()
	fmt.Fprint(h, int64(n))
	return time.Duration(h.Sum64() % uint64(n))
}

// streamTransport serves requests in-process like simkit.Transport, but
// streams the body as the handler writes it, so a slow drip arrives
// slowly and a deadline cuts it mid-body, as over a socket.
type streamTransport struct{ h http.Handler }

func (t streamTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, pw: pw, ready: make(chan struct{})}
	go func() {
		defer func() {
			if p := recover(); p != nil {
				// The refuse fault drops the connection (ErrAbortHandler).
				w.fail(syscall.ECONNRESET)
				return
			}
			w.commit(http.StatusOK)
			// A handler that stopped because the client gave up must
			// not look like a complete body.
			pw.CloseWithError(ctx.Err())
		}()
		t.h.ServeHTTP(w, req.Clone(ctx))
	}()
	// A deadline or cancel ends the body as a closed socket would.
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	select {
	case <-w.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if w.err != nil {
		stop()
		pr.Close()
		return nil, w.err
	}
	return &http.Response{StatusCode: w.status, Header: w.sent, Body: &pipeBody{pr, stop},
		ContentLength: -1, Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

type pipeWriter struct {
	header http.Header
	pw     *io.PipeWriter
	once   sync.Once
	ready  chan struct{}
	status int
	sent   http.Header
	err    error
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) commit(status int) {
	w.once.Do(func() {
		w.status, w.sent = status, w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeWriter) fail(err error) {
	committed := true
	w.once.Do(func() {
		committed = false
		w.err = err
		close(w.ready)
	})
	if committed {
		w.pw.CloseWithError(io.ErrUnexpectedEOF)
	}
}

func (w *pipeWriter) WriteHeader(status int) { w.commit(status) }

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.commit(http.StatusOK)
	return w.pw.Write(b)
}

func (w *pipeWriter) Flush() {}

type pipeBody struct {
	*io.PipeReader
	stop func() bool
}

func (b *pipeBody) Close() error {
	b.stop()
	return b.PipeReader.Close()
}
