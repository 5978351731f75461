package ui

import (
	"context"
	"log/slog"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/theme"
)

// session is what a screen, a dialog or a form knows of the dashboard it
// is drawn in, instead of the App: the services it uses and the live
// data. Each dashboard (each SSH session) has its own; none is shared, and
// only the Update loop touches it. A screen asks the dashboard for what
// is not its own to do (a notice, a modal, another tab) with ask; the
// App answers in the same Update.
type session struct {
	ctx       context.Context // cancelled when the dashboard quits: stops in-flight reads
	theme     *theme.Theme
	nav       table.KeyMap // moves in every list, table and scrolled text
	store     store.Store
	actions   Actions // nil: no actions and no vendor reads
	readOnly  bool
	actor     actions.Actor
	clipboard func(text string) error
	now       func() time.Time
	after     func(d time.Duration, msg tea.Msg) tea.Cmd
	log       *slog.Logger
	data      *data            // the live picture; the App applies what the hub says
	exports   *export.Exporter // this dashboard's exports and their limits

	tab      screen    // the screen of the tab shown
	asked    []tea.Msg // requests not yet answered
	modalSeq int
}

// Requests a screen asks of the dashboard.
type (
	// notice shows a notice in the footer.
	notice struct {
		text string
		err  bool
	}
	// noticeDone ends the notice showing text, if it still is.
	noticeDone struct{ text string }
	// modalOpen shows m over the body, replacing any modal open.
	modalOpen struct{ m modal }
	// modalClose closes the modal with id (a later one stays open).
	modalClose struct{ id int }
	// userOpen shows a person's drill-down over the current tab.
	userOpen struct{ key string }
	// outboxReload reloads the Outbox & audit lists when they are on
	// screen (they reload anyway when shown).
	outboxReload struct{}
	// sourcePoll asks a source to poll now, quietly (nothing to say when
	// the sources cannot be controlled).
	sourcePoll struct{ source string }
	// sourcesRefresh asks every source to poll now, and says so.
	sourcesRefresh struct{}
)

// ask queues a request to the dashboard: it is answered in the same
// Update, once the screen returns, so the next key, even one read in the
// same batch, meets its result.
func (s *session) ask(msg tea.Msg) { s.asked = append(s.asked, msg) }

// say and sayErr show a notice (in order, in this Update).
func (s *session) say(text string) tea.Cmd {
	s.ask(notice{text: text})
	return nil
}

func (s *session) sayErr(text string) tea.Cmd {
	s.ask(notice{text: text, err: true})
	return nil
}

// nextModalID numbers modals.
func (s *session) nextModalID() int {
	s.modalSeq++
	return s.modalSeq
}

func (s *session) openModal(m modal) tea.Cmd {
	s.ask(modalOpen{m})
	return nil
}

func (s *session) closeModal(id int) { s.ask(modalClose{id}) }

// openUser asks for a person's drill-down.
func (s *session) openUser(key string) tea.Cmd {
	s.ask(userOpen{key})
	return nil
}

// onTab reports whether sc is the screen of the tab shown.
func (s *session) onTab(sc screen) bool { return s.tab == sc }

// actionsOff says why actions are refused here, "" when they are allowed.
// It does no I/O (ReadOnly is a field of the service), so views call it
// to hide action keys from the footer and the help.
func (s *session) actionsOff() string {
	switch {
	case s.actions == nil:
		return "no actions: this dashboard runs without the actions service"
	case s.readOnly || s.actions.ReadOnly():
		if r, ok := s.actions.(refuser); ok && r.Refusal() != nil {
			return r.Refusal().Error()
		}
		return actions.ErrReadOnly.Error()
	}
	return ""
}

// refuser is an Actions that may say why it refuses everything (an SSH
// viewer's: "this SSH key may view, not act"); nil: the usual read-only.
type refuser interface{ Refusal() error }

// actionKeys lists bs when actions are allowed, none when they are not,
// so the footer and the help show action keys only where they work.
func (s *session) actionKeys(bs ...key.Binding) []key.Binding {
	if s.actionsOff() != "" {
		return nil
	}
	return bs
}

// refused shows why an action key did nothing. It calls nothing.
func (s *session) refused() tea.Cmd { return s.say(s.actionsOff()) }

// actionTimeout bounds one vendor call started from the dashboard.
const actionTimeout = time.Minute

// actionDone is the result of an action a command carried out.
type actionDone struct {
	modal int    // the dialog or form that started it (0: none)
	ok    string // the notice on success
	fail  string // what failed, before the vendor's error
	err   error
	// after runs in Update once the result is in (a reload, a refresh);
	// it gets the error, nil on success.
	after func(err error) tea.Cmd
}

// act runs do in a command with the dashboard's context and a timeout,
// the actions service and who acts (as they are now: the command reads
// nothing of the session), and delivers its actionDone.
func (s *session) act(modal int, ok, fail string, do func(ctx context.Context, acts Actions, who actions.Actor) error,
	after func(error) tea.Cmd) tea.Cmd {
	ctx, acts, who := s.ctx, s.actions, s.actor
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		err := do(ctx, acts, who)
		return actionDone{modal: modal, ok: ok, fail: fail, err: err, after: after}
	}
}

// copyDone is the result of a copy.
type copyDone struct {
	text string
	err  error
}

// copyText copies text with the terminal's clipboard (OSC 52) in a command.
func (s *session) copyText(text string) tea.Cmd {
	if s.clipboard == nil {
		return s.sayErr("copying is not available here")
	}
	if text == "" {
		return s.sayErr("nothing to copy here")
	}
	clip := s.clipboard
	return func() tea.Msg { return copyDone{text: text, err: clip(text)} }
}

// exportTable writes a screen's table, or says why not.
func (s *session) exportTable(screen string, d export.Table, format export.Format) tea.Cmd {
	cmd, refusal := s.exports.Table(screen, d, format)
	if refusal != "" {
		return s.sayErr(refusal)
	}
	return cmd
}

// exportEvents writes every event the filter matches, or says why not.
func (s *session) exportEvents(f store.EventFilter, by store.Sort, describe string, format export.Format, matching int) tea.Cmd {
	if s.store == nil {
		return s.sayErr("no store to export from")
	}
	cmd, refusal := s.exports.Events(s.ctx, s.store, f, by, describe, format, matching)
	if refusal != "" {
		return s.sayErr(refusal)
	}
	return tea.Batch(s.say("exporting the events…"), cmd)
}

// reloadOutbox asks for the Outbox & audit lists to be read again.
func (s *session) reloadOutbox() tea.Cmd {
	s.ask(outboxReload{})
	return nil
}
