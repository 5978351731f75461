package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// listScreen is a table of items loaded whole by one command each time it
// is shown: Cloudflare behaviors and integrations, the outbox and the
// audit log. The screens that edit them wrap it.
type listScreen[T any] struct {
	c     *uictx.Context
	title string
	tbl   table.Model
	// load is called in Update and returns the read to run in a command,
	// holding what it needs (so the command reads nothing the Update
	// loop may change meanwhile).
	load func() loadFunc[T]
	row  func(T) table.Row
	// note is the text under the table (it may follow the selection);
	// noteLines is how many lines it keeps.
	note      func() string
	noteLines int

	items   []T
	gen     int
	loading bool
	again   bool // a reload was asked for while one ran
	loaded  bool
	status  string
	err     string
	pair    bool // one of two lists on a tab: the title shows the focus
	focused bool

	width, height int

	// The drawn screen, kept until something it shows changes (rev counts
	// the changes), so a frame with nothing new costs a comparison.
	rev     int
	viewKey listViewKey
	drawn   string
}

type listViewKey struct {
	w, h, rev int
	extra     string
	acting    bool // whether actions are on (notes mention them)
}

// touch says something the list shows changed.
func (l *listScreen[T]) touch() { l.rev++ }

// loadFunc reads a list's items and the status line above them.
type loadFunc[T any] func(ctx context.Context) (items []T, status string, err error)

// listLoaded is a listScreen's items.
type listLoaded[T any] struct {
	screen *listScreen[T]
	gen    int
	items  []T
	status string
	err    error
}

func newList[T any](c *uictx.Context, title, empty string, cols []table.Column,
	load func() loadFunc[T], row func(T) table.Row) *listScreen[T] {
	styles := table.Styles{}
	if c.Theme != nil {
		styles = table.StylesFrom(c.Theme)
	}
	l := &listScreen[T]{c: c, title: title, tbl: table.New(styles, cols...), load: load, row: row, noteLines: 1}
	// The lists move by row and by page: no first or last.
	l.tbl.KeyMap = c.Nav
	l.tbl.KeyMap.Top.SetEnabled(false)
	l.tbl.KeyMap.Bottom.SetEnabled(false)
	l.tbl.SetEmptyMessage(empty)
	return l
}

func (l *listScreen[T]) Keys() []key.Binding {
	k := l.tbl.KeyMap
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown}
}
func (l *listScreen[T]) Typing() bool { return false }

func (l *listScreen[T]) Activate() tea.Cmd {
	if l.loading {
		l.again = true
		return nil
	}
	l.loading = true
	l.touch()
	l.gen++
	gen, ctx, load := l.gen, l.c.Ctx, l.load()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		items, status, err := load(ctx)
		return listLoaded[T]{screen: l, gen: gen, items: items, status: status, err: err}
	}
}

// selected is the item under the cursor.
func (l *listScreen[T]) selected() (T, bool) {
	i := l.tbl.Cursor()
	if i < 0 || i >= len(l.items) {
		var zero T
		return zero, false
	}
	return l.items[i], true
}

// redraw renders every item again (after a change the row depends on).
func (l *listScreen[T]) redraw() {
	rows := make([]table.Row, len(l.items))
	for i, it := range l.items {
		rows[i] = l.row(it)
	}
	l.tbl.SetRows(rows)
	l.touch()
}

func (l *listScreen[T]) Update(msg tea.Msg) tea.Cmd {
	l.touch()
	switch msg := msg.(type) {
	case uictx.Resized:
		l.width, l.height = msg.W, msg.H
		l.tbl.SetSize(msg.W, max(msg.H-1-l.noteLines, 2))
	case listLoaded[T]:
		if msg.screen != l || msg.gen != l.gen {
			return nil
		}
		l.loading, l.loaded = false, true
		l.err = ""
		if msg.err != nil {
			l.err = msg.err.Error()
		} else {
			l.status = msg.status
			l.items = msg.items
			l.redraw()
		}
		if l.again {
			l.again = false
			return l.Activate()
		}
	case tea.KeyMsg:
		l.tbl, _ = l.tbl.Update(msg)
	}
	return nil
}

// head is the title line: the title (marked when its list has the focus
// of a pair), then an error, "loading…" or the status.
func (l *listScreen[T]) head(extra string) string {
	t := l.c.Theme
	var head string
	switch {
	case l.pair && l.focused:
		head = t.Focus.Render("▸ " + l.title)
	case l.pair:
		head = t.Bold.Render("  " + l.title)
	default:
		head = t.Bold.Render(l.title)
	}
	switch {
	case l.err != "":
		head += " " + t.Error.Render(l.err)
	case l.loading && !l.loaded:
		head += t.Muted.Render(" · loading…")
	case l.status != "":
		head += t.Muted.Render(" · " + l.status)
	}
	return head + extra
}

func (l *listScreen[T]) View(w, h int) string {
	return l.viewWith(w, h, "")
}

