package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReadmeFilterExamplesInATerminal types every filter the README shows
// into the Events filter of the real demo at 80×24: each example it gives as
// a filter is applied (no error, the filter line closes, the status counts
// events), each it gives as a mistake is an error on the filter line, and
// the README's own free-text example, `failed`, finds events.
func TestReadmeFilterExamplesInATerminal(t *testing.T) {
	requireTmux(t)
	good, bad := readmeFilterExamples(t)
	if len(good) < 15 || len(bad) < 3 {
		t.Fatalf("the README's filter section gave %d examples and %d mistakes: %q %q", len(good), len(bad), good, bad)
	}
	bin := buildRisktop(t)
	cmd := fmt.Sprintf("env NO_COLOR=1 TERM=xterm-256color XDG_STATE_HOME=%s TMPDIR=%s %s demo --seed 7",
		shellQuote(t.TempDir()), shellQuote(t.TempDir()), shellQuote(bin))
	tt := startTmux(t, 80, 24, cmd)
	tt.waitFor(demoTitle, 20*time.Second)
	tt.send("2")
	tt.waitFor("page 1 of", 30*time.Second)

	counted := regexp.MustCompile(`page \d+ of [\d,]+ · ([\d,]+) events? ·`)
	typeFilter := func(f string) {
		tt.send("/")
		tt.send("C-u")
		if out, err := tt.tmux("send-keys", "-t", "t", "-l", f); err != nil {
			t.Fatalf("send-keys %q: %v %s", f, err, out)
		}
		tt.send("Enter")
	}
	for _, f := range good {
		typeFilter(f)
		screen := tt.waitUntil("the filter "+f+" applied", 20*time.Second, func(s string) bool {
			return !strings.Contains(s, "enter apply") && counted.MatchString(s)
		})
		if strings.Contains(screen, "✖") {
			t.Errorf("the README's filter %q is an error:\n%s", f, screen)
		}
		n := counted.FindStringSubmatch(screen)[1]
		t.Logf("%-48s %s events", f, n)
		if (f == "failed" || f == "failed since:7d" || f == "type:failed") && n == "0" {
			t.Errorf("%q found no events in the demo:\n%s", f, screen)
		}
	}
	for _, f := range bad {
		typeFilter(f)
		screen := tt.waitFor("✖", 10*time.Second)
		if !strings.Contains(screen, "enter apply") {
			t.Errorf("the mistake %q closed the filter line:\n%s", f, screen)
		}
		t.Logf("%-48s %s", f, screen[strings.Index(screen, "✖"):][:min(70, len(screen)-strings.Index(screen, "✖"))])
		tt.send("Escape")
		// The next key read with the escape would be alt+key.
		tt.waitUntil("the filter line closed", 10*time.Second, func(s string) bool { return !strings.Contains(s, "enter apply") })
	}
	tt.send("q")
	if code := tt.waitExit(15 * time.Second); code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, tt.capture())
	}
}

// readmeFilterExamples reads the README's event filter section: the terms
// of its table and its "For example" filters, and the mistakes it names.
func readmeFilterExamples(t *testing.T) (good, bad []string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "The event filter (")
	end := strings.Index(text[start:], "Page numbers are")
	if start < 0 || end < 0 {
		t.Fatal("the README has no event filter section")
	}
	section := strings.ReplaceAll(text[start:start+end], "\n", " ")
	mistakes, _, _ := strings.Cut(section[strings.Index(section, "An unknown key"):], "is an error")
	code := regexp.MustCompile("`([^`]+)`")
	for _, m := range code.FindAllStringSubmatch(mistakes, -1) {
		bad = append(bad, m[1])
	}
	for _, m := range code.FindAllStringSubmatch(section, -1) {
		f := m[1]
		switch {
		case len(f) <= 2 || f == "enter" || f == "OneLogin" || strings.HasSuffix(f, ":") || contains(bad, f):
			continue // keys, a term's key alone, the vendor's other names
		}
		good = append(good, f)
	}
	return good, bad
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
