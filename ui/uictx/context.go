// Package uictx is what every screen, dialog and form of the dashboard
// shares: the per-session Context (services, key maps, the live data), the
// Screen and Modal interfaces, and the requests and messages between a
// screen and the dashboard that holds it.
package uictx

import (
	"context"
	"log/slog"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/theme"
)

// Context is what a screen, a dialog or a form knows of the dashboard it
// is drawn in: the services it uses and the live data. Each dashboard
// (each SSH session) has its own; none is shared, and only the Update
// loop touches it. A screen asks the dashboard for what is not its own to
// do (a notice, a modal, another tab) with Ask; the dashboard answers in
// the same Update.
type Context struct {
	Ctx       context.Context // cancelled when the dashboard quits: stops in-flight reads
	Theme     *theme.Theme
	Nav       table.KeyMap // moves in every list, table and scrolled text
	Store     store.Store
	Actions   Actions // nil: no actions and no vendor reads
	Vendors   Vendors // the registered vendors, in the registry's order
	ReadOnly  bool
	Actor     actions.Actor
	Clipboard func(text string) error // nil: copying is not available
	Now       func() time.Time
	Loc       *time.Location                             // where times are shown (:tz utc|local); never nil
	After     func(d time.Duration, msg tea.Msg) tea.Cmd // the dashboard's timers
	Log       *slog.Logger
	Data      *Data            // the live picture; the dashboard applies what the hub says
	Exports   *export.Exporter // this dashboard's exports and their limits

	tab      Screen    // the screen of the tab shown
	asked    []tea.Msg // requests not yet answered
	modalSeq int
}

// Requests a screen asks of the dashboard (Ask).
type (
	// Notice shows a notice in the footer.
	Notice struct {
		Text string
		Err  bool
	}
	// NoticeDone ends the notice showing Text, if it still is.
	NoticeDone struct{ Text string }
	// ModalOpen shows M over the body, replacing any modal open.
	ModalOpen struct{ M Modal }
	// ModalClose closes the modal with ID (a later one stays open).
	ModalClose struct{ ID int }
	// UserOpen shows a person's drill-down over the current tab.
	UserOpen struct{ Key string }
	// ShowEvents shows the Events tab filtered to one person's events (of
	// all time), or to an address or prefix (in the time window shown, or
	// over the last Since when set).
	ShowEvents struct {
		User, IP string
		Since    time.Duration
	}
	// PersonResponse opens the confirmation of an alert's suggested
	// response on a person (their risk pushed, as the Users tab's O; or,
	// Reset, their risk reset, as R), for Person as it was at the key
	// press.
	PersonResponse struct {
		Person model.Person
		Reset  bool
	}
	// OutboxReload reloads the Outbox & audit lists when they are on
	// screen (they reload anyway when shown).
	OutboxReload struct{}
	// SourcePoll asks a source to poll now, quietly (nothing to say when
	// the sources cannot be controlled).
	SourcePoll struct{ Source string }
	// SourcesRefresh asks every source to poll now, and says so.
	SourcesRefresh struct{}
)

// Ask queues a request to the dashboard: it is answered in the same
// Update, once the screen returns, so the next key, even one read in the
// same batch, meets its result.
func (c *Context) Ask(msg tea.Msg) { c.asked = append(c.asked, msg) }

// Asked takes the requests not yet answered, in the order asked; the
// dashboard calls it.
func (c *Context) Asked() []tea.Msg {
	out := c.asked
	c.asked = nil
	return out
}

// SetTab says which screen's tab is shown; the dashboard calls it.
func (c *Context) SetTab(sc Screen) { c.tab = sc }

// Say shows a notice (in order, in this Update); SayErr an error one.
func (c *Context) Say(text string) tea.Cmd {
	c.Ask(Notice{Text: text})
	return nil
}

func (c *Context) SayErr(text string) tea.Cmd {
	c.Ask(Notice{Text: text, Err: true})
	return nil
}

// NextModalID numbers modals.
func (c *Context) NextModalID() int {
	c.modalSeq++
	return c.modalSeq
}

// OpenModal asks for m over the body; CloseModal closes the one with id.
func (c *Context) OpenModal(m Modal) tea.Cmd {
	c.Ask(ModalOpen{m})
	return nil
}

