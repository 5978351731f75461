package ui

import (
	"testing"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// TestWordsThatNameKeysAreTyped: a word arriving as one runes message is
// text even when it names a key (textinput alone drops all but the last
// of these: each matches a cursor or suggestion binding); a bracketed
// paste is inserted whole.
func TestWordsThatNameKeysAreTyped(t *testing.T) {
	for _, word := range []string{"down", "end", "home", "left", "right", "up", "delete", "score>=76"} {
		in := textinput.New()
		in.Focus()
		in.SetValue("x ")
		in, _ = updateInput(in, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(word)})
		if in.Value() != "x "+word {
			t.Errorf("%q typed: value %q", word, in.Value())
		}
	}
	in := textinput.New()
	in.Focus()
	in, _ = updateInput(in, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("left"), Paste: true})
	if in.Value() != "left" {
		t.Errorf("pasted: %q", in.Value())
	}
}
