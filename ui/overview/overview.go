// Package overview is tab 1: what changed (since the operator last looked,
// or in a window), a vendor's score buckets, the users by level of each
// vendor that reports levels, trends of the score buckets, events per
// minute and the riskiest people and addresses.
package overview

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/sparkline"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Screen is tab 1: the score buckets of the vendor that reports them, the
// users by level of each vendor that reports levels, events per minute
// over the last hour, and the riskiest people and addresses.
type Screen struct {
	c      *uictx.Context
	window int // index into model.ScoreWindows
	next   key.Binding
	k      keys
	levels uictx.Vendors // the vendors with a levels panel, top to bottom

	// The cursor: on a change, a person or an address. Until the operator
	// moves it, it stays on the first row however the list re-sorts; once
	// moved, it follows the item it is on (by identity).
	panel int       // panelPeople, panelIPs or panelChanges
	row   [3]int    // the row in each panel
	on    [3]string // the item under the cursor, once moved ("": not moved)
	rows  [3]int    // rows each panel showed in the last frame

	// Changes (changes.go): the window (index into changeWindows), the
	// operator's mark as read when the Overview was shown (it stays put
	// while they read), what was read, and the mark they would leave with.
	chWindow   int
	seenMark   model.SeenMark
	markRead   bool
	reread     bool // the mark was stored: read it again when shown next
	changes    model.Changes
	chSince    time.Time
	chNow      time.Time
	lines      []changeLine
	chOff      int // the first line shown
	chMovedRow int // the cursor's line when the operator last moved it (for the drift notice)
	chGen      int
	chLoading  bool
	chDirty    bool // data arrived while a read ran: read once more
	chLoaded   bool
	chErr      string
	drift      table.Drift
	shown      model.SeenMark
	chDrawn    map[string]bool // the lines that have been on screen (drawnKey), since the last full mark

	// Trends (trends.go).
	trMode   int
	trend    model.Trend
	trGen    int
	trLoaded bool
	trErr    string
	wide     bool // the last frame had room for the trends and the events per minute side by side

	// From the store, refreshed when events arrive.
	ips      []model.IPRisk
	rate     []int
	rateTo   time.Time
	loaded   bool
	loading  bool
	dirty    bool
	queryGen int
	err      string

	cacheKey  string
	cacheView string
}

const (
	panelPeople = iota
	panelIPs
	panelChanges
)

type keys struct {
	Open, Panel, Right key.Binding
	Move               key.Binding // for the footer and help: the navigation keys do it
	Window, Seen       key.Binding // the Changes' window; mark them seen
	Trend              key.Binding
}

// New is the Overview tab, on the 24-hour score window.
func New(c *uictx.Context) *Screen {
	return &Screen{c: c, next: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "score window")), levels: c.Vendors.WithLevels(),
		k: keys{
			Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
			Panel:  key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "people / addresses")),
			Right:  key.NewBinding(key.WithKeys("right", "l")),
			Move:   key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "select")),
			Window: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "changes window")),
			Seen:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mark changes seen")),
			Trend:  key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "time span of trends")),
		}}
}

// loaded is the result of the overview's store reads.
type loaded struct {
	gen  int
	ips  []model.IPRisk
	rate []int
	to   time.Time
	err  error
}

func (o *Screen) Keys() []key.Binding {
	return []key.Binding{o.k.Open, o.k.Panel, o.k.Move, o.k.Window, o.k.Seen, o.k.Trend, o.next}
}
func (o *Screen) Typing() bool { return false }

// Activate reads what the Overview shows; the Changes from the operator's
// mark as it is now.
func (o *Screen) Activate() tea.Cmd {
	if o.reread {
		o.markRead, o.reread = false, false
	}
	return tea.Batch(o.load(), o.reloadChanges(), o.trendCmd())
}

// load reads what the overview needs from the store, one read at a time:
// announcements that arrive meanwhile mark it dirty for one more read.
func (o *Screen) load() tea.Cmd {
	if o.loading {
		o.dirty = true
		return nil
	}
	st := o.c.Store
	if st == nil {
		return nil
	}
	o.loading, o.dirty = true, false
	o.queryGen++
	gen, ctx, now := o.queryGen, o.c.Ctx, o.c.Now()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		to := now.Truncate(time.Minute).Add(time.Minute)
		r := loaded{gen: gen, to: to}
		r.ips, r.err = st.TopIPs(ctx, now.Add(-24*time.Hour), 8)
		if r.err == nil {
			r.rate, r.err = st.EventRate(ctx, store.EventFilter{}, to.Add(-time.Hour), to, time.Minute)
		}
		return r
	}
}

