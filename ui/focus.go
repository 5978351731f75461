package ui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/ui/uictx"
)

// layer is one entry of the focus stack: something open that has every
// key while it is on top. Nothing under it (the screen, the tabs, the
// global keys) sees a key until it closes; only ctrl+c passes.
type layer struct {
	name  string                   // what it is, for the hint: "the help"
	onKey func(tea.KeyMsg) tea.Cmd // every key while it is on top
	keys  []key.Binding            // what it does with them, for the footer
	tail  []key.Binding            // the footer's last keys, kept when the line is short (?)
	// input is the text input it types into (nil: none), so characters
	// read together go into it whole.
	input *textinput.Model
	// hint: a global key pressed here that the layer has no use for is
	// answered with "esc closes NAME first", so the key doing nothing is
	// explained. Off for layers that take any character (forms, inputs).
	hint bool
}

// focus is the focus stack, top first: what is open over the screen, in
// the order the keyboard reaches it. A dialog or form is over everything;
// the command bar over the help, the help over the drill-down, and the
// drill-down over a screen's own detail pane or input. Empty, the screen
// has the keyboard and the global keys work.
func (a *App) focus() []layer {
	var out []layer
	if a.modal != nil {
		m := a.modal
		l := layer{name: "the dialog", onKey: m.OnKey, keys: m.Keys()}
		if h, ok := m.(uictx.InputHolder); ok {
			l.input = h.Input()
		}
		out = append(out, l)
	}
	if a.cmdbar.active {
		out = append(out, layer{name: "the command bar", onKey: a.cmdbarKey, input: &a.cmdbar.in})
	}
	if a.help {
		out = append(out, layer{name: "the help", onKey: a.helpKey, hint: true,
			keys: []key.Binding{a.keys.Back, a.c.Nav.Up, a.c.Nav.Down, a.c.Nav.PageDown}})
	}
	if d := a.drill; d != nil {
		if uictx.OwnsKeys(d) {
			out = append(out, screenLayer("the user drill-down", d))
		} else {
			out = append(out, layer{name: "the user drill-down", onKey: a.drillKey, hint: true,
				keys: d.Keys(), tail: []key.Binding{a.keys.Help}})
		}
	}
	if sc := a.screens[a.tab]; a.drill == nil && uictx.OwnsKeys(sc) {
		if sc.Typing() {
			out = append(out, screenLayer("the "+tabNames[a.tab]+" pane", sc))
		} else {
			out = append(out, a.paneLayer("the "+tabNames[a.tab]+" pane", sc))
		}
	}
	return out
}

// screenLayer is a screen while it owns the keyboard (typing, or a
// detail pane open): every key goes to it, and it closes what is open.
func screenLayer(name string, sc uictx.Screen) layer {
	l := layer{name: name, onKey: func(msg tea.KeyMsg) tea.Cmd { return sc.Update(msg) }, keys: sc.Keys()}
	if h, ok := sc.(uictx.InputHolder); ok {
		l.input = h.Input()
	}
	return l
}

// paneLayer is a screen's own pane (an event's detail) while it is open:
// like the drill-down, ? shows the help over it, q closes it as esc does,
// and a global key it has no use for says what closes it first.
func (a *App) paneLayer(name string, sc uictx.Screen) layer {
	onKey := func(msg tea.KeyMsg) tea.Cmd {
		switch {
		case key.Matches(msg, a.keys.Help):
			a.openHelp()
			return nil
		case key.Matches(msg, a.keys.Quit):
			return sc.Update(tea.KeyMsg{Type: tea.KeyEsc})
		}
		return sc.Update(msg)
	}
	return layer{name: name, onKey: onKey, keys: sc.Keys(), tail: []key.Binding{a.keys.Help}, hint: true}
}

// top is the layer with the keyboard, false when the screen has it.
func (a *App) top() (layer, bool) {
	if f := a.focus(); len(f) > 0 {
		return f[0], true
	}
	return layer{}, false
}

// globalKey reports a key that acts on the whole dashboard when the
// screen has the keyboard: inside a layer it would act on what is under
// it, which is why the layer keeps it.
func (a *App) globalKey(msg tea.KeyMsg) bool {
	g := a.keys
	if key.Matches(msg, g.Quit, g.Command, g.Pause, g.Refresh, g.Sources, g.Slower, g.Faster, g.NextTab, g.PrevTab) {
		return true
	}
	for _, b := range g.Tabs {
		if key.Matches(msg, b) {
			return true
		}
	}
	return false
}

// cmdbarKey is the command bar's: every key edits the line, enter runs it.
func (a *App) cmdbarKey(msg tea.KeyMsg) tea.Cmd {
	faults := 0
	if a.deps.Faults != nil {
		faults = 1
	}
	a.cmdbar.setCompletions([2]int{a.data.Version, faults}, a.completions)
	done, cmd := a.cmdbar.Update(msg)
	if done != "" {
		return tea.Batch(cmd, a.run(done))
	}
	return cmd
}

// helpKey is the help's: ?, esc and q close it, the navigation keys
// scroll it.
func (a *App) helpKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, a.keys.Help, a.keys.Back, a.keys.Quit) {
		a.help = false
		return nil
	}
	a.helpVP.OnKey(msg, a.c.Nav)
	return nil
}

// drillKey is the drill-down's: esc and q close it, ? shows the help over
// it, and the rest are its own.
func (a *App) drillKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, a.keys.Back, a.keys.Quit):
		a.drill = nil
		return nil
	case key.Matches(msg, a.keys.Help):
		a.openHelp()
		return nil
	}
	return a.drill.Update(msg)
}

// usesKey reports whether msg is one of bs.
func usesKey(msg tea.KeyMsg, bs []key.Binding) bool {
	for _, b := range bs {
		if b.Enabled() && key.Matches(msg, b) {
			return true
		}
	}
	return false
}
