package main

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/ui/remote/sshtest"
)

// TestInARealTerminal runs the built binary in tmux. The dashboard's own
// screens are asserted by the ui package; this checks the wiring: the
// alternate screen is taken and given back, keys arrive, the pollers start
// and stop, and q exits 0.
func TestInARealTerminal(t *testing.T) {
	requireTmux(t)
	bin := buildRisktop(t)
	t.Run("demo", func(t *testing.T) { testDemoInTerminal(t, bin) })
	t.Run("dashboard", func(t *testing.T) { testDashboardInTerminal(t, bin) })
	t.Run("hostile-demo", func(t *testing.T) { testHostileDemoInTerminal(t, bin) })
	t.Run("serve", func(t *testing.T) { testServeInTerminal(t, bin) })
}

// testServeInTerminal serves the demo and connects with OpenSSH's own
// client inside tmux: a real terminal that answers queries, a real PTY,
// and a resize of the tmux window reaching the session.
func testServeInTerminal(t *testing.T, bin string) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no OpenSSH client (ssh) on PATH")
	}
	dir := t.TempDir()
	key := sshtest.NewKey(t, "tmux@test")
	block, err := gossh.MarshalPrivateKey(key.Private, "tmux@test")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--demo", "--no-scenario", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(dir, "hostkey"),
		"--log", filepath.Join(dir, "serve.log"), "--authorized-keys", sshtest.WriteKeys(t, "authorized_keys", key.Line),
		"--operators", sshtest.WriteKeys(t, "operators", key.Line))
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	var port string
	deadline := time.Now().Add(60 * time.Second)
	for port == "" {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			port = m[2]
		} else if time.Now().After(deadline) {
			t.Fatalf("risktop serve is not listening:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	pub, _ := os.ReadFile(filepath.Join(dir, "hostkey.pub"))
	os.WriteFile(knownHosts, []byte("[127.0.0.1]:"+port+" "+string(pub)), 0o600)
	tt := startTmux(t, 100, 30, fmt.Sprintf("env TERM=xterm-256color %s -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -i %s -p %s 127.0.0.1",
		shellQuote(sshBin), shellQuote(knownHosts), shellQuote(keyFile), port))
	tt.waitFor(demoTitle, 20*time.Second)
	tt.waitFor("● OL", 20*time.Second)
	tt.send("3")
	tt.waitFor("people · merged across vendors by email", 10*time.Second)
	// A resize of the real terminal reaches the session's layout.
	if out, err := tt.tmux("resize-window", "-t", "t", "-x", "70", "-y", "20"); err != nil {
		t.Fatalf("tmux resize-window: %v: %s", err, out)
	}
	tt.waitFor("this one is 70×20", 10*time.Second)
	if out, err := tt.tmux("resize-window", "-t", "t", "-x", "120", "-y", "40"); err != nil {
		t.Fatalf("tmux resize-window: %v: %s", err, out)
	}
	tt.waitFor("people · merged across vendors by email", 10*time.Second)
	// SIGTERM: the goodbye, and ssh exits 0.
	cmd.Process.Signal(syscall.SIGTERM)
	tt.waitFor("risktop: the server is shutting down; goodbye.", 15*time.Second)
	if code := tt.waitExit(15 * time.Second); code != 0 {
		t.Errorf("ssh exited %d:\n%s", code, tt.capture())
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("risktop serve: %v\n%s", err, out)
		}
	case <-time.After(15 * time.Second):
		t.Error("risktop serve still running 15s after SIGTERM")
	}
}