func (o *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loaded:
		if msg.gen != o.queryGen {
			return nil
		}
		o.loading = false
		switch {
		case errors.Is(msg.err, context.Canceled):
			// The dashboard is quitting: its last frame keeps what it showed.
		case msg.err != nil:
			o.err = msg.err.Error()
		default:
			o.ips, o.rate, o.rateTo, o.loaded, o.err = msg.ips, msg.rate, msg.to, true, ""
		}
		o.cacheKey = ""
		if o.dirty && o.c.OnTab(o) {
			return o.load()
		}
	case changesLoaded:
		o.cacheKey = ""
		return o.onChanges(msg)
	case trendLoaded:
		o.onTrend(msg)
		o.cacheKey = ""
	case markSaved:
		if msg.err != nil {
			return o.c.SayErr("changes: the mark of what you saw was not stored: " + msg.err.Error())
		}
	case uictx.DataChanged:
		o.cacheKey = ""
		if msg.Users && o.chLoaded {
			o.rebuildLines() // names come from the live data
		}
		if (msg.Events || msg.Users || msg.Health) && o.c.OnTab(o) {
			cmds := []tea.Cmd{o.refreshChanges()}
			if msg.Events {
				cmds = append(cmds, o.load(), o.trendCmd())
			}
			return tea.Batch(cmds...)
		}
	case uictx.ZoneChanged:
		o.cacheKey = ""
	case tea.KeyMsg:
		return o.onKey(msg)
	}
	return nil
}

func (o *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
	nav := o.c.Nav
	switch {
	case key.Matches(msg, o.next):
		if o.c.Data.Scores[model.ScoreWindows[o.window]].WindowIgnored {
			return nil // every window is the same reading: nothing to cycle
		}
		o.window = (o.window + 1) % len(model.ScoreWindows)
	case key.Matches(msg, o.k.Panel):
		o.panel = panelPeople
	case key.Matches(msg, o.k.Right):
		o.panel = panelIPs
	case key.Matches(msg, o.k.Window):
		o.chWindow = (o.chWindow + 1) % len(changeWindows)
		o.on[panelChanges], o.row[panelChanges], o.chOff = "", 0, 0
		return o.reloadChanges()
	case key.Matches(msg, o.k.Seen):
		return o.markSeen()
	case key.Matches(msg, o.k.Trend):
		cmd := o.nextTrend()
		o.cacheKey = ""
		return cmd
	case o.panel == panelChanges && key.Matches(msg, nav.Up):
		o.moveChanges(-1)
	case o.panel == panelChanges && key.Matches(msg, nav.Down):
		o.moveChanges(1)
	case o.panel == panelChanges && key.Matches(msg, nav.Top):
		o.moveChanges(-len(o.lines))
	case o.panel == panelChanges && key.Matches(msg, nav.Bottom):
		o.moveChanges(len(o.lines) - 1 - o.changesCursor())
	case key.Matches(msg, nav.Up):
		o.move(-1)
	case key.Matches(msg, nav.Down):
		o.move(1)
	case key.Matches(msg, nav.Top):
		o.move(-len(o.keysOf(o.panel)))
	case key.Matches(msg, nav.Bottom):
		o.move(len(o.keysOf(o.panel)))
	case o.panel == panelChanges && key.Matches(msg, o.k.Open):
		return o.openChange()
	case key.Matches(msg, o.k.Open):
		return o.open()
	default:
		return nil
	}
	o.cacheKey = ""
	return nil
}

// keysOf are the identities of a panel's items, in the order shown (all
// of them; the panel shows those that fit).
func (o *Screen) keysOf(panel int) []string {
	var out []string
	if panel == panelIPs {
		for _, ip := range o.ips {
			out = append(out, ip.IP)
		}
		return out
	}
	for _, p := range o.c.Data.People {
		if p.Level < model.LevelLow {
			break
		}
		out = append(out, p.Key)
	}
	return out
}

