// Package events is tab 2: every stored event, a page at a time, newest
// or riskiest first, filtered by a line of terms and words; enter shows an
// event's every field.
package events

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/push"
	"github.com/risktop/risktop/ui/scroll"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Screen is tab 2: every stored event, a page at a time, newest or
// riskiest first, filtered. A page is one keyset query of the store, so
// paging costs the same at the millionth event as at the first.
type Screen struct {
	c   *uictx.Context
	k   keys
	nav table.KeyMap // the table's keys, paging the store
	tbl table.Model

	filterIn  textinput.Model
	filtering bool
	q         eventQuery
	windowIdx int
	sortBy    store.Sort

	events   []model.Event
	page     store.EventPage
	last     store.EventQuery // the query that produced the page, re-run on refresh
	pageNo   int              // 1-based; 0 before the first page arrives
	atLast   bool
	total    int // events matching the filter; -1 while counting
	countGen int // the query whose count total waits for
	gen      int
	loading  bool
	reload   bool             // a refresh was asked for while a query ran
	queued   []func() tea.Cmd // page keys pressed while a page was loading, in order
	fresh    int              // new events announced while not on the newest page
	err      string

	detail   *scroll.Model
	detailEv model.Event

	width, height int
	levels        [model.LevelCritical + 1]lipgloss.Style
}

type keys struct {
	Filter, Window, Sort, Open, User, Clear      key.Binding
	Push, Bulk, Copy, CopyID, Export, ExportJSON key.Binding
}

var eventWindows = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour, 0}

// New is the Events tab, on the last 24 hours, newest first.
func New(c *uictx.Context) *Screen {
	e := &Screen{
		c:   c,
		nav: c.Nav,
		k: keys{
			Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
			Window: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "time window")),
			Sort:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort time/score")),
			Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
			User:   key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "user drill-down")),
			Clear:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close / clear filter")),

			Push:       key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "push the IP's risk to Okta")),
			Bulk:       key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "push every IP in the filter")),
			Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the IP")),
			CopyID:     key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "copy the event id")),
			Export:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export CSV (all matching)")),
			ExportJSON: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export JSON")),
		},
		windowIdx: 1, // 24h: keeps free text and counts quick
		total:     -1,
	}
	t := c.Theme
	if t != nil {
		for l := range e.levels {
			e.levels[l] = t.Level(model.Level(l))
		}
		e.tbl = table.New(table.StylesFrom(t), eventColumns()...)
	} else {
		e.tbl = table.New(table.Styles{}, eventColumns()...)
	}
	e.tbl.SetEmptyMessage("no events match")
	in := uictx.NewLine("/", uictx.FilterLimit)
	in.Placeholder = filterHelp
	if t != nil {
		in.PromptStyle = t.Key
		in.PlaceholderStyle = t.Muted
	}
	e.filterIn = in
	e.q = parseFilter("", eventWindows[e.windowIdx])
	return e
}

func eventColumns() []table.Column {
	return []table.Column{
		{Title: "Time", Width: 8},
		{Title: "Src", Width: 4},
		{Title: "Score", Width: 5, Align: table.AlignRight},
		{Title: "Level", Width: 8},
		{Title: "User", Flex: 3, Min: 12},
		{Title: "IP", Width: 15, Min: 11},
		{Title: "Event", Flex: 2, Min: 10},
		{Title: "Reasons", Flex: 3, Min: 10},
	}
}

func (e *Screen) keysList() []key.Binding {
	bs := []key.Binding{e.k.Open, e.k.User, e.k.Filter, e.k.Window, e.k.Sort, e.k.Clear}
	bs = append(bs, e.c.ActionKeys(e.k.Push, e.k.Bulk)...)
	bs = append(bs, e.k.Copy, e.k.CopyID, e.k.Export, e.k.ExportJSON)
	return append(bs, uictx.NavBindings(e.nav)...)
}

