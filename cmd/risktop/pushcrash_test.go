package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// pushChildArgs holds the arguments (one a line) TestPushIPChild runs
// risktop with: the child process of TestPushIPKilledThenRerun.
const pushChildArgs = "RISKTOP_TEST_PUSHIP_ARGS"

// TestPushIPChild is risktop in a child process, so that it can be
// killed; on its own it skips.
func TestPushIPChild(t *testing.T) {
	args := os.Getenv(pushChildArgs)
	if args == "" {
		t.Skip("the child process of TestPushIPKilledThenRerun")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\n"), os.Stdout, os.Stderr))
}

// pushChild is one push-ip run in a child process.
type pushChild struct {
	cmd    *exec.Cmd
	out    bytes.Buffer  // stdout and stderr; read once it has exited
	exited chan struct{} // closed when it has, err then set
	err    error         // its Wait's
}

func startPushChild(t *testing.T, args []string) *pushChild {
	t.Helper()
	c := &pushChild{cmd: exec.Command(os.Args[0], "-test.run=^TestPushIPChild$"), exited: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), pushChildArgs+"="+strings.Join(args, "\n"))
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill() // harmless once it has exited
		<-c.exited
	})
	return c
}

// finish waits for the child to exit and returns its exit code.
func (c *pushChild) finish(t *testing.T) int {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(2 * time.Minute):
		c.cmd.Process.Kill()
		<-c.exited
		t.Fatalf("push-ip did not finish in 2 minutes:\n%s", c.out.String())
	}
	return c.cmd.ProcessState.ExitCode()
}

