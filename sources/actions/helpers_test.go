package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// t0 is a whole second, so Okta's X-Rate-Limit-Reset (epoch seconds) is exact.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const who Actor = "os:tester@host"

// fakeClock is risktop's time in these tests: the service, the clients,
// their sleeps and the sender's timers all read it, and it moves only when
// told, firing the timers it passes.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fire()
}

// fire sends on every timer now due; c.mu is held.
func (c *fakeClock) fire() {
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.c <- c.now // capacity 1, sent once
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

func (c *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	c.fire()
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped && slices.Contains(c.timers, t)
		t.stopped = true
		return was
	}
}

// offsetClock is the simulator's clock when it disagrees with risktop's.
type offsetClock struct {
	base *fakeClock
	off  time.Duration
}

func (c offsetClock) Now() time.Time { return c.base.Now().Add(c.off) }

type envOptions struct {
	readOnly     bool
	noOkta       bool
	noCloudflare bool
	simAhead     time.Duration // the simulator's clock runs this far ahead
	rpm          int           // Okta push budget; default 30
	ssf          bool          // Okta pushes over SSF (the simulator's provider and key)
	// wrap, when set, stands in front of the simulator's handler.
	wrap func(http.Handler) http.Handler
}

// senderWait is one sleep of the sender.
type senderWait struct {
	d     time.Duration
	timed bool
}

type env struct {
	clock       *fakeClock
	sim         *sim.Sim
	srv         *httptest.Server
	waits       *httpxtest.Waits // the clients' sleeps (back-off, Retry-After, budget)
	store       *store.SQLite
	storePath   string
	auditPath   string
	svc         *Service
	senderWaits chan senderWait
	opts        envOptions
}

