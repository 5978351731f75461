// Package dialog is the confirmation every outward action asks for: what
// will happen, [Cancel] and the action's button, Cancel focused.
package dialog

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
)

// Dialog asks the operator to confirm one action: a title, what will
// happen, and two buttons, [Cancel] and the action. The focus starts on
// Cancel, so a stray enter cancels. ←/→, h/l and tab move the focus,
// enter presses the focused button, esc and n cancel, and every other key
// is swallowed: it neither reaches the screen below nor confirms.
//
// While the action runs the dialog says "working…" and takes no keys; its
// result (a uictx.ActionDone naming the dialog) closes it, and a notice says
// how it went.
type Dialog struct {
	// Lines are what will happen, one paragraph a line (wrapped to fit).
	Lines []string
	// Run starts the action; it returns the command whose ActionDone
	// carries this dialog's ID.
	Run func() tea.Cmd
	// Prev is shown again on Cancel (the form this dialog confirms).
	Prev uictx.Modal
	// Follow, when set, sees the results the dialog waits for (such as the
	// Okta link of a reset) and may change Lines.
	Follow func(d *Dialog, msg tea.Msg) tea.Cmd
	// List, when set, is shown under Lines in a window the operator
	// scrolls with ↑/↓ (j/k) and pgup/pgdn: every target of a bulk action,
	// one a line, however many there are.
	List []string
	// After are lines under List.
	After []string

	listOff int
	listH   int // the list's window, as last drawn

	c      *uictx.Context
	ident  int
	title  string
	action string // the action button's label
	focus  int    // 0: Cancel, 1: the action
	busy   bool
	k      keys

	rev    int // counts changes, so box redraws only after one
	drawnK [3]int
	drawn  string
}

type keys struct {
	Left, Right, Press, Cancel, Up, Down, PageUp, PageDown key.Binding
}

func newKeys() keys {
	return keys{
		Left:     key.NewBinding(key.WithKeys("left", "h", "shift+tab"), key.WithHelp("←/→ tab", "choose a button")),
		Right:    key.NewBinding(key.WithKeys("right", "l", "tab")),
		Press:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "press it")),
		Cancel:   key.NewBinding(key.WithKeys("esc", "n"), key.WithHelp("esc/n", "cancel")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓ pgup/pgdn", "scroll the list")),
		Down:     key.NewBinding(key.WithKeys("down", "j")),
		PageUp:   key.NewBinding(key.WithKeys("pgup")),
		PageDown: key.NewBinding(key.WithKeys("pgdown")),
	}
}

// New is a dialog titled title whose action button says action; run
// (or Run, set later) starts the action.
func New(c *uictx.Context, title, action string, lines []string, run func() tea.Cmd) *Dialog {
	return &Dialog{c: c, ident: c.NextModalID(), title: title, action: action, Lines: lines, Run: run, k: newKeys()}
}

func (d *Dialog) ID() int { return d.ident }

func (d *Dialog) Keys() []key.Binding {
	if d.busy {
		return nil
	}
	if len(d.List) > 0 {
		return []key.Binding{d.k.Left, d.k.Press, d.k.Cancel, d.k.Up}
	}
	return []key.Binding{d.k.Left, d.k.Press, d.k.Cancel}
}

// scroll moves the list's window by n lines.
func (d *Dialog) scroll(n int) {
	d.listOff = max(min(d.listOff+n, len(d.List)-max(d.listH, 1)), 0)
}

func (d *Dialog) OnKey(msg tea.KeyMsg) tea.Cmd {
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
	case key.Matches(msg, d.k.Up):
		d.scroll(-1)
	case key.Matches(msg, d.k.Down):
		d.scroll(1)
	case key.Matches(msg, d.k.PageUp):
		d.scroll(-max(d.listH-1, 1))
	case key.Matches(msg, d.k.PageDown):
		d.scroll(max(d.listH-1, 1))
	case key.Matches(msg, d.k.Press):
		if d.focus == 0 {
			return d.cancel()
		}
		d.busy = true
		return d.Run()
	}
	return nil // every other key is swallowed
}

func (d *Dialog) cancel() tea.Cmd {
	d.c.CloseModal(d.ident)
	if d.Prev != nil {
		return d.c.OpenModal(d.Prev)
	}
	return nil
}

func (d *Dialog) OnMsg(msg tea.Msg) tea.Cmd {
	if d.Follow != nil {
		d.rev++
		return d.Follow(d, msg)
	}
	return nil
}

func (d *Dialog) Box(width, height int) string {
	if k := [3]int{width, height, d.rev}; k == d.drawnK && d.drawn != "" {
		return d.drawn
	}
	w := layout.ModalWidth(width, 72)
	inner := w - 4
	lines := layout.Wrap(d.Lines, inner)
	if len(d.List) > 0 {
		after := layout.Wrap(d.After, inner)
		// The list takes the height the rest leaves (frame, blank, buttons:
		// 4 lines; the count line: 1), at least 3 lines.
		d.listH = min(len(d.List), max(height-len(lines)-len(after)-5, 3))
		d.listOff = max(min(d.listOff, len(d.List)-d.listH), 0)
		lines = append(lines, ListWindow(d.c.Theme, d.List, d.listOff, d.listH, inner, "↑/↓ pgup/pgdn")...)
		lines = append(lines, after...)
	}
	lines = append(lines, "")
	if d.busy {
		lines = append(lines, d.c.Theme.Muted.Render("working…"))
	} else {
		lines = append(lines, Buttons(d.c.Theme, inner, d.focus, "Cancel", d.action))
	}
	d.drawnK, d.drawn = [3]int{width, height, d.rev}, layout.Frame(d.c.Theme, d.title, lines, w)
	return d.drawn
}

// ListWindow is lines off..off+h of list fitted to width, then a line
// saying which part shows ("3–8 of 57 · ↑/↓ scroll", keys saying how)
// when not all do.
func ListWindow(t *theme.Theme, list []string, off, h, width int, keys string) []string {
	end := min(off+h, len(list))
	out := make([]string, 0, end-off+1)
	for _, l := range list[off:end] {
		out = append(out, layout.Fit("  "+l, width))
	}
	if len(list) > h {
		out = append(out, t.Muted.Render(fmt.Sprintf("  %d–%d of %d · %s scroll", off+1, end, len(list), keys)))
	}
	return out
}

// Buttons draws a row of buttons at the right, the focused one marked
// with ▸ ◂ (so it shows without colour) and in the focus style.
func Buttons(t *theme.Theme, inner, focus int, labels ...string) string {
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
