// Package list is a table of items read whole by one command each time
// it is shown: Cloudflare's behaviors and integrations, the outbox and
// the audit log. The screens that edit them wrap it.
package list

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
)

// Screen is a table of items read whole by one command each time it is
// shown, with a title line above (the title, then an error, "loading…" or
// the read's status) and a note under it.
type Screen[T any] struct {
	// Note is the text under the table (it may follow the selection);
	// NoteLines is how many lines it keeps (1 unless set).
	Note      func() string
	NoteLines int
	// Pair marks one of two lists on a tab: the title shows whether it is
	// Focused.
	Pair, Focused bool
	// Ident names an item: its identity (the cursor stays on it as the
	// list is read again) and how the notice that it moved calls it.
	Ident func(T) (key, label string)

	c     *uictx.Context
	title string
	tbl   table.Model
	// load is called in Update and returns the read to run in a command,
	// holding what it needs (so the command reads nothing the Update
	// loop may change meanwhile).
	load func() LoadFunc[T]
	row  func(T) table.Row

	items   []T
	gen     int
	loading bool
	again   bool // a reload was asked for while one ran
	loaded  bool
	status  string
	err     string

	width, height int

	// The drawn screen, kept until something it shows changes (rev counts
	// the changes), so a frame with nothing new costs a comparison.
	rev     int
	viewKey viewKey
	drawn   string
}

type viewKey struct {
	w, h, rev int
	extra     string
	acting    bool // whether actions are on (notes mention them)
}

// Touch says something the list shows changed.
func (l *Screen[T]) Touch() { l.rev++ }

// LoadFunc reads a list's items and the status line above them.
type LoadFunc[T any] func(ctx context.Context) (items []T, status string, err error)

// Loaded is a list's items, read.
type Loaded[T any] struct {
	screen *Screen[T]
	gen    int
	items  []T
	status string
	err    error
}

// Succeeded reports whether m brought s its items.
func (m Loaded[T]) Succeeded(s *Screen[T]) bool { return m.screen == s && m.err == nil }

// New is a list titled title, with cols, that says empty when it holds
// nothing; load, called in Update, returns the read to run in a command
// (taking what it needs then), and row draws one item.
func New[T any](c *uictx.Context, title, empty string, cols []table.Column,
	load func() LoadFunc[T], row func(T) table.Row) *Screen[T] {
	styles := table.Styles{}
	if c.Theme != nil {
		styles = table.StylesFrom(c.Theme)
	}
	l := &Screen[T]{c: c, title: title, tbl: table.New(styles, cols...), load: load, row: row, NoteLines: 1}
	// The lists move by row and by page: no first or last.
	l.tbl.KeyMap = c.Nav
	l.tbl.KeyMap.Top.SetEnabled(false)
	l.tbl.KeyMap.Bottom.SetEnabled(false)
	l.tbl.SetEmptyMessage(empty)
	return l
}

// Items are the items read last.
func (l *Screen[T]) Items() []T { return l.items }

func (l *Screen[T]) Keys() []key.Binding {
	k := l.tbl.KeyMap
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown}
}

func (l *Screen[T]) Typing() bool { return false }

func (l *Screen[T]) Activate() tea.Cmd {
	if l.loading {
		l.again = true
		return nil
	}
	l.loading = true
	l.Touch()
	l.gen++
	gen, ctx, load := l.gen, l.c.Ctx, l.load()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		items, status, err := load(ctx)
		return Loaded[T]{screen: l, gen: gen, items: items, status: status, err: err}
	}
}

// Selected is the item under the cursor.
func (l *Screen[T]) Selected() (T, bool) {
	i := l.tbl.Cursor()
	if i < 0 || i >= len(l.items) {
		var zero T
		return zero, false
	}
	return l.items[i], true
}

// Redraw renders every item again (after a change the row depends on).
func (l *Screen[T]) Redraw() {
	rows := make([]table.Row, len(l.items))
	for i, it := range l.items {
		rows[i] = l.row(it)
		if l.Ident != nil {
			rows[i].Key, rows[i].Label = l.Ident(it)
		}
	}
	l.tbl.SetRows(rows)
	l.Touch()
}

func (l *Screen[T]) Update(msg tea.Msg) tea.Cmd {
	l.Touch()
	switch msg := msg.(type) {
	case uictx.Resized:
		l.width, l.height = msg.W, msg.H
		l.tbl.SetSize(msg.W, max(msg.H-1-l.NoteLines, 2))
	case uictx.ZoneChanged:
		l.Redraw() // rows show times in the dashboard's zone
	case Loaded[T]:
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
			l.Redraw()
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
func (l *Screen[T]) head(extra string) string {
	t := l.c.Theme
	var head string
	switch {
	case l.Pair && l.Focused:
		head = t.Focus.Render("▸ " + l.title)
	case l.Pair:
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
	head += extra
	if d := l.tbl.Drift(); !d.Zero() {
		head += t.Muted.Render(" · ") + t.Warn.Render(d.Text("as the list was read again"))
	}
	return head
}

func (l *Screen[T]) View(w, h int) string {
	return l.ViewWith(w, h, "")
}

// ViewWith draws the list with extra after its title line.
func (l *Screen[T]) ViewWith(w, h int, extra string) string {
	k := viewKey{w: w, h: h, rev: l.rev, extra: extra, acting: l.c.ActionsOff() == ""}
	if k == l.viewKey {
		return l.drawn
	}
	head := l.head(extra)
	if more := l.tbl.More(); more != "" {
		head = table.Beside(head, l.c.Theme.Muted.Render(more), w)
	}
	body := head + "\n" + l.tbl.View()
	if l.NoteLines > 0 && l.Note != nil {
		lines := layout.Wrap(strings.Split(l.Note(), "\n"), w)
		if len(lines) > l.NoteLines {
			lines = lines[:l.NoteLines]
		}
		body += "\n" + strings.Join(lines, "\n")
	}
	l.viewKey, l.drawn = k, layout.Block(body, w, h)
	return l.drawn
}

// ServiceRead is a load through the actions service: read with the
// service the Update loop holds now; with no service, or the vendor not
// configured, the list says so (uictx.ReadsOff) instead of failing.
// status words what was read.
func ServiceRead[T any](c *uictx.Context, read func(uictx.Actions, context.Context) ([]T, error), status func([]T) string) func() LoadFunc[T] {
	return func() LoadFunc[T] {
		acts := c.Actions
		return func(ctx context.Context) ([]T, string, error) {
			if acts == nil {
				return nil, uictx.ReadsOff, nil
			}
			items, err := read(acts, ctx)
			switch {
			case errors.Is(err, actions.ErrNotConfigured):
				return nil, uictx.ReadsOff, nil
			case err != nil:
				return nil, "", err
			}
			return items, status(items), nil
		}
	}
}
