package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
)

// dialog asks the operator to confirm one action: a title, what will
// happen, and two buttons, [Cancel] and the action. The focus starts on
// Cancel, so a stray enter cancels. ←/→, h/l and tab move the focus,
// enter presses the focused button, esc and n cancel, and every other key
// is swallowed: it neither reaches the screen below nor confirms.
//
// While the action runs the dialog says "working…" and takes no keys; its
// result (an actionDone naming the dialog) closes it, and a notice says
// how it went.
type dialog struct {
	c      *uictx.Context
	ident  int
	title  string
	lines  []string // what will happen, one paragraph a line (wrapped to fit)
	action string   // the action button's label
	focus  int      // 0: Cancel, 1: the action
	busy   bool
	k      dialogKeys

	rev    int // counts changes, so box redraws only after one
	drawnK [2]int
	drawn  string

	// run starts the action; it returns the command whose actionDone
	// carries this dialog's id.
	run func() tea.Cmd
	// prev is shown again on Cancel (the form this dialog confirms).
	prev uictx.Modal
	// follow, when set, sees the results the dialog waits for (such as the
	// Okta link of a reset) and may change lines.
	follow func(d *dialog, msg tea.Msg) tea.Cmd
}

type dialogKeys struct {
	Left, Right, Press, Cancel key.Binding
}

func newDialogKeys() dialogKeys {
	return dialogKeys{
		Left:   key.NewBinding(key.WithKeys("left", "h", "shift+tab"), key.WithHelp("←/→ tab", "choose a button")),
		Right:  key.NewBinding(key.WithKeys("right", "l", "tab")),
		Press:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "press it")),
		Cancel: key.NewBinding(key.WithKeys("esc", "n"), key.WithHelp("esc/n", "cancel")),
	}
}

func newDialog(c *uictx.Context, title, action string, lines []string, run func() tea.Cmd) *dialog {
	return &dialog{c: c, ident: c.NextModalID(), title: title, action: action, lines: lines, run: run, k: newDialogKeys()}
}

func (d *dialog) ID() int { return d.ident }

func (d *dialog) Keys() []key.Binding {
	if d.busy {
		return nil
	}
	return []key.Binding{d.k.Left, d.k.Press, d.k.Cancel}
}

func (d *dialog) OnKey(msg tea.KeyMsg) tea.Cmd {
	if d.busy {
		return nil
	}
	d.rev++
	switch {
	case key.Matches(msg, d.k.Cancel):
		return d.cancel()
	case msg.String() == "tab" || msg.String() == "shift+tab":
		d.focus = 1 - d.focus
	case key.Matches(msg, d.k.Left):
		d.focus = 0
	case key.Matches(msg, d.k.Right):
		d.focus = 1
	case key.Matches(msg, d.k.Press):
		if d.focus == 0 {
			return d.cancel()
		}
		d.busy = true
		return d.run()
	}
	return nil // every other key is swallowed
}

func (d *dialog) cancel() tea.Cmd {
	d.c.CloseModal(d.ident)
	if d.prev != nil {
		return d.c.OpenModal(d.prev)
	}
	return nil
}

func (d *dialog) OnMsg(msg tea.Msg) tea.Cmd {
	if d.follow != nil {
		d.rev++
		return d.follow(d, msg)
	}
	return nil
}

func (d *dialog) Box(width, _ int) string {
	if k := [2]int{width, d.rev}; k == d.drawnK && d.drawn != "" {
		return d.drawn
	}
	w := layout.ModalWidth(width, 72)
	inner := w - 4
	lines := append(layout.Wrap(d.lines, inner), "")
	if d.busy {
		lines = append(lines, d.c.Theme.Muted.Render("working…"))
	} else {
		lines = append(lines, buttons(d.c.Theme, inner, d.focus, "Cancel", d.action))
	}
	d.drawnK, d.drawn = [2]int{width, d.rev}, layout.Frame(d.c.Theme, d.title, lines, w)
	return d.drawn
}

// buttons draws a row of buttons at the right, the focused one marked
// with ▸ ◂ (so it shows without colour) and in the focus style.
func buttons(t *theme.Theme, inner, focus int, labels ...string) string {
	var row string
	for i, l := range labels {
		if i > 0 {
			row += "  "
		}
		if i == focus {
			row += t.Focus.Render("[▸" + l + "◂]")
		} else {
			row += "[ " + l + " ]"
		}
	}
	return layout.PadLeft(row, inner)
}