func (c *Context) CloseModal(id int) { c.Ask(ModalClose{id}) }

// OpenUser asks for a person's drill-down.
func (c *Context) OpenUser(key string) tea.Cmd {
	c.Ask(UserOpen{key})
	return nil
}

// OnTab reports whether sc is the screen of the tab shown.
func (c *Context) OnTab(sc Screen) bool { return c.tab == sc }

// ActionsOff says why actions are refused here, "" when they are allowed.
// It does no I/O (ReadOnly is a field of the service), so views call it
// to hide action keys from the footer and the help.
func (c *Context) ActionsOff() string {
	switch {
	case c.Actions == nil:
		return "no actions: this dashboard runs without the actions service"
	case c.ReadOnly || c.Actions.ReadOnly():
		if r, ok := c.Actions.(refuser); ok && r.Refusal() != nil {
			return r.Refusal().Error()
		}
		return actions.ErrReadOnly.Error()
	}
	return ""
}

// refuser is an Actions that may say why it refuses everything (an SSH
// viewer's: "this SSH key may view, not act"); nil: the usual read-only.
type refuser interface{ Refusal() error }

// ActionKeys lists bs when actions are allowed, none when they are not,
// so the footer and the help show action keys only where they work.
func (c *Context) ActionKeys(bs ...key.Binding) []key.Binding {
	if c.ActionsOff() != "" {
		return nil
	}
	return bs
}

// Refused shows why an action key did nothing. It calls nothing.
func (c *Context) Refused() tea.Cmd { return c.Say(c.ActionsOff()) }

// ActionTimeout bounds one vendor call started from the dashboard.
const ActionTimeout = time.Minute

// ActionDone is the result of an action a command carried out.
type ActionDone struct {
	Modal int    // the dialog or form that started it (0: none)
	OK    string // the notice on success
	Fail  string // what failed, before the vendor's error
	Err   error
	// After runs in Update once the result is in (a reload, a refresh);
	// it gets the error, nil on success.
	After func(err error) tea.Cmd
}

// Act runs do in a command with the dashboard's context and a timeout,
// the actions service and who acts (as they are now: the command reads
// nothing of the Context), and delivers its ActionDone.
func (c *Context) Act(modal int, ok, fail string, do func(ctx context.Context, acts Actions, who actions.Actor) error,
	after func(error) tea.Cmd) tea.Cmd {
	ctx, acts, who := c.Ctx, c.Actions, c.Actor
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ActionTimeout)
		defer cancel()
		err := do(ctx, acts, who)
		return ActionDone{Modal: modal, OK: ok, Fail: fail, Err: err, After: after}
	}
}

// CopyDone is the result of a copy.
type CopyDone struct {
	Text string
	Err  error
}

// CopyText copies text with the terminal's clipboard (OSC 52) in a command.
func (c *Context) CopyText(text string) tea.Cmd {
	if c.Clipboard == nil {
		return c.SayErr("copying is not available here")
	}
	if text == "" {
		return c.SayErr("nothing to copy here")
	}
	clip := c.Clipboard
	return func() tea.Msg { return CopyDone{Text: text, Err: clip(text)} }
}

// ExportTable writes a screen's table, or says why not.
func (c *Context) ExportTable(screen string, d export.Table, format export.Format) tea.Cmd {
	cmd, refusal := c.Exports.Table(screen, d, format)
	if refusal != "" {
		return c.SayErr(refusal)
	}
	return cmd
}

// ExportEvents writes every event the filter matches, or says why not.
func (c *Context) ExportEvents(f store.EventFilter, by store.Sort, describe string, format export.Format, matching int) tea.Cmd {
	if c.Store == nil {
		return c.SayErr("no store to export from")
	}
	cmd, refusal := c.Exports.Events(c.Ctx, c.Store, f, by, describe, format, matching)
	if refusal != "" {
		return c.SayErr(refusal)
	}
	return tea.Batch(c.Say("exporting the events…"), cmd)
}

// ReloadOutbox asks for the Outbox & audit lists to be read again.
func (c *Context) ReloadOutbox() tea.Cmd {
	c.Ask(OutboxReload{})
	return nil
}
