package overview

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// changeWindows are the Changes panel's windows, cycled by c: 0 is
// "since you last looked" (the operator's mark).
var changeWindows = []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// firstLook is the window of an operator who never marked what they saw.
const firstLook = 24 * time.Hour

// lineKind is what a Changes line is about.
type lineKind int

const (
	// lineAlert is kept for the alerts (issue 16's detections): their
	// lines go first, and enter will open the Alerts tab.
	lineAlert lineKind = iota
	lineRange
	lineRise
	lineNew
	lineFall
	lineHealth
)

// changeLine is one selectable line of the panel.
type changeLine struct {
	kind   lineKind
	id     string // identity, for the cursor: kind and person key, prefix or source
	target string // the person's key, the range's prefix, the source
	label  string // for the drift notice
	at     time.Time
	level  model.Level // the level risen or fallen to, a new person's
	text   string      // drawn: styles applied
}

// changesLoaded is the result of the Changes read.
type changesLoaded struct {
	gen     int
	mark    model.SeenMark // the operator's mark, when it was read
	markSet bool
	since   time.Time
	now     time.Time
	changes model.Changes
	err     error
}

// markSaved says the operator's mark was stored.
type markSaved struct {
	at  time.Time
	err error
}

// owner is whose mark this is: the actor, as saved views use it.
func owner(c *uictx.Context) string {
	if c.Actor != "" {
		return string(c.Actor)
	}
	return "local"
}

// changesCmd is the read, run in a command: it holds what it needs.
func (o *Screen) changesCmd(gen int) tea.Cmd {
	st := o.c.Store
	if st == nil {
		return nil
	}
	ctx, now, who := o.c.Ctx, o.c.Now(), owner(o.c)
	readMark, mark, win := !o.markRead, o.seenMark, changeWindows[o.chWindow]
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		r := changesLoaded{gen: gen, now: now, mark: mark}
		if readMark {
			if r.mark, r.err = st.ChangeMark(ctx, who); r.err != nil {
				return r
			}
			r.markSet = true
		}
		switch {
		case win > 0:
			r.since = now.Add(-win)
		case r.mark.At.IsZero():
			r.since = now.Add(-firstLook)
		default:
			r.since = r.mark.At
		}
		if !r.since.Before(now) {
			r.since = now.Add(-time.Millisecond)
		}
		r.changes, r.err = st.Changes(ctx, store.ChangesQuery{Since: r.since, Until: now.Add(time.Millisecond)})
		if r.err == nil && win == 0 {
			r.changes.Unseen(r.mark)
		}
		return r
	}
}

// onChanges takes a Changes read: the lines, the cursor kept on its item
// (saying so when it moved or left), and, when the panel is on screen,
// the mark the operator would leave with.
func (o *Screen) onChanges(msg changesLoaded) tea.Cmd {
	if msg.gen != o.chGen {
		return nil
	}
	o.chLoading = false
	if msg.markSet {
		o.seenMark, o.markRead = msg.mark, true
	}
	switch {
	case errors.Is(msg.err, context.Canceled):
		// The dashboard is quitting: nothing to say.
	case msg.err != nil:
		o.chErr = msg.err.Error()
	default:
		o.chErr, o.chLoaded = "", true
		o.changes, o.chSince, o.chNow = msg.changes, msg.since, msg.now
		o.rebuildLines()
		if o.c.OnTab(o) {
			o.noteShown()
		}
	}
	if o.chDirty && o.c.OnTab(o) {
		return o.reloadChanges()
	}
	return nil
}

// rebuildLines makes the lines from the changes read and the live data
// (people's names), keeping the cursor on its item.
func (o *Screen) rebuildLines() {
	before := o.lines
	o.lines = o.changeLines()
	id := o.on[panelChanges]
	if id == "" {
		o.drift = table.Drift{}
		return
	}
	was := -1
	for i, l := range before {
		if l.id == id {
			was = i
		}
	}
	for i, l := range o.lines {
		if l.id == id {
			// Since the operator last moved the cursor, as the tables say it.
			o.drift = table.Drift{}
			if i != o.chMovedRow {
				o.drift = table.Drift{Label: l.label, By: i - o.chMovedRow}
			}
			o.row[panelChanges] = i
			return
		}
	}
	// Its item left: the cursor stays on the row, now another item.
	left := id
	if was >= 0 {
		left = before[was].label
	}
	o.on[panelChanges] = ""
	o.row[panelChanges] = max(min(o.row[panelChanges], len(o.lines)-1), 0)
	label := ""
	if len(o.lines) > 0 {
		label = o.lines[o.row[panelChanges]].label
	}
	o.drift = table.Drift{Left: left, Label: label}
}

