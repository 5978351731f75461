// Package alerts is tab 7: what the detection rules found, open first,
// with each alert's evidence in a detail pane and its suggested response
// one key away, through the same confirmations, outbox and audit as every
// other action.
package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/push"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// The list shows the latest activity first (by the evidence's last
// time): an alert that keeps firing stays on top, and old ones a
// back-fill finds late sort where their evidence is.

// filters are the states the list shows, in the order f cycles them:
// open first, the ones someone must look at.
var filters = []struct {
	name   string
	states []model.AlertState
}{
	{"open", []model.AlertState{model.AlertOpen}},
	{"acknowledged", []model.AlertState{model.AlertAcknowledged}},
	{"resolved", []model.AlertState{model.AlertResolved}},
	{"all", nil},
}

// pageSize is how many alerts one read brings; the list reads the next
// page (keyset, by id) when the cursor reaches the last row read.
const pageSize = 100

// Screen is the Alerts tab.
type Screen struct {
	c      *uictx.Context
	k      keys
	tbl    table.Model
	filter int // index into filters

	items   []model.Alert
	more    bool // the store has older alerts in the filter than those read
	gen     int  // the newest read; older answers are dropped
	loading bool
	again   bool // a reload was asked for while one ran
	loaded  bool
	err     string

	detail *detail // the open alert's pane, nil when closed

	width, height int
	levels        [model.LevelCritical + 1]lipgloss.Style

	viewKey viewKey
	drawn   string
	rev     int
}

type viewKey struct {
	w, h, rev, version int
	acting             bool
}

type keys struct {
	Open, Filter, Ack, Resolve, Respond, Copy, Close key.Binding
}

func newKeys() keys {
	return keys{
		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Filter:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by state")),
		Ack:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge the alert")),
		Resolve: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "resolve the alert")),
		Respond: key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "respond as the alert suggests")),
		Copy:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the subject")),
		Close:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close the alert")),
	}
}

// New is the Alerts tab, open alerts first.
func New(c *uictx.Context) *Screen {
	s := &Screen{c: c, k: newKeys()}
	styles := table.Styles{}
	if t := c.Theme; t != nil {
		styles = table.StylesFrom(t)
		for l := range s.levels {
			s.levels[l] = t.Level(model.Level(l))
		}
	}
	s.tbl = table.New(styles,
		table.Column{Title: "Severity", Width: len("Critical")},
		table.Column{Title: "Alert", Flex: 4, Min: 24},
		table.Column{Title: "Subject", Flex: 2, Min: 14},
		table.Column{Title: "Count", Width: 5, Align: table.AlignRight},
		table.Column{Title: "Last seen", Width: 12},
		table.Column{Title: "State", Flex: 2, Min: 10},
		// Last, so a narrow terminal drops it first.
		table.Column{Title: "First seen", Width: 12},
	)
	s.tbl.KeyMap = c.Nav
	s.tbl.SetEmptyMessage(emptyText(filters[0].name))
	return s
}

// ruleWords names each kind of rule for people, in RuleKinds' order.
var ruleWords = map[model.RuleKind]string{
	model.KindFailedBurst:   "burst of failures from a range",
	model.KindSharedAddress: "shared address",
	model.KindLevelRise:     "level rise",
	model.KindHighScore:     "high score",
	model.KindMultiVendor:   "high in two vendors",
}

// emptyText is what the list says with nothing in the filter: what it
// would show, and what the rules look for.
func emptyText(filter string) string {
	rules := make([]string, 0, len(model.RuleKinds))
	for _, k := range model.RuleKinds {
		rules = append(rules, ruleWords[k])
	}
	what := "No " + filter + " alerts."
	if filter == "all" {
		what = "No alerts yet."
	}
	return what + " Rules: " + strings.Join(rules, ", ") + "."
}

