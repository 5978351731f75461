// Package events is tab 2: every stored event, a page at a time, newest
// or riskiest first, filtered by a line of terms and words; enter shows an
// event's every field.
package events

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/config"
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
	typed     struct{ line, problem string } // the line being typed and what is wrong with it, kept by View
	q         eventQuery
	windowIdx int // the window when the line has no since:
	sortBy    store.Sort

	events  []model.Event
	page    store.EventPage
	last    store.EventQuery // the query that produced the page, re-run on refresh
	gen     int
	loading bool
	reload  bool             // a refresh was asked for while a query ran
	queued  []func() tea.Cmd // page keys pressed while a page was loading, in order
	err     string

	// Where the page stands, from the store's count (CountPage) once it
	// is in, guessed from the page moves meanwhile.
	pageNo, pages int // 1-based; 0: not known
	total         int // events matching the filter; -1 while counting
	counting      bool
	recount       bool // data changed while a count ran
	countGen      int
	stopCount     context.CancelFunc
	// head is the newest matching event when the operator was last at
	// the top; newer counts the matching events newer than it (arrived
	// since, not history back-filled older than it).
	head  *store.PageKey
	newer int

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
		e.tbl = table.New(table.StylesFrom(t), eventColumns(0, 0, 0, 0)...)
	} else {
		e.tbl = table.New(table.Styles{}, eventColumns(0, 0, 0, 0)...)
	}
	e.tbl.SetEmptyMessage("no events match")
	in := uictx.NewLine("/", uictx.FilterLimit)
	in.Placeholder = filterHelp
	if t != nil {
		in.PromptStyle = t.Key
		in.PlaceholderStyle = t.Muted
	}
	e.filterIn = in
	e.q = e.parse("")
	return e
}

// parse reads a filter line against the window the w key chose.
func (e *Screen) parse(line string) eventQuery {
	return parseFilter(line, eventWindows[e.windowIdx], e.c.Vendors...)
}

// eventColumns are sized for a page: the time, address and type columns
// as wide as their widest cell (the type up to 40), so an IPv6 address is cut only once the
// flexible columns are at their narrowest, and the event's type keeps
// room enough to read at 80 columns: below narrowW the source column
// goes (the detail names it), and the reasons go before the type.
func eventColumns(width, timeW, ipW, typeW int) []table.Column {
	cols := []table.Column{
		{Title: "Time", Width: max(timeW, 4)},
		{Title: "Src", Width: 4},
		{Title: "Risk", Width: riskW},
		{Title: "User", Flex: 3, Min: 10},
		{Title: "IP", Width: max(ipW, 15), Min: 15},
		{Title: "Event", Width: min(max(typeW, 18), 40), Min: 18},
		{Title: "Reasons", Flex: 2, Min: 10},
	}
	if width < narrowW {
		cols = slices.Delete(cols, colSrc, colSrc+1)
	}
	return cols
}

// narrowW is the width below which the source column goes.
const narrowW = 100

// The cells of a row, in eventColumns' order (all of them).
const (
	colTime = iota
	colSrc
	colRisk
	colUser
	colIP
	colEvent
	colReasons
)

// riskW fits "Critical 100".
const riskW = 12

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
		return append(append([]key.Binding{e.k.User}, e.c.ActionKeys(e.k.Push)...), copyID, e.k.Filter, e.nav.Up, e.nav.Down,
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")))
	}
	return e.keysList()
}

func (e *Screen) Typing() bool { return e.filtering }

// OwnsKeys while an event's detail is open: the detail is on the focus
// stack, and no key falls through to the dashboard's (a filter typed
// there must not pause, switch tabs or export).
func (e *Screen) OwnsKeys() bool { return e.detail != nil }

func (e *Screen) Input() *textinput.Model {
	if e.filtering {
		return &e.filterIn
	}
	return nil
}

func (e *Screen) Activate() tea.Cmd {
	switch {
	case e.pageNo == 0 && !e.loading:
		return e.first()
	default:
		return e.refresh()
	}
}