// cursor is the row of the cursor in a panel of n rows shown: on the
// item it was moved to, wherever that went, else where it was.
func (o *Screen) cursor(panel int, ids []string, n int) int {
	if id := o.on[panel]; id != "" {
		for i, x := range ids[:min(n, len(ids))] {
			if x == id {
				o.row[panel] = i
				return i
			}
		}
	}
	return max(min(o.row[panel], min(n, len(ids))-1), 0)
}

func (o *Screen) move(by int) {
	ids := o.keysOf(o.panel)
	n := min(o.rows[o.panel], len(ids))
	at := 0
	if n > 0 {
		at = o.cursor(o.panel, ids, n)
	}
	if by == -1 && at == 0 && len(o.lines) > 0 {
		// Up from the first row: the Changes above, on their last line.
		o.panel = panelChanges
		if o.on[panelChanges] == "" {
			o.row[panelChanges] = len(o.lines) - 1
			o.on[panelChanges] = o.lines[len(o.lines)-1].id
			o.chMovedRow = o.row[panelChanges]
		}
		o.drift = table.Drift{}
		return
	}
	if n == 0 {
		return
	}
	i := max(min(at+by, n-1), 0)
	o.row[o.panel], o.on[o.panel] = i, ids[i]
}

// open shows the person under the cursor, or the address's events.
func (o *Screen) open() tea.Cmd {
	ids := o.keysOf(o.panel)
	n := min(o.rows[o.panel], len(ids))
	if n == 0 {
		return nil
	}
	id := ids[o.cursor(o.panel, ids, n)]
	if o.panel == panelIPs {
		o.c.Ask(uictx.ShowEvents{IP: id})
		return nil
	}
	return o.c.OpenUser(id)
}

// view is cached: rebuilt only when the data, the size or the window
// changes, because the charts cost a millisecond or two to draw.
func (o *Screen) View(w, h int) string {
	ck := fmt.Sprintf("%d/%d/%d/%d/%d/%d/%v/%v/%p/%d/%d/%d/%d", w, h, o.c.Data.Version, o.window, o.queryGen, o.panel, o.row, o.on, o.c.Loc,
		o.chGen, o.trGen, o.trMode, o.chWindow)
	if ck == o.cacheKey && o.loaded == (o.cacheView != "") {
		return o.cacheView
	}
	o.cacheKey, o.cacheView = ck, o.render(w, h)
	return o.cacheView
}

func (o *Screen) render(w, h int) string {
	t := o.c.Theme
	// Four bands: the Changes, charts, the trends (and the event rate),
	// then the top lists. At 80×24 the Changes show three lines and the
	// rest shrink to fit.
	n := len(o.lines)
	if !o.chLoaded || n == 0 {
		n = 1
	}
	changes := o.changesPanel(w, changesRows(h, n))
	chH := lipgloss.Height(changes)
	rest := h - chH
	trendH := 4
	if rest >= 30 {
		trendH = 8
	}
	topH := max(8, rest*40/100)
	listH := max(rest-topH-trendH, 3)
	leftW := w * 55 / 100
	rightW := w - leftW - 1

	left := o.scoresPanel(leftW, topH)
	// The levels panels share the column, the last taking what the
	// division leaves.
	panels := make([]string, len(o.levels))
	for i, v := range o.levels {
		ph := topH / len(o.levels)
		if i == len(o.levels)-1 {
			ph = topH - ph*i
		}
		panels[i] = o.levelsPanel(v, rightW, ph)
	}
	right := lipgloss.JoinVertical(lipgloss.Left, panels...)
	top := lipgloss.JoinHorizontal(lipgloss.Top, left, " ", layout.Block(right, rightW, topH))

	// Side by side when the event rate's hour fits beside the trends.
	const rateW = 64
	o.wide = w-rateW-1 >= 60
	if o.wide && o.trMode == trendRate {
		o.trMode = trendDay
	}
	var middle string
	if o.wide {
		middle = lipgloss.JoinHorizontal(lipgloss.Top, layout.Block(o.trendsPanel(w-rateW-1, trendH), w-rateW-1, trendH), " ",
			layout.Block(o.ratePanel(rateW, trendH), rateW, trendH))
	} else {
		middle = o.trendsPanel(w, trendH)
	}
	half := (w - 1) / 2
	lists := lipgloss.JoinHorizontal(lipgloss.Top, o.topPeople(half, listH), " ", o.topIPs(w-half-1, listH))
	out := lipgloss.JoinVertical(lipgloss.Left, changes, layout.Block(top, w, topH), layout.Block(middle, w, trendH), layout.Block(lists, w, listH))
	if o.err != "" {
		out = t.Error.Render("store: "+o.err) + "\n" + out
	}
	return layout.Block(out, w, h)
}