func (s *Screen) Keys() []key.Binding {
	if s.detail != nil {
		bs := []key.Binding{s.k.Close, s.detail.k.Open}
		bs = append(bs, s.c.ActionKeys(s.k.Respond, s.k.Ack, s.k.Resolve)...)
		return append(bs, s.k.Copy, s.detail.k.Move, s.c.Nav.PageDown)
	}
	bs := []key.Binding{s.k.Open}
	bs = append(bs, s.c.ActionKeys(s.k.Respond, s.k.Ack, s.k.Resolve)...)
	bs = append(bs, s.k.Filter, s.k.Copy)
	return append(bs, uictx.NavBindings(s.tbl.KeyMap)...)
}

func (s *Screen) Typing() bool { return false }

// OwnsKeys: the detail pane has the keyboard until esc (or q) closes it.
func (s *Screen) OwnsKeys() bool { return s.detail != nil }

func (s *Screen) Activate() tea.Cmd { return s.reload() }

// loaded is a page of alerts, read.
type loaded struct {
	s      *Screen
	gen    int
	items  []model.Alert
	more   bool
	append bool // a next page: after the items held
	err    error
}

// reload reads the filter's alerts again, as many as are held (at least
// a page), so the cursor keeps its alert.
func (s *Screen) reload() tea.Cmd {
	if s.loading {
		s.again = true
		return nil
	}
	limit := min(max(len(s.items), pageSize), store.MaxPageSize-1)
	return s.read(store.AlertQuery{States: filters[s.filter].states, Limit: limit, ByLastSeen: true}, false)
}

// next reads the page after the last alert held.
func (s *Screen) next() tea.Cmd {
	if s.loading || !s.more || len(s.items) == 0 {
		return nil
	}
	last := s.items[len(s.items)-1]
	return s.read(store.AlertQuery{States: filters[s.filter].states, ByLastSeen: true, BeforeID: last.ID, BeforeLast: last.LastSeen,
		Limit: pageSize}, true)
}

func (s *Screen) read(q store.AlertQuery, appending bool) tea.Cmd {
	st := s.c.Store
	if st == nil {
		return nil
	}
	s.loading = true
	s.gen++
	s.rev++
	gen, ctx, want := s.gen, s.c.Ctx, q.Limit
	q.Limit++ // one more tells whether there is a next page
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		as, err := st.Alerts(ctx, q)
		more := len(as) > want
		if more {
			as = as[:want]
		}
		return loaded{s: s, gen: gen, items: as, more: more, append: appending, err: err}
	}
}

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case uictx.Resized:
		s.width, s.height = msg.W, msg.H
		s.tbl.SetSize(msg.W, max(msg.H-2, 2))
		if s.detail != nil {
			s.detail.resize(msg.W, msg.H)
		}
		s.rev++
	case uictx.ZoneChanged:
		s.setRows()
		if s.detail != nil {
			s.detail.build()
		}
	case uictx.DataChanged:
		var cmds []tea.Cmd
		// Off its tab the list is read when shown (Activate): a session
		// elsewhere does not decode every alert on each change.
		if msg.Alerts && s.c.OnTab(s) {
			cmds = append(cmds, s.reload())
			if s.detail != nil {
				cmds = append(cmds, s.detail.read())
			}
		}
		if msg.Actions && !msg.Alerts && s.c.OnTab(s) && s.detail != nil &&
			(s.detail.a.Response.Kind == model.ResponsePushRange || s.detail.a.Response.Kind == model.ResponsePushPerson) {
			cmds = append(cmds, s.detail.read()) // what the outbox holds of its response
		}
		if msg.Users && s.detail != nil {
			s.detail.build() // people's names and levels
		}
		s.rev++
		return tea.Batch(cmds...)
	case loaded:
		return s.onLoaded(msg)
	case detailRead:
		if s.detail != nil && msg.d == s.detail {
			s.detail.onRead(msg)
			s.rev++
		}
	case tea.KeyMsg:
		s.rev++
		if s.detail != nil {
			return s.detailKey(msg)
		}
		return s.onKey(msg)
	}
	return nil
}