// testDemoInTerminal: the first frame comes before the simulator, which
// starts behind it, and nothing is left behind.
func testDemoInTerminal(t *testing.T, bin string) {
	state, tmp := t.TempDir(), t.TempDir()
	logFile := filepath.Join(state, "risktop", "risktop.log")
	cmd := fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s TMPDIR=%s %s demo --seed 7",
		shellQuote(state), shellQuote(tmp), shellQuote(bin))

	start := time.Now()
	tt := startTmux(t, 120, 40, cmd)
	tt.waitUntil("first frame in the alternate screen", 10*time.Second, func(s string) bool {
		return strings.TrimSpace(s) != "" && tt.altScreen()
	})
	t.Logf("first frame within %s of starting tmux", time.Since(start).Round(time.Millisecond))
	tt.waitFor(demoTitle, 10*time.Second) // the header shows Deps.Title

	// The pollers attach behind the first frame; the log says when.
	waitFile(t, logFile, "pollers started", 20*time.Second)

	// Every tab, a page turn, a filter, a drill-down, pause and help, one
	// key per send-keys call, each screen asserted as tmux drew it.
	tt.waitFor("● OneLogin", 20*time.Second)
	steps := []struct {
		name string
		keys []string
		want []string
		gone []string // must not be on screen
	}{
		{"overview", []string{"1"}, []string{"OneLogin risk", "Cloudflare users by max level", "Riskiest people"}, nil},
		{"events", []string{"2"}, []string{"page 1 of", "Risk", "USER_"}, nil},
		{"events-page-2", []string{"]"}, []string{"page 2 of"}, nil},
		{"events-filter", []string{"/", "s", "c", "o", "r", "e", ">", "=", "7", "6", "Enter"}, []string{"score ≥ 76", "newest first"}, nil},
		{"events-detail", []string{"Enter"}, []string{"Risk reasons", "u opens the user"}, nil},
		{"users", []string{"Escape", "3"}, []string{"people · merged across vendors by email"}, nil},
		{"drill", []string{"Enter"}, []string{"joined:", "Oracle CASB", "OneLogin sign-ins"}, nil},
		{"behaviors", []string{"Escape", "4"}, []string{"Cloudflare risk behaviors", "imp_travel"}, nil},
		{"integrations", []string{"5"}, []string{"Cloudflare risk integrations"}, nil},
		{"outbox", []string{"6"}, []string{"Outbox: IP and person risk pushed to Okta", "Audit log"}, nil},
		{"paused", []string{"Space"}, []string{"PAUSED ·"}, nil},
		{"live", []string{"Space"}, []string{"LIVE"}, nil},
		{"help", []string{"?"}, []string{"Everywhere", "Commands (:)"}, nil},
		{"help-closed", []string{"?", "1"}, []string{"OneLogin risk"}, nil},
		// A presenter breaks Cloudflare and heals it: the error line, the
		// sources panel, then the recovery. The command line is sent in
		// one piece, as a fast typist's keys arrive over SSH: its words
		// come as one message each, and "down" must be typed, not taken
		// for the arrow key.
		{"fault-down", []string{":", "fault cloudflare down", "Enter"},
			[]string{"▲ Cloudflare degraded: GET zt_risk_scoring/summary: network error", "● OneLogin", "● Oracle CASB"}, nil},
		{"sources-panel", []string{"S"}, []string{"╭─ Sources", "ago): GET zt_risk_scoring/summary"}, nil},
		{"fault-clear", []string{"Escape", ":", "fault cloudflare clear", "Enter"}, []string{"● Cloudflare"},
			[]string{"Cloudflare degraded", "Cloudflare failing", "╭─ Sources"}},
	}
	for _, st := range steps {
		for _, k := range st.keys {
			tt.send(k)
		}
		screen := tt.waitUntil(st.name, 30*time.Second, func(s string) bool {
			for _, w := range st.want {
				if !strings.Contains(s, w) {
					return false
				}
			}
			for _, g := range st.gone {
				if strings.Contains(s, g) {
					return false
				}
			}
			return tt.altScreen()
		})
		if dir := os.Getenv("RISKTOP_CAPTURE_DIR"); dir != "" {
			os.WriteFile(filepath.Join(dir, st.name+".txt"), []byte(screen), 0o644)
		}
	}

	tt.send("q")
	if code := tt.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, tt.capture())
	}
	if tt.altScreen() {
		t.Error("the alternate screen is still on after exit")
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "risktop-demo-*")); len(left) > 0 {
		t.Errorf("the demo left %v behind", left)
	}
	log, _ := os.ReadFile(logFile)
	for _, want := range []string{"risktop starting", "simulator started", "pollers stopped", "risktop stopped"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// testHostileDemoInTerminal runs `risktop demo --hostile`: every vendor
// puts the hostile corpus (OSC 52 clipboard writes, OSC 0/2 titles, CSI
// moves and clears, C1 controls, bidi overrides, 100 KB values, CJK and
// emoji) in every text field. On every screen tmux draws, the frame stays
// aligned (the header on the first line, the tabs under it, no line wider
// than the pane by our measure nor wrapped by tmux's); the pane's title is
// the one it started with; and with set-clipboard on no OSC 52 write
// reached tmux's paste buffers.
func testHostileDemoInTerminal(t *testing.T, bin string) {
	state, tmp := t.TempDir(), t.TempDir()
	logFile := filepath.Join(state, "risktop", "risktop.log")
	cmd := fmt.Sprintf("env TERM=xterm-256color XDG_STATE_HOME=%s TMPDIR=%s %s demo --seed 7 --hostile",
		shellQuote(state), shellQuote(tmp), shellQuote(bin))
	const width, height = 120, 40
	tt := startTmux(t, width, height, cmd, "set-option", "-g", "set-clipboard", "on")
	title := tt.format("#{pane_title}")
	if bufs, _ := tt.tmux("list-buffers"); strings.TrimSpace(bufs) != "" {
		t.Fatalf("tmux has paste buffers before the run: %q", bufs)
	}
	tt.waitFor(demoTitle, 10*time.Second)
	waitFile(t, logFile, "hostile text on for every vendor", 20*time.Second)
	tt.waitFor("● OneLogin", 30*time.Second)

	aligned := func(screen string) string {
		lines := strings.Split(strings.TrimSuffix(screen, "\n"), "\n")
		switch {
		case len(lines) != height:
			return fmt.Sprintf("%d lines", len(lines))
		case !strings.HasPrefix(lines[0], "risktop · demo"):
			// Not the whole title: once the back-fill raises alerts, the
			// header's badge takes room and the title ends in "…".
			return "the header is not on the first line"
		case !strings.Contains(lines[1]+lines[2], "1 Overview  2 Events  3 Users"):
			return "the tabs are not under the header" // a back-fill line may come between
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > width {
				return fmt.Sprintf("line %d is %d cells wide", i, w)
			}
		}
		if n := strings.Count(tt.joined(), "\n"); n != height {
			return fmt.Sprintf("tmux wrapped a line: %d lines once joined", n)
		}
		return ""
	}
	steps := []struct {
		name string
		keys []string
		want []string
	}{
		{"overview", []string{"1"}, []string{"OneLogin risk", "Riskiest people"}},
		{"events", []string{"2"}, []string{"page 1 of", "USER_"}},
		{"events-detail", []string{"Enter"}, []string{"u opens the user"}},
		{"events-detail-next", []string{"Escape", "j", "j", "j", "Enter"}, []string{"u opens the user"}},
		{"users", []string{"Escape", "3"}, []string{"people · merged across vendors by email"}},
		{"drill", []string{"Enter"}, []string{"Oracle CASB", "OneLogin sign-ins"}},
		{"drill-next", []string{"Escape", "j", "j", "Enter"}, []string{"Oracle CASB", "OneLogin sign-ins"}},
		{"behaviors", []string{"Escape", "4"}, []string{"Cloudflare risk behaviors", "imp_travel"}},
		{"integrations", []string{"5"}, []string{"Cloudflare risk integrations"}},
		{"outbox", []string{"6"}, []string{"Outbox: IP and person risk pushed to Okta"}},
		{"help", []string{"?"}, []string{"Commands (:)"}},
		{"overview-again", []string{"?", "1"}, []string{"OneLogin risk"}},
	}
	for _, st := range steps {
		for _, k := range st.keys {
			tt.send(k)
		}
		var why string
		screen := tt.waitUntil(st.name+", aligned", 15*time.Second, func(s string) bool {
			for _, w := range st.want {
				if !strings.Contains(s, w) {
					return false
				}
			}
			if why = aligned(s); why != "" {
				t.Logf("%s: %s", st.name, why) // the last one logged is why it failed
			}
			return why == ""
		})
		if dir := os.Getenv("RISKTOP_CAPTURE_DIR"); dir != "" {
			os.WriteFile(filepath.Join(dir, "hostile-"+st.name+".txt"), []byte(screen), 0o644)
		}
		if got := tt.format("#{pane_title}"); got != title {
			t.Fatalf("%s: the pane title changed from %q to %q", st.name, title, got)
		}
	}
	if bufs, _ := tt.tmux("list-buffers"); strings.TrimSpace(bufs) != "" {
		t.Errorf("an OSC 52 write reached tmux's clipboard: %q", bufs)
	}
	tt.send("q")
	if code := tt.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, tt.capture())
	}
}