// scoresPanel is the bucket chart of the vendor that reports score
// buckets: a bar per bucket, named in the one level vocabulary with the
// vendor's own word beside it where it differs, its count at its end, and
// an axis. When one bucket dwarfs another (ten times or more) the scale is
// logarithmic, so the small ones still show, and the axis says so.
func (o *Screen) scoresPanel(w, h int) string {
	t := o.c.Theme
	v, reported := o.c.Vendors.Scores()
	if !reported {
		return layout.Block(t.Bold.Render("Sign-in risk")+"\n"+t.Muted.Render("no vendor reports score buckets"), w, h)
	}
	win := model.ScoreWindows[o.window]
	title := t.Bold.Render(v.Display+" risk") + t.Muted.Render(" · "+windowLabel(win)+" (w)")
	s, ok := o.c.Data.Scores[win]
	if s.WindowIgnored {
		// OneLogin answered its own window whatever was asked: say so
		// rather than cycle windows that all read the same.
		title = t.Bold.Render(v.Display+" risk") + t.Muted.Render(" · "+v.Display+"'s own window (it ignores the one asked)")
	}
	if !ok {
		msg := "waiting for score insights…"
		if _, on := o.c.Data.Health[v.Name]; !on {
			msg = v.Display + " is not configured"
		}
		return layout.Block(title+"\n"+t.Muted.Render(msg), w, h)
	}
	title += t.Muted.Render(" · " + words.Plural(s.Total, "sign-in"))
	most, least := 0, 0
	for _, c := range s.Counts {
		most = max(most, c)
		if c > 0 && (least == 0 || c < least) {
			least = c
		}
	}
	countW := len(words.Thousands(most))
	const labelW, wordW = 8, 9 // "Critical", "very high"
	room := max(w-labelW-1-wordW-1-1-countW, 4)
	sc := newScale(most, least, room)
	lines := []string{title}
	for i, b := range model.Buckets {
		lv := b.Level()
		word := ""
		if !strings.EqualFold(b.Label(), lv.Label()) {
			word = strings.ToLower(b.Label())
		}
		bar := sc.bar(s.Counts[i])
		lines = append(lines, t.Level(lv).Render(layout.PadRight(lv.Label(), labelW))+" "+t.Muted.Render(layout.PadRight(word, wordW))+" "+
			t.Bucket(b).Render(bar)+layout.Spaces(room-layout.Width(bar)+1)+layout.PadLeft(words.Thousands(s.Counts[i]), countW))
	}
	pad := layout.Spaces(labelW + 1 + wordW + 1)
	axis, labels := sc.axis()
	note := pad
	if sc.log {
		note = layout.PadLeft("log scale", len(pad)-1) + " "
	}
	lines = append(lines, t.Muted.Render(note+axis), t.Muted.Render(pad+labels))
	return layout.Block(strings.Join(lines, "\n"), w, h)
}

// scale maps counts onto bars of at most room cells, linear or
// logarithmic.
type scale struct {
	log  bool
	top  float64 // the count at the axis's end (linear), or its decades (log)
	room int
}

func newScale(most, least, room int) scale {
	if least > 0 && most >= 10*least {
		decades := 1
		for p := 10; p < most; p *= 10 {
			decades++
		}
		return scale{log: true, top: float64(decades), room: room}
	}
	return scale{top: float64(niceCeil(max(most, 1))), room: room}
}

// at is where n ends on the axis, in cells. Logarithmic, 0 is the axis's
// start and each decade from 1 takes an equal share: a single sign-in
// still shows.
func (s scale) at(n float64) float64 {
	if !s.log {
		return float64(s.room) * n / s.top
	}
	if n < 1 {
		return 0
	}
	return float64(s.room) * (1 + math.Log10(n)) / (1 + s.top)
}

