package uictx

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/risktop/risktop/ui/table"
)

// NewNavKeys are the keys that move in every list, table and scrolled
// text: one key map, the table's, with the dashboard's page keys ([ and ]
// page too; the Events tab turns them into store pages). Half pages are
// not bound.
func NewNavKeys() table.KeyMap {
	k := table.DefaultKeyMap()
	k.Up = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	k.Down = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	k.PageUp = key.NewBinding(key.WithKeys("pgup", "["), key.WithHelp("pgup/[", "previous page"))
	k.PageDown = key.NewBinding(key.WithKeys("pgdown", "]"), key.WithHelp("pgdn/]", "next page"))
	k.Top = key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first page"))
	k.Bottom = key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last page"))
	k.HalfPageUp.SetEnabled(false)
	k.HalfPageDown.SetEnabled(false)
	return k
}

// NavBindings are the navigation keys a footer lists.
func NavBindings(k table.KeyMap) []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}