func (s *Screen) onLoaded(m loaded) tea.Cmd {
	if m.s != s || m.gen != s.gen {
		return nil
	}
	s.loading, s.loaded = false, true
	s.rev++
	if m.err != nil {
		s.err = m.err.Error()
	} else {
		s.err = ""
		if m.append {
			s.items = append(slices.Clip(s.items), m.items...)
		} else {
			s.items = m.items
		}
		s.more = m.more
		s.setRows()
	}
	if s.again {
		s.again = false
		return s.reload()
	}
	return nil
}

func (s *Screen) setRows() {
	now, loc := s.c.Now(), s.c.Loc
	rows := make([]table.Row, len(s.items))
	for i, a := range s.items {
		rows[i] = s.row(a, now, loc)
	}
	s.tbl.SetRows(rows)
	s.rev++
}

func (s *Screen) row(a model.Alert, now time.Time, loc *time.Location) table.Row {
	// The subject has a column of its own: the alert column says what
	// happened, the subject column who (their name when known) or where.
	title := a.What()
	if a.Backfilled {
		title = "history: " + title
	}
	subject := a.Subject
	if p, ok := s.c.Data.Person(a.Subject); ok && p.Name != "" {
		subject = p.Name
	}
	lv := &s.levels[max(min(a.Severity, model.LevelCritical), 0)]
	return table.Row{
		Cells: []string{a.Severity.Label(), title, subject, words.Thousands(a.Count),
			Seen(a.LastSeen, now, loc), stateText(a), Seen(a.FirstSeen, now, loc)},
		Styles: []*lipgloss.Style{lv},
		Key:    fmt.Sprint(a.ID),
		Label:  fmt.Sprintf("alert #%d", a.ID),
	}
}

// Seen is when evidence was seen: the time and how long ago for today's
// ("14:22 (8m)"), the date and time for older ones ("Nov 19 14:22"), in
// the dashboard's zone.
func Seen(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "–"
	}
	lt, ln := t.In(loc), now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return lt.Format("15:04") + " (" + words.Age(now.Sub(t)) + ")"
	}
	return lt.Format("Jan 02 15:04")
}

// stateText is the state and who put it there: "Open", "Ack by zoe",
// "Resolved by zoe".
func stateText(a model.Alert) string {
	switch a.State {
	case model.AlertAcknowledged:
		return "Ack by " + words.FirstNonEmpty(a.AckedBy, "?")
	case model.AlertResolved:
		return "Resolved by " + words.FirstNonEmpty(a.ResolvedBy, "?")
	}
	return a.State.Label()
}

// Selected is the alert under the cursor, as held now.
func (s *Screen) Selected() (model.Alert, bool) {
	i := s.tbl.Cursor()
	if i < 0 || i >= len(s.items) {
		return model.Alert{}, false
	}
	return s.items[i], true
}

func (s *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
	c := s.c
	switch {
	case s.tbl.KeyMap.Matches(msg):
		s.tbl, _ = s.tbl.Update(msg)
		if s.tbl.Cursor() >= len(s.items)-1 {
			return s.next()
		}
		return nil
	case key.Matches(msg, s.k.Filter):
		s.filter = (s.filter + 1) % len(filters)
		s.items, s.more = nil, false
		s.tbl.SetRows(nil)
		s.tbl.Top()
		s.tbl.SetEmptyMessage(emptyText(filters[s.filter].name))
		s.loading, s.again = false, false // the read under way is for the old filter: its answer is dropped
		return s.reload()
	case key.Matches(msg, s.k.Open):
		if a, ok := s.Selected(); ok {
			s.detail = newDetail(s, a)
			return s.detail.read()
		}
		return c.SayErr("no alert selected")
	}
	a, ok := s.Selected()
	switch {
	case key.Matches(msg, s.k.Ack, s.k.Resolve, s.k.Respond) && !ok:
		if c.ActionsOff() != "" {
			return c.Refused()
		}
		return c.SayErr("no alert selected")
	case key.Matches(msg, s.k.Ack):
		return s.ack(a)
	case key.Matches(msg, s.k.Resolve):
		return s.resolve(a)
	case key.Matches(msg, s.k.Respond):
		return s.respond(a)
	case key.Matches(msg, s.k.Copy):
		if !ok {
			return c.SayErr("no alert selected")
		}
		return c.CopyText(a.Subject)
	}
	return nil
}