// push-ip of 2,000 addresses against a slow Okta, SIGKILLed while Okta
// holds a request it has taken (the worst moment: Okta has the addresses,
// the store says sending), then run again, then a third time. Every
// address reaches Okta at least once; only those in flight at the kill
// twice; none more. The second run queues nothing: it waits for what the
// killed run left and says so per address; the third sends nothing and
// exits 0, each address skipped as already sent.
func TestPushIPKilledThenRerun(t *testing.T) {
	if os.Getenv(pushChildArgs) != "" {
		t.Skip("in the child")
	}
	s, err := sim.New(sim.Options{World: simkit.Options{Seed: 7, People: 8, History: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	const holdAt = 2 // the push request Okta takes but never answers
	var mu sync.Mutex
	pushes := 0
	held := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/v1/risk/events/ip") {
			// The body read to its end lets the server notice the killed
			// child's connection closing, which ends a held request.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			pushes++
			n := pushes
			mu.Unlock()
			if n == holdAt {
				s.Handler().ServeHTTP(httptest.NewRecorder(), r) // Okta takes it…
				held <- struct{}{}
				<-r.Context().Done() // …and its answer never reaches the child
				return
			}
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	okta, err := s.Faults(sim.Okta)
	if err != nil {
		t.Fatal(err)
	}
	okta.Set(simkit.Faults{Latency: 300 * time.Millisecond}) // Okta is slow

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "okta.pem")
	if err := os.WriteFile(keyFile, s.OktaKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	storePath := filepath.Join(dir, "risktop.db")
	cfg := filepath.Join(dir, "risktop.yaml")
	text := sim.EndpointsAt(srv.URL).Config(keyFile) + fmt.Sprintf("store: %q\naudit_log: %q\n", storePath, filepath.Join(dir, "audit.jsonl"))
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, p := range []string{"203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"} {
		for a := netip.MustParsePrefix(p).Addr(); netip.MustParsePrefix(p).Contains(a); a = a.Next() {
			ips = append(ips, a.String())
		}
	}
	for a := netip.MustParseAddr("2001:db8::1"); len(ips) < 2000; a = a.Next() {
		ips = append(ips, a.String())
	}
	args := append([]string{"push-ip", "--level", "HIGH", "--message", "crash test", "--config", cfg,
		"--log", filepath.Join(dir, "risktop.log"), "--timeout", "90s"}, ips...)

	// Run 1: killed while Okta holds the second request.
	first := startPushChild(t, args)
	select {
	case <-held:
	case <-first.exited:
		t.Fatalf("push-ip ended before the held request (%v):\n%s", first.err, first.out.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("no second push request in 2 minutes:\n%s", first.out.String())
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	if first.err == nil || !strings.Contains(first.err.Error(), "killed") {
		t.Fatalf("run 1: %v (want killed)\n%s", first.err, first.out.String())
	}
	okta.Set(simkit.Faults{})

	// What the kill left: every address queued once; sent, in flight
	// (sending) or still queued.
	st, err := store.Open(storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	items, err := st.Outbox(ctx, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	stateAtKill := map[string]model.OutboxState{}
	for _, it := range items {
		if _, dup := stateAtKill[it.IP]; dup {
			t.Fatalf("%s queued twice by run 1", it.IP)
		}
		stateAtKill[it.IP] = it.State
	}
	byState := map[model.OutboxState]int{}
	for _, ip := range ips {
		byState[stateAtKill[ip]]++
	}
	if len(items) != len(ips) || byState[model.OutboxSent] == 0 || byState[model.OutboxSending] == 0 || byState[model.OutboxQueued] == 0 {
		t.Fatalf("after the kill: %d items, by state %v; want %d, some sent, sending and queued", len(items), byState, len(ips))
	}
	reachedAtKill := map[string]int{}
	for _, p := range s.Okta.Pushed() {
		reachedAtKill[p.IP]++
	}
	inFlightReached := 0
	for ip, n := range reachedAtKill {
		switch st := stateAtKill[ip]; {
		case n != 1:
			t.Errorf("%s reached Okta %d times before the kill", ip, n)
		case st == model.OutboxSending:
			inFlightReached++
		case st != model.OutboxSent:
			t.Errorf("%s reached Okta but is %s", ip, st)
		}
	}
	requestsAtKill := s.Okta.EventRequests()

	// Run 2: queues nothing, sends what run 1 left, says so per address.
	second := startPushChild(t, args)
	if code := second.finish(t); code != 0 {
		t.Fatalf("run 2: exit %d\n%s", code, second.out.String())
	}
	lines := strings.Split(strings.TrimSpace(second.out.String()), "\n")
	if len(lines) != len(ips) {
		t.Fatalf("run 2 printed %d lines for %d addresses:\n%s", len(lines), len(ips), second.out.String())
	}
	want := map[model.OutboxState]*regexp.Regexp{
		model.OutboxSent:    regexp.MustCompile(`^(\S+)\s+skipped\s+already sent at HIGH at \d\d:\d\d UTC \(outbox #\d+\), live until \d\d:\d\d UTC tomorrow; --force sends it again$`),
		model.OutboxSending: regexp.MustCompile(`^(\S+)\s+sent\s+HIGH, outbox #\d+ \(already being sent before this run: waited for it, not queued again\)$`),
		model.OutboxQueued:  regexp.MustCompile(`^(\S+)\s+sent\s+HIGH, outbox #\d+ \(already queued before this run: waited for it, not queued again\)$`),
	}
	for i, l := range lines {
		m := want[stateAtKill[ips[i]]].FindStringSubmatch(l)
		if m == nil || m[1] != ips[i] {
			t.Errorf("run 2, %s (%s at the kill): %q", ips[i], stateAtKill[ips[i]], l)
		}
	}
	after, err := st.Outbox(ctx, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(ips) {
		t.Errorf("run 2 queued %d more items", len(after)-len(ips))
	}
	for _, it := range after {
		if it.State != model.OutboxSent {
			t.Errorf("after run 2: %+v", it)
		}
	}

	// Okta has every address once, and those in flight at the kill (and
	// taken by Okta) twice.
	reached := map[string]int{}
	for _, p := range s.Okta.Pushed() {
		reached[p.IP]++
	}
	histogram := map[int]int{}
	for _, ip := range ips {
		n := reached[ip]
		histogram[n]++
		wantN := 1
		if stateAtKill[ip] == model.OutboxSending && reachedAtKill[ip] == 1 {
			wantN = 2
		}
		if n != wantN {
			t.Errorf("%s (%s at the kill, reached Okta %d times then) reached Okta %d times, want %d", ip, stateAtKill[ip], reachedAtKill[ip], n, wantN)
		}
	}
	if len(reached) != len(ips) {
		t.Errorf("Okta received %d addresses, want %d", len(reached), len(ips))
	}
	t.Logf("at the kill: %d sent, %d sending (%d of them taken by Okta), %d queued; %d push requests",
		byState[model.OutboxSent], byState[model.OutboxSending], inFlightReached, byState[model.OutboxQueued], requestsAtKill)
	t.Logf("after the re-run: %d addresses reached Okta once, %d twice, %d more often; %d push requests in all",
		histogram[1], histogram[2], len(ips)-histogram[1]-histogram[2], s.Okta.EventRequests())

	// Run 3: everything is sent and live: nothing is sent, exit 0.
	requests := s.Okta.EventRequests()
	third := startPushChild(t, args)
	if code := third.finish(t); code != 0 {
		t.Fatalf("run 3: exit %d\n%s", code, third.out.String())
	}
	lines = strings.Split(strings.TrimSpace(third.out.String()), "\n")
	if len(lines) != len(ips) {
		t.Fatalf("run 3 printed %d lines for %d addresses", len(lines), len(ips))
	}
	for i, l := range lines {
		if m := want[model.OutboxSent].FindStringSubmatch(l); m == nil || m[1] != ips[i] {
			t.Errorf("run 3, %s: %q", ips[i], l)
		}
	}
	if n := s.Okta.EventRequests(); n != requests {
		t.Errorf("run 3 sent %d requests", n-requests)
	}
	es, err := st.Audit(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]int{}
	for _, e := range es {
		results[e.Result]++
	}
	if results["queued"] != len(ips) || results["skipped"] != 2*len(ips) || results["sent"] != len(ips) {
		t.Errorf("audit results %v; want %d queued, %d skipped, %d sent", results, len(ips), 2*len(ips), len(ips))
	}
}
