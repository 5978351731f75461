package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBurstBecomesAnAlertInATerminal is issue 16's "done when", in the
// real binary in a real terminal: the demo's credential-stuffing burst
// becomes an alert while it goes on, with its incident; the terminal's
// bell rings for it; P opens the push of the incident's addresses, which
// reach the simulated Okta; and the Users list marks who rose.
func TestBurstBecomesAnAlertInATerminal(t *testing.T) {
	requireTmux(t)
	bin := buildRisktop(t)
	state := t.TempDir()
	bells := filepath.Join(t.TempDir(), "bells")
	// speed 10: the burst starts 12 s in and lasts 36 s.
	cmd := fmt.Sprintf("env NO_COLOR=1 TERM=xterm-256color XDG_STATE_HOME=%s TMPDIR=%s %s demo --seed 5 --speed 10",
		shellQuote(state), shellQuote(t.TempDir()), shellQuote(bin))
	// tmux runs the hook for every bell in the (detached) session.
	tt := startTmux(t, 160, 48, cmd, "set-hook", "-g", "alert-bell", "run-shell 'echo bell >> "+bells+"'")
	tt.waitFor(demoTitle, 20*time.Second)
	tt.send("7")
	tt.waitFor("Alerts: open", 10*time.Second)

	// The live burst (not the planted one six hours back, listed as
	// history) is listed while it goes on.
	live := regexp.MustCompile(`(?m)^[>▸ ]High +Burst of failed sign-ins +203\.0\.113\.0/24 `)
	screen := tt.waitUntil("the burst's alert", 90*time.Second, func(s string) bool { return live.MatchString(s) })
	t.Logf("alerts:\n%s", screen)
	tt.waitUntil("a bell", 10*time.Second, func(string) bool {
		b, _ := os.ReadFile(bells)
		return len(b) > 0
	})

	// Its detail: the incident in one line, with the response one key
	// away. Alerts keep arriving. A cursor never moved stays on the top
	// row, whatever arrives there; once moved, it keeps its alert while
	// rows move. So the cursor is moved at least once, and each key is
	// read back before the next is chosen: deciding on a frame drawn
	// before the last key was read sends one key too many, and enter then
	// opens a neighbour.
	marked := func(lines []string) (at, mark int, who string) {
		at, mark = -1, -1
		for i, l := range lines {
			if live.MatchString(l) {
				at = i
			}
			if strings.HasPrefix(l, ">") {
				mark, who = i, markedAlert(l)
			}
		}
		return at, mark, who
	}
	tt.send("j")
	tt.waitUntil("the cursor off the top row", 10*time.Second, func(s string) bool {
		lines := strings.Split(s, "\n")
		header := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, " Severity ") })
		_, mark, _ := marked(lines)
		return header >= 0 && mark > header+1
	})
	for tries := 0; ; tries++ {
		lines := strings.Split(tt.capture(), "\n")
		at, mark, who := marked(lines)
		if at >= 0 && at == mark {
			break
		}
		if at < 0 || tries == 60 {
			t.Fatalf("the burst's alert left the screen:\n%s", strings.Join(lines, "\n"))
		}
		key := "j"
		if mark > at {
			key = "k"
		}
		tt.send(key)
		tt.waitUntil("the cursor on another alert after "+key, 10*time.Second, func(s string) bool {
			_, _, now := marked(strings.Split(s, "\n"))
			return now != who
		})
	}
	tt.send("Enter")
	detail := tt.waitFor("P to push", 10*time.Second)
	incident := regexp.MustCompile(`203\.0\.113\.0/24: (\d+) addresses, (\d+) people, (\d+) failures in`)
	if !incident.MatchString(detail) || !strings.Contains(detail, "Burst of failed sign-ins from 203.0.113.0/24") {
		t.Fatalf("the detail shows no incident:\n%s", detail)
	}
	t.Logf("detail:\n%s", detail)

	// P: the bulk push of the incident's addresses, named after the alert.
	tt.send("P")
	form := tt.waitFor("Push IP risk to Okta:", 10*time.Second)
	m := regexp.MustCompile(`Push IP risk to Okta: (\d+) address`).FindStringSubmatch(form)
	if m == nil || !strings.Contains(form, "from alert #") {
		t.Fatalf("the form does not say what it pushes:\n%s", form)
	}
	n := m[1]
	// Tab to Review, each Tab read back before the next (one sent on a
	// frame drawn before the last was read would skip past it).
	focused := regexp.MustCompile(`▸ ?[^\s◂]+|\[>[^<]+<\]`)
	for i := 0; ; i++ {
		s := tt.capture()
		if strings.Contains(s, "[▸Review◂]") || strings.Contains(s, "[>Review<]") {
			break
		}
		if i == 8 {
			t.Fatalf("no Review button after 8 tabs:\n%s", s)
		}
		before := focused.FindString(s)
		tt.send("Tab")
		tt.waitUntil("the focus moved from "+before, 10*time.Second, func(s string) bool { return focused.FindString(s) != before })
	}
	tt.send("Enter")
	tt.waitFor("Confirm the bulk push", 10*time.Second)
	tt.send("Tab")
	tt.waitUntil("the push button focused", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "Push "+n+" address") && !strings.Contains(s, "[▸Cancel◂]") && !strings.Contains(s, "[>Cancel<]")
	})
	tt.send("Enter")

	// The Outbox: every address sent, which the simulated Okta accepted.
	tt.send("Escape")
	tt.waitFor("Alerts: open", 10*time.Second) // a key read with the escape would be alt+key
	tt.send("6")
	sent := tt.waitUntil(n+" sent", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "· 0 queued · "+n+" sent · 0 failed")
	})
	t.Logf("outbox:\n%s", sent)

	// Users: the burst's people are marked as risen.
	tt.send("3")
	users := tt.waitUntil("a risen mark", 30*time.Second, func(s string) bool { return strings.Contains(s, "↑ ") })
	t.Logf("users:\n%s", users)
	tt.send("q")
	if code := tt.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, tt.capture())
	}
}

var countCell = regexp.MustCompile(`^[0-9][0-9,]*$`)

// markedAlert is what names the alert on a selected row: its severity,
// title and subject, without the count and times that change as it fires.
func markedAlert(line string) string {
	f := strings.Fields(line)
	if i := slices.IndexFunc(f, countCell.MatchString); i > 0 {
		f = f[:i]
	}
	return strings.Join(f, " ")
}
