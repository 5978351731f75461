package ui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

var space = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}

// TestKeysThatArriveTogether: characters read together (a fast typist
// over SSH) are the keys they spell, one by one: "jj" moves twice, and a
// word that names a key ("down", "enter") is typed, not pressed. A
// bracketed paste is inserted whole.
func TestKeysThatArriveTogether(t *testing.T) {
	apart, together := newFixtureApp(t, 120, 40, 200), newFixtureApp(t, 120, 40, 200)
	drive(apart, press("2"))
	drive(together, press("2"))
	drive(apart, press("j"))
	drive(apart, press("j"))
	drive(together, runes("jj"))
	if apart.View() != together.View() {
		t.Errorf("\"jj\" together did not move the cursor as j, j did:\n%s\n---\n%s", together.View(), apart.View())
	}

	a := newFixtureApp(t, 120, 40, 0)
	a.Update(press(":"))
	for _, m := range []tea.KeyMsg{runes("fault"), space, runes("okta"), space, runes("down")} {
		a.Update(m)
	}
	if got := a.cmdbar.in.Value(); got != "fault okta down" {
		t.Errorf("command bar holds %q, want %q", got, "fault okta down")
	}
	a.Update(press("esc"))

	drive(a, press("2"))
	drive(a, press("/"))
	ev := a.screens[tabEvents]
	a.Update(runes("enter"))
	if !ev.Typing() || typedLine(a) != "enter" {
		t.Errorf(`"enter" typed into the filter: typing %v, value %q`, ev.Typing(), typedLine(a))
	}
	a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(" left"), Paste: true})
	if typedLine(a) != "enter left" {
		t.Errorf("after a paste: %q", typedLine(a))
	}
}
