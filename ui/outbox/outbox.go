// Package outbox is tab 6: the pushes queued, sent and failed, above the
// audit log of every operator action.
package outbox

import (
	"context"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/list"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Screen shows the pushes waiting, sent and failed, above the audit
// log of every operator action. ←/→ (h/l) move the focus between them;
// on a failed or queued push R retries it and d drops it (after a
// confirmation).
type Screen struct {
	c      *uictx.Context
	outbox *list.Screen[model.OutboxItem]
	audit  *list.Screen[model.AuditEntry]
	focus  int // 0: outbox, 1: audit
	k      keys
}

type keys struct {
	Left, Right, Retry, Drop, Copy, Export, ExportJSON key.Binding
}

// outboxLoad is how many outbox items and audit entries the tab lists.
const outboxLoad = 200

// New is the Outbox & audit tab, the outbox focused.
func New(c *uictx.Context) *Screen {
	outbox := list.New(c, "Outbox: IP and person risk pushed to Okta", "nothing queued or sent", []table.Column{
		{Title: "Created", Width: 12},
		{Title: "State", Width: 7},
		// An item is an address or a person (their email).
		{Title: "Target", Width: 22, Min: 11},
		{Title: "Level", Width: 8}, // a person's may be Critical
		{Title: "Tries", Width: 5, Align: table.AlignRight},
		{Title: "By", Width: 10, Min: 6},
		{Title: "Error / message", Flex: 1, Min: 10},
	}, func() list.LoadFunc[model.OutboxItem] {
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
		return table.Row{Cells: []string{it.Created.In(c.Loc).Format("Jan 02 15:04"), string(it.State), it.Target(),
			it.Level.Label(), fmt.Sprint(it.Attempts), it.Actor, detail}}
	})
	audit := list.New(c, "Audit log: every operator action", "no actions yet", []table.Column{
		{Title: "When", Width: 12},
		{Title: "Who", Flex: 1, Min: 8},
		{Title: "Action", Width: 16},
		{Title: "Target", Flex: 2, Min: 10},
		{Title: "Result", Width: 8},
		{Title: "Detail", Flex: 2, Min: 8},
	}, func() list.LoadFunc[model.AuditEntry] {
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
		return table.Row{Cells: []string{e.At.In(c.Loc).Format("Jan 02 15:04"), e.Actor, e.Action, e.Target, e.Result, detail}}
	})
	o := &Screen{c: c, outbox: outbox, audit: audit, k: keys{
		Left:       key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "outbox / audit")),
		Right:      key.NewBinding(key.WithKeys("right", "l")),
		Retry:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "retry the push")),
		Drop:       key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "drop the push")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the IP / target")),
		Export:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export CSV")),
		ExportJSON: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export JSON")),
	}}
	outbox.Ident = func(it model.OutboxItem) (string, string) {
		return fmt.Sprint(it.ID), fmt.Sprintf("the push of %s (#%d)", it.Target(), it.ID)
	}
	audit.Ident = func(e model.AuditEntry) (string, string) {
		return fmt.Sprint(e.ID), fmt.Sprintf("entry #%d (%s %s)", e.ID, e.Action, e.Target)
	}
	outbox.Pair, audit.Pair = true, true
	outbox.NoteLines, audit.NoteLines = 0, 1
	audit.Note = func() string {
		return c.Theme.Muted.Render("every action attempt, kept for good; ←/→ moves between the lists")
	}
	o.setFocus(0)
	return o
}

func (o *Screen) setFocus(i int) {
	o.focus = i
	o.outbox.Focused, o.audit.Focused = i == 0, i == 1
	o.outbox.Touch()
	o.audit.Touch()
}

func (o *Screen) Keys() []key.Binding {
	bs := []key.Binding{o.k.Left}
	if o.focus == 0 {
		bs = append(bs, o.c.ActionKeys(o.k.Retry, o.k.Drop)...)
	}
	bs = append(bs, o.k.Copy, o.k.Export, o.k.ExportJSON)
	return append(bs, o.outbox.Keys()...)
}

func (o *Screen) Typing() bool      { return false }
func (o *Screen) Activate() tea.Cmd { return tea.Batch(o.outbox.Activate(), o.audit.Activate()) }