var eighths = [...]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// bar is n's bar in eighths of a cell; a count above zero shows at least
// a sliver.
func (s scale) bar(n int) string {
	e := int(math.Round(s.at(float64(n)) * 8))
	if n > 0 {
		e = max(e, 1)
	}
	e = min(e, s.room*8)
	return strings.Repeat("█", e/8) + eighths[e%8]
}

// axis is the axis line with its ticks, and the line of their values.
func (s scale) axis() (string, string) {
	type tick struct {
		at    int
		label string
	}
	ticks := []tick{{0, "0"}}
	if s.log {
		for d, v := 0, 1; d <= int(s.top); d, v = d+1, v*10 {
			ticks = append(ticks, tick{int(math.Round(s.at(float64(v)))), shortCount(v)})
		}
	} else {
		for _, f := range []float64{0.5, 1} {
			ticks = append(ticks, tick{int(math.Round(float64(s.room) * f)), shortCount(int(s.top * f))})
		}
	}
	line := []rune(strings.Repeat("─", s.room+1))
	labels := []rune(strings.Repeat(" ", s.room+12))
	free := 0 // the first column a label may take
	for _, tk := range ticks {
		if tk.at > s.room {
			continue
		}
		line[tk.at] = '┴'
		start := tk.at - len(tk.label)/2
		if tk.at == 0 {
			start = 0
		}
		if start < free {
			continue // no room beside the last one
		}
		copy(labels[start:], []rune(tk.label))
		free = start + len(tk.label) + 1
	}
	line[0] = '└'
	return string(line), strings.TrimRight(string(labels), " ")
}

