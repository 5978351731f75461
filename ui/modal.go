package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// modal is a dialog or a form drawn over the body. While one is open it
// has the keyboard: no key reaches the screen below or the global keys
// (tabs, pause, quit…), except ctrl+c.
type modal interface {
	// id tells a modal's results from those of one closed before.
	id() int
	// onKey handles every key while the modal is open.
	onKey(msg tea.KeyMsg) tea.Cmd
	// onMsg sees every other message (results it waits for).
	onMsg(msg tea.Msg) tea.Cmd
	// box draws the framed modal, at most width cells wide and height
	// lines high.
	box(width, height int) string
	// keys are the modal's bindings, for the footer and help.
	keys() []key.Binding
}
