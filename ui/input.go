package ui

import (
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// updateInput feeds msg to a text input. Typed characters that arrive
// together (a fast typist over SSH, tmux send-keys) come as one runes
// message, and a word that happens to be a key's name ("down", "end",
// "left") would match that key's binding and move the cursor or the
// suggestions instead of being typed. So a runes message of several
// characters is typed one character at a time; a bracketed paste is
// inserted whole, as the input already does.
func updateInput(in textinput.Model, msg tea.Msg) (textinput.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || k.Type != tea.KeyRunes || k.Paste || len(k.Runes) < 2 {
		return in.Update(msg)
	}
	var cmds []tea.Cmd
	for _, r := range k.Runes {
		var cmd tea.Cmd
		in, cmd = in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt})
		cmds = append(cmds, cmd)
	}
	return in, tea.Batch(cmds...)
}
