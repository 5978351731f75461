package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
)

func TestIPsSeenWithoutScores(t *testing.T) {
	evs := []model.Event{
		{IP: "198.51.100.7", Score: model.NoScore, Time: fixtureNow},
		{IP: "198.51.100.7", Score: model.NoScore, Time: fixtureNow.Add(-time.Minute)},
		{IP: "192.0.2.1", Score: 42, Time: fixtureNow},
		{IP: "192.0.2.1", Score: model.NoScore, Time: fixtureNow},
	}
	ips := ipsSeen(evs)
	if len(ips) != 2 || ips[0].IP != "192.0.2.1" || ips[0].MaxScore != 42 || ips[0].Events != 2 {
		t.Fatalf("scored address first: %+v", ips)
	}
	if ips[1].MaxScore != model.NoScore || ips[1].Level != model.LevelUnknown {
		t.Fatalf("unscored address %+v", ips[1])
	}
	if got := scoreText(ips[1].MaxScore); got != "–" {
		t.Fatalf("unscored address shows %q", got)
	}
	if got := scoreText(0); got != "0" {
		t.Fatalf("score 0 shows %q", got)
	}
}

// TestDrillShowsTheirEvents: e in the drill-down shows the Events tab
// filtered to the person, of all time; a key read with it (ej) meets the
// Events tab.
func TestDrillShowsTheirEvents(t *testing.T) {
	a := newFixtureApp(t, 120, 30, 400)
	drive(a, press(":"))
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("user user1004@example.com")})
	drive(a, press("enter"))
	if v := a.View(); !strings.Contains(v, "Medium  user1004@example.com") {
		t.Fatalf("no drill-down:\n%s", v)
	}
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ej")})
	v := a.View()
	for _, want := range []string{"page 1 of 3 · 50 events · all time · user user1004@example.com · newest first", "/user:user1004@example.com"} {
		if !strings.Contains(v, want) {
			t.Fatalf("no %q:\n%s", want, v)
		}
	}
	if rows := screenRows(t, a, " Time ", "/user:"); selectedRow(rows) != 1 || !strings.Contains(rows[1], "user1004@example.com") {
		t.Fatalf("j did not move to the second row:\n%s", strings.Join(rows, "\n"))
	}
}
