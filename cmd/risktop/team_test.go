package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// teamChildArgs holds the arguments (one a line) TestTeamChild runs
// risktop with: one instance of a team test.
const teamChildArgs = "RISKTOP_TEST_TEAM_ARGS"

// TestTeamChild is one `risktop serve` of a team in a child process, so
// that it can be SIGKILLed; on its own it skips.
func TestTeamChild(t *testing.T) {
	args := os.Getenv(teamChildArgs)
	if args == "" {
		t.Skip("a child process of the team tests")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\n"), os.Stdout, os.Stderr))
}

// vendorRequest is one request an instance sent a simulated vendor.
type vendorRequest struct {
	instance int
	vendor   string
	at       time.Time
	path     string // without the vendor's mount point
	query    string
}

// teamRig is the simulator, one listener of it per instance, and the
// instances' configs, on one PostgreSQL database.
//
// Each instance talks to the simulator through a listener of its own
// (its own port), which records the instance with every request. A path
// prefix per instance (srv.URL+"/i1") cannot tell them apart: the OneLogin
// simulator's next_link is absolute on its own mount point
// (r.Host+"/onelogin/…"), and the client follows it verbatim when the host
// matches, so every back-fill page after the first would lose the prefix.
type teamRig struct {
	sim     *sim.Sim
	url     string // the shared store
	configs []string
	logs    []string
	dir     string

	mu   sync.Mutex
	reqs []vendorRequest
	// onRequest, when set, sees each request before the simulator does,
	// and may answer it itself (returning true).
	onRequest func(instance int, vendor string, w http.ResponseWriter, r *http.Request) bool
}

// vendorOf names the simulated vendor a request path goes to.
func vendorOf(path string) (vendor, rest string) {
	for _, m := range []struct{ vendor, mount string }{
		{sim.OneLogin, sim.PathOneLogin}, {sim.CASB, sim.PathCASB},
		{sim.Cloudflare, sim.PathCloudflare}, {sim.Okta, sim.PathOkta},
	} {
		if rest, ok := strings.CutPrefix(path, m.mount+"/"); ok {
			return m.vendor, "/" + rest
		}
	}
	return "other", path
}

// newTeamRig starts the simulator with listeners for n instances and
// writes each instance's config; edit rewrites the simulator's config
// text (intervals, back-fill) before the store is added.
func newTeamRig(t *testing.T, n int, world simkit.Options, edit func(string) string) *teamRig {
	t.Helper()
	s, err := sim.New(sim.Options{World: world})
	if err != nil {
		t.Fatal(err)
	}
	rig := &teamRig{sim: s, url: pgtest.NewDatabase(t), dir: t.TempDir()}
	keyFile := filepath.Join(rig.dir, "okta.pem")
	if err := os.WriteFile(keyFile, s.OktaKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	authorized := filepath.Join(rig.dir, "authorized_keys")
	if err := os.WriteFile(authorized, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			vendor, rest := vendorOf(r.URL.Path)
			rig.mu.Lock()
			rig.reqs = append(rig.reqs, vendorRequest{instance: i, vendor: vendor, at: time.Now(), path: rest, query: r.URL.RawQuery})
			hook := rig.onRequest
			rig.mu.Unlock()
			if hook != nil && hook(i, vendor, w, r) {
				return
			}
			s.Handler().ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		text := edit(sim.EndpointsAt(srv.URL).Config(keyFile)) + fmt.Sprintf("store: %q\naudit_log: %q\n", rig.url, filepath.Join(rig.dir, fmt.Sprintf("audit%d.jsonl", i)))
		cfg := filepath.Join(rig.dir, fmt.Sprintf("risktop%d.yaml", i))
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		rig.configs = append(rig.configs, cfg)
		rig.logs = append(rig.logs, filepath.Join(rig.dir, fmt.Sprintf("serve%d.log", i)))
	}
	return rig
}

// requests returns a copy of what the instances sent, in time order.
func (rig *teamRig) requests() []vendorRequest {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	out := slices.Clone(rig.reqs)
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// teamInstance is one `risktop serve` child.
type teamInstance struct {
	n      int
	cmd    *exec.Cmd
	out    lockedBuffer
	exited chan struct{}
}

// start runs instance i as a child process until the test ends.
func (rig *teamRig) start(t *testing.T, i int) *teamInstance {
	t.Helper()
	args := []string{"serve", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(rig.dir, fmt.Sprintf("hostkey%d", i)),
		"--authorized-keys", filepath.Join(rig.dir, "authorized_keys"), "--log", rig.logs[i], "--config", rig.configs[i]}
	in := &teamInstance{n: i, cmd: exec.Command(os.Args[0], "-test.run=^TestTeamChild$"), exited: make(chan struct{})}
	in.cmd.Env = append(os.Environ(), teamChildArgs+"="+strings.Join(args, "\n"))
	in.cmd.Stdout, in.cmd.Stderr = &in.out, &in.out
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		in.cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(func() {
		in.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.exited:
		case <-time.After(20 * time.Second):
			in.cmd.Process.Kill()
			<-in.exited
		}
	})
	return in
}

// kill SIGKILLs the instance and waits for it to be gone.
func (in *teamInstance) kill(t *testing.T) time.Time {
	t.Helper()
	if err := in.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-in.exited
	return time.Now()
}

// waitFor polls cond every 50ms until it holds, failing the test with
// what() after timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leaderOf is the instance that leads job, or -1.
func leaderOf(t *testing.T, st *postgres.Store, instances []*teamInstance, job string) int {
	t.Helper()
	leaders, err := st.Leaders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	holder := leaders[job]
	for _, in := range instances {
		if strings.HasSuffix(holder, ":"+strconv.Itoa(in.cmd.Process.Pid)) {
			return in.n
		}
	}
	return -1
}

// backfillCursor reads the OneLogin back-fill's progress from the store.
func backfillCursor(t *testing.T, st store.Store) model.Progress {
	t.Helper()
	var p model.Progress
	raw, err := st.Cursor(context.Background(), onelogin.CursorBackfill)
	if err != nil {
		t.Fatal(err)
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// storedIDs reads every event of vendor from the store: id → times stored.
func storedIDs(t *testing.T, st store.Store, vendor string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	q := store.EventQuery{EventFilter: store.EventFilter{Vendor: vendor}, Limit: 500}
	for {
		page, err := st.Events(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			ids[e.ID]++
		}
		if !page.HasNext {
			return ids
		}
		q.After = page.LastKey
	}
}

// switches counts, per vendor, how often the instance sending requests
// changed, in time order.
func switches(reqs []vendorRequest) map[string][]int {
	runs := map[string][]int{}
	for _, r := range reqs {
		if seq := runs[r.vendor]; len(seq) == 0 || seq[len(seq)-1] != r.instance {
			runs[r.vendor] = append(seq, r.instance)
		}
	}
	return runs
}

// teamInterval is the OneLogin and Cloudflare poll interval of the team
// tests: OneLogin's minimum, so leadership retries every 5s.
const teamInterval = 10 * time.Second

// teamConfig shortens the simulator config's intervals to teamInterval
// and OneLogin's back-fill to backfill.
func teamConfig(backfill time.Duration) func(string) string {
	return func(text string) string {
		return strings.NewReplacer(
			"refresh: 30s", "refresh: 10s",
			"interval: 30s, backfill: 24h", "interval: 10s, backfill: "+backfill.String(),
			"interval: 60s", "interval: 10s",
		).Replace(text)
	}
}

// Three `risktop serve` children on one PostgreSQL database poll the
// simulator (OneLogin and Cloudflare every 10s, a 1h OneLogin back-fill of
// ~37 pages paced 0.5s apart); the one leading poll/onelogin is SIGKILLed
// once it has stored five back-fill pages. Another instance polls OneLogin
// within two poll intervals of the kill, the back-fill completes from the
// stored progress, and the store then holds every event the simulator has
// in the window up to the head cursor, each once, and nothing else. Each
// vendor was polled by one instance at a time (one change, at the kill),
// and OneLogin saw the request count of one instance restarted once.
func TestTeamOfThreeOnOneDatabase(t *testing.T) {
	if os.Getenv(teamChildArgs) != "" {
		t.Skip("in the child")
	}
	rig := newTeamRig(t, 3, simkit.Options{Seed: 17, People: 30, History: 90 * time.Minute, EventsPerMinute: 30}, teamConfig(time.Hour))
	var team []*teamInstance
	for i := range 3 {
		team = append(team, rig.start(t, i))
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, rig.url, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := func() string {
		var b strings.Builder
		for i, in := range team {
			l, _ := os.ReadFile(rig.logs[i])
			fmt.Fprintf(&b, "--- instance %d (pid %d) output:\n%s--- log:\n%s", i, in.cmd.Process.Pid, in.out.String(), l)
		}
		return b.String()
	}

	// Kill the OneLogin leader once it has stored a few back-fill pages.
	var bf model.Progress
	waitFor(t, 90*time.Second, func() bool {
		bf = backfillCursor(t, st)
		return bf.Events >= 5*onelogin.MaxEventsPerPage
	}, func() string { return fmt.Sprintf("the back-fill is at %+v\n%s", bf, logs()) })
	first := leaderOf(t, st, team, "poll/onelogin")
	if first < 0 {
		t.Fatalf("no instance leads poll/onelogin\n%s", logs())
	}
	killedAt := team[first].kill(t)
	if bf = backfillCursor(t, st); bf.Done {
		t.Fatalf("the back-fill was done when the leader was killed: %+v", bf)
	}
	t.Logf("killed instance %d at %s, %d of the back-fill's events stored", first, killedAt.Format("15:04:05.000"), bf.Events)

	// Another instance takes over within two poll intervals, measured from
	// the kill to its first OneLogin request.
	var next vendorRequest
	waitFor(t, 2*teamInterval+20*time.Second, func() bool {
		for _, r := range rig.requests() {
			if r.vendor == sim.OneLogin && r.at.After(killedAt) && r.instance != first {
				next = r
				return true
			}
		}
		return false
	}, func() string { return "no instance polls OneLogin since the kill\n" + logs() })
	takeover := next.at.Sub(killedAt)
	if takeover > 2*teamInterval {
		t.Errorf("instance %d took over %s after the kill of instance %d; want within %s", next.instance, takeover, first, 2*teamInterval)
	}
	if l := leaderOf(t, st, team, "poll/onelogin"); l != next.instance {
		t.Errorf("poll/onelogin is led by instance %d, but instance %d polls", l, next.instance)
	}

	// The back-fill completes, and the head moves past the kill.
	waitFor(t, 90*time.Second, func() bool {
		bf = backfillCursor(t, st)
		return bf.Done
	}, func() string { return fmt.Sprintf("the back-fill is at %+v\n%s", bf, logs()) })
	var head onelogin.HeadCursor
	waitFor(t, 30*time.Second, func() bool {
		raw, err := st.Cursor(ctx, onelogin.CursorHead)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &head); err != nil {
			t.Fatal(err)
		}
		return head.Time.After(killedAt)
	}, func() string { return fmt.Sprintf("the head is at %+v\n%s", head, logs()) })

	// The store equals the simulator: every event of the window, from the
	// back-fill's start (OneLogin's since is exclusive, to the second) to
	// the head cursor, once; nothing the simulator does not hold.
	stored := storedIDs(t, st, sim.OneLogin)
	all := map[string]bool{}
	var want []string
	for _, a := range rig.sim.World.Between(time.Unix(bf.From.Unix()+1, 0), time.Now().Add(time.Minute)) {
		id := strconv.FormatInt(olsim.EventID(a), 10)
		all[id] = true
		if olsim.EventID(a) <= head.ID {
			want = append(want, id)
		}
	}
	missing := 0
	for _, id := range want {
		if stored[id] == 0 {
			missing++
		}
	}
	for id, n := range stored {
		if n != 1 || !all[id] {
			t.Errorf("event %s stored %d times (in the simulator's window: %v)", id, n, all[id])
		}
	}
	count, err := st.CountEvents(ctx, store.EventFilter{Vendor: sim.OneLogin})
	if err != nil {
		t.Fatal(err)
	}
	if missing > 0 || count != len(stored) {
		t.Errorf("%d of the simulator's %d events up to the head are not stored; the store counts %d, lists %d", missing, len(want), count, len(stored))
	}
	t.Logf("took over after %s; back-fill of %d events done; %d events compared, %d stored", takeover.Round(time.Millisecond), bf.Events, len(want), len(stored))

	// The vendors saw one instance at a time, at one instance's rate.
	reqs := rig.requests()
	checkOneAtATime(t, reqs, first, killedAt)
	pages := (len(rig.sim.World.Between(time.Unix(bf.From.Unix()+1, 0), bf.To.Add(time.Second))) + onelogin.MaxEventsPerPage - 1) / onelogin.MaxEventsPerPage
	checkOneLoginRate(t, reqs, pages)
}

// checkOneLoginRate bounds the OneLogin requests of a run with one
// leadership change by what one instance polling alone, and restarted
// once, makes:
//   - back-fill pages (/api/1/events other than the head's sort=+id): the
//     window's pages, plus those the killed leader fetched but had not
//     stored (the ingest pipeline holds 4, one is being written, one
//     fetched), plus one page the next leader's query overlaps (it starts
//     a second past the stored progress); three instances back-filling
//     each would make 3×pages;
//   - head polls (sort=+id): one an interval in each of the two terms,
//     plus one at each term's start and one for timer slack;
//   - a token and the event types once per instance, and each user
//     looked up at most once per instance (the client caches them).
func checkOneLoginRate(t *testing.T, reqs []vendorRequest, pages int) {
	t.Helper()
	var backfill, head int
	var first, last time.Time
	perInstance := map[int]int{}
	once := map[string]int{} // instance and path of the once-per-instance reads → requests
	for _, r := range reqs {
		if r.vendor != sim.OneLogin {
			continue
		}
		perInstance[r.instance]++
		if first.IsZero() {
			first = r.at
		}
		last = r.at
		switch {
		case r.path == "/api/1/events" && strings.Contains(r.query, "sort=%2Bid"):
			head++
		case r.path == "/api/1/events":
			backfill++
		case r.path == "/auth/oauth2/v2/token", r.path == "/api/1/events/types", strings.HasPrefix(r.path, "/api/2/users/"):
			once[fmt.Sprintf("%d %s", r.instance, r.path)]++
		}
	}
	if maxPages := pages + 4 + 1 + 1 + 1; backfill > maxPages {
		t.Errorf("%d back-fill requests for a window of %d pages; one instance makes at most %d", backfill, pages, maxPages)
	}
	if maxHead := int(last.Sub(first)/teamInterval) + 2 + 2; head > maxHead {
		t.Errorf("%d head polls in %s; one instance polling every %s, restarted once, makes at most %d", head, last.Sub(first).Round(time.Second), teamInterval, maxHead)
	}
	for k, n := range once {
		if n > 1 {
			t.Errorf("instance and path %s: %d requests, want one", k, n)
		}
	}
	t.Logf("OneLogin requests by instance: %v; %d back-fill requests for %d pages, %d head polls in %s", perInstance, backfill, pages, head, last.Sub(first).Round(time.Second))
}

// checkOneAtATime checks that each vendor was polled by one instance at a
// time: by the killed instance until killedAt, then by one other.
func checkOneAtATime(t *testing.T, reqs []vendorRequest, killed int, killedAt time.Time) {
	t.Helper()
	for vendor, runs := range switches(reqs) {
		if len(runs) > 2 || len(runs) == 2 && runs[0] != killed {
			t.Errorf("%s was polled by instances %v in turn; want one, then at most one other after instance %d's kill", vendor, runs, killed)
		}
	}
	// A request the killed instance wrote just before it died may be read
	// a moment after the kill on a loaded machine, never a second later.
	for _, r := range reqs {
		if r.instance == killed && r.at.After(killedAt.Add(time.Second)) {
			t.Errorf("instance %d sent %s %s after its kill", killed, r.vendor, r.path)
		}
	}
}

// waitForAnyLog waits until one instance has logged line.
func (rig *teamRig) waitForAnyLog(t *testing.T, team []*teamInstance, line string) {
	t.Helper()
	waitFor(t, 60*time.Second, func() bool {
		for i := range team {
			if b, _ := os.ReadFile(rig.logs[i]); strings.Contains(string(b), line) {
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("no instance logged %q", line) })
}

// teamAddresses are n documentation addresses from the n-th on.
func teamAddresses(from, n int) []string {
	var ips []string
	a := netip.MustParseAddr("2001:db8::1")
	for range from {
		a = a.Next()
	}
	for range n {
		ips = append(ips, a.String())
		a = a.Next()
	}
	return ips
}

// enqueue queues HIGH pushes of ips as an operator's push-ip does
// (actions.Service.PushIPs: EnqueueOnce of canonical addresses).
func enqueue(t *testing.T, st store.Store, ips []string) {
	t.Helper()
	now := time.Now()
	pushes := make([]store.Push, len(ips))
	for i, ip := range ips {
		pushes[i] = store.Push{Item: model.OutboxItem{Created: now, NextTry: now, IP: ip, Level: model.LevelHigh, Message: "team test", Actor: "os:team-test"}}
	}
	if _, err := st.EnqueueOnce(context.Background(), pushes, now, actions.DefaultPushLife); err != nil {
		t.Fatal(err)
	}
}

// Three `risktop serve` on one database send the shared outbox to Okta;
// the instance sending is SIGKILLed while Okta holds a push request it
// has taken. Every address reaches Okta once, except those in that
// request, twice (see below); pushes queued after the kill go out once.
//
// What "once" means across a SIGKILL mid-request: Okta took the held
// request's addresses but its answer never reached the killed instance,
// so the store still says sending; nothing on the sending side can tell
// "Okta has it" from "it never left", and the survivor that takes the
// dead claim over sends them again (a repeat of the same risk is
// harmless to Okta). No address may reach Okta a third time, none may be
// lost, and an address that was not in flight at the kill reaches it
// exactly once.
func TestTeamPushWhenTheSenderIsKilled(t *testing.T) {
	if os.Getenv(teamChildArgs) != "" {
		t.Skip("in the child")
	}
	rig := newTeamRig(t, 3, simkit.Options{Seed: 18, People: 10, History: time.Hour}, teamConfig(time.Hour))
	const holdAt = 2 // the push request Okta takes but never answers
	var mu sync.Mutex
	pushes, sender := 0, map[int]int{} // push requests; by instance
	var pushOrder []int                // the instance of each push request, in order
	held := make(chan int, 1)
	var heldIPs map[string]bool // the held request's addresses, set before held is sent
	rig.onRequest = func(i int, vendor string, w http.ResponseWriter, r *http.Request) bool {
		if vendor != sim.Okta || !strings.HasSuffix(r.URL.Path, "/api/v1/risk/events/ip") {
			return false
		}
		// The body read to its end lets the server notice the killed
		// instance's connection closing, which ends the held request.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		pushes++
		sender[i]++
		pushOrder = append(pushOrder, i)
		n := pushes
		mu.Unlock()
		if n != holdAt {
			return false
		}
		rig.sim.Handler().ServeHTTP(httptest.NewRecorder(), r) // Okta takes it…
		heldIPs = addressesIn(body)
		held <- i
		<-r.Context().Done() // …and its answer never reaches the instance
		return true
	}
	var team []*teamInstance
	for i := range 3 {
		team = append(team, rig.start(t, i))
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, rig.url, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The sender (one instance leads sending) has looked at the empty
	// outbox by the time OneLogin is polled: what the test queues now
	// wakes nothing.
	rig.waitForAnyLog(t, team, "outbox sender started")
	waitFor(t, 60*time.Second, func() bool {
		return slices.ContainsFunc(rig.requests(), func(r vendorRequest) bool { return r.vendor == sim.OneLogin })
	}, func() string { return "no instance polls OneLogin" })

	// 3,000 addresses: three requests of 1,000 (20 events of 50).
	ips := teamAddresses(0, 3000)
	enqueue(t, st, ips)
	var killed int
	select {
	case killed = <-held:
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("no second push request 30s after queueing %d addresses (%d requests so far)", len(ips), pushes)
	}
	leads := leaderOf(t, st, team, "poll/onelogin") == killed
	killedAt := team[killed].kill(t)
	t.Logf("killed instance %d (leading poll/onelogin: %v) while Okta held its push request", killed, leads)

	items, err := st.Outbox(ctx, "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	stateAtKill := map[string]model.OutboxState{}
	byState := map[model.OutboxState]int{}
	for _, it := range items {
		stateAtKill[it.IP] = it.State
		byState[it.State]++
	}
	reachedAtKill := map[string]int{}
	for _, p := range rig.sim.Okta.Pushed() {
		reachedAtKill[p.IP]++
	}

	// Pushes queued after the kill, while the dead claim is taken over.
	later := teamAddresses(len(ips), 500)
	enqueue(t, st, later)
	all := append(slices.Clone(ips), later...)
	var left []model.OutboxItem
	waitFor(t, 60*time.Second, func() bool {
		items, err := st.Outbox(ctx, "", 100000)
		if err != nil {
			t.Fatal(err)
		}
		left = slices.DeleteFunc(items, func(it model.OutboxItem) bool { return it.State == model.OutboxSent })
		return len(items) == len(all) && len(left) == 0
	}, func() string {
		return fmt.Sprintf("%d of %d items not sent since the kill, e.g. %+v", len(left), len(all), left[:min(len(left), 1)][0])
	})
	sentAfter := time.Since(killedAt)

	reached := map[string]int{}
	for _, p := range rig.sim.Okta.Pushed() {
		reached[p.IP]++
	}
	histogram := map[int]int{}
	for _, ip := range all {
		n := reached[ip]
		histogram[n]++
		want := 1
		if heldIPs[ip] {
			want = 2
		}
		if n != want {
			t.Errorf("%s (%s at the kill, reached Okta %d times then, in the held request: %v) reached Okta %d times, want %d", ip, stateAtKill[ip], reachedAtKill[ip], heldIPs[ip], n, want)
		}
	}
	// The audit is one for all: one "sent" an address, whoever sent it
	// (the killed instance never learnt it had sent the held request).
	es, err := st.Audit(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	sentAudits := map[string]int{}
	for _, e := range es {
		if e.Action == actions.ActionPushIP && e.Result == actions.ResultSent {
			sentAudits[e.Target]++
		}
	}
	for _, ip := range all {
		if sentAudits[ip] != 1 {
			t.Errorf("%s: %d 'sent' audit entries, want 1", ip, sentAudits[ip])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Okta sees one instance's pushes at a time (one rate budget): the
	// sender changes once, when the one sending is killed.
	switches := 0
	for k := 1; k < len(pushOrder); k++ {
		if pushOrder[k] != pushOrder[k-1] {
			switches++
		}
	}
	if switches > 1 || pushOrder[0] != killed {
		t.Errorf("push requests came from instances %v: more than one sender at a time", pushOrder)
	}
	for i, n := range sender {
		if i == killed {
			continue
		}
		t.Logf("instance %d sent %d push requests", i, n)
	}
	t.Logf("at the kill: %d sent, %d sending (%d of them taken by Okta, %d in the held request), %d queued; all %d sent %s after the kill; reached Okta once: %d, twice: %d, other: %d; push requests by instance %v",
		byState[model.OutboxSent], byState[model.OutboxSending], len(reachedAtKill)-byState[model.OutboxSent], len(heldIPs), byState[model.OutboxQueued],
		len(all), sentAfter.Round(time.Millisecond), histogram[1], histogram[2], len(all)-histogram[1]-histogram[2], sender)
}

// addressesIn collects the IP addresses among the strings of a JSON body
// (a Risk Events push: its subjects' ip).
func addressesIn(body []byte) map[string]bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if a, err := netip.ParseAddr(v); err == nil {
				out[a.String()] = true
			}
		}
	}
	walk(v)
	return out
}
