package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// placeholder is a screen not built yet.
type placeholder struct {
	a    *App
	name string
}

func (p *placeholder) update(tea.Msg) tea.Cmd { return nil }
func (p *placeholder) view(w, h int) string   { return fitBlock(p.name, w, h) }
func (p *placeholder) keys() []key.Binding    { return nil }
func (p *placeholder) typing() bool           { return false }
func (p *placeholder) activate() tea.Cmd      { return nil }


func newUsersScreen(a *App) screen           { return &placeholder{a, "users"} }
func newBehaviorsScreen(a *App) screen       { return &placeholder{a, "behaviors"} }
func newIntegrationsScreen(a *App) screen    { return &placeholder{a, "integrations"} }
func newOutboxScreen(a *App) screen          { return &placeholder{a, "outbox"} }

type drillScreen struct{ placeholder }

func newDrill(a *App, key string) *drillScreen { return &drillScreen{placeholder{a, "user " + key}} }
