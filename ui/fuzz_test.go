package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/vendors"
)

// The operator's own input, fuzzed: the ':' command line (the events
// filter's fuzz test is in ui/events). Seeds run in every `go test`;
// explore with `go test -fuzz=FuzzCommand ./ui`. Text typed or pasted (a
// name copied from a hostile page) may hold controls and bidi overrides;
// what the dashboard says back about it must not.

func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		"overview", "events", "users", "user ava.chen@example.com", "user", "user nobody@example.com",
		"ip 203.0.113.7", "ip 203.0.113.0/24", "ip", "ip 999.1.1.1", "ip 10.0.0.0/99", "behaviors", "integrations",
		"outbox", "audit", "help", "frobnicate", ":users", "  users  ", "user \x1b]52;c;eA==\x07eve", "\u202eusers",
		"ip \x1b[2J1.2.3.4", "q",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		a := New(Deps{Vendors: vendors.Infos(), Theme: asciiTheme(), Title: "acme", Now: func() time.Time { return fixtureNow }, After: noTimers})
		drive(a, tea.WindowSizeMsg{Width: 80, Height: 24})
		a.data.Apply(fixtureMsgs())
		a.run(line) // its commands (store reads, timers) are not run, but
		a.answer()  // what the screens asked of the dashboard is
		if a.toast.text != "" && !sanitize.Valid(a.toast.text) {
			t.Fatalf(":%s says %q", line, a.toast.text)
		}
		name, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), ":")), " ")
		if !knownCommand(name) && !strings.Contains(a.toast.text, "unknown command") {
			t.Fatalf(":%s: no unknown-command notice, toast %q", line, a.toast.text)
		}
		for i, l := range strings.Split(a.View(), "\n") {
			if w := lipgloss.Width(l); w != 80 || strings.ContainsRune(l, 0x1b) {
				t.Fatalf(":%s: line %d is %d wide or holds an escape: %q", line, i, w, l)
			}
		}
	})
}

func knownCommand(name string) bool {
	switch name {
	case "audit", "q":
		return true
	}
	for _, c := range commands {
		if c.name == name {
			return true
		}
	}
	return false
}
