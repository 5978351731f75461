package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendors"
)

// Crash safety: the test binary re-executes itself as a child that runs
// risktop's real pollers and outbox sender against a simulator this
// process serves on loopback; the parent SIGKILLs it at chosen moments,
// checks the store, starts another child on the same store and checks
// that it carries on from where the killed one stopped. The parent moves
// only on what it can observe (the store's cursors and outbox, requests
// reaching the simulator), never on sleeps.

// Environment of the child.
const (
	crashChildEnv    = "RISKTOP_TEST_CRASH_CHILD"
	crashStoreEnv    = "RISKTOP_TEST_CRASH_STORE"
	crashSimEnv      = "RISKTOP_TEST_CRASH_SIM"
	crashBackfillEnv = "RISKTOP_TEST_CRASH_BACKFILL"
	crashPushEnv     = "RISKTOP_TEST_CRASH_PUSH" // IPs the child queues as it starts, comma-separated
)

// crashWait bounds every wait for the child: generous, since a loaded
// machine slows it; nothing waits this long when all is well.
const crashWait = 2 * time.Minute

// TestCrashChild is the child process: risktop's pollers and sender on the
// parent's store and simulator, run until killed. On its own it skips.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) != "1" {
		t.Skip("the child process of the crash tests")
	}
	keyFile, err := filepath.Abs(rigKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	storePath := os.Getenv(crashStoreEnv)
	e := sim.EndpointsAt(os.Getenv(crashSimEnv))
	text := fmt.Sprintf(`store: %s
export_dir: %s
read_only: false
sources:
  onelogin:   {base_url: %s, client_id: %s, client_secret: %s, interval: 10s, backfill: %s}
  casb:       {base_url: %s, access_key: %s, access_secret: %s, interval: 5m}
  cloudflare: {base_url: %s, account_id: %s, api_token: %s, interval: 60s}
  okta:       {base_url: %s, client_id: %s, private_key_file: %s, requests_per_minute: 30, allow_documentation_ranges: true}
`, storePath, filepath.Join(filepath.Dir(storePath), "exports"),
		e.OneLogin, olsim.DefaultClientID, olsim.DefaultClientSecret, os.Getenv(crashBackfillEnv),
		e.CASB, casbsim.DefaultAccessKey, casbsim.DefaultAccessSecret,
		e.Cloudflare, cfsim.DefaultAccountID, cfsim.DefaultToken,
		e.Okta, oktasim.DefaultClientID, keyFile)
	cfg, _, err := config.Parse("crash.yaml", []byte(text), config.Env{}, vendors.All)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg.StorePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPollers(cfg, st, hub.New(), httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := actions.New(actions.Options{Store: st, Okta: p.Clients.Okta})
	if err != nil {
		t.Fatal(err)
	}
	if ips := os.Getenv(crashPushEnv); ips != "" {
		var reqs []actions.PushRequest
		for _, ip := range strings.Split(ips, ",") {
			reqs = append(reqs, actions.PushRequest{IP: ip, Level: "HIGH", Message: "crash test"})
		}
		if _, err := svc.QueuePush(context.Background(), "os:crash@child", reqs); err != nil {
			t.Fatal(err)
		}
	}
	go svc.NewSender().Run(context.Background())
	p.Run(context.Background()) // until SIGKILL
}

// crashEnv is the parent's side: the simulator on loopback, the store
// file (the parent keeps its own handle to read it) and the request log.
type crashEnv struct {
	t         *testing.T
	sim       *sim.Sim
	srv       *httptest.Server
	storePath string
	st        *store.SQLite
	backfill  time.Duration

	mu     sync.Mutex
	events []olRequest // OneLogin Get Events requests, in order
	hold   func(r *http.Request) bool
	held   chan string // a held request's path
}

type olRequest struct {
	at    time.Time
	query url.Values
}

func newCrashEnv(t *testing.T, world simkit.Options, backfill time.Duration) *crashEnv {
	t.Helper()
	if os.Getenv(crashChildEnv) == "1" {
		t.Skip("in the child")
	}
	key, _ := sharedOktaKey(t)
	s, err := sim.New(sim.Options{World: world, OktaKey: key})
	if err != nil {
		t.Fatal(err)
	}
	e := &crashEnv{t: t, sim: s, backfill: backfill, held: make(chan string, 16),
		storePath: filepath.Join(t.TempDir(), "risktop.db")}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(func() {
		e.setHold(nil)
		e.srv.Close()
	})
	// The parent creates the store, so its reads never race the child's
	// first open.
	e.st, err = store.Open(e.storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	return e
}

func (e *crashEnv) serve(w http.ResponseWriter, r *http.Request) {
	// The body read to its end lets the server notice the killed child's
	// connection closing, which ends a held request.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	e.mu.Lock()
	if strings.HasSuffix(r.URL.Path, "/api/1/events") {
		e.events = append(e.events, olRequest{time.Now(), r.URL.Query()})
	}
	hold := e.hold != nil && e.hold(r)
	e.mu.Unlock()
	if hold {
		e.held <- r.URL.Path
		<-r.Context().Done() // until the child dies
		return
	}
	e.sim.Handler().ServeHTTP(w, r)
}

// setHold makes matching requests hang until their client goes away (nil:
// none). It is called under no lock of the handler's.
func (e *crashEnv) setHold(f func(r *http.Request) bool) {
	e.mu.Lock()
	e.hold = f
	e.mu.Unlock()
}

func (e *crashEnv) eventRequests() []olRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]olRequest(nil), e.events...)
}

