package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui"
)

// TestDemoStartsAndStops runs the demo's pieces without a terminal: the
// UI's half is a channel standing in for tea.Program.Send. The pollers must
// be handed over, come up healthy against the simulator, and stop with
// nothing left behind: no temp dir, no goroutine.
func TestDemoStartsAndStops(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	before := runtime.NumGoroutine()

	d, err := newDemo(discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if deps := d.deps(nil, io.Discard); !deps.Demo || deps.ReadOnly || deps.Store == nil || deps.Hub == nil || deps.Control != nil ||
		!strings.HasPrefix(string(deps.Actor), "os:") || !strings.HasSuffix(deps.ExportDir, filepath.Join("risktop", "exports")) {
		t.Fatalf("first-frame deps = %+v", deps)
	}
	sub := d.hub.Subscribe()
	health := map[string]model.Health{}
	ctx, cancel := context.WithCancel(context.Background())
	msgs := make(chan tea.Msg, 64)
	served := make(chan error, 1)
	go func() {
		served <- d.serve(ctx, demoOptions{Seed: 7, Speed: 1, Scenario: true}, func(m tea.Msg) { msgs <- m })
	}()

	select {
	case m := <-msgs:
		a, ok := m.(ui.Attach)
		if !ok {
			t.Fatalf("first message %T, want ui.Attach", m)
		}
		// Every vendor's client is built and polled.
		r, _ := a.Control.(*poll.Runner)
		if r == nil {
			t.Fatalf("attach = %+v", a)
		}
		var polled []string
		for _, s := range r.Sources() {
			polled = append(polled, s.Name())
		}
		if !slices.Equal(polled, vendors.Names()) {
			t.Fatalf("attach polls %v, want every vendor", polled)
		}
		// Actions are on, against the simulator: a push leaves at once,
		// and the dashboard hears of it. (Every vendor's poller reports
		// healthy below.)
		svc, ok := a.Actions.(*actions.Service)
		if !ok || svc.ReadOnly() || !svc.CanPush() || !svc.CanReset() {
			t.Fatalf("attach actions = %#v", a.Actions)
		}
		// The dashboard reads Cloudflare through the service.
		if bs, err := svc.Behaviors(ctx); err != nil || len(bs) == 0 {
			t.Fatalf("behaviors through the demo's service: %d, %v", len(bs), err)
		}
		outs, err := svc.QueuePush(ctx, "os:demo-test", []actions.PushRequest{{IP: "203.0.113.5", Level: "HIGH"}})
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		items, err := svc.WaitPushes(wctx, actions.OutboxIDs(outs))
		wcancel()
		if err != nil || items[0].State != model.OutboxSent {
			t.Fatalf("demo push: %+v, %v", items, err)
		}
		// Every dashboard on the hub hears of it.
		heard := false
		for !heard {
			select {
			case <-sub.Ready():
				for _, m := range sub.Take() {
					switch m := m.(type) {
					case hub.ActionsChanged:
						heard = true
					case hub.HealthMsg:
						health[m.Source] = m.Health
					}
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no hub.ActionsChanged on the hub after a push")
			}
		}
	case err := <-served:
		t.Fatalf("serve returned before attaching: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no ui.Attach after 30s")
	}

	// Every source reports healthy through the hub the dashboard reads.
	deadline := time.After(30 * time.Second)
	for !allOK(health) {
		select {
		case <-sub.Ready():
			for _, m := range sub.Take() {
				if h, ok := m.(hub.HealthMsg); ok {
					health[h.Source] = h.Health
				}
			}
		case <-deadline:
			t.Fatalf("sources not all healthy after 30s: %+v", health)
		}
	}
	sub.Close()

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return 15s after cancel")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "risktop-demo-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	waitGoroutines(t, before)
}

func allOK(h map[string]model.Health) bool {
	for _, v := range vendors.Names() {
		if h[v].State != model.StateOK {
			return false
		}
	}
	return true
}

// waitGoroutines waits for the goroutine count to fall back to before:
// closed connections and stopped loops take a moment to unwind.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDemoStartFailureIsReported(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	d, err := newDemo(discardLog())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sent := 0
	err = d.serve(context.Background(), demoOptions{Seed: 1, Speed: 1, Listen: "127.0.0.1:notaport"}, func(tea.Msg) { sent++ })
	if err == nil || !strings.Contains(err.Error(), "could not start the simulator") {
		t.Fatalf("serve = %v, want the simulator's start failure", err)
	}
	if sent != 0 {
		t.Errorf("%d messages sent after a failed start", sent)
	}
}

func TestLogFileIsPrivateAndAppended(t *testing.T) {
	state := t.TempDir()
	getenv := func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return ""
	}
	for i := range 2 {
		log, f, err := openLog("", getenv)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("hello", "round", i)
		f.Close()
	}
	path := filepath.Join(state, "risktop", "risktop.log")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "msg=hello"); n != 2 {
		t.Errorf("%d lines, want 2 (appended):\n%s", n, data)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
		}
	}
	if _, _, err := openLog("", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "--log") {
		t.Errorf("no HOME: %v, want advice to use --log", err)
	}
}

// demo --ssf pushes over the Shared Signals Framework: the simulator's
// config with its "push: ssf" alternative in place of the Okta line, and
// nothing else changed.
func TestDemoSSFConfig(t *testing.T) {
	srv, err := sim.Start("127.0.0.1:0", sim.Options{World: simkit.Options{Seed: 1, People: 5, History: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	text, err := srv.WriteConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want okta.PushPath
	}{{text, okta.PushRiskEvents}, {withSSFPush(text), okta.PushSSF}} {
		cfg, _, err := config.Parse(filepath.Join(dir, "demo.yaml"), []byte(c.text), config.Env{}, vendors.All)
		if err != nil {
			t.Fatalf("%v\n%s", err, c.text)
		}
		if got := okta.ConfigOf(cfg.Source("okta"), httpx.Options{}).PushPath(); got != c.want {
			t.Fatalf("push path %q, want %q:\n%s", got, c.want, c.text)
		}
	}
	if a, b := strings.Count(text, "\n"), strings.Count(withSSFPush(text), "\n"); a != b {
		t.Fatalf("lines %d → %d", a, b)
	}
}
