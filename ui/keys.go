package ui

import (
	"github.com/charmbracelet/bubbles/key"
)

// globalKeys work on every screen (unless a text input has the focus).
// The help screen is generated from these same bindings.
type globalKeys struct {
	Tabs      [len(tabNames)]key.Binding
	NextTab   key.Binding
	PrevTab   key.Binding
	Help      key.Binding
	Command   key.Binding
	Pause     key.Binding
	Refresh   key.Binding
	Sources   key.Binding
	Slower    key.Binding
	Faster    key.Binding
	Back      key.Binding
	Quit      key.Binding
	ForceQuit key.Binding
}

func newGlobalKeys() globalKeys {
	k := globalKeys{
		NextTab:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		PrevTab:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Command:   key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		Pause:     key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "pause / resume")),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh now")),
		Sources:   key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sources: health and errors")),
		Slower:    key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "poll less often")),
		Faster:    key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "poll more often")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close what is open, back")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
	for i, t := range tabNames {
		n := string(rune('1' + i))
		k.Tabs[i] = key.NewBinding(key.WithKeys(n), key.WithHelp(n, t))
	}
	return k
}