type child struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{} // closed when it exited
	err  error         // its Wait's, once done
}

// lockedBuffer is the child's output, read while it still writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (e *crashEnv) start(env ...string) *child {
	e.t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v"), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashStoreEnv+"="+e.storePath,
		crashSimEnv+"="+e.srv.URL, crashBackfillEnv+"="+config.FormatDuration(e.backfill))
	c.cmd.Env = append(c.cmd.Env, env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	e.t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// kill SIGKILLs the child and checks it died of it (not of a failure).
func (e *crashEnv) kill(c *child) {
	e.t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		e.t.Fatal(err)
	}
	<-c.done
	if c.err == nil || !strings.Contains(c.err.Error(), "killed") {
		e.t.Fatalf("child exit: %v (want killed)\n%s", c.err, c.out.String())
	}
}

// waitFor polls an observable condition until it holds.
func (e *crashEnv) waitFor(c *child, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(crashWait)
	for !cond() {
		select {
		case <-c.done:
			e.t.Fatalf("the child exited (%v) while waiting for %s:\n%s", c.err, what, c.out.String())
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s after %s; child output:\n%s", what, crashWait, c.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *crashEnv) waitHeld(c *child, what string) {
	e.t.Helper()
	select {
	case <-e.held:
	case <-time.After(crashWait):
		e.t.Fatalf("no %s reached the simulator; child output:\n%s", what, c.out.String())
	}
}

// checkStore opens the file afresh after a kill: SQLite's own check
// passes and the store opens.
func (e *crashEnv) checkStore() {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.storePath+"?mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		e.t.Fatalf("integrity_check after the kill: %q, %v", res, err)
	}
	st, err := store.Open(e.storePath, store.Options{})
	if err != nil {
		e.t.Fatalf("the store does not open after the kill: %v", err)
	}
	st.Close()
}

func (e *crashEnv) backfillCursor() model.Progress {
	var p model.Progress
	if raw, _ := e.st.Cursor(context.Background(), onelogin.CursorBackfill); raw != "" {
		json.Unmarshal([]byte(raw), &p)
	}
	return p
}

func (e *crashEnv) headCursor() onelogin.HeadCursor {
	var h onelogin.HeadCursor
	if raw, _ := e.st.Cursor(context.Background(), onelogin.CursorHead); raw != "" {
		json.Unmarshal([]byte(raw), &h)
	}
	return h
}

// compareWindow holds the store's OneLogin events against the
// simulator's from the back-fill's start up to the head cursor: every
// event there is stored once, and nothing else is.
func (e *crashEnv) compareWindow() {
	e.t.Helper()
	bf, head := e.backfillCursor(), e.headCursor()
	if !bf.Done || head.Time.IsZero() {
		e.t.Fatalf("back-fill %+v, head %+v: nothing to compare yet", bf, head)
	}
	want := map[string]bool{}
	for _, a := range e.sim.World.Between(bf.From, head.Time.Add(time.Millisecond)) { // Between excludes its end
		// The head itself is stored; the events after it in the same
		// millisecond are the next poll's.
		if !a.Time.Before(head.Time) && olsim.EventID(a) > head.ID {
			continue
		}
		want[fmt.Sprint(olsim.EventID(a))] = true
	}
	got := storedIDs(e.t, e.st, "onelogin")
	missing, extra, dup := diffIDs(got, want)
	if missing+extra+dup > 0 || len(want) == 0 {
		e.t.Fatalf("store against simulator over %s – %s: %d missing, %d unexpected, %d duplicated (of %d)",
			bf.From.Format(time.TimeOnly), head.Time.Format(time.TimeOnly), missing, extra, dup, len(want))
	}
	e.t.Logf("store equals the simulator: %d events from %s to %s", len(want), bf.From.Format(time.TimeOnly), head.Time.Format(time.TimeOnly))
}

func queryTime(t *testing.T, q url.Values, name string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, q.Get(name))
	if err != nil {
		t.Fatalf("%s=%q: %v", name, q.Get(name), err)
	}
	return v
}