func (l *listScreen[T]) viewWith(w, h int, extra string) string {
	k := listViewKey{w: w, h: h, rev: l.rev, extra: extra, acting: l.c.ActionsOff() == ""}
	if k == l.viewKey {
		return l.drawn
	}
	body := l.head(extra) + "\n" + l.tbl.View()
	if l.noteLines > 0 && l.note != nil {
		lines := layout.Wrap(strings.Split(l.note(), "\n"), w)
		if len(lines) > l.noteLines {
			lines = lines[:l.noteLines]
		}
		body += "\n" + strings.Join(lines, "\n")
	}
	l.viewKey, l.drawn = k, layout.Block(body, w, h)
	return l.drawn
}

// outboxScreen shows the pushes waiting, sent and failed, above the audit
// log of every operator action. ←/→ (h/l) move the focus between them;
// on a failed or queued push R retries it and d drops it (after a
// confirmation).
type outboxScreen struct {
	c      *uictx.Context
	outbox *listScreen[model.OutboxItem]
	audit  *listScreen[model.AuditEntry]
	focus  int // 0: outbox, 1: audit
	k      outboxKeys
}

type outboxKeys struct {
	Left, Right, Retry, Drop, Copy, Export, ExportJSON key.Binding
}

// outboxLoad is how many outbox items and audit entries the tab lists.
const outboxLoad = 200

func newOutboxScreen(c *uictx.Context) uictx.Screen {
	outbox := newList(c, "Outbox: IP risk pushed to Okta", "nothing queued or sent", []table.Column{
		{Title: "Created", Width: 12},
		{Title: "State", Width: 7},
		{Title: "IP", Width: 15, Min: 11},
		{Title: "Level", Width: 6},
		{Title: "Tries", Width: 5, Align: table.AlignRight},
		{Title: "By", Width: 10, Min: 6},
		{Title: "Error / message", Flex: 1, Min: 10},
	}, func() loadFunc[model.OutboxItem] {
		st := c.Store
		return func(ctx context.Context) ([]model.OutboxItem, string, error) {
			items, err := st.Outbox(ctx, "", outboxLoad)
			if err != nil {
				return nil, "", err
			}
			counts := map[model.OutboxState]int{}
			for _, it := range items {
				counts[it.State]++
			}
			return items, fmt.Sprintf("%d queued · %d sent · %d failed", counts[model.OutboxQueued]+counts[model.OutboxSending],
				counts[model.OutboxSent], counts[model.OutboxFailed]), nil
		}
	}, func(it model.OutboxItem) table.Row {
		detail := it.LastError
		if detail == "" {
			detail = it.Message
		}
		return table.Row{Cells: []string{it.Created.Local().Format("Jan 02 15:04"), string(it.State), it.IP,
			it.Level.Label(), fmt.Sprint(it.Attempts), it.Actor, detail}}
	})
	audit := newList(c, "Audit log: every operator action", "no actions yet", []table.Column{
		{Title: "When", Width: 12},
		{Title: "Who", Flex: 1, Min: 8},
		{Title: "Action", Width: 16},
		{Title: "Target", Flex: 2, Min: 10},
		{Title: "Result", Width: 8},
		{Title: "Detail", Flex: 2, Min: 8},
	}, func() loadFunc[model.AuditEntry] {
		st := c.Store
		return func(ctx context.Context) ([]model.AuditEntry, string, error) {
			es, err := st.Audit(ctx, 0, outboxLoad)
			if err != nil {
				return nil, "", err
			}
			return es, words.Plural(len(es), "entry"), nil
		}
	}, func(e model.AuditEntry) table.Row {
		detail := e.Detail
		if e.VendorStatus != 0 {
			detail = fmt.Sprintf("%d %s", e.VendorStatus, detail)
		}
		return table.Row{Cells: []string{e.At.Local().Format("Jan 02 15:04"), e.Actor, e.Action, e.Target, e.Result, detail}}
	})
	o := &outboxScreen{c: c, outbox: outbox, audit: audit, k: outboxKeys{
		Left:       key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "outbox / audit")),
		Right:      key.NewBinding(key.WithKeys("right", "l")),
		Retry:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "retry the push")),
		Drop:       key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "drop the push")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the IP / target")),
		Export:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export CSV")),
		ExportJSON: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export JSON")),
	}}
	outbox.pair, audit.pair = true, true
	outbox.noteLines, audit.noteLines = 0, 1
	audit.note = func() string {
		return c.Theme.Muted.Render("every action attempt, kept for good; ←/→ moves between the lists")
	}
	o.setFocus(0)
	return o
}

func (o *outboxScreen) setFocus(i int) {
	o.focus = i
	o.outbox.focused, o.audit.focused = i == 0, i == 1
	o.outbox.touch()
	o.audit.touch()
}

func (o *outboxScreen) Keys() []key.Binding {
	bs := []key.Binding{o.k.Left}
	if o.focus == 0 {
		bs = append(bs, o.c.ActionKeys(o.k.Retry, o.k.Drop)...)
	}
	bs = append(bs, o.k.Copy, o.k.Export, o.k.ExportJSON)
	return append(bs, o.outbox.Keys()...)
}

func (o *outboxScreen) Typing() bool      { return false }
func (o *outboxScreen) Activate() tea.Cmd { return tea.Batch(o.outbox.Activate(), o.audit.Activate()) }