// noteShown is the mark the operator leaves with: the end of the window
// shown, and the people listed, with the High and Critical people the
// Overview lists, at their levels.
func (o *Screen) noteShown() {
	if !o.chLoaded {
		return
	}
	people := map[string]model.Level{}
	for _, l := range o.lines {
		if l.kind == lineRise || l.kind == lineNew || l.kind == lineFall {
			people[l.target] = model.Max(people[l.target], l.level)
		}
	}
	for _, p := range o.c.Data.People {
		if p.Level < model.LevelHigh {
			break
		}
		people[p.Key] = model.Max(people[p.Key], p.Level)
	}
	// The window read ended at Until: the next one starts there.
	o.shown = model.SeenMark{At: o.changes.Until, People: people}
}

// Leave stores the operator's mark when they leave the Overview (another
// tab, or quitting) after the Changes were shown: never while they read.
// Lines below the fold were not seen: while any line was never on screen,
// only the people whose lines were are marked (see leaveMark).
func (o *Screen) Leave() tea.Cmd {
	m, all := o.leaveMark()
	return o.saveMark(m, all)
}

// leaveMark is the mark the operator leaves with: everything read once
// every line has been on screen; else the mark they came with, plus the
// people of the lines they saw (none after a first look).
func (o *Screen) leaveMark() (m model.SeenMark, all bool) {
	if o.shown.At.IsZero() || o.allDrawn() {
		return o.shown, true
	}
	at := o.seenMark.At
	if at.IsZero() {
		// A first look stays one: a mark would say they looked then.
		return model.SeenMark{}, false
	}
	people := map[string]model.Level{}
	maps.Copy(people, o.seenMark.People)
	for _, l := range o.lines {
		if o.chDrawn[drawnKey(l)] && (l.kind == lineRise || l.kind == lineNew || l.kind == lineFall) {
			people[l.target] = model.Max(people[l.target], l.level)
		}
	}
	return model.SeenMark{At: at, People: people}, false
}

// allDrawn reports whether every line has been on screen.
func (o *Screen) allDrawn() bool {
	for _, l := range o.lines {
		if !o.chDrawn[drawnKey(l)] {
			return false
		}
	}
	return true
}

// drawnKey names a line as drawn: its item at its level (a person risen
// further is news again).
func drawnKey(l changeLine) string { return l.id + "|" + l.level.String() }

// saveMark stores m as the operator's mark; all says it marks every line
// read, so the lines to come are all news.
func (o *Screen) saveMark(m model.SeenMark, all bool) tea.Cmd {
	st := o.c.Store
	if st == nil || m.At.IsZero() {
		return nil
	}
	if all {
		clear(o.chDrawn)
	}
	o.shown = model.SeenMark{}
	o.reread = true // on the next visit; what is on screen stays as it is
	who := owner(o.c)
	return func() tea.Msg {
		// Not the dashboard's context: quitting cancels that first.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return markSaved{at: m.At, err: st.SetChangeMark(ctx, who, m)}
	}
}

// markSeen is the m key: what is shown is seen; the panel starts again
// from now.
func (o *Screen) markSeen() tea.Cmd {
	if !o.chLoaded || o.shown.At.IsZero() {
		return o.c.Say("nothing to mark yet")
	}
	o.seenMark = o.shown
	save := o.saveMark(o.shown, true)
	o.reread = false // the mark is the one just set
	o.chWindow = 0
	o.on[panelChanges], o.row[panelChanges], o.chOff = "", 0, 0
	return tea.Batch(save, o.reloadChanges())
}

// reloadChanges reads the Changes again (another window, a new mark).
func (o *Screen) reloadChanges() tea.Cmd {
	o.chGen++
	o.chLoading, o.chDirty = true, false
	o.cacheKey = ""
	return o.changesCmd(o.chGen)
}