// TestCrashDuringBackfill kills risktop while the OneLogin back-fill is
// paging, and checks that the next run resumes from its cursor.
func TestCrashDuringBackfill(t *testing.T) {
	t.Parallel()
	// An hour of history at 10 sign-ins a minute: 12 pages of 50, paged
	// every 500ms.
	e := newCrashEnv(t, simkit.Options{Seed: 21, People: 40, History: 2 * time.Hour, EventsPerMinute: 10}, time.Hour)
	const pagesBeforeKill = 5
	var nextPages int
	e.setHold(func(r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/api/1/events") || r.URL.Query().Get("after_cursor") == "" {
			return false
		}
		nextPages++ // the head finds a page or none every 10s: paging is the back-fill's
		return nextPages >= pagesBeforeKill
	})
	first := e.start()
	e.waitHeld(first, "back-fill page")
	e.waitFor(first, "stored back-fill pages", func() bool { return e.backfillCursor().Events >= pagesBeforeKill*onelogin.MaxEventsPerPage })
	e.kill(first)
	e.checkStore()
	atKill := e.backfillCursor()
	if atKill.Done || !atKill.Reached.After(atKill.From) {
		t.Fatalf("after the kill the back-fill is %+v; want under way", atKill)
	}
	before := len(e.eventRequests())
	var originalUntil time.Time
	for _, r := range e.eventRequests() {
		if r.query.Has("until") {
			originalUntil = queryTime(t, r.query, "until")
			break
		}
	}

	e.setHold(nil)
	second := e.start()
	e.waitFor(second, "the back-fill's end", func() bool { return e.backfillCursor().Done })
	e.kill(second)
	e.checkStore()

	// It resumed from the cursor: its back-fill query ends where the
	// killed one had reached (a second of overlap), not at the start.
	reqs := e.eventRequests()[before:]
	var resumedUntil time.Time
	for _, r := range reqs {
		if r.query.Has("until") {
			resumedUntil = queryTime(t, r.query, "until")
			break
		}
	}
	if resumedUntil.IsZero() || resumedUntil.After(atKill.Reached.Add(time.Second)) || !resumedUntil.Before(originalUntil) {
		t.Fatalf("the restarted back-fill asked until %s; the killed one had reached %s", resumedUntil, atKill.Reached)
	}
	// And paged only what was left: the pages of the rest of the window,
	// plus one head poll a page every 10s.
	left := len(e.sim.World.Between(atKill.From, atKill.Reached.Add(time.Second)))/onelogin.MaxEventsPerPage + 1
	headPolls := int(time.Since(reqs[0].at)/(10*time.Second)) + 2
	if len(reqs) > left+headPolls {
		t.Fatalf("the restart made %d events requests; %d pages were left and %d head polls fit", len(reqs), left, headPolls)
	}
	e.compareWindow()
}

