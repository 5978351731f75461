package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSelectionSurvivesResortInATerminal is issue 14's walk at 80×24 with
// NO_COLOR, in the real binary: the Users list sorted by last seen
// re-sorts with every sign-in; the cursor stays on the first row until the
// operator moves it, then on the person it was put on while the rows move
// under it, and enter opens that person.
func TestSelectionSurvivesResortInATerminal(t *testing.T) {
	requireTmux(t)
	bin := buildRisktop(t)
	state := t.TempDir()
	cmd := fmt.Sprintf("env NO_COLOR=1 TERM=xterm-256color XDG_STATE_HOME=%s TMPDIR=%s %s demo --seed 7 --speed 20",
		shellQuote(state), shellQuote(t.TempDir()), shellQuote(bin))
	tt := startTmux(t, 80, 24, cmd)
	tt.waitFor(demoTitle, 20*time.Second)
	tt.send("3")
	tt.waitFor("people · merged across vendors by email", 10*time.Second)
	tt.send("s")
	tt.send("s")
	tt.waitFor("sorted by last seen", 10*time.Second)
	// A list to move in: the sources fill it in the first seconds (slower
	// under -race on a busy machine).
	many := regexp.MustCompile(`(\d{2,}|\d,\d{3}) people · merged`)
	first := tt.waitUntil("a list of people", 60*time.Second, func(s string) bool { return many.MatchString(s) })

	// Not moved yet: however the rows re-sort, the marker is on the first.
	before := rowOrder(first)
	screen := tt.waitUntil("the list re-sorted", 90*time.Second, func(s string) bool {
		return rowOrder(s) != before
	})
	if rows := userRows(screen); !strings.HasPrefix(rows[0], ">") {
		t.Fatalf("the list re-sorted and the marker left the first row:\n%s", screen)
	}

	// Moved: the marker stays on the person, wherever their row goes. The
	// operator pauses to pick (so the frame read is the one the key made)
	// and goes live again.
	tt.send("Space")
	screen = tt.waitFor("PAUSED", 10*time.Second)
	var email string
	for want := 1; want <= 12 && email == ""; want++ {
		tt.send("j")
		screen = tt.waitUntil(fmt.Sprintf("the cursor on row %d", want), 10*time.Second, func(s string) bool {
			l, _ := markedEmail(s)
			return l == want
		})
		_, email = markedEmail(screen)
	}
	if email == "" {
		t.Fatalf("no person with an email under the cursor after 12 moves:\n%s", screen)
	}
	tt.send("Space")
	tt.waitUntil("live again", 10*time.Second, func(s string) bool { return !strings.Contains(s, "PAUSED") })
	line, _ := markedEmail(screen)
	t.Logf("cursor on %s at row %d", email, line)
	screen = tt.waitUntil("the row of "+email+" moved", 90*time.Second, func(s string) bool {
		l := markedRowOf(s, email)
		return l >= 0 && l != line
	})
	if !strings.Contains(screen, "moved") {
		t.Errorf("the row moved and no notice says so:\n%s", screen)
	}
	t.Logf("after the re-sort:\n%s", screen)

	tt.send("Enter")
	drill := tt.waitUntil("the drill-down of "+email, 10*time.Second, func(s string) bool {
		return strings.Contains(s, "joined:") && strings.Contains(s, strings.TrimSuffix(email, "…"))
	})
	if dir := os.Getenv("RISKTOP_CAPTURE_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "select-drill.txt"), []byte(screen+"\n----\n"+drill), 0o644)
	}
	tt.send("Escape")
	// A q read with the escape would be alt+q: wait for the escape's frame.
	tt.waitUntil("the drill-down closed", 10*time.Second, func(s string) bool { return !strings.Contains(s, "joined:") })
	tt.send("q")
	if code := tt.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, tt.capture())
	}
}

// markedRowOf is the marked row's place when it shows email, cut or not
// at any width (columns resize as rows come and go: "tomas.adams…" is
// "tomas.adams@ex…" cut before its @), else -1.
func markedRowOf(screen, email string) int {
	for i, r := range userRows(screen) {
		if !strings.HasPrefix(r, ">") {
			continue
		}
		for _, f := range strings.Fields(r) {
			if (strings.Contains(f, "@") || strings.HasSuffix(f, "…")) && sameCell(f, email) {
				return i
			}
		}
		return -1
	}
	return -1
}

// sameCell reports two drawings of one cell, each perhaps cut with "…"
// at a different width as the columns resize.
func sameCell(a, b string) bool {
	a, b = strings.TrimSuffix(a, "…"), strings.TrimSuffix(b, "…")
	return a != "" && b != "" && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a))
}

// userRows are the Users table's rows on screen, marker column included.
func userRows(screen string) []string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Risk") && strings.Contains(l, "Email") {
			var rows []string
			for _, r := range lines[i+1:] {
				if !strings.HasPrefix(r, " ") && !strings.HasPrefix(r, ">") || strings.TrimSpace(r) == "" {
					break
				}
				rows = append(rows, r)
			}
			return rows
		}
	}
	return nil
}

// rowOrder is who is on screen, in order (an email, or the row's name
// when it has none), so a change in values alone is not a re-sort.
func rowOrder(screen string) string {
	var who []string
	for _, r := range userRows(screen) {
		// The name (and on): the Risk column's reading changes with a score.
		id := r
		if at := strings.Index(r, ") "); at >= 0 {
			id = r[at+2:]
		} else if f := strings.Fields(r); len(f) > 1 {
			id = strings.Join(f[1:], " ")
		}
		for _, f := range strings.Fields(r) {
			if strings.Contains(f, "@") {
				id = f
			}
		}
		who = append(who, id)
	}
	return strings.Join(who, "\n")
}

// markedEmail is the marked row's index and its email cell (as drawn,
// perhaps cut with "…"), "" when it has none.
func markedEmail(screen string) (int, string) {
	for i, r := range userRows(screen) {
		if strings.HasPrefix(r, ">") {
			for _, f := range strings.Fields(r) {
				if strings.Contains(f, "@") {
					return i, f
				}
			}
			return i, ""
		}
	}
	return -1, ""
}
