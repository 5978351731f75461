package ui

import (
	tea "github.com/charmbracelet/bubbletea"
)

// App is the dashboard's root model.
type App struct {
	deps Deps
}

// New builds the dashboard. Run it with tea.NewProgram(app, tea.WithAltScreen()).
func New(d Deps) *App { return &App{deps: d} }

func (a *App) Init() tea.Cmd { return nil }

func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && (k.String() == "q" || k.String() == "ctrl+c") {
		return a, tea.Quit
	}
	return a, nil
}

func (a *App) View() string { return "risktop: the dashboard is being built\n" }