// following reports the page that follows the newest events as they
// arrive: the top of the newest-first order, no detail open.
func (e *Screen) following() bool {
	return e.pageNo != 0 && !e.page.HasPrev && e.sortBy == store.ByTime && e.detail == nil
}

// show filters as asked: an address in the window shown, or a person's
// every event (of all time) by their email and the names the merge
// joined them by, as their drill-down lists them.
func (e *Screen) show(s uictx.ShowEvents) tea.Cmd {
	e.detail = nil
	line := ""
	if s.IP != "" {
		line = "ip:" + s.IP
		if s.Since > 0 {
			line += " since:" + sinceValue(s.Since)
		} else if e.q.since {
			line += " since:" + sinceValue(e.q.window)
		}
	} else {
		var terms []string
		for _, who := range e.personNames(s.User) {
			terms = append(terms, "user:"+quote(who))
		}
		line = strings.Join(append(terms, "since:all"), " ")
	}
	return e.apply(e.parse(line))
}

// personNames are what a person's events may name them by: the email,
// and each name a vendor gave them (events of a vendor that names people
// but not their logins carry only the name).
func (e *Screen) personNames(who string) []string {
	p, ok := e.c.Data.Person(who)
	if !ok {
		for _, q := range e.c.Data.People {
			if strings.EqualFold(q.Email, who) || strings.EqualFold(q.Name, who) {
				p, ok = q, true
				break
			}
		}
	}
	if !ok {
		return []string{who}
	}
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, s) }) {
			out = append(out, s)
		}
	}
	add(p.Email)
	for _, v := range p.Views {
		add(v.Email)
	}
	add(p.Name)
	for _, v := range p.Views {
		add(v.Name)
	}
	if len(out) == 0 {
		out = append(out, who)
	}
	return out
}

func sinceValue(d time.Duration) string {
	if d == 0 {
		return "all"
	}
	return config.FormatDuration(d)
}

// quote keeps a filter value with spaces (a name) one token.
func quote(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, "") + `"`
	}
	return s
}

// apply makes q the filter and reads its first page.
func (e *Screen) apply(q eventQuery) tea.Cmd {
	e.q = q
	e.filterIn.SetValue(q.text)
	return e.first()
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
	c   store.PageCount
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

// PageSize is how many events a page holds; Sort is the order shown.
func (e *Screen) PageSize() int    { return e.pageSize() }
func (e *Screen) Sort() store.Sort { return e.sortBy }

// fetch runs q and delivers the page; its count follows it (onPage).
func (e *Screen) fetch(q store.EventQuery, nav string) tea.Cmd {
	st := e.c.Store
	if st == nil {
		return nil
	}
	if e.loading {
		// Asked for while a page loads: run it after, in order.
		if len(e.queued) < 16 {
			e.queued = append(e.queued, func() tea.Cmd { return e.fetch(q, nav) })
		}
		return nil
	}
	e.loading = true
	e.gen++
	gen, ctx := e.gen, e.c.Ctx
	q.Limit = e.pageSize()
	q.Sort = e.sortBy
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		p, err := st.Events(ctx, q)
		return eventsPage{gen: gen, q: q, page: p, err: err, nav: nav}
	}
}

// startCount asks where the page shown stands: the total, the rows
// before it, and those newer than head. One runs at a time; a new page
// stops the count of the page before, and a refresh asked for meanwhile
// counts again once it is in.
func (e *Screen) startCount() tea.Cmd {
	if e.stopCount != nil {
		e.stopCount()
	}
	st := e.c.Store
	e.counting, e.recount = true, false
	e.countGen++
	gen := e.countGen
	q := store.CountQuery{EventFilter: e.last.EventFilter, Sort: e.last.Sort, Since: e.head}
	if e.page.HasPrev {
		q.First = e.page.First
	}
	ctx, cancel := context.WithTimeout(e.c.Ctx, 30*time.Second)
	e.stopCount = cancel
	return func() tea.Msg {
		defer cancel()
		c, err := st.CountPage(ctx, q)
		return eventsCount{gen: gen, c: c, err: err}
	}
}

