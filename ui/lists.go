package ui

import (
	"context"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/ui/table"
)

// listScreen is a read-only table loaded by one command each time it is
// shown: Cloudflare behaviors and integrations, the outbox and the audit
// log. (Editing them comes with operator actions.)
type listScreen struct {
	a     *App
	title string
	note  string // a line under the table
	list  listKeys
	tbl   table.Model
	load  func(ctx context.Context) (rows []table.Row, status string, err error)

	gen     int
	loading bool
	loaded  bool
	status  string
	err     string
}

// listLoaded is a listScreen's rows.
type listLoaded struct {
	screen *listScreen
	gen    int
	rows   []table.Row
	status string
	err    error
}

func newListScreen(a *App, title, empty, note string, cols []table.Column,
	load func(ctx context.Context) ([]table.Row, string, error)) *listScreen {
	styles := table.Styles{}
	if a.deps.Theme != nil {
		styles = table.StylesFrom(a.deps.Theme)
	}
	l := &listScreen{a: a, title: title, note: note, list: newListKeys(), tbl: table.New(styles, cols...), load: load}
	l.tbl.SetEmptyMessage(empty)
	return l
}

func (l *listScreen) keys() []key.Binding {
	return []key.Binding{l.list.Up, l.list.Down, l.list.PageUp, l.list.PageDown}
}
func (l *listScreen) typing() bool { return false }

func (l *listScreen) activate() tea.Cmd {
	if l.loading {
		return nil
	}
	l.loading = true
	l.gen++
	gen, ctx, load := l.gen, l.a.ctx, l.load
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		rows, status, err := load(ctx)
		return listLoaded{screen: l, gen: gen, rows: rows, status: status, err: err}
	}
}

func (l *listScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case bodyResized:
		l.tbl.SetSize(msg.w, max(msg.h-2, 2))
	case listLoaded:
		if msg.screen != l || msg.gen != l.gen {
			return nil
		}
		l.loading, l.loaded = false, true
		l.err = ""
		if msg.err != nil {
			l.err = msg.err.Error()
			return nil
		}
		l.status = msg.status
		l.tbl.SetRows(msg.rows)
	case tea.KeyMsg:
		page := max(l.tbl.VisibleRows(), 1)
		switch {
		case key.Matches(msg, l.list.Down):
			l.tbl.MoveDown(1)
		case key.Matches(msg, l.list.Up):
			l.tbl.MoveUp(1)
		case key.Matches(msg, l.list.PageDown):
			l.tbl.MoveDown(page)
		case key.Matches(msg, l.list.PageUp):
			l.tbl.MoveUp(page)
		}
	}
	return nil
}

func (l *listScreen) view(w, h int) string {
	t := l.a.deps.Theme
	head := t.Bold.Render(l.title)
	switch {
	case l.err != "":
		head += " " + t.Error.Render(l.err)
	case l.loading && !l.loaded:
		head += t.Muted.Render(" · loading…")
	case l.status != "":
		head += t.Muted.Render(" · " + l.status)
	}
	return fitBlock(head+"\n"+l.tbl.View()+"\n"+t.Muted.Render(l.note), w, h)
}

func newBehaviorsScreen(a *App) screen {
	cols := []table.Column{
		{Title: "Behavior", Flex: 2, Min: 14},
		{Title: "Key", Width: 20, Min: 10},
		{Title: "Enabled", Width: 7},
		{Title: "Level", Width: 6},
		{Title: "Description", Flex: 4, Min: 10},
	}
	var levels [model.LevelCritical + 1]lipgloss.Style
	if a.deps.Theme != nil {
		for i := range levels {
			levels[i] = a.deps.Theme.Level(model.Level(i))
		}
	}
	return newListScreen(a, "Cloudflare risk behaviors", "no behaviors", "read-only here; editing comes with operator actions",
		cols, func(ctx context.Context) ([]table.Row, string, error) {
			cf := a.deps.Clients.Cloudflare
			if cf == nil {
				return nil, "Cloudflare is not configured", nil
			}
			bs, err := cf.Behaviors(ctx)
			if err != nil {
				return nil, "", err
			}
			rows := make([]table.Row, len(bs))
			enabled := 0
			for i, b := range bs {
				on := "no"
				if b.Enabled {
					on, enabled = "yes", enabled+1
				}
				lv := model.CloudflareLevel(string(b.RiskLevel))
				rows[i] = table.Row{Cells: []string{b.Name, b.Key, on, string(b.RiskLevel), b.Description},
					Styles: []*lipgloss.Style{nil, nil, nil, &levels[lv]}}
			}
			return rows, fmt.Sprintf("%d of %d enabled", enabled, len(bs)), nil
		})
}