func (e *Screen) Keys() []key.Binding {
	if e.filtering {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	if e.detail != nil {
		copyID := key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the event id"))
		return append(append([]key.Binding{e.k.User}, e.c.ActionKeys(e.k.Push)...), copyID, e.nav.Up, e.nav.Down, e.k.Clear)
	}
	return e.keysList()
}

func (e *Screen) Typing() bool { return e.filtering }

func (e *Screen) Input() *textinput.Model {
	if e.filtering {
		return &e.filterIn
	}
	return nil
}

func (e *Screen) Activate() tea.Cmd {
	if e.pageNo == 0 && !e.loading {
		return e.first()
	}
	return nil
}

// show filters as asked.
func (e *Screen) show(s uictx.ShowEvents) tea.Cmd {
	if s.IP != "" {
		e.q = parseFilter("ip:"+s.IP, e.q.window)
		e.detail = nil
	} else {
		e.q = parseFilter("user:"+quote(s.User), 0)
	}
	e.filterIn.SetValue(e.q.text)
	return e.first()
}

// quote keeps a filter value with spaces (a name) one token.
func quote(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, "") + `"`
	}
	return s
}

// eventsPage and eventsCount are the store's answers.
type eventsPage struct {
	gen  int
	q    store.EventQuery
	page store.EventPage
	err  error
	// nav says how the page relates to the one before: "first", "next",
	// "prev", "last" or "same".
	nav string
}

type eventsCount struct {
	gen int
	n   int
	err error
}

// Filter is the filter the screen applies, its time window included.
func (e *Screen) Filter() store.EventFilter {
	f := e.q.filter
	if e.q.window > 0 {
		f.From = e.c.Now().Add(-e.q.window)
	}
	return f
}

func (e *Screen) pageSize() int { return max(e.tbl.VisibleRows(), 1) }

// fetch runs q and delivers the page (and, when count is set, the count).
func (e *Screen) fetch(q store.EventQuery, nav string, count bool) tea.Cmd {
	st := e.c.Store
	if st == nil {
		return nil
	}
	if e.loading {
		// Asked for while a page loads: run it after, in order.
		if len(e.queued) < 16 {
			e.queued = append(e.queued, func() tea.Cmd { return e.fetch(q, nav, count) })
		}
		return nil
	}
	e.loading = true
	e.gen++
	gen, ctx := e.gen, e.c.Ctx
	q.Limit = e.pageSize()
	q.Sort = e.sortBy
	cmds := []tea.Cmd{func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		p, err := st.Events(ctx, q)
		return eventsPage{gen: gen, q: q, page: p, err: err, nav: nav}
	}}
	if count {
		e.total = -1
		e.countGen = gen
		f := q.EventFilter
		cmds = append(cmds, func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			n, err := st.CountEvents(ctx, f)
			return eventsCount{gen: gen, n: n, err: err}
		})
	}
	return tea.Batch(cmds...)
}

func (e *Screen) first() tea.Cmd {
	e.fresh = 0
	return e.fetch(store.EventQuery{EventFilter: e.Filter()}, "first", true)
}

func (e *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case uictx.Resized:
		return e.resize(msg.W, msg.H)
	case eventsPage:
		return e.onPage(msg)
	case uictx.ShowEvents:
		return e.show(msg)
	case eventsCount:
		if msg.gen == e.countGen && msg.err == nil {
			e.total = msg.n
		}
		return nil
	case uictx.DataChanged:
		if !msg.Events || !e.c.OnTab(e) {
			return nil
		}
		if e.pageNo <= 1 && e.sortBy == store.ByTime && e.detail == nil {
			// The newest page follows the live head; one refresh waiting
			// behind a load is enough however many announcements come.
			if e.loading {
				e.reload = true
				return nil
			}
			return e.fetch(store.EventQuery{EventFilter: e.Filter()}, "same", true)
		}
		e.fresh += msg.Inserted
		return nil
	case tea.KeyMsg:
		return e.onKey(msg)
	}
	return nil
}

func (e *Screen) resize(w, h int) tea.Cmd {
	if w == e.width && h == e.height {
		return nil
	}
	e.width, e.height = w, h
	before := e.tbl.VisibleRows()
	e.tbl.SetSize(w, max(h-2, 2)) // a status line above, the filter line below
	if e.detail != nil {
		e.openDetail(e.detailEv)
	}
	if e.pageNo > 0 && e.tbl.VisibleRows() != before {
		return e.fetch(e.last, "same", false)
	}
	return nil
}