// refreshChanges reads them again as data arrives, one read at a time:
// what arrives meanwhile marks them dirty for one more read.
func (o *Screen) refreshChanges() tea.Cmd {
	if o.chLoading {
		o.chDirty = true
		return nil
	}
	return o.reloadChanges()
}

// windowTitle says which window the panel shows.
func (o *Screen) windowTitle() string {
	loc := o.c.Loc
	if w := changeWindows[o.chWindow]; w > 0 {
		return "last " + windowLabel(w)
	}
	switch {
	case !o.markRead && o.seenMark.At.IsZero():
		return "since you last looked"
	case o.seenMark.At.IsZero():
		return "last " + windowLabel(firstLook) + " (your first look)"
	}
	return "since you last looked at " + clock(o.seenMark.At.In(loc), o.chNow.In(loc))
}

// clock writes a time of day, with the date when it is not today.
func clock(t, now time.Time) string {
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Jan 02 15:04")
}

// changeLines are the panel's lines: alerts (none yet), new ranges, rises,
// people new at High or Critical, falls, health changes.
func (o *Screen) changeLines() []changeLine {
	t, ch, now := o.c.Theme, o.changes, o.chNow
	var out []changeLine
	// Alerts (issue 16's detections) go here, first: a line each, kind
	// lineAlert, enter opening the Alerts tab on it.
	for _, r := range ch.Ranges {
		text := t.Warn.Render("⚠ "+r.Prefix) + ": " + fmt.Sprintf("%s, %s, %s", words.Plural(r.Addresses, "address"),
			words.Plural(r.People, "person"), words.Plural(r.Failures, "failure")) + t.Muted.Render(" · new range · "+ago(now, r.Last))
		out = append(out, changeLine{kind: lineRange, id: "range/" + r.Prefix, target: r.Prefix, label: r.Prefix, at: r.Last, text: text})
	}
	for _, c := range ch.Levels {
		if !c.Rise() {
			continue
		}
		out = append(out, o.levelLine(lineRise, c))
	}
	for _, p := range ch.NewPeople {
		name := o.personName(p.Key)
		text := t.Level(p.Level).Render("★ new "+p.Level.Label()) + "  " + name + t.Muted.Render(" · "+ago(now, p.At)+" · "+o.c.Vendors.Display(p.Vendor))
		out = append(out, changeLine{kind: lineNew, id: "person/" + p.Key, target: p.Key, label: name, at: p.At, level: p.Level, text: text})
	}
	for _, c := range ch.Levels {
		if c.Rise() {
			continue
		}
		out = append(out, o.levelLine(lineFall, c))
	}
	for _, h := range ch.Health {
		name := o.c.Vendors.Display(h.Source)
		// "OneLogin: ok → failing", not the header's "OneLogin failing": a
		// change, which stays listed after the source recovers.
		text := t.State(h.To).Render("● "+name+": "+h.From.String()+" → "+h.To.String()) + t.Muted.Render(" · "+ago(now, h.At))
		if h.Error != "" {
			text += t.Muted.Render(": " + h.Error)
		}
		out = append(out, changeLine{kind: lineHealth, id: "health/" + h.Source, target: h.Source, label: name, at: h.At, text: text})
	}
	return out
}

func (o *Screen) levelLine(kind lineKind, c model.LevelChange) changeLine {
	t := o.c.Theme
	arrow := "↑"
	if kind == lineFall {
		arrow = "↓"
	}
	name := o.personName(c.Key)
	text := t.Level(c.To).Render(arrow+" "+c.From.Label()+"→"+c.To.Label()) + "  " + name +
		t.Muted.Render(" · "+ago(o.chNow, c.At)+" · "+o.c.Vendors.Display(c.Vendor))
	return changeLine{kind: kind, id: "person/" + c.Key, target: c.Key, label: name, at: c.At, level: c.To, text: text}
}

// personName is how the live data names a person, else their key.
func (o *Screen) personName(key string) string {
	if p, ok := o.c.Data.Person(key); ok {
		return words.FirstNonEmpty(p.Name, p.Email, key)
	}
	return key
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return words.Coarse(now.Sub(t)) + " ago"
}

// changesRows is how many lines the panel's list gets in h rows of body:
// a few, so the rest of the Overview still fits at 80×24.
func changesRows(h, n int) int {
	most := max(3, min((h-8)/4, 10))
	return max(min(n, most), 1)
}