// TestCrashDuringBurst kills risktop while it stores a credential-stuffing
// burst, page by page, and checks that the next run goes on from the head
// cursor without losing or repeating an event.
func TestCrashDuringBurst(t *testing.T) {
	t.Parallel()
	// At 40× speed a burst runs from 3s to 12s of every 30s, about 27
	// sign-ins a second: a poll every 10s brings several pages.
	e := newCrashEnv(t, simkit.Options{Seed: 22, People: 40, History: time.Hour, EventsPerMinute: 0.5, Speed: 40, Scenario: true},
		10*time.Minute)
	first := e.start()
	e.waitFor(first, "the back-fill's end", func() bool { return e.backfillCursor().Done })
	var atk simkit.Attack
	e.waitFor(first, "the burst", func() bool { atk = e.sim.World.AttackAt(time.Now()); return atk.Active })
	// Hold the next page of a head poll: the pages before it are stored
	// or being stored, the rest of the burst waits behind it.
	e.setHold(func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/api/1/events") && r.URL.Query().Get("after_cursor") != ""
	})
	e.waitHeld(first, "head poll's next page")
	e.waitFor(first, "burst events stored", func() bool { return !e.headCursor().Time.Before(atk.Start) })
	e.kill(first)
	e.checkStore()
	atKill := e.headCursor()
	before := len(e.eventRequests())

	e.setHold(nil)
	second := e.start()
	e.waitFor(second, "the whole burst stored", func() bool { return e.headCursor().Time.After(atk.End) })
	e.kill(second)
	e.checkStore()

	reqs := e.eventRequests()[before:]
	if len(reqs) == 0 || reqs[0].query.Has("after_cursor") {
		t.Fatalf("the restart's first events request: %+v", reqs)
	}
	// The head resumed from its cursor (a second of overlap).
	if since := queryTime(t, reqs[0].query, "since"); since.Before(atKill.Time.Add(-2 * time.Second)) {
		t.Fatalf("the restart asked since %s; the head cursor was at %s", since, atKill.Time)
	}
	caughtUp := e.headCursor()
	left := len(e.sim.World.Between(atKill.Time.Add(-time.Second), caughtUp.Time))/onelogin.MaxEventsPerPage + 1
	polls := int(time.Since(reqs[0].at)/(10*time.Second)) + 2
	if len(reqs) > left+polls {
		t.Fatalf("the restart made %d events requests for %d pages of new events over %d polls", len(reqs), left, polls)
	}
	e.compareWindow()
}

// TestCrashBetweenQueueAndSend kills risktop while its first push hangs
// in Okta: the items are left sending, and the next run sends them.
func TestCrashBetweenQueueAndSend(t *testing.T) {
	t.Parallel()
	e := newCrashEnv(t, simkit.Options{Seed: 23, People: 20, History: time.Hour, EventsPerMinute: 1}, 10*time.Minute)
	ips := []string{"203.0.113.77", "198.51.100.9", "2001:db8::42"}
	e.setHold(func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/api/v1/risk/events/ip")
	})
	first := e.start(crashPushEnv + "=" + strings.Join(ips, ","))
	e.waitHeld(first, "push")
	e.kill(first)
	e.checkStore()
	ctx := context.Background()
	sending, err := e.st.Outbox(ctx, model.OutboxSending, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(sending) != len(ips) {
		t.Fatalf("after the kill %d items are sending: %+v", len(sending), sending)
	}
	for _, it := range sending {
		if it.Attempts != 1 {
			t.Fatalf("after the kill: %+v", it)
		}
	}
	if p := e.sim.Okta.Pushed(); len(p) != 0 {
		t.Fatalf("Okta received %+v from the killed child", p)
	}

	e.setHold(nil)
	second := e.start()
	e.waitFor(second, "every push sent", func() bool {
		left := 0
		for _, s := range []model.OutboxState{model.OutboxQueued, model.OutboxSending, model.OutboxFailed} {
			items, _ := e.st.Outbox(ctx, s, 10)
			left += len(items)
		}
		sent, _ := e.st.Outbox(ctx, model.OutboxSent, 10)
		return left == 0 && len(sent) == len(ips)
	})
	e.kill(second)
	e.checkStore()
	got := map[string]int{}
	for _, p := range e.sim.Okta.Pushed() {
		got[p.IP]++
	}
	for _, ip := range ips {
		if got[ip] != 1 {
			t.Errorf("Okta holds %s %d times (all: %v)", ip, got[ip], got)
		}
	}
	sent, _ := e.st.Outbox(ctx, model.OutboxSent, 10)
	for _, it := range sent {
		if it.Attempts != 2 {
			t.Errorf("sent after %d attempts, want 2 (the killed one and the resend): %+v", it.Attempts, it)
		}
	}
}