// ack asks to acknowledge a, as it was at the key press.
func (s *Screen) ack(a model.Alert) tea.Cmd {
	c := s.c
	if c.ActionsOff() != "" {
		return c.Refused()
	}
	if a.State != model.AlertOpen {
		return c.SayErr(fmt.Sprintf("alert #%d is %s: only open alerts are acknowledged", a.ID, strings.ToLower(a.State.Label())))
	}
	lines := append(s.alertLines(a), "",
		"Acknowledging says someone is on it: it leaves the open list and stays until it is resolved. The audit log records who.")
	d := dialog.New(c, "Acknowledge an alert", "Acknowledge", lines, nil)
	id := a.ID
	d.Run = func() tea.Cmd {
		return c.Act(d.ID(), fmt.Sprintf("acknowledged alert #%d", id), fmt.Sprintf("alert #%d not acknowledged", id),
			func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
				_, err := acts.AckAlert(ctx, who, id)
				return err
			}, s.afterAct)
	}
	return c.OpenModal(d)
}

// resolve asks to resolve a, as it was at the key press.
func (s *Screen) resolve(a model.Alert) tea.Cmd {
	c := s.c
	if c.ActionsOff() != "" {
		return c.Refused()
	}
	if !a.Live() {
		return c.SayErr(fmt.Sprintf("alert #%d is resolved already", a.ID))
	}
	lines := append(s.alertLines(a), "",
		"Resolving closes it for good: if the rule fires on "+words.FirstNonEmpty(a.Subject, "the same subject")+" again, a new alert opens. The audit log records who.")
	d := dialog.New(c, "Resolve an alert", "Resolve", lines, nil)
	id := a.ID
	d.Run = func() tea.Cmd {
		return c.Act(d.ID(), fmt.Sprintf("resolved alert #%d", id), fmt.Sprintf("alert #%d not resolved", id),
			func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
				_, err := acts.ResolveAlert(ctx, who, id)
				return err
			}, s.afterAct)
	}
	return c.OpenModal(d)
}

// afterAct reads the list (and the open alert) again and the audit log.
func (s *Screen) afterAct(error) tea.Cmd {
	cmds := []tea.Cmd{s.reload(), s.c.ReloadOutbox()}
	if s.detail != nil {
		cmds = append(cmds, s.detail.read())
	}
	return tea.Batch(cmds...)
}

// alertLines name an alert in a confirmation: its number, severity and
// title, its subject and when it was seen.
func (s *Screen) alertLines(a model.Alert) []string {
	t := s.c.Theme
	now := s.c.Now()
	return []string{
		t.Bold.Render(fmt.Sprintf("Alert #%d", a.ID)) + "  " + t.Level(a.Severity).Render(a.Severity.Label()) + "  " + a.Title,
		fmt.Sprintf("Subject %s · seen %s · first %s · last %s", a.Subject, words.Plural(a.Count, "time"),
			Seen(a.FirstSeen, now, s.c.Loc), Seen(a.LastSeen, now, s.c.Loc)),
	}
}

