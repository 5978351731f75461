package uictx

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Screen is one tab's content, or the drill-down over it. Screens are
// plain values owned by the dashboard, updated by it, and drawn into the
// space it gives them.
type Screen interface {
	// Update handles a message meant for the screen (keys when it is
	// shown, data results always) and may return a command.
	Update(msg tea.Msg) tea.Cmd
	// View draws the screen in exactly width × height cells.
	View(width, height int) string
	// Keys are the screen's own bindings, for the footer and help.
	Keys() []key.Binding
	// Typing reports whether a text input has the keyboard, so global
	// single-letter keys do not fire.
	Typing() bool
	// Activate is called when the screen is shown (to load what it needs).
	Activate() tea.Cmd
}

// KeyClaimer is a screen that takes some global keys for itself (the
// Behaviors tab's space toggles a behavior instead of pausing).
type KeyClaimer interface {
	Claims(msg tea.KeyMsg) bool
}

// InputHolder is a screen or a modal with a text input (a filter line, a
// form's field).
type InputHolder interface {
	// Input is the text input while it has the keyboard, else nil.
	Input() *textinput.Model
}

// Modal is a dialog or a form drawn over the body. While one is open it
// has the keyboard: no key reaches the screen below or the global keys
// (tabs, pause, quit…), except ctrl+c.
type Modal interface {
	// ID tells a modal's results from those of one closed before.
	ID() int
	// OnKey handles every key while the modal is open.
	OnKey(msg tea.KeyMsg) tea.Cmd
	// OnMsg sees every other message (results it waits for).
	OnMsg(msg tea.Msg) tea.Cmd
	// Box draws the framed modal, at most width cells wide and height
	// lines high.
	Box(width, height int) string
	// Keys are the modal's bindings, for the footer and help.
	Keys() []key.Binding
}

// Refillable is a modal that stays open when its action fails, keeping
// what was typed and saying why (a form).
type Refillable interface {
	Failed(why string)
}

// Resized tells a screen its drawing area.
type Resized struct{ W, H int }

// DataChanged tells screens that the live data changed.
type DataChanged Change

// KeyOwner is a screen with a part open that owns the keyboard: a detail
// pane, an input, a form inside it. While OwnsKeys reports true every key
// goes to the screen (ctrl+c aside): no global key fires (pause, tabs,
// the command bar, quit) and nothing reaches the tabs, until the screen
// closes that part (on esc). A screen whose Typing reports true owns the
// keyboard the same way.
type KeyOwner interface {
	OwnsKeys() bool
}

// OwnsKeys reports whether sc has the keyboard to itself now: it is
// typing, or it is a KeyOwner that owns the keys.
func OwnsKeys(sc Screen) bool {
	if sc.Typing() {
		return true
	}
	o, ok := sc.(KeyOwner)
	return ok && o.OwnsKeys()
}

// Leaver is a screen that acts when its tab is left or the dashboard
// quits: the Overview stores what the operator saw of the Changes. The
// command must not use Context.Ctx, which quitting cancels first.
type Leaver interface {
	Leave() tea.Cmd
}

// ZoneChanged tells screens that times are now shown in another zone
// (Context.Loc, set by :tz): what they drew with times is stale.
type ZoneChanged struct{}