// testDashboardInTerminal runs `risktop --config` against a simulator on
// loopback, as an operator would with `risktop sim`'s config.
func testDashboardInTerminal(t *testing.T, bin string) {
	srv, keyFile := startSim(t)
	cfgPath := writeConfig(t, strings.Replace(srv.Endpoints().Config(keyFile), "read_only: false", "read_only: true", 1))
	logFile := filepath.Join(t.TempDir(), "dash.log")
	cmd := fmt.Sprintf("env TERM=xterm-256color %s --config %s --write --log %s",
		shellQuote(bin), shellQuote(cfgPath), shellQuote(logFile))

	tt := startTmux(t, 80, 24, cmd)
	tt.waitUntil("first frame in the alternate screen", 10*time.Second, func(s string) bool {
		return strings.TrimSpace(s) != "" && tt.altScreen()
	})
	// The log has the config summary (no secret in it) and the sources
	// coming up healthy.
	waitFile(t, logFile, "state=ok", 20*time.Second)
	tt.waitFor("● OL", 20*time.Second)

	// OneLogin drops every connection: its pill turns, the line under the
	// header says why in plain words, the keys still answer, and the other
	// sources stay ok. Cleared, it recovers by itself (r asks at once).
	simFault(t, srv, "PUT", "onelogin", `{"refuse":true}`)
	tt.send("r")
	const why = "OneLogin degraded: GET /api/1/events: network error"
	tt.waitFor(why, 60*time.Second)
	for _, st := range []struct{ key, want string }{{"2", "page 1 of"}, {"3", "people · merged across vendors by email"}, {"1", "OneLogin risk"}} {
		tt.send(st.key)
		screen := tt.waitFor(st.want, 5*time.Second)
		for _, ok := range []string{"● CASB", "● CF"} {
			if !strings.Contains(screen, ok) {
				t.Errorf("with OneLogin failing, %q is not on screen:\n%s", ok, screen)
			}
		}
	}
	simFault(t, srv, "DELETE", "onelogin", "")
	tt.send("r")
	tt.waitUntil("OneLogin recovered, its error line gone", 90*time.Second, func(s string) bool {
		return strings.Contains(s, "● OL") && !strings.Contains(s, "OneLogin degraded") && !strings.Contains(s, "OneLogin failing")
	})
	tt.send("q")
	if code := tt.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("dashboard exited %d:\n%s", code, tt.capture())
	}
	log, _ := os.ReadFile(logFile)
	for _, want := range []string{"command=dashboard", "write=true", "read-only", "pollers started", "pollers stopped", "risktop stopped"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{olsim.DefaultClientSecret, casbsim.DefaultAccessSecret, cfsim.DefaultToken} {
		if strings.Contains(string(log), secret) {
			t.Errorf("log holds the secret %q", secret)
		}
	}
}

// simFault sets (PUT, with a faults document) or clears (DELETE) a
// vendor's faults through the simulator's control API.
func simFault(t *testing.T, srv *sim.Server, method, vendor, doc string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.Endpoints().Control+"/faults/"+vendor, strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s faults/%s: %s", method, vendor, resp.Status)
	}
}

// waitFile polls path until it contains text.
func waitFile(t *testing.T, path, text string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %q after %s:\n%s", path, text, timeout, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