// respond opens the suggested response of a, taken at the key press: the
// bulk push of its addresses, or a person's push or reset, each through
// the same form and confirmation as everywhere else.
func (s *Screen) respond(a model.Alert) tea.Cmd {
	c := s.c
	if c.ActionsOff() != "" {
		return c.Refused()
	}
	switch a.Response.Kind {
	case model.ResponsePushRange:
		ips := rangeAddresses(a)
		if len(ips) == 0 {
			return c.SayErr(fmt.Sprintf("alert #%d names no address to push", a.ID))
		}
		return push.OpenBulkAt(c, ips, fmt.Sprintf("alert #%d: %s", a.ID, a.Title), push.LevelOf(a.Response.Level))
	case model.ResponseNone, "":
		return c.Say(fmt.Sprintf("alert #%d suggests no response: acknowledge (a) or resolve (x) it", a.ID))
	}
	reset := resets(c, a.Response.Kind)
	if a.Response.Kind != model.ResponsePushPerson && !reset {
		return c.SayErr(fmt.Sprintf("alert #%d suggests %s, which this dashboard cannot do", a.ID, a.Response.Label()))
	}
	who := personOf(a)
	p, ok := c.Data.Person(who)
	if !ok {
		return c.SayErr(fmt.Sprintf("alert #%d: no vendor reports %s now, so there is no one to act on", a.ID, words.FirstNonEmpty(who, "anyone")))
	}
	p.Views = slices.Clone(p.Views) // as it is now, whatever arrives while the dialog is open
	c.Ask(uictx.PersonResponse{Person: p, Reset: reset})
	return nil
}

// rangeAddresses are the addresses a range response pushes: the
// evidence's, else the alert's own address.
func rangeAddresses(a model.Alert) []string {
	ips := slices.Clone(a.Evidence.Addresses)
	if len(ips) == 0 && a.Subject != "" && !strings.Contains(a.Subject, "/") {
		ips = []string{a.Subject}
	}
	return ips
}

// resets reports whether a response is the reset of a person's risk in
// the vendor the actions service resets in ("reset_" and its name): the
// dashboard names no vendor itself.
func resets(c *uictx.Context, k model.ResponseKind) bool {
	return c.Actions != nil && c.Actions.ResetsIn() != "" && string(k) == "reset_"+c.Actions.ResetsIn()
}

// personOf is the person an alert is about: its subject when that is a
// person, else the first person of its evidence.
func personOf(a model.Alert) string {
	switch a.Kind {
	case model.KindLevelRise, model.KindMultiVendor:
		return a.Subject
	}
	if len(a.Evidence.People) > 0 {
		return a.Evidence.People[0]
	}
	return a.Subject
}

func (s *Screen) View(w, h int) string {
	if s.detail != nil {
		return s.detail.view(w, h)
	}
	k := viewKey{w: w, h: h, rev: s.rev, version: s.c.Data.Version, acting: s.c.ActionsOff() == ""}
	if k == s.viewKey && s.drawn != "" {
		return s.drawn
	}
	t := s.c.Theme
	sum := s.c.Data.Alerts
	status := t.Bold.Render("Alerts: "+filters[s.filter].name) +
		t.Muted.Render(fmt.Sprintf(" · %s open · %s acknowledged", words.Thousands(sum.Open), words.Thousands(sum.Acknowledged))+" · latest first")
	switch {
	case s.err != "":
		status += " " + t.Error.Render(s.err)
	case s.loading && !s.loaded:
		status += t.Muted.Render(" · loading…")
	}
	if more := s.tbl.More(); more != "" {
		status = table.Beside(status, t.Muted.Render(more), w)
	}
	bottom := t.Muted.Render("enter opens an alert · f open/acknowledged/resolved/all")
	if s.c.ActionsOff() == "" {
		bottom = t.Muted.Render("enter opens · a acknowledge · x resolve · P respond · f open/ack/resolved/all")
	}
	if d := s.tbl.Drift(); !d.Zero() {
		bottom = t.Warn.Render(d.Text("as alerts changed"))
	}
	if s.more {
		bottom = table.Beside(bottom, t.Muted.Render("more below"), w)
	}
	s.viewKey, s.drawn = k, layout.Block(status+"\n"+s.tbl.View()+"\n"+bottom, w, h)
	return s.drawn
}
