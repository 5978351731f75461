package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestDrillShowsTheirEvents: v in the drill-down shows the Events tab
// filtered to the person, of all time; a key read with it (vj) meets the
// Events tab.
func TestDrillShowsTheirEvents(t *testing.T) {
	a := newFixtureApp(t, 120, 30, 400)
	drive(a, press(":"))
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("user user1004@example.com")})
	drive(a, press("enter"))
	if v := a.View(); !strings.Contains(v, "Medium  user1004@example.com") {
		t.Fatalf("no drill-down:\n%s", v)
	}
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("vj")})
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