func (e *Screen) onPage(m eventsPage) tea.Cmd {
	if m.gen != e.gen {
		return nil
	}
	e.loading = false
	if m.err != nil {
		e.err = m.err.Error()
		return e.again()
	}
	e.err = ""
	// An empty next page (the events it would show were pruned or the
	// filter's window moved on) keeps the page the operator was on.
	if len(m.page.Events) == 0 && (m.nav == "next" || m.nav == "prev") {
		return e.again()
	}
	switch m.nav {
	case "first":
		e.pageNo = 1
	case "next":
		e.pageNo++
	case "prev":
		e.pageNo = max(e.pageNo-1, 1)
	case "last":
		e.pageNo = -1 // shown as the last page once the count is known
	case "same":
		if e.pageNo == 0 {
			e.pageNo = 1
		}
	}
	if !m.page.HasPrev {
		e.pageNo = 1
	}
	e.atLast = !m.page.HasNext
	e.last, e.page, e.events = m.q, m.page, m.page.Events
	e.tbl.SetRows(e.rows())
	switch m.nav {
	case "next", "first":
		e.tbl.Top()
	case "prev", "last":
		e.tbl.Bottom()
	}
	return e.again()
}

// again runs what was asked for while a query ran: the page keys pressed
// meanwhile, one at a time against the page they would have seen, then a
// refresh.
func (e *Screen) again() tea.Cmd {
	for len(e.queued) > 0 {
		next := e.queued[0]
		e.queued = e.queued[1:]
		if cmd := next(); cmd != nil {
			return cmd
		}
	}
	if !e.reload {
		return nil
	}
	e.reload = false
	return e.fetch(store.EventQuery{EventFilter: e.Filter()}, "same", true)
}

// inTurn runs a page move now, or after the page being loaded arrives, so
// no key press is lost however fast they come.
func (e *Screen) inTurn(move func() tea.Cmd) tea.Cmd {
	if e.loading {
		if len(e.queued) < 16 {
			e.queued = append(e.queued, move)
		}
		return nil
	}
	return move()
}

func (e *Screen) rows() []table.Row {
	now := e.c.Now()
	rows := make([]table.Row, len(e.events))
	for i, ev := range e.events {
		score := "–"
		if ev.Score >= 0 {
			score = fmt.Sprint(ev.Score)
		}
		user := ev.UserName
		if user == "" {
			user = ev.UserKey
		}
		reasons, _, _ := strings.Cut(ev.Reasons, "\n")
		lv := &e.levels[max(ev.Level, 0)]
		rows[i] = table.Row{
			Cells:  []string{eventTime(ev.Time, now), e.c.Vendors.Short(ev.Vendor), score, ev.Level.Label(), user, ev.IP, ev.TypeName, reasons},
			Styles: []*lipgloss.Style{nil, nil, lv, lv},
		}
	}
	return rows
}

// eventTime is the clock time for today's events, the date before.
func eventTime(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y1, m1, d1 := t.Date(); true {
		if y2, m2, d2 := now.Date(); y1 == y2 && m1 == m2 && d1 == d2 {
			return t.Format("15:04:05")
		}
	}
	return t.Format("Jan 02")
}