func (o *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case uictx.Resized:
		top := msg.H / 2
		return tea.Batch(o.outbox.Update(uictx.Resized{W: msg.W, H: top}), o.audit.Update(uictx.Resized{W: msg.W, H: msg.H - top}))
	case uictx.ZoneChanged:
		return tea.Batch(o.outbox.Update(msg), o.audit.Update(msg))
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

func (o *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
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
			if it, ok := o.outbox.Selected(); ok {
				return c.CopyText(it.Target())
			}
		} else if e, ok := o.audit.Selected(); ok {
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
		it, ok := o.outbox.Selected()
		if !ok {
			return c.SayErr("no push selected")
		}
		if it.State != model.OutboxFailed && it.State != model.OutboxQueued {
			return c.SayErr(fmt.Sprintf("the push of %s is %s: only failed or queued pushes can be retried", it.Target(), it.State))
		}
		return c.Act(0, fmt.Sprintf("push of %s queued again", it.Target()), "not retried", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			return acts.RetryPush(ctx, who, it.ID)
		}, func(error) tea.Cmd { return c.ReloadOutbox() })
	case key.Matches(msg, o.k.Drop):
		if c.ActionsOff() != "" {
			return c.Refused()
		}
		it, ok := o.outbox.Selected()
		if !ok {
			return c.SayErr("no push selected")
		}
		if it.State != model.OutboxFailed && it.State != model.OutboxQueued {
			return c.SayErr(fmt.Sprintf("the push of %s is %s: only failed or queued pushes can be dropped", it.Target(), it.State))
		}
		lines := []string{
			fmt.Sprintf("Drop the push of %s (%s)?", c.Theme.Bold.Render(it.Target()), it.Level.Label()),
			fmt.Sprintf("It is %s after %s. Dropped, it is never sent to Okta; the audit log keeps the record.", it.State, words.Plural(it.Attempts, "try")),
		}
		if it.LastError != "" {
			lines = append(lines, c.Theme.Muted.Render("last error: "+it.LastError))
		}
		d := dialog.New(c, "Drop a push", "Drop", lines, nil)
		d.Run = func() tea.Cmd {
			return c.Act(d.ID(), "dropped the push of "+it.Target(), "not dropped", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
				return acts.DropPush(ctx, who, it.ID)
			}, func(error) tea.Cmd { return c.ReloadOutbox() })
		}
		return c.OpenModal(d)
	}
	return o.outbox.Update(msg)
}

func (o *Screen) View(w, h int) string {
	top := h / 2
	return o.outbox.View(w, top) + "\n" + o.audit.View(w, h-top)
}

func (o *Screen) outboxExport() export.Table {
	d := export.Table{Fields: []string{"id", "created", "state", "ip", "level", "message", "expires_at", "actor", "attempts", "next_try", "last_error", "sent_at",
		"subject", "previous_level", "source"}} // a person's push: subject set, ip empty
	for _, it := range o.outbox.Items() {
		d.Rows = append(d.Rows, []any{it.ID, export.TimeCell(it.Created), string(it.State), it.IP, it.Level.Label(), it.Message,
			export.TimeCell(it.ExpiresAt), it.Actor, it.Attempts, export.TimeCell(it.NextTry), it.LastError, export.TimeCell(it.SentAt),
			it.Subject, previousLabel(it), it.Source})
	}
	return d
}

func (o *Screen) auditExport() export.Table {
	d := export.Table{Fields: []string{"id", "at", "actor", "action", "vendor", "target", "result", "vendor_status", "detail"}}
	for _, e := range o.audit.Items() {
		d.Rows = append(d.Rows, []any{e.ID, export.TimeCell(e.At), e.Actor, e.Action, e.Vendor, e.Target, e.Result, e.VendorStatus, e.Detail})
	}
	return d
}

// previousLabel is a person's previous level for an export ("" for an
// address, or when Okta was told none).
func previousLabel(it model.OutboxItem) string {
	if !it.Person() || it.Previous == model.LevelUnknown {
		return ""
	}
	return it.Previous.Label()
}