func (e *Screen) onCount(m eventsCount) tea.Cmd {
	if m.gen != e.countGen {
		return nil
	}
	e.counting = false
	if m.err == nil {
		e.place(m.c)
	}
	if e.recount {
		return e.startCount()
	}
	return nil
}

// place numbers the page from its count: page n is the one that many
// pages below the top, and n of m has m−n pages after it, however the
// pages were reached (from the top, from the bottom, with events arriving
// between). At the top the newest event becomes the mark for "newer".
func (e *Screen) place(c store.PageCount) {
	size := e.pageSize()
	before := c.Before
	if !e.page.HasPrev {
		before = 0
	}
	after := max(c.Total-before-len(e.events), 0)
	e.total = c.Total
	e.pageNo = (before+size-1)/size + 1
	e.pages = e.pageNo + (after+size-1)/size
	if e.head == nil || e.following() {
		e.head, e.newer = c.Head, 0
	} else {
		e.newer = c.Newer
	}
}

func (e *Screen) first() tea.Cmd {
	e.head, e.newer, e.total = nil, 0, -1
	return e.fetch(store.EventQuery{EventFilter: e.Filter()}, "first")
}

// refresh reads the page shown again: the top page when it follows the
// newest events, else the page from the same first row, so the rows are
// the store's as they are now (events back-filled into the page appear)
// without the page moving. The cursor stays on its event.
func (e *Screen) refresh() tea.Cmd {
	if e.following() || e.pageNo == 0 {
		return e.fetch(store.EventQuery{EventFilter: e.Filter()}, "same")
	}
	return e.fetch(e.fromFirst(), "same")
}

// fromFirst is the query of the page shown, from its first row (keys are
// unique, so just after the key above it is seq+1).
func (e *Screen) fromFirst() store.EventQuery {
	q := e.last
	q.After, q.Before, q.Last = nil, nil, false
	if k := e.page.First; e.page.HasPrev && k != nil {
		above := *k
		above.Seq++
		q.After = &above
	}
	return q
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
		return e.onCount(msg)
	case viewSaved:
		return e.onViewSaved(msg)
	case viewRead:
		return e.onViewRead(msg)
	case uictx.DataChanged:
		if !msg.Events || !e.c.OnTab(e) {
			return nil
		}
		// The newest page follows the live head; another stays where it
		// starts, and its count says where it now stands and how many
		// newer events wait above. One refresh waiting behind a load is
		// enough however many announcements come.
		if e.loading {
			e.reload = true
			return nil
		}
		return e.refresh()
	case tea.KeyMsg:
		return e.onKey(msg)
	}
	return nil
}