// niceCeil is the smallest of 1, 2 or 5 times a power of ten that is n or
// more: the end of a linear axis.
func niceCeil(n int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

// shortCount writes a tick's value: 500, 2k, 10k, 1M.
func shortCount(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func windowLabel(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 24*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%dh", int(d/time.Hour))
}

// levelsPanel counts a vendor's distinct people per level (a person with
// a view per application counts once, at their highest) as horizontal
// bars, in the vendor's order of levels.
func (o *Screen) levelsPanel(v vendorkit.Info, w, h int) string {
	t := o.c.Theme
	title, views := v.LevelsTitle, o.c.Data.Views[v.Name]
	if views == nil {
		return layout.Block(t.Bold.Render(title)+"\n"+t.Muted.Render("no data yet"), w, h)
	}
	best := map[string]model.Level{}
	for _, v := range views {
		k := v.Key()
		if k == "" {
			k = v.Vendor + ":" + v.UserID
		}
		best[k] = model.Max(best[k], v.Level)
	}
	counts := map[model.Level]int{}
	most := 1
	for _, l := range best {
		counts[l]++
		most = max(most, counts[l])
	}
	lines := []string{t.Bold.Render(title) + t.Muted.Render(fmt.Sprintf(" · %d", len(best)))}
	barRoom := max(w-9-7, 4)
	for _, l := range v.Levels {
		n := counts[l]
		bar := strings.Repeat("█", (n*barRoom+most-1)/most)
		lines = append(lines, layout.PadRight(l.Label(), 9)+t.Level(l).Render(bar)+" "+words.Thousands(n))
	}
	return layout.Block(strings.Join(lines, "\n"), w, h)
}

// ratePanel is events per minute over the last hour as a sparkline
// with a time axis, in the dashboard's zone: a tick each quarter hour.
// (ntcharts' time-series chart has axes, but plots a line that needs more
// rows than the band has, and labels in the machine's zone.)
func (o *Screen) ratePanel(w, h int) string {
	t := o.c.Theme
	title := t.Bold.Render("Events per minute") + t.Muted.Render(" · last hour")
	if !o.loaded {
		return layout.Block(title+"\n"+t.Muted.Render("loading…"), w, h)
	}
	peak, sum := 0, 0
	for _, n := range o.rate {
		peak = max(peak, n)
		sum += n
	}
	title += t.Muted.Render(fmt.Sprintf(" · %s, peak %s", words.Plural(sum, "event"), words.Thousands(peak)) + "/min")
	per := max(min(w/max(len(o.rate), 1), 3), 1) // cells a minute
	vals := make([]float64, 0, len(o.rate)*per)
	for _, n := range o.rate {
		for range per {
			vals = append(vals, float64(n))
		}
	}
	sw := max(len(vals), 10)
	sl := sparkline.New(sw, max(h-2, 1), sparkline.WithStyle(t.Title), sparkline.WithMaxValue(float64(max(peak, 1))))
	sl.PushAll(vals)
	sl.Draw()
	return layout.Block(title+"\n"+sl.View()+"\n"+t.Muted.Render(o.timeAxis(len(o.rate), per, sw)), w, h)
}

// timeAxis is the line under the sparkline: a tick and the time at each
// quarter hour of the minutes shown (n of them, per cells each, ending at
// rateTo), in the dashboard's zone.
func (o *Screen) timeAxis(n, per, width int) string {
	line := []rune(strings.Repeat("─", width))
	from := o.rateTo.Add(-time.Duration(n) * time.Minute)
	free := 0
	for i := 0; i < n; i++ {
		at := from.Add(time.Duration(i) * time.Minute).In(o.c.Loc)
		if at.Minute()%15 != 0 {
			continue
		}
		col := i * per
		label := []rune(at.Format("15:04"))
		if col < free || col+1+len(label) > width {
			continue
		}
		line[col] = '┴'
		copy(line[col+1:], label)
		free = col + 1 + len(label) + 1
	}
	return string(line)
}

// topPeople lists the riskiest people with their level and score in the
// one vocabulary ("Critical (CASB 90)"), the cursor's row marked when the
// panel has the cursor.
func (o *Screen) topPeople(w, h int) string {
	t := o.c.Theme
	lines := []string{t.Bold.Render("Riskiest people")}
	ids := o.keysOf(panelPeople)
	shown := min(len(ids), h-1)
	o.rows[panelPeople] = shown
	cur := o.cursor(panelPeople, ids, shown)
	people := o.c.Data.People[:shown]
	describe := func(p model.Person, short bool) string {
		v, ok := p.Reading()
		if !ok {
			return p.Level.Label()
		}
		vendor := o.c.Vendors.Display(v.Vendor)
		if short {
			vendor = o.c.Vendors.Short(v.Vendor)
		}
		return p.Level.Describe(vendor, v.Score)
	}
	lvW := 0
	short := w < 60
	for _, p := range people {
		lvW = max(lvW, layout.Width(describe(p, short)))
	}
	for i, p := range people {
		name := p.Name
		if name == "" {
			name = p.Email
		}
		room := max(w-2-lvW-1, 4)
		row := t.Level(p.Level).Render(layout.PadRight(describe(p, short), lvW)) + " " + layout.PadRight(layout.Cut(name, room), room)
		lines = append(lines, o.mark(panelPeople, i == cur, row, w))
	}
	if len(lines) == 1 {
		lines = append(lines, t.Muted.Render("no one above low risk yet"))
	}
	return layout.Block(strings.Join(lines, "\n"), w, h)
}

// mark draws a row with the cursor's marker column: "> " and the selected
// style on the cursor's row in the panel that has it.
func (o *Screen) mark(panel int, cur bool, row string, w int) string {
	if cur && o.panel == panel {
		return o.c.Theme.Selected.Render(layout.Fit("> "+row, w))
	}
	return "  " + row
}

func (o *Screen) topIPs(w, h int) string {
	t := o.c.Theme
	lines := []string{t.Bold.Render("Riskiest addresses") + t.Muted.Render(" · 24h")}
	shown := min(len(o.ips), h-1)
	o.rows[panelIPs] = shown
	cur := o.cursor(panelIPs, o.keysOf(panelIPs), shown)
	for i, ip := range o.ips[:shown] {
		score := "  –"
		if ip.MaxScore >= 0 {
			score = fmt.Sprintf("%3d", ip.MaxScore)
		}
		meta := fmt.Sprintf(" %s · %s", words.Plural(ip.Events, "event"), words.Plural(ip.Users, "user"))
		room := max(w-2-4-lipgloss.Width(meta), 8)
		row := t.Level(ip.Level).Render(score) + " " + layout.PadRight(layout.Cut(ip.IP, room), room) + t.Muted.Render(meta)
		lines = append(lines, o.mark(panelIPs, i == cur, row, w))
	}
	if len(lines) == 1 {
		msg := "no events yet"
		if !o.loaded {
			msg = "loading…"
		}
		lines = append(lines, t.Muted.Render(msg))
	}
	return layout.Block(strings.Join(lines, "\n"), w, h)
}
