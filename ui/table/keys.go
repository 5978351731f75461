package table

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyMap is the table's keys, as bindings so help lists the same keys
// that Update handles. It satisfies help.KeyMap.
type KeyMap struct {
	Up           key.Binding
	Down         key.Binding
	PageUp       key.Binding
	PageDown     key.Binding
	HalfPageUp   key.Binding
	HalfPageDown key.Binding
	Top          key.Binding
	Bottom       key.Binding
}

// DefaultKeyMap moves within the rows the table holds. A caller paging a
// store query usually rebinds PageUp/PageDown to fetch the next page.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:           key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:         key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:       key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:     key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		HalfPageUp:   key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "½ page up")),
		HalfPageDown: key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "½ page down")),
		Top:          key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first row")),
		Bottom:       key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last row")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom},
		{k.PageUp, k.PageDown, k.HalfPageUp, k.HalfPageDown},
	}
}

// Matches reports whether msg is one of the map's enabled keys: a key
// Update acts on.
func (k KeyMap) Matches(msg tea.KeyMsg) bool {
	return key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.HalfPageUp, k.HalfPageDown, k.Top, k.Bottom)
}

// Update moves the cursor for the KeyMap's keys and ignores everything
// else. It never returns a command; the signature matches other components.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	page := max(m.VisibleRows(), 1)
	switch {
	case key.Matches(k, m.KeyMap.Up):
		m.MoveUp(1)
	case key.Matches(k, m.KeyMap.Down):
		m.MoveDown(1)
	case key.Matches(k, m.KeyMap.PageUp):
		m.MoveUp(page)
	case key.Matches(k, m.KeyMap.PageDown):
		m.MoveDown(page)
	case key.Matches(k, m.KeyMap.HalfPageUp):
		m.MoveUp(max(page/2, 1))
	case key.Matches(k, m.KeyMap.HalfPageDown):
		m.MoveDown(max(page/2, 1))
	case key.Matches(k, m.KeyMap.Top):
		m.Top()
	case key.Matches(k, m.KeyMap.Bottom):
		m.Bottom()
	}
	return m, nil
}
