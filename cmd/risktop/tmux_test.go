package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A terminal harness for end-to-end tests: the program runs in a real PTY
// that tmux provides, on a private server socket (-L) so the user's own
// tmux is never touched, and the screen is read with capture-pane, which
// gives the rendered screen (alt screen included) rather than a byte
// stream. See /work/shared/bubbletea-notes.md §5.

// keyGap separates keys. Keys sent together reach Bubble Tea in one read
// and arrive as one KeyMsg ("jj"), so each key is its own send-keys call,
// and the next waits this long for the program to have read the last.
const keyGap = 50 * time.Millisecond

type tmuxTerm struct {
	t      testing.TB
	socket string
}

// exitMarker starts the line the shell prints when the command exits.
const exitMarker = "RISKTOP-TEST-EXIT="

// requireTmux skips the test when tmux is missing.
func requireTmux(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: the end-to-end terminal tests need it (test.sh, run by .ci/run, installs it)")
	}
}

// startTmux runs shellCmd in a detached width×height session and kills
// the server when the test ends. A shell reaps shellCmd and prints its
// exit status for waitExit, then keeps the pane (and the last screen)
// until the server is killed.
//
// Any tmux commands in then ("set-option", "-g", "set-clipboard", "on")
// run in the same tmux invocation, so they are in force before the
// program's first byte is read.
func startTmux(t testing.TB, width, height int, shellCmd string, then ...string) *tmuxTerm {
	t.Helper()
	requireTmux(t)
	tt := &tmuxTerm{t: t, socket: fmt.Sprintf("risktop-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	wrapped := shellCmd + "; echo " + exitMarker + "$?; sleep 600"
	args := []string{"new-session", "-d", "-s", "t", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), wrapped}
	if len(then) > 0 {
		args = append(append(args, ";"), then...)
	}
	if out, err := tt.tmux(args...); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	// tmux 3.3a leaves the socket file behind after kill-server.
	socketPath, _ := tt.tmux("display-message", "-p", "#{socket_path}")
	t.Cleanup(func() {
		_, _ = tt.tmux("kill-server")
		if p := strings.TrimSpace(socketPath); strings.HasSuffix(p, tt.socket) {
			os.Remove(p)
		}
	})
	return tt
}

// tmux runs one tmux command against this test's server, ignoring any
// ~/.tmux.conf and any tmux the test itself runs inside.
func (tt *tmuxTerm) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-L", tt.socket, "-f", "/dev/null"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// capture is the visible screen as plain text.
func (tt *tmuxTerm) capture() string {
	tt.t.Helper()
	out, err := tt.tmux("capture-pane", "-p", "-t", "t")
	if err != nil {
		tt.t.Fatalf("tmux capture-pane: %v: %s", err, out)
	}
	return out
}

// joined is the screen with the lines tmux wrapped joined again (-J): a
// line the program drew wider than tmux's own idea of the pane's width
// comes back as one line, so the count falls short of the pane's height.
func (tt *tmuxTerm) joined() string {
	tt.t.Helper()
	out, err := tt.tmux("capture-pane", "-p", "-J", "-t", "t")
	if err != nil {
		tt.t.Fatalf("tmux capture-pane -J: %v: %s", err, out)
	}
	return out
}

// format is a tmux format expanded for the pane, like #{pane_title}.
func (tt *tmuxTerm) format(f string) string {
	tt.t.Helper()
	out, err := tt.tmux("display-message", "-p", "-t", "t", f)
	if err != nil {
		tt.t.Fatalf("tmux display-message %s: %v: %s", f, err, out)
	}
	return strings.TrimSuffix(out, "\n")
}

// altScreen reports whether the program has the alternate screen.
func (tt *tmuxTerm) altScreen() bool {
	tt.t.Helper()
	out, err := tt.tmux("display-message", "-p", "-t", "t", "#{alternate_on}")
	if err != nil {
		tt.t.Fatalf("tmux display-message: %v: %s", err, out)
	}
	return strings.TrimSpace(out) == "1"
}

// send types one key (tmux names: "q", "Enter", "Escape", "C-c", "Down")
// and returns the screen once the program has had time to read it.
func (tt *tmuxTerm) send(key string) string {
	tt.t.Helper()
	if out, err := tt.tmux("send-keys", "-t", "t", key); err != nil {
		tt.t.Fatalf("tmux send-keys %s: %v: %s", key, err, out)
	}
	time.Sleep(keyGap)
	return tt.capture()
}

// waitExit waits for the command to exit and returns its status. (tmux's
// own #{pane_dead_status} needs remain-on-exit, and tmux 3.3a at times
// left the exited program an unreaped zombie with the pane still "alive".)
func (tt *tmuxTerm) waitExit(timeout time.Duration) int {
	tt.t.Helper()
	var code int
	tt.waitUntil("exit", timeout, func(screen string) bool {
		for _, l := range strings.Split(screen, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), exitMarker); ok {
				if _, err := fmt.Sscan(rest, &code); err == nil {
					return true
				}
			}
		}
		return false
	})
	return code
}

// waitUntil polls the screen until ok holds, failing with the last screen
// after timeout.
func (tt *tmuxTerm) waitUntil(what string, timeout time.Duration, ok func(screen string) bool) string {
	tt.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		screen := tt.capture()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("no %s after %s; screen:\n%s", what, timeout, screen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls until the screen shows text.
func (tt *tmuxTerm) waitFor(text string, timeout time.Duration) string {
	tt.t.Helper()
	return tt.waitUntil(fmt.Sprintf("%q on screen", text), timeout, func(s string) bool { return strings.Contains(s, text) })
}

// buildRisktop builds the command into the test's temp dir.
func buildRisktop(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "risktop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
