package ui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

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
	t.text, t.err = m.text, m.err
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

func (t *toast) view(th *theme.Theme) string {
	if t.err {
		return th.ToastErr.Render("✖ " + t.text)
	}
	return th.Toast.Render(t.text)
}