func (o *outboxScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case uictx.Resized:
		top := msg.H / 2
		return tea.Batch(o.outbox.Update(uictx.Resized{W: msg.W, H: top}), o.audit.Update(uictx.Resized{W: msg.W, H: msg.H - top}))
	case uictx.DataChanged:
		if msg.Actions {
			return o.c.ReloadOutbox()
		}
		return nil
	case tea.KeyMsg:
		return o.onKey(msg)
	}
	return tea.Batch(o.outbox.Update(msg), o.audit.Update(msg))
}

func (o *outboxScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	c := o.c
	switch {
	case key.Matches(msg, o.k.Left):
		o.setFocus(0)
		return nil
	case key.Matches(msg, o.k.Right):
		o.setFocus(1)
		return nil
	case key.Matches(msg, o.k.Export, o.k.ExportJSON):
		format := export.CSV
		if key.Matches(msg, o.k.ExportJSON) {
			format = export.JSON
		}
		if o.focus == 0 {
			return c.ExportTable("outbox", o.outboxExport(), format)
		}
		return c.ExportTable("audit", o.auditExport(), format)
	case key.Matches(msg, o.k.Copy):
		if o.focus == 0 {
			if it, ok := o.outbox.selected(); ok {
				return c.CopyText(it.IP)
			}
		} else if e, ok := o.audit.selected(); ok {
			return c.CopyText(e.Target)
		}
		return c.SayErr("nothing selected to copy")
	}
	if o.focus == 1 {
		if key.Matches(msg, o.k.Retry, o.k.Drop) {
			return c.Say("retry and drop work on the outbox: ← moves there")
		}
		return o.audit.Update(msg)
	}
	switch {
	case key.Matches(msg, o.k.Retry):
		if c.ActionsOff() != "" {
			return c.Refused()
		}
		it, ok := o.outbox.selected()
		if !ok {
			return c.SayErr("no push selected")
		}
		if it.State != model.OutboxFailed && it.State != model.OutboxQueued {
			return c.SayErr(fmt.Sprintf("the push of %s is %s: only failed or queued pushes can be retried", it.IP, it.State))
		}
		return c.Act(0, fmt.Sprintf("push of %s queued again", it.IP), "not retried", func(ctx context.Context, acts Actions, who actions.Actor) error {
			return acts.RetryPush(ctx, who, it.ID)
		}, func(error) tea.Cmd { return c.ReloadOutbox() })
	case key.Matches(msg, o.k.Drop):
		if c.ActionsOff() != "" {
			return c.Refused()
		}
		it, ok := o.outbox.selected()
		if !ok {
			return c.SayErr("no push selected")
		}
		if it.State != model.OutboxFailed && it.State != model.OutboxQueued {
			return c.SayErr(fmt.Sprintf("the push of %s is %s: only failed or queued pushes can be dropped", it.IP, it.State))
		}
		lines := []string{
			fmt.Sprintf("Drop the push of %s (%s)?", c.Theme.Bold.Render(it.IP), it.Level.Label()),
			fmt.Sprintf("It is %s after %s. Dropped, it is never sent to Okta; the audit log keeps the record.", it.State, words.Plural(it.Attempts, "try")),
		}
		if it.LastError != "" {
			lines = append(lines, c.Theme.Muted.Render("last error: "+it.LastError))
		}
		d := newDialog(c, "Drop a push", "Drop", lines, nil)
		d.run = func() tea.Cmd {
			return c.Act(d.ident, "dropped the push of "+it.IP, "not dropped", func(ctx context.Context, acts Actions, who actions.Actor) error {
				return acts.DropPush(ctx, who, it.ID)
			}, func(error) tea.Cmd { return c.ReloadOutbox() })
		}
		return c.OpenModal(d)
	}
	return o.outbox.Update(msg)
}

func (o *outboxScreen) View(w, h int) string {
	top := h / 2
	return o.outbox.View(w, top) + "\n" + o.audit.View(w, h-top)
}

func (o *outboxScreen) outboxExport() export.Table {
	d := export.Table{Fields: []string{"id", "created", "state", "ip", "level", "message", "expires_at", "actor", "attempts", "next_try", "last_error", "sent_at"}}
	for _, it := range o.outbox.items {
		d.Rows = append(d.Rows, []any{it.ID, export.TimeCell(it.Created), string(it.State), it.IP, it.Level.Label(), it.Message,
			export.TimeCell(it.ExpiresAt), it.Actor, it.Attempts, export.TimeCell(it.NextTry), it.LastError, export.TimeCell(it.SentAt)})
	}
	return d
}

func (o *outboxScreen) auditExport() export.Table {
	d := export.Table{Fields: []string{"id", "at", "actor", "action", "vendor", "target", "result", "vendor_status", "detail"}}
	for _, e := range o.audit.items {
		d.Rows = append(d.Rows, []any{e.ID, export.TimeCell(e.At), e.Actor, e.Action, e.Vendor, e.Target, e.Result, e.VendorStatus, e.Detail})
	}
	return d
}
