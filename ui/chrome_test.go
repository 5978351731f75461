package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/risktop/risktop/model"
)

// TestHeaderClockAndAges: the header shows the clock in the dashboard's
// zone and when each source last answered, to the second under a minute,
// in full names where there is room and short ones at 80 columns; the
// ages move on with the clock, and the redraw timer fires when they do.
func TestHeaderClockAndAges(t *testing.T) {
	now := fixtureNow
	var timers []time.Duration
	a := newFixtureApp(t, 160, 48, 0)
	setDeps(a, func(d *Deps) {
		d.Now = func() time.Time { return now }
		d.After = func(dur time.Duration, msg tea.Msg) tea.Cmd {
			if _, ok := msg.(redrawMsg); ok {
				timers = append(timers, dur)
			}
			return nil
		}
	})
	a.headerKey = ""
	head := strings.Split(a.header(), "\n")[0]
	for _, want := range []string{"● OneLogin 20s ago 84%", "● Cloudflare 20s ago", "● Okta 3m ago", "▲ Oracle CASB retry 1m", "14:30 UTC"} {
		if !strings.Contains(head, want) {
			t.Fatalf("no %q in %q", want, head)
		}
	}
	drive(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	head = strings.Split(a.header(), "\n")[0]
	if lipgloss.Width(head) != 80 || !strings.Contains(head, "● OL 20s") || !strings.HasSuffix(head, "14:30 UTC") || !strings.Contains(head, "acme") {
		t.Fatalf("at 80 columns: %q", head)
	}
	// The timer asks to redraw when the next age moves: a second on.
	a.scheduleRedraw()
	if got := timers[len(timers)-1]; got != time.Second {
		t.Fatalf("redraw in %v, want 1s", got)
	}
	now = now.Add(5 * time.Second)
	drive(a, redrawMsg{a.tickGen})
	if head = strings.Split(a.View(), "\n")[0]; !strings.Contains(head, "● OL 25s") {
		t.Fatalf("five seconds on: %q", head)
	}
}

// TestTimeZoneCommand: :tz utc and :tz local set where times are shown;
// the header's clock follows at once, a wrong zone is refused, and the
// command completes.
func TestTimeZoneCommand(t *testing.T) {
	a := newFixtureApp(t, 120, 30, 0)
	a.c.Loc = time.FixedZone("CET", 3600) // as if this machine were in Paris
	a.headerKey = ""
	if !strings.Contains(a.View(), "15:30 CET") {
		t.Fatalf("no local clock:\n%s", a.header())
	}
	run := func(line string) {
		drive(a, press(":"))
		drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(line), Paste: true})
		drive(a, press("enter"))
	}
	run("tz utc")
	if a.c.Loc != time.UTC || !strings.Contains(a.View(), "14:30 UTC") || a.toast.text != "times are now shown in UTC" {
		t.Fatalf("after :tz utc: loc %v, notice %q\n%s", a.c.Loc, a.toast.text, a.header())
	}
	run("tz local")
	if a.c.Loc != time.Local {
		t.Fatalf("after :tz local: %v", a.c.Loc)
	}
	run("tz mars")
	if a.toast.text != ":tz takes utc or local, not mars" || a.c.Loc != time.Local {
		t.Fatalf("after :tz mars: %q", a.toast.text)
	}
	comps := a.completions()
	if !contains(comps, "tz utc") || !contains(comps, "tz local") {
		t.Fatalf("completions: %v", comps)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Every screen with times follows :tz: the events, the outbox and the
// audit log are redrawn in the new zone, not only the header.
func TestEveryScreenFollowsTheZone(t *testing.T) {
	a := newFixtureApp(t, 160, 40, 50)
	a.c.Loc = time.FixedZone("CET", 3600)
	at := fixtureNow.Add(-2 * time.Hour) // 12:30 UTC, 13:30 CET
	if _, err := a.c.Store.Enqueue(context.Background(), []model.OutboxItem{{IP: "198.51.100.7", Level: model.LevelHigh, Created: at, Actor: "ops"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.Store.AppendAudit(context.Background(), model.AuditEntry{At: at, Actor: "ops", Action: "push-ip", Target: "198.51.100.7", Result: "queued"}); err != nil {
		t.Fatal(err)
	}
	keysOf(a, "6")
	if v := a.View(); strings.Count(v, "13:30") != 2 {
		t.Fatalf("the outbox and audit do not show 13:30 CET:\n%s", v)
	}
	drive(a, press(":"))
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("tz utc"), Paste: true})
	drive(a, press("enter"))
	if v := a.View(); strings.Count(v, "12:30") != 2 || strings.Contains(v, "13:30") {
		t.Fatalf("after :tz utc the outbox and audit are not in UTC:\n%s", v)
	}
}