func (e *Screen) resize(w, h int) tea.Cmd {
	if w == e.width && h == e.height {
		return nil
	}
	narrowBefore := e.width < narrowW
	e.width, e.height = w, h
	if narrowBefore != (w < narrowW) {
		e.setRows()
	}
	before := e.tbl.VisibleRows()
	e.tbl.SetSize(w, max(h-2, 2)) // a status line above, the filter line below
	if e.detail != nil {
		e.openDetail(e.detailEv)
	}
	if e.pageNo > 0 && e.tbl.VisibleRows() != before {
		// The page grows or shrinks from its first row.
		q := e.fromFirst()
		return e.fetch(q, "same")
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
	// A guess at the page's number until its count is in.
	switch m.nav {
	case "first":
		e.pageNo = 1
	case "next":
		e.pageNo = max(e.pageNo+1, 2)
	case "prev":
		e.pageNo = max(e.pageNo-1, 1)
	case "last":
		e.pageNo = max(e.pages, 1)
	case "same":
		e.pageNo = max(e.pageNo, 1)
	}
	if !m.page.HasPrev {
		e.pageNo = 1
	}
	e.pages = max(e.pages, e.pageNo)
	// Rows are keyed by event: read again ("same"), the page keeps the
	// cursor on the first row until the operator moves it, then on their
	// event wherever new events put it (the table follows the key).
	e.last, e.page, e.events = m.q, m.page, m.page.Events
	e.setRows()
	switch m.nav {
	case "next", "first":
		e.tbl.Top()
	case "prev", "last":
		e.tbl.Bottom()
	}
	return tea.Batch(e.startCount(), e.again())
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
	return e.refresh()
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

// setRows shows the page's events, the time and address columns as wide
// as the page needs.
func (e *Screen) setRows() {
	rows := e.rows()
	timeW, ipW, typeW := 0, 0, 0
	for _, r := range rows {
		timeW = max(timeW, lipgloss.Width(r.Cells[colTime]))
		ipW = max(ipW, lipgloss.Width(r.Cells[colIP]))
		typeW = max(typeW, lipgloss.Width(r.Cells[colEvent]))
	}
	narrow := e.width < narrowW
	for i, r := range rows {
		// Times end in the same column, so the clocks and ages line up.
		r.Cells[colTime] = layout.PadLeft(r.Cells[colTime], timeW)
		if narrow {
			r.Cells = slices.Delete(r.Cells, colSrc, colSrc+1)
			r.Styles = slices.Delete(r.Styles, colSrc, colSrc+1)
		}
		rows[i] = r
	}
	if cols := eventColumns(e.width, timeW, ipW, typeW); !slices.Equal(cols, e.tbl.Columns()) {
		e.tbl.SetColumns(cols...)
	}
	e.tbl.SetRows(rows)
}

func (e *Screen) rows() []table.Row {
	now := e.c.Now()
	rows := make([]table.Row, len(e.events))
	for i, ev := range e.events {
		user := ev.UserName
		if user == "" {
			user = ev.UserKey
		}
		reasons, _, _ := strings.Cut(ev.Reasons, "\n")
		lv := &e.levels[max(ev.Level, 0)]
		rows[i] = table.Row{
			Cells:  []string{eventTime(ev.Time, now, e.loc()), e.c.Vendors.Short(ev.Vendor), riskCell(ev), user, ev.IP, ev.TypeName, reasons},
			Styles: []*lipgloss.Style{colRisk: lv, colReasons: nil},
			Key:    ev.Vendor + "\x00" + ev.ID,
			Label:  eventLabel(ev, user, e.loc()),
		}
	}
	return rows
}

// eventLabel names an event where the screen says its row moved, short
// and person first, so the notice's cut keeps who it is: "Ava Chen's
// 14:03 event" (the row shows its type).
func eventLabel(ev model.Event, user string, loc *time.Location) string {
	at := ev.Time.In(loc).Format("15:04")
	if user == "" {
		return "the " + at + " " + words.FirstNonEmpty(ev.TypeName, "unnamed") + " event"
	}
	return user + "'s " + at + " event"
}

func (e *Screen) loc() *time.Location {
	if e.c.Loc != nil {
		return e.c.Loc
	}
	return time.Local
}

// riskCell is the level on the shared scale with the vendor's own score
// beside it, as Level.Describe says it, short: "Critical  99". The Src
// column names whose score it is.
func riskCell(ev model.Event) string {
	if ev.Score == model.NoScore || ev.Score < 0 {
		return ev.Level.Label()
	}
	return fmt.Sprintf("%-8s %3d", ev.Level.Label(), ev.Score)
}

// eventTime is the clock time for today's events, the date and the time
// before, and how long ago: "14:03 ·  3m", "Dec 02 14:03 ·  3d".
func eventTime(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	clock := t.Format("15:04")
	if y1, m1, d1 := t.Date(); true {
		if y2, m2, d2 := now.Date(); y1 != y2 || m1 != m2 || d1 != d2 {
			clock = t.Format("Jan 02 15:04")
			if y1 != y2 {
				clock = t.Format("2006 Jan 02 15:04")
			}
		}
	}
	return clock + " · " + fmt.Sprintf("%3s", Age(now.Sub(t)))
}

// Age is a duration in its largest unit: "45s", "3m", "5h", "12d".
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}

func (e *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
	if e.filtering {
		switch msg.Type {
		case tea.KeyEnter:
			q := e.parse(e.filterIn.Value())
			if len(q.problems) > 0 {
				// The filter before stays applied; the line says what is
				// wrong (View), and stays open to put it right.
				return nil
			}
			e.filtering = false
			e.filterIn.Blur()
			return e.apply(q)
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
		// The detail has every key (OwnsKeys): those it does not bind do
		// nothing.
		switch {
		case msg.Type == tea.KeyEsc:
			e.detail = nil
		case key.Matches(msg, e.k.Filter):
			e.detail = nil
			return e.openFilter()
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
			if e.tbl.Cursor() == e.tbl.Len()-1 && e.page.HasNext {
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
			return e.fetch(store.EventQuery{EventFilter: e.Filter(), Last: true}, "last")
		})
	case key.Matches(msg, e.k.Filter):
		return e.openFilter()
	case key.Matches(msg, e.k.Window):
		// The window the line's since: would set: w changes it there, so
		// the line and the status line say the same.
		e.windowIdx = (e.windowIdx + 1) % len(eventWindows)
		return e.apply(e.parse(withSince(e.q.text, e.q.since, eventWindows[e.windowIdx])))
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
			return e.apply(e.parse(""))
		}
	case key.Matches(msg, e.k.Push):
		if ev, ok := e.selected(); ok {
			return e.push(ev)
		}
		return e.c.SayErr("no event selected")
	case key.Matches(msg, e.k.Bulk):
		return e.PushAll()
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

// openFilter gives the filter line the keyboard, holding the filter
// applied.
func (e *Screen) openFilter() tea.Cmd {
	e.filtering = true
	e.filterIn.SetValue(e.q.text)
	e.filterIn.CursorEnd()
	return e.filterIn.Focus()
}

// withSince is line with its since: term set to d (none when the line
// had none and d is the default window).
func withSince(line string, had bool, d time.Duration) string {
	var kept []string
	for _, tok := range tokens(line) {
		if name, _, _, ok := cutTerm(tok); ok && name == "since" {
			continue
		}
		t := tok.text
		switch {
		case tok.quoted:
			t = `"` + t + `"`
		case strings.ContainsAny(t, " \t"): // a term with a quoted value
			if name, op, val, ok := cutTerm(tok); ok {
				t = name + op + `"` + val + `"`
			} else {
				t = `"` + t + `"`
			}
		}
		kept = append(kept, t)
	}
	if had || d != eventWindows[1] {
		kept = append(kept, "since:"+sinceValue(d))
	}
	return strings.Join(kept, " ")
}

// PushAll opens the bulk push form for every address the filter shown
// matches: the P key and :ip's one way in.
func (e *Screen) PushAll() tea.Cmd {
	return push.Collect(e.c, e.Filter(), e.q.describe())
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
	if !e.page.HasNext || e.page.LastKey == nil {
		return nil
	}
	return e.fetch(store.EventQuery{EventFilter: e.Filter(), After: e.page.LastKey}, "next")
}

func (e *Screen) prev() tea.Cmd {
	if !e.page.HasPrev || e.page.First == nil {
		return nil
	}
	return e.fetch(store.EventQuery{EventFilter: e.Filter(), Before: e.page.First}, "prev")
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
	loc := e.loc()
	local := "local time"
	if loc != time.Local {
		local = "time (" + loc.String() + ")"
	}
	keyW := max(12, len(local)+2)
	for k := range ev.Fields {
		keyW = max(keyW, len(k)+3)
	}
	row := func(k, v string) string {
		if v == "" {
			return ""
		}
		return t.Muted.Render(layout.PadRight(k, keyW)) + v + "\n"
	}
	var b strings.Builder
	b.WriteString(t.Bold.Render(fmt.Sprintf("%s event %s", e.c.Vendors.Display(ev.Vendor), ev.ID)) + "\n\n")
	b.WriteString(row(local, ev.Time.In(loc).Format("2006-01-02 15:04:05.000 MST")+t.Muted.Render("  ("+Age(e.c.Now().Sub(ev.Time))+" ago)")))
	b.WriteString(row("UTC", ev.Time.UTC().Format("2006-01-02 15:04:05.000 MST")))
	b.WriteString(row("type", fmt.Sprintf("%s (%d)", ev.TypeName, ev.Type)))
	b.WriteString(row("user", ev.UserName))
	b.WriteString(row("email", ev.UserKey))
	b.WriteString(row("user id", ev.UserID))
	b.WriteString(row("ip", ev.IP))
	b.WriteString(row("risk", t.Level(ev.Level).Render(ev.Level.Describe(e.c.Vendors.Display(ev.Vendor), ev.Score))))
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
	b.WriteString("\n" + t.Muted.Render("u opens the user · y copies the event id · / filters · esc closes"))
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
		bottom = e.filterLine(w)
	case e.q.text != "":
		bottom = t.Key.Render("/") + e.q.text
	}
	if d := e.tbl.Drift(); !e.filtering && !d.Zero() {
		moved := t.Warn.Render(d.Text("as events arrived"))
		if e.q.text == "" {
			bottom = moved
		} else {
			bottom = table.Beside(bottom, moved, w)
		}
	}
	return layout.Block(e.status()+"\n"+e.tbl.View()+"\n"+bottom, w, h)
}

// filterLine is the line being typed and, beside it, what is wrong with
// it; the line is parsed again only when it changed.
func (e *Screen) filterLine(w int) string {
	if line := e.filterIn.Value(); line != e.typed.line {
		e.typed.line, e.typed.problem = line, e.parse(line).check()
	}
	if e.typed.problem == "" {
		e.filterIn.Width = max(w-2, 10)
		return e.filterIn.View()
	}
	// The input as wide as its text (at least 20), the problem after.
	inW := min(max(lipgloss.Width(e.typed.line)+2, 20), max(w-22, 10))
	e.filterIn.Width = inW
	in := layout.Fit(e.filterIn.View(), inW+2)
	return in + " " + e.c.Theme.Error.Render(layout.Fit("✖ "+e.typed.problem, max(w-inW-3, 1)))
}

// FilterProblem is what is wrong with the filter being typed ("" when
// nothing, or when no filter is being typed).
func (e *Screen) FilterProblem() string {
	if !e.filtering {
		return ""
	}
	return e.parse(e.filterIn.Value()).check()
}

func (e *Screen) status() string {
	t := e.c.Theme
	page := "page –"
	switch {
	case e.pageNo > 0 && e.total >= 0:
		page = fmt.Sprintf("page %d of %d", e.pageNo, max(e.pages, e.pageNo))
	case e.pageNo > 0:
		page = fmt.Sprintf("page %d", e.pageNo)
	}
	count := "counting…"
	if e.total >= 0 {
		count = words.Plural(e.total, "event")
	}
	sortName := "newest first"
	if e.sortBy == store.ByScore {
		sortName = "riskiest first"
	}
	s := t.Bold.Render(page) + t.Muted.Render(" · "+count)
	if e.newer > 0 {
		// Newer than the newest event when the page left the top: events
		// back-filled with older times are not among them.
		s += t.Muted.Render(" · ") + t.Warn.Render(fmt.Sprintf("%s newer since you left the top — g", words.Thousands(e.newer)))
	}
	s += t.Muted.Render(" · " + e.q.describe() + " · " + sortName)
	if e.loading {
		s += t.Muted.Render(" · loading…")
	}
	if e.err != "" {
		s += " " + t.Error.Render(e.err)
	}
	return s
}
