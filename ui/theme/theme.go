// Package theme builds every style the dashboard draws with from one
// lipgloss renderer, so each terminal (and each SSH session) gets colours
// for its own profile: true colour, 256 colours, 16, or none (NO_COLOR).
//
// Colours are fixed, not adaptive: background detection is unreliable over
// SSH and in multiplexers, so each colour is chosen to read on both dark
// and light backgrounds.
package theme

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/model"
)

// Palette. Risk runs green → red; the rest is muted blue-grey.
var (
	green  = lipgloss.Color("#2E9E44")
	lime   = lipgloss.Color("#8DB600")
	amber  = lipgloss.Color("#D9A300")
	orange = lipgloss.Color("#E8680C")
	red    = lipgloss.Color("#D62D20")
	blue   = lipgloss.Color("#3A7BD5")
	grey   = lipgloss.Color("#808080")
	white  = lipgloss.Color("#FFFFFF")
)

// Theme is the dashboard's styles for one renderer.
type Theme struct {
	Renderer *lipgloss.Renderer

	Title     lipgloss.Style // the app name in the header
	Muted     lipgloss.Style // secondary text
	Bold      lipgloss.Style
	Tab       lipgloss.Style
	TabActive lipgloss.Style
	Selected  lipgloss.Style // the table row under the cursor
	Header    lipgloss.Style // table column titles
	Border    lipgloss.Style // pane borders
	Key       lipgloss.Style // a key in help text
	Error     lipgloss.Style
	Warn      lipgloss.Style
	OK        lipgloss.Style
	Toast     lipgloss.Style
	ToastErr  lipgloss.Style
	Paused    lipgloss.Style
	Live      lipgloss.Style
	Focus     lipgloss.Style // the focused button or choice in a dialog or form
	Changed   lipgloss.Style // a value edited but not saved yet

	levels  [model.LevelCritical + 1]lipgloss.Style
	buckets [len(model.Buckets)]lipgloss.Style
	states  [model.StateOff + 1]lipgloss.Style
}

// New builds the styles from r (lipgloss.DefaultRenderer() for a local
// terminal; the session's renderer over SSH).
func New(r *lipgloss.Renderer) *Theme {
	s := r.NewStyle
	t := &Theme{
		Renderer:  r,
		Title:     s().Bold(true).Foreground(blue),
		Muted:     s().Foreground(grey),
		Bold:      s().Bold(true),
		Tab:       s().Padding(0, 1),
		TabActive: s().Padding(0, 1).Bold(true).Reverse(true),
		Selected:  s().Reverse(true),
		Header:    s().Bold(true).Underline(true),
		Border:    s().Foreground(grey),
		Key:       s().Bold(true).Foreground(blue),
		Error:     s().Foreground(red).Bold(true),
		Warn:      s().Foreground(orange),
		OK:        s().Foreground(green),
		Toast:     s().Padding(0, 1).Reverse(true),
		ToastErr:  s().Padding(0, 1).Bold(true).Foreground(white).Background(red),
		Paused:    s().Bold(true).Foreground(white).Background(orange).Padding(0, 1),
		Live:      s().Bold(true).Foreground(white).Background(green).Padding(0, 1),
		Focus:     s().Bold(true).Reverse(true),
		Changed:   s().Bold(true).Foreground(blue),
	}
	t.levels = [...]lipgloss.Style{
		model.LevelUnknown:  s().Foreground(grey),
		model.LevelNone:     s().Foreground(green),
		model.LevelLow:      s().Foreground(lime),
		model.LevelMedium:   s().Foreground(amber),
		model.LevelHigh:     s().Foreground(orange).Bold(true),
		model.LevelCritical: s().Foreground(red).Bold(true),
	}
	for i, c := range []lipgloss.Color{green, lime, amber, orange, red} {
		t.buckets[i] = s().Foreground(c)
	}
	t.states = [...]lipgloss.Style{
		model.StateStarting: s().Foreground(grey),
		model.StateOK:       s().Foreground(green),
		model.StateDegraded: s().Foreground(amber),
		model.StateFailing:  s().Foreground(red).Bold(true),
		model.StateOff:      s().Foreground(grey),
	}
	return t
}

// Level styles a risk level.
func (t *Theme) Level(l model.Level) lipgloss.Style {
	if l < 0 || int(l) >= len(t.levels) {
		return t.levels[model.LevelUnknown]
	}
	return t.levels[l]
}

// Bucket styles a OneLogin score bucket (minimal green → very high red).
func (t *Theme) Bucket(b model.Bucket) lipgloss.Style {
	if b < 0 || int(b) >= len(t.buckets) {
		return t.Muted
	}
	return t.buckets[b]
}

// State styles a source's health.
func (t *Theme) State(s model.State) lipgloss.Style {
	if s < 0 || int(s) >= len(t.states) {
		return t.Muted
	}
	return t.states[s]
}

// HasColor reports whether the renderer draws colour at all (NO_COLOR and
// dumb terminals do not), so views can add textual cues where colour was
// the only one.
func (t *Theme) HasColor() bool {
	return t.Renderer.ColorProfile() != termenv.Ascii
}
