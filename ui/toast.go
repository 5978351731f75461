package ui

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/theme"
)

// toastMsg asks for a short notice in the footer.
type toastMsg struct {
	text string
	err  bool
}

// toastExpired ends the notice it names.
type toastExpired struct{ id int }

// toast is the footer's notice line. Notices never print over the screen.
type toast struct {
	text    string
	err     bool
	id      int
	expires time.Time
	key     string   // what drawn was drawn for
	drawn   []string // the notice's lines
}

const toastFor = 4 * time.Second

// say shows a notice at once (in Update, so two notices in a row keep
// their order) and returns the timer that ends it.
func (a *App) say(text string) tea.Cmd {
	return a.toast.show(toastMsg{text: text}, a.deps.Now(), a.deps.After)
}

// sayErr shows an error notice.
func (a *App) sayErr(text string) tea.Cmd {
	return a.toast.show(toastMsg{text: text, err: true}, a.deps.Now(), a.deps.After)
}

func (t *toast) show(m toastMsg, now time.Time, after func(time.Duration, tea.Msg) tea.Cmd) tea.Cmd {
	t.id++
	// Notices echo vendor errors, store text and what the operator typed:
	// cleaned here, none of it reaches the terminal raw.
	t.text, t.err = sanitize.Line(m.text), m.err
	d := toastFor
	if m.err {
		d *= 2 // errors deserve the time to be read
	}
	t.expires = now.Add(d)
	return after(d, toastExpired{t.id})
}

func (t *toast) expire(m toastExpired) {
	if m.id == t.id {
		t.text = ""
	}
}

func (t *toast) visible(now time.Time) bool { return t.text != "" }

// lines draws the notice in lines of exactly width cells: one when it
// fits, else wrapped to at most maxToastLines, the last of which is the
// footer and the others go over the body's last lines.
func (t *toast) lines(th *theme.Theme, width int) []string {
	key := fmt.Sprintf("%d/%d", t.id, width)
	if key == t.key {
		return t.drawn
	}
	style, text := th.Toast, t.text
	if t.err {
		style, text = th.ToastErr, "✖ "+t.text
	}
	room := max(width-style.GetHorizontalFrameSize(), 1)
	parts := []string{text}
	if ansi.StringWidth(text) > room {
		parts = strings.Split(ansi.Wrap(text, room, ""), "\n")
		if len(parts) > maxToastLines {
			parts = parts[:maxToastLines]
			parts[maxToastLines-1] = ansi.Truncate(parts[maxToastLines-1]+" …", room, "…")
		}
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = layout.Fit(style.Render(p), width)
	}
	t.key, t.drawn = key, out
	return out
}

// maxToastLines bounds a long notice.
const maxToastLines = 3

// toastAbove is the part of a long notice that goes over the body.
func (a *App) toastAbove() []string {
	if a.cmdbar.active || !a.toast.visible(a.deps.Now()) {
		return nil
	}
	lines := a.toast.lines(a.deps.Theme, a.width)
	return lines[:len(lines)-1]
}