func (e *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
	if e.filtering {
		switch msg.Type {
		case tea.KeyEnter:
			e.filtering = false
			e.filterIn.Blur()
			q := parseFilter(e.filterIn.Value(), eventWindows[e.windowIdx])
			if len(q.problems) > 0 {
				e.filtering = true
				e.filterIn.Focus()
				return e.c.SayErr(strings.Join(q.problems, "; "))
			}
			e.q = q
			return e.first()
		case tea.KeyEsc:
			e.filtering = false
			e.filterIn.Blur()
			e.filterIn.SetValue(e.q.text)
			return nil
		}
		var cmd tea.Cmd
		e.filterIn, cmd = e.filterIn.Update(msg)
		return cmd
	}
	if e.detail != nil {
		switch {
		case key.Matches(msg, e.k.Clear):
			e.detail = nil
		case key.Matches(msg, e.k.User):
			return e.openUser(e.detailEv)
		case key.Matches(msg, e.k.Push):
			return e.push(e.detailEv)
		case key.Matches(msg, e.k.Copy, e.k.CopyID):
			return e.c.CopyText(e.detailEv.ID)
		default:
			e.detail.OnKey(msg, e.nav)
		}
		return nil
	}
	switch {
	case key.Matches(msg, e.nav.Down):
		return e.inTurn(func() tea.Cmd {
			if e.tbl.Cursor() == e.tbl.Len()-1 && !e.atLast {
				return e.next()
			}
			e.tbl.MoveDown(1)
			return nil
		})
	case key.Matches(msg, e.nav.Up):
		return e.inTurn(func() tea.Cmd {
			if e.tbl.Cursor() == 0 && e.pageNo != 1 {
				return e.prev()
			}
			e.tbl.MoveUp(1)
			return nil
		})
	case key.Matches(msg, e.nav.PageDown):
		return e.inTurn(e.next)
	case key.Matches(msg, e.nav.PageUp):
		return e.inTurn(e.prev)
	case key.Matches(msg, e.nav.Top):
		return e.inTurn(e.first)
	case key.Matches(msg, e.nav.Bottom):
		return e.inTurn(func() tea.Cmd {
			return e.fetch(store.EventQuery{EventFilter: e.Filter(), Last: true}, "last", false)
		})
	case key.Matches(msg, e.k.Filter):
		e.filtering = true
		e.filterIn.SetValue(e.q.text)
		e.filterIn.CursorEnd()
		return e.filterIn.Focus()
	case key.Matches(msg, e.k.Window):
		e.windowIdx = (e.windowIdx + 1) % len(eventWindows)
		e.q = parseFilter(e.q.text, eventWindows[e.windowIdx])
		return e.first()
	case key.Matches(msg, e.k.Sort):
		if e.sortBy == store.ByTime {
			e.sortBy = store.ByScore
		} else {
			e.sortBy = store.ByTime
		}
		return e.first()
	case key.Matches(msg, e.k.Open):
		if ev, ok := e.selected(); ok {
			e.openDetail(ev)
		}
	case key.Matches(msg, e.k.User):
		if ev, ok := e.selected(); ok {
			return e.openUser(ev)
		}
	case key.Matches(msg, e.k.Clear):
		if e.q.text != "" {
			e.q = parseFilter("", eventWindows[e.windowIdx])
			e.filterIn.SetValue("")
			return e.first()
		}
	case key.Matches(msg, e.k.Push):
		if ev, ok := e.selected(); ok {
			return e.push(ev)
		}
		return e.c.SayErr("no event selected")
	case key.Matches(msg, e.k.Bulk):
		return push.Collect(e.c, e.Filter(), e.q.describe())
	case key.Matches(msg, e.k.Copy):
		if ev, ok := e.selected(); ok {
			if ev.IP == "" {
				return e.c.SayErr("this event has no IP address")
			}
			return e.c.CopyText(ev.IP)
		}
	case key.Matches(msg, e.k.CopyID):
		if ev, ok := e.selected(); ok {
			return e.c.CopyText(ev.ID)
		}
	case key.Matches(msg, e.k.Export):
		return e.c.ExportEvents(e.Filter(), e.sortBy, e.q.describe(), export.CSV, e.total)
	case key.Matches(msg, e.k.ExportJSON):
		return e.c.ExportEvents(e.Filter(), e.sortBy, e.q.describe(), export.JSON, e.total)
	}
	return nil
}

// push opens the push form for the event's address.
func (e *Screen) push(ev model.Event) tea.Cmd {
	if e.c.ActionsOff() != "" {
		return e.c.Refused()
	}
	if ev.IP == "" {
		return e.c.SayErr("this event has no IP address to push")
	}
	return push.Open(e.c, ev.IP, push.LevelOf(ev.Level), nil)
}

func (e *Screen) next() tea.Cmd {
	if e.atLast || e.page.LastKey == nil {
		return nil
	}
	return e.fetch(store.EventQuery{EventFilter: e.Filter(), After: e.page.LastKey}, "next", false)
}

func (e *Screen) prev() tea.Cmd {
	if e.pageNo == 1 || e.page.First == nil {
		return nil
	}
	return e.fetch(store.EventQuery{EventFilter: e.Filter(), Before: e.page.First}, "prev", false)
}

// Events are the page shown.
func (e *Screen) Events() []model.Event { return e.events }

func (e *Screen) selected() (model.Event, bool) {
	i := e.tbl.Cursor()
	if i < 0 || i >= len(e.events) {
		return model.Event{}, false
	}
	return e.events[i], true
}

// openUser opens the drill-down of the event's person: by address when
// the vendor gave one, else by the name that the merge joined.
func (e *Screen) openUser(ev model.Event) tea.Cmd {
	for _, k := range []string{ev.UserKey, ev.UserName} {
		if k == "" {
			continue
		}
		if p, ok := e.c.Data.Person(k); ok {
			return e.c.OpenUser(p.Key)
		}
		for _, p := range e.c.Data.People {
			if strings.EqualFold(p.Name, k) {
				return e.c.OpenUser(p.Key)
			}
		}
	}
	if ev.UserKey == "" && ev.UserName == "" {
		return e.c.SayErr("this event names no user")
	}
	who := ev.UserKey
	if who == "" {
		who = ev.UserName
	}
	return e.c.OpenUser(who)
}