// newEnv serves a simulated tenant over loopback HTTP and builds a service
// on a file store with an audit file. The sender does not run until
// startSender.
func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	clock := newFakeClock(t0)
	var simClock simkit.Clock = clock
	if o.simAhead != 0 {
		simClock = offsetClock{clock, o.simAhead}
	}
	s, err := sim.New(sim.Options{World: simkit.Options{Seed: 11, People: 60, History: 12 * time.Hour, Scenario: true, Clock: simClock}})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s.Handler()
	if o.wrap != nil {
		h = o.wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	e := &env{clock: clock, sim: s, srv: srv, waits: &httpxtest.Waits{Advance: clock.Advance},
		storePath: filepath.Join(dir, "risktop.db"), auditPath: filepath.Join(dir, "audit", "audit.jsonl"),
		senderWaits: make(chan senderWait, 100), opts: o}
	e.store, err = store.Open(e.storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	e.svc = e.newService(t, e.store)
	return e
}

func (e *env) httpOptions() httpx.Options {
	return httpx.Options{Sleep: e.waits.Sleep, Now: e.clock.Now, Timeout: 10 * time.Second}
}

func (e *env) oktaClient(t *testing.T) *okta.Client {
	t.Helper()
	rpm := e.opts.rpm
	if rpm == 0 {
		rpm = 30
	}
	cfg := okta.Config{BaseURL: e.srv.URL + sim.PathOkta, APIToken: secret.New(oktasim.DefaultAPIToken),
		RequestsPerMinute: rpm, HTTP: e.httpOptions(), AllowDocumentationRanges: true} // the simulator's addresses
	if e.opts.ssf {
		cfg.Push, cfg.SSFIssuer, cfg.SSFKeyPEM, cfg.SSFKeyID = okta.PushSSF, oktasim.DefaultSSFIssuer, secret.New(string(e.sim.OktaKeyPEM)), oktasim.DefaultKeyID
	}
	c, err := okta.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) cloudflareClient(t *testing.T) *cloudflare.Client {
	t.Helper()
	c, err := cloudflare.New(cloudflare.Config{BaseURL: e.srv.URL + sim.PathCloudflare, AccountID: cfsim.DefaultAccountID,
		APIToken: secret.New(cfsim.DefaultToken), HTTP: e.httpOptions()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newService builds a service on st with the env's clients and clock.
func (e *env) newService(t *testing.T, st store.Store) *Service {
	t.Helper()
	o := Options{Store: st, ReadOnly: e.opts.readOnly, AuditFile: e.auditPath, Now: e.clock.Now, NewTimer: e.clock.NewTimer}
	if !e.opts.noOkta {
		o.Okta = e.oktaClient(t)
	}
	if !e.opts.noCloudflare {
		o.Cloudflare = e.cloudflareClient(t)
	}
	svc, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	svc.onWait = func(d time.Duration, timed bool) { e.senderWaits <- senderWait{d, timed} }
	t.Cleanup(func() { svc.Close() })
	return svc
}

// startSender runs the service's sender until the test ends.
func (e *env) startSender(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.svc.NewSender().Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// nextWait returns the sender's next sleep.
func (e *env) nextWait(t *testing.T) senderWait {
	t.Helper()
	select {
	case w := <-e.senderWaits:
		return w
	case <-time.After(20 * time.Second):
		t.Fatal("the sender never went to sleep")
		return senderWait{}
	}
}

// idle waits until the sender sleeps with nothing due (no timer).
func (e *env) idle(t *testing.T) {
	t.Helper()
	for {
		if w := e.nextWait(t); !w.timed {
			return
		}
	}
}

func (e *env) queue(t *testing.T, reqs ...PushRequest) []int64 {
	t.Helper()
	outs, err := e.svc.QueuePush(context.Background(), who, reqs)
	if err != nil {
		t.Fatal(err)
	}
	return OutboxIDs(outs)
}

func (e *env) wait(t *testing.T, ids []int64) []model.OutboxItem {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	items, err := e.svc.WaitPushes(ctx, ids)
	if err != nil {
		t.Fatalf("wait: %v (items %+v)", err, items)
	}
	return items
}

// audit returns the store's audit log, oldest first.
func (e *env) audit(t *testing.T) []model.AuditEntry {
	t.Helper()
	es, err := e.store.Audit(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(es)
	return es
}

// auditFile reads the JSON-lines audit file, checking every line is one
// JSON object with exactly the documented fields.
func (e *env) auditFile(t *testing.T) []auditLine {
	t.Helper()
	f, err := os.Open(e.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"action", "actor", "at", "detail", "id", "result", "target", "vendor", "vendor_status"}
		if !slices.Equal(keys, want) {
			t.Fatalf("audit line keys %v, want %v", keys, want)
		}
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameAudit checks the file holds exactly the store's entries, in order.
func (e *env) sameAudit(t *testing.T) []model.AuditEntry {
	t.Helper()
	es, lines := e.audit(t), e.auditFile(t)
	if len(es) != len(lines) {
		t.Fatalf("store has %d audit entries, file %d", len(es), len(lines))
	}
	for i, x := range es {
		l := lines[i]
		if l.ID != x.ID || !l.At.Equal(x.At) || l.Actor != x.Actor || l.Action != x.Action || l.Vendor != x.Vendor ||
			l.Target != x.Target || l.Result != x.Result || l.VendorStatus != x.VendorStatus || l.Detail != x.Detail {
			t.Errorf("audit %d: store %+v, file %+v", i, x, l)
		}
	}
	return es
}

// actions lists "action result target status" per entry, for compact asserts.
type brief struct {
	Action, Result, Target string
	Status                 int
}

func briefs(es []model.AuditEntry) []brief {
	out := make([]brief, len(es))
	for i, x := range es {
		out[i] = brief{x.Action, x.Result, x.Target, x.VendorStatus}
	}
	return out
}

func (e *env) requests(t *testing.T, vendor string) int64 {
	t.Helper()
	fs, err := e.sim.Faults(vendor)
	if err != nil {
		t.Fatal(err)
	}
	return fs.Requests()
}

func (e *env) faults(t *testing.T, vendor string, f simkit.Faults) {
	t.Helper()
	fs, err := e.sim.Faults(vendor)
	if err != nil {
		t.Fatal(err)
	}
	fs.Set(f)
}