func newIntegrationsScreen(a *App) screen {
	cols := []table.Column{
		{Title: "Type", Width: 6},
		{Title: "Active", Width: 6},
		{Title: "Tenant", Flex: 2, Min: 14},
		{Title: "Reference", Flex: 1, Min: 8},
		{Title: "Created", Width: 10},
		{Title: "Well-known URL", Flex: 3, Min: 12},
	}
	return newListScreen(a, "Cloudflare risk integrations", "no integrations: Cloudflare sends risk to no identity provider",
		"the well-known URL goes into Okta's shared-signals stream setup", cols,
		func(ctx context.Context) ([]table.Row, string, error) {
			cf := a.deps.Clients.Cloudflare
			if cf == nil {
				return nil, "Cloudflare is not configured", nil
			}
			ins, err := cf.Integrations(ctx)
			if err != nil {
				return nil, "", err
			}
			rows := make([]table.Row, len(ins))
			for i, in := range ins {
				active := "no"
				if in.Active {
					active = "yes"
				}
				rows[i] = table.Row{Cells: []string{in.IntegrationType, active, in.TenantURL, in.ReferenceID,
					in.CreatedAt.Local().Format("2006-01-02"), in.WellKnownURL}}
			}
			return rows, plural(len(ins), "integration"), nil
		})
}

// outboxScreen shows the pushes waiting, sent and failed, above the audit
// log of every operator action.
type outboxScreen struct {
	outbox, audit *listScreen
}

func newOutboxScreen(a *App) screen {
	outbox := newListScreen(a, "Outbox: IP risk pushed to Okta", "nothing queued or sent", "", []table.Column{
		{Title: "Created", Width: 14},
		{Title: "State", Width: 8},
		{Title: "IP", Width: 15, Min: 11},
		{Title: "Level", Width: 6},
		{Title: "Tries", Width: 5, Align: table.AlignRight},
		{Title: "Error / message", Flex: 1, Min: 10},
	}, func(ctx context.Context) ([]table.Row, string, error) {
		items, err := a.deps.Store.Outbox(ctx, "", 200)
		if err != nil {
			return nil, "", err
		}
		counts := map[model.OutboxState]int{}
		rows := make([]table.Row, len(items))
		for i, it := range items {
			counts[it.State]++
			detail := it.LastError
			if detail == "" {
				detail = it.Message
			}
			rows[i] = table.Row{Cells: []string{it.Created.Local().Format("Jan 02 15:04"), string(it.State), it.IP,
				it.Level.Label(), fmt.Sprint(it.Attempts), detail}}
		}
		return rows, fmt.Sprintf("%d queued · %d sent · %d failed", counts[model.OutboxQueued]+counts[model.OutboxSending],
			counts[model.OutboxSent], counts[model.OutboxFailed]), nil
	})
	audit := newListScreen(a, "Audit log: every operator action", "no actions yet", "read-only; actions come with the next issue", []table.Column{
		{Title: "When", Width: 14},
		{Title: "Who", Flex: 1, Min: 8},
		{Title: "Action", Width: 14},
		{Title: "Target", Flex: 2, Min: 10},
		{Title: "Result", Width: 8},
		{Title: "Detail", Flex: 2, Min: 8},
	}, func(ctx context.Context) ([]table.Row, string, error) {
		es, err := a.deps.Store.Audit(ctx, 0, 200)
		if err != nil {
			return nil, "", err
		}
		rows := make([]table.Row, len(es))
		for i, e := range es {
			rows[i] = table.Row{Cells: []string{e.At.Local().Format("Jan 02 15:04"), e.Actor, e.Action, e.Target, e.Result, e.Detail}}
		}
		return rows, plural(len(es), "entry"), nil
	})
	return &outboxScreen{outbox: outbox, audit: audit}
}

func (o *outboxScreen) keys() []key.Binding { return o.audit.keys() }
func (o *outboxScreen) typing() bool        { return false }
func (o *outboxScreen) activate() tea.Cmd   { return tea.Batch(o.outbox.activate(), o.audit.activate()) }

func (o *outboxScreen) update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(bodyResized); ok {
		top := r.h / 2
		return tea.Batch(o.outbox.update(bodyResized{r.w, top}), o.audit.update(bodyResized{r.w, r.h - top}))
	}
	if _, ok := msg.(tea.KeyMsg); ok {
		return o.audit.update(msg) // the log is the longer list
	}
	return tea.Batch(o.outbox.update(msg), o.audit.update(msg))
}

func (o *outboxScreen) view(w, h int) string {
	top := h / 2
	return o.outbox.view(w, top) + "\n" + o.audit.view(w, h-top)
}