func (e *Screen) openDetail(ev model.Event) {
	sc := &scroll.Model{}
	sc.Set(e.detailText(ev), e.width, max(e.height-1, 1))
	e.detail, e.detailEv = sc, ev
}

// detailText is every field of an event, reasons in full.
func (e *Screen) detailText(ev model.Event) string {
	t := e.c.Theme
	keyW := 12
	for k := range ev.Fields {
		keyW = max(keyW, len(k)+3)
	}
	row := func(k, v string) string {
		if v == "" {
			return ""
		}
		return t.Muted.Render(layout.PadRight(k, keyW)) + v + "\n"
	}
	score := "none"
	if ev.Score >= 0 {
		score = fmt.Sprintf("%d (%s)", ev.Score, model.BucketOf(ev.Score).Label())
	}
	var b strings.Builder
	b.WriteString(t.Bold.Render(fmt.Sprintf("%s event %s", ev.Vendor, ev.ID)) + "\n\n")
	b.WriteString(row("time", ev.Time.Local().Format("2006-01-02 15:04:05.000 MST")+t.Muted.Render("  ("+ev.Time.UTC().Format(time.RFC3339Nano)+")")))
	b.WriteString(row("type", fmt.Sprintf("%s (%d)", ev.TypeName, ev.Type)))
	b.WriteString(row("user", ev.UserName))
	b.WriteString(row("email", ev.UserKey))
	b.WriteString(row("user id", ev.UserID))
	b.WriteString(row("ip", ev.IP))
	b.WriteString(row("score", score))
	b.WriteString(row("level", t.Level(ev.Level).Render(ev.Level.Label())))
	b.WriteString(row("app", ev.App))
	if ev.Reasons != "" {
		b.WriteString("\n" + t.Bold.Render("Risk reasons") + "\n")
		for _, l := range strings.Split(ev.Reasons, "\n") {
			b.WriteString("  " + l + "\n")
		}
	}
	if len(ev.Fields) > 0 {
		b.WriteString("\n" + t.Bold.Render("Other fields") + "\n")
		names := make([]string, 0, len(ev.Fields))
		for k := range ev.Fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			b.WriteString(row("  "+k, ev.Fields[k]))
		}
	}
	b.WriteString("\n" + t.Muted.Render("u opens the user · y copies the event id · esc closes"))
	return b.String()
}

func (e *Screen) View(w, h int) string {
	t := e.c.Theme
	if e.detail != nil {
		return layout.Fit(e.status(), w) + "\n" + e.detail.View()
	}
	bottom := t.Muted.Render("/ filter: " + filterHelp)
	switch {
	case e.filtering:
		e.filterIn.Width = max(w-2, 10)
		bottom = e.filterIn.View()
	case e.q.text != "":
		bottom = t.Key.Render("/") + e.q.text
	}
	return layout.Block(e.status()+"\n"+e.tbl.View()+"\n"+bottom, w, h)
}

func (e *Screen) status() string {
	t := e.c.Theme
	page := "page –"
	pages := 0
	if e.total >= 0 {
		pages = max((e.total+e.pageSize()-1)/e.pageSize(), 1)
	}
	switch {
	case e.pageNo > 0 && pages > 0:
		page = fmt.Sprintf("page %d of %d", e.pageNo, pages)
	case e.pageNo > 0:
		page = fmt.Sprintf("page %d", e.pageNo)
	case e.pageNo < 0 && pages > 0:
		page = fmt.Sprintf("page %d of %d", pages, pages)
	case e.pageNo < 0:
		page = "last page"
	}
	count := "counting…"
	if e.total >= 0 {
		count = words.Plural(e.total, "event")
	}
	sortName := "newest first"
	if e.sortBy == store.ByScore {
		sortName = "riskiest first"
	}
	s := t.Bold.Render(page) + t.Muted.Render(" · "+count+" · "+e.q.describe()+" · "+sortName)
	if e.fresh > 0 {
		s += " " + t.Warn.Render(fmt.Sprintf("%s new — g for the newest", words.Thousands(e.fresh)))
	}
	if e.loading {
		s += t.Muted.Render(" · loading…")
	}
	if e.err != "" {
		s += " " + t.Error.Render(e.err)
	}
	return s
}