// changesPanel is the title line (window, count, "↓ N more", a drift
// notice) and the lines shown, the cursor's marked.
func (o *Screen) changesPanel(w, rows int) string {
	t := o.c.Theme
	title := t.Bold.Render("Changes") + t.Muted.Render(" · "+o.windowTitle()+" (c)")
	if o.chLoaded && len(o.lines) > 0 {
		title += t.Muted.Render(" · " + words.Thousands(len(o.lines)) + " · m marks seen")
	}
	if !o.drift.Zero() {
		title += t.Muted.Render(" · ") + t.Warn.Render(o.drift.Text("as changes came in"))
	}
	var lines []string
	switch {
	case o.chErr != "":
		lines = append(lines, t.Error.Render("store: "+o.chErr))
	case !o.chLoaded:
		lines = append(lines, t.Muted.Render("loading…"))
	case len(o.lines) == 0:
		lines = append(lines, t.Muted.Render(o.emptyText()))
	default:
		cur := o.changesCursor()
		o.chOff = min(max(o.chOff, cur-rows+1), cur)
		o.chOff = max(min(o.chOff, len(o.lines)-rows), 0)
		end := min(o.chOff+rows, len(o.lines))
		for i := o.chOff; i < end; i++ {
			lines = append(lines, o.mark(panelChanges, i == cur, o.lines[i].text, w))
			if o.chDrawn == nil {
				o.chDrawn = map[string]bool{}
			}
			o.chDrawn[drawnKey(o.lines[i])] = true
		}
		more := []string{}
		if o.chOff > 0 {
			more = append(more, fmt.Sprintf("↑ %d", o.chOff))
		}
		if rest := len(o.lines) - end; rest > 0 {
			more = append(more, fmt.Sprintf("↓ %d more", rest))
		}
		if len(more) > 0 {
			title = table.Beside(title, t.Muted.Render(strings.Join(more, " ")), w)
		}
		o.rows[panelChanges] = end - o.chOff
	}
	return layout.Block(strings.Join(append([]string{layout.Cut(title, w)}, lines...), "\n"), w, 1+max(len(lines), 1))
}

// emptyText says plainly that nothing changed.
func (o *Screen) emptyText() string {
	if changeWindows[o.chWindow] > 0 {
		return "No changes in the last " + windowLabel(changeWindows[o.chWindow])
	}
	if o.seenMark.At.IsZero() {
		return "No changes in the last " + windowLabel(firstLook)
	}
	return "No changes since you last looked at " + clock(o.seenMark.At.In(o.c.Loc), o.chNow.In(o.c.Loc))
}

// changesCursor is the cursor's line: on its item, else where it was.
func (o *Screen) changesCursor() int {
	if id := o.on[panelChanges]; id != "" {
		for i, l := range o.lines {
			if l.id == id {
				o.row[panelChanges] = i
				return i
			}
		}
	}
	return max(min(o.row[panelChanges], len(o.lines)-1), 0)
}

// moveChanges moves the cursor in the Changes; past the last line it goes
// down to the people.
func (o *Screen) moveChanges(by int) {
	if len(o.lines) == 0 {
		if by > 0 {
			o.panel = panelPeople
		}
		return
	}
	i := o.changesCursor() + by
	if i >= len(o.lines) {
		o.panel = panelPeople
		return
	}
	i = max(i, 0)
	o.row[panelChanges], o.on[panelChanges], o.chMovedRow = i, o.lines[i].id, i
	o.drift = table.Drift{}
}

// openChange is enter on a line: a person's drill-down, a range's events
// in the window shown, a source's health.
func (o *Screen) openChange() tea.Cmd {
	if len(o.lines) == 0 {
		return nil
	}
	l := o.lines[o.changesCursor()]
	switch l.kind {
	case lineRange:
		since := o.chNow.Sub(o.chSince).Round(time.Minute)
		if since < o.chNow.Sub(o.chSince) {
			since += time.Minute
		}
		o.c.Ask(uictx.ShowEvents{IP: l.target, Since: since})
		return nil
	case lineHealth:
		return o.c.Say("S shows every source's health")
	}
	return o.c.OpenUser(l.target)
}
