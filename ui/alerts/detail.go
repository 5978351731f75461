package alerts

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/push"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// detailEvents is how many of an alert's events the pane reads and lists.
const detailEvents = 50

// detail is one alert's pane: its incident, evidence, suggested response
// and who acted. The people and the range (or addresses) are lines the
// cursor stops on: enter opens a person's drill-down, or the Events tab
// filtered to the range or address.
type detail struct {
	s      *Screen
	a      model.Alert
	events []model.Event
	pushed *pushed     // what the outbox holds of a range response, once read
	person *personPush // of a person response, once read
	err    string
	k      detailKeys

	lines  []dline
	cursor int // index into lines of a selectable line, -1 when none
	off    int // the first line shown
	w, h   int
}

type detailKeys struct {
	Open, Move key.Binding
}

// dline is one line of the pane; person or ip make it selectable.
type dline struct {
	text   string
	person string
	ip     string
}

func (l dline) selectable() bool { return l.person != "" || l.ip != "" }

func newDetail(s *Screen, a model.Alert) *detail {
	d := &detail{s: s, a: a, cursor: -1, w: s.width, h: max(s.height, 1), k: detailKeys{
		Open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open the person or the range's events")),
		Move: key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "select a person or an address")),
	}}
	d.build()
	return d
}

// detailRead is the alert as stored now, its first events and, for a
// push of its addresses, what the outbox holds of it.
type detailRead struct {
	d      *detail
	a      model.Alert
	events []model.Event
	pushed *pushed
	person *personPush
	err    error
}

// personPush is the newest push of a person response's subject (none:
// found false).
type personPush struct {
	item  model.OutboxItem
	found bool
}

// pushed is how many of an alert's addresses a push at its response's
// level would skip now: sent and live at Okta, or queued (or sending).
type pushed struct {
	total, sent, queued int
	level               model.Level
}

// read reads the alert again and its first events, in a command.
func (d *detail) read() tea.Cmd {
	st := d.s.c.Store
	if st == nil {
		return nil
	}
	ctx, id, now := d.s.c.Ctx, d.a.ID, d.s.c.Now()
	email := "" // the outbox names a person by the email pushed
	if d.a.Response.Kind == model.ResponsePushPerson {
		if p, ok := d.s.c.Data.Person(personOf(d.a)); ok {
			email = strings.TrimSpace(p.Email)
		}
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		a, err := st.Alert(ctx, id)
		if err != nil {
			return detailRead{d: d, err: err}
		}
		var evs []model.Event
		for _, r := range a.Evidence.Events[:min(len(a.Evidence.Events), detailEvents)] {
			if ev, err := st.Event(ctx, r.Vendor, r.ID); err == nil {
				evs = append(evs, ev)
			}
		}
		r := detailRead{d: d, a: a, events: evs}
		if ips := rangeAddresses(a); a.Response.Kind == model.ResponsePushRange && len(ips) > 0 {
			// Unread (nil) on an error: the line is left out, not guessed.
			r.pushed = readPushed(ctx, st, ips, pushLevel(a.Response.Level), now)
		}
		if email != "" {
			if it, ok, err := st.LatestPersonPush(ctx, email); err == nil {
				r.person = &personPush{item: it, found: ok}
			}
		}
		return r
	}
}

// readPushed counts ips that a push at level would skip at now.
func readPushed(ctx context.Context, st store.Store, ips []string, level model.Level, now time.Time) *pushed {
	keys := make([]string, len(ips))
	for i, ip := range ips {
		keys[i] = push.Canonical(ip)
	}
	live, err := st.LivePushes(ctx, keys, now, actions.DefaultPushLife)
	if err != nil {
		return nil
	}
	p := &pushed{total: len(keys), level: level}
	for _, k := range keys {
		it, ok := store.Covering(live[k], level)
		switch {
		case !ok:
		case it.State == model.OutboxSent:
			p.sent++
		default:
			p.queued++
		}
	}
	return p
}

// pushLevel is the level a range response pushes at: the bulk form's
// default for it.
func pushLevel(l model.Level) model.Level { return model.LevelOfLowMediumHigh(push.LevelOf(l)) }

// personLine says where a person response's newest push is.
func personLine(t *theme.Theme, p *personPush, now time.Time, loc *time.Location) string {
	it := p.item
	switch {
	case !p.found:
		return t.Warn.Render("Not pushed: no push of this person's risk to Okta yet")
	case it.State == model.OutboxSent:
		return t.OK.Render(fmt.Sprintf("Pushed: %s sent to Okta by %s %s", it.Level.Label(), it.Actor, when(it.SentAt, now, loc)))
	case it.State == model.OutboxFailed:
		return t.Error.Render(fmt.Sprintf("Push failed: %s, by %s: %s", it.Level.Label(), it.Actor, it.LastError))
	}
	state := "queued for Okta"
	if it.State == model.OutboxSending {
		state = "being sent to Okta"
	}
	return fmt.Sprintf("Pushing: %s %s by %s %s", it.Level.Label(), state, it.Actor, when(it.Created, now, loc))
}

// pushedLine says what of a range response the outbox holds.
func pushedLine(t *theme.Theme, p *pushed) string {
	at := " at " + p.level.Label()
	if p.level < model.LevelHigh {
		at += " or higher"
	}
	switch {
	case p.sent+p.queued == 0:
		return t.Warn.Render(fmt.Sprintf("Not pushed: none of its %s is queued or live at Okta%s", words.Plural(p.total, "address"), at))
	case p.queued == 0:
		return t.OK.Render(fmt.Sprintf("Pushed: %s of %s sent and live at Okta%s", words.Thousands(p.sent), words.Plural(p.total, "address"), at))
	}
	return fmt.Sprintf("Pushing: %s of %s sent%s, %s queued", words.Thousands(p.sent), words.Plural(p.total, "address"), at, words.Thousands(p.queued))
}

func (d *detail) onRead(m detailRead) {
	if m.err != nil {
		d.err = m.err.Error()
	} else {
		d.err, d.a, d.events, d.pushed, d.person = "", m.a, m.events, m.pushed, m.person
	}
	d.build()
}

func (d *detail) resize(w, h int) {
	d.w, d.h = w, max(h, 1)
	d.build()
}

// build lays the pane's lines out again, keeping the cursor on the same
// person or address.
func (d *detail) build() {
	var was dline
	if d.cursor >= 0 && d.cursor < len(d.lines) {
		was = d.lines[d.cursor]
	}
	c, a := d.s.c, d.a
	t := c.Theme
	now, loc := c.Now(), c.Loc
	var ls []dline
	add := func(text string) { ls = append(ls, dline{text: text}) }

	head := t.Bold.Render(fmt.Sprintf("Alert #%d", a.ID)) + "  " + t.Level(a.Severity).Render(a.Severity.Label()) + "  " + t.Bold.Render(a.State.Label())
	if a.Backfilled {
		head += "  " + t.Warn.Render("history")
	}
	add(head)
	add(t.Bold.Render(a.Title))
	add(t.Muted.Render(fmt.Sprintf("rule %s (%s) · fired %s · first seen %s · last seen %s", a.Rule, ruleWords[a.Kind],
		words.Plural(a.Count, "time"), Seen(a.FirstSeen, now, loc), Seen(a.LastSeen, now, loc))))
	if a.Backfilled {
		add(t.Warn.Render("Back-filled: found in events older than the rules' horizon (a late or first sync); listed, never notified."))
	}
	if d.err != "" {
		add(t.Error.Render("not read again: " + d.err))
	}
	add("")

	respond := ""
	if c.ActionsOff() == "" && a.Response.Kind != model.ResponseNone && a.Response.Kind != "" {
		respond = " — P to push"
		switch {
		case resets(c, a.Response.Kind):
			respond = " — P to reset"
		case a.Response.Kind == model.ResponsePushPerson && (c.Actions == nil || !c.Actions.CanPushUserRisk()):
			respond = " — pushing a person needs push: ssf"
		}
	}
	if in := a.Incident; in != nil {
		ls = append(ls, dline{text: t.Bold.Render(in.Summary()) + respond, ip: in.Range})
		add(t.Muted.Render(fmt.Sprintf("  from %s to %s", in.From.In(loc).Format("Jan 02 15:04:05"), in.To.In(loc).Format("15:04:05 MST"))))
	} else if a.Subject != "" {
		sl := dline{text: "Subject " + t.Bold.Render(a.Subject) + respond}
		if isAddress(a.Subject) {
			sl.ip = a.Subject
		} else if _, ok := c.Data.Person(a.Subject); ok {
			sl.person = a.Subject
		}
		ls = append(ls, sl)
	}
	add("Suggested response: " + a.Response.Label())
	if d.pushed != nil {
		add(pushedLine(t, d.pushed))
	}
	if d.person != nil {
		add(personLine(t, d.person, now, loc))
	}
	switch {
	case a.State == model.AlertResolved:
		if !a.AckedAt.IsZero() {
			add(fmt.Sprintf("Acknowledged by %s %s", a.AckedBy, when(a.AckedAt, now, loc)))
		}
		add(fmt.Sprintf("Resolved by %s %s", a.ResolvedBy, when(a.ResolvedAt, now, loc)))
	case a.State == model.AlertAcknowledged:
		add(fmt.Sprintf("Acknowledged by %s %s; not resolved", a.AckedBy, when(a.AckedAt, now, loc)))
	default:
		add(t.Warn.Render("Open: no one has acknowledged it"))
	}

	ev := a.Evidence
	add("")
	add(t.Bold.Render("People") + t.Muted.Render(shown(len(ev.People), ev.PeopleTotal)))
	for _, key := range ev.People {
		text := key
		if p, ok := c.Data.Person(key); ok {
			name := words.FirstNonEmpty(p.Name, p.Email, key)
			text = layout.PadRight(layout.Cut(name, 28), 28) + " " + layout.PadRight(layout.Cut(p.Email, 30), 30) + " " +
				t.Level(p.Level).Render(p.Level.Label())
		}
		ls = append(ls, dline{text: text, person: key})
	}
	if len(ev.People) == 0 {
		add(t.Muted.Render("  none"))
	}
	add("")
	add(t.Bold.Render("Addresses") + t.Muted.Render(shown(len(ev.Addresses), ev.AddressesTotal)))
	for _, ip := range ev.Addresses {
		ls = append(ls, dline{text: ip, ip: ip})
	}
	if len(ev.Addresses) == 0 {
		add(t.Muted.Render("  none"))
	}
	add("")
	add(t.Bold.Render("Events") + t.Muted.Render(shown(min(len(ev.Events), detailEvents), ev.EventsTotal)))
	for _, e := range d.events {
		user := words.FirstNonEmpty(e.UserKey, e.UserName, e.UserID)
		add("  " + e.Time.In(loc).Format("Jan 02 15:04:05") + "  " + layout.PadRight(layout.Cut(c.Vendors.Display(e.Vendor), 10), 10) + " " +
			layout.PadRight(layout.Cut(e.TypeName, 28), 28) + " " + layout.PadRight(layout.Cut(user, 28), 28) + " " + e.IP)
	}
	if len(d.events) == 0 && len(ev.Events) > 0 {
		add(t.Muted.Render("  reading…"))
	}
	d.lines = ls

	// The cursor stays on what it was on, else the first selectable line.
	d.cursor = -1
	for i, l := range ls {
		if l.selectable() && (d.cursor < 0 || (was.selectable() && l.person == was.person && l.ip == was.ip)) {
			d.cursor = i
			if was.selectable() && l.person == was.person && l.ip == was.ip {
				break
			}
		}
	}
	d.clamp()
}

// shown says how many of a list are listed: " (40)", or " (500 of 1,204)".
func shown(listed, total int) string {
	if total > listed {
		return fmt.Sprintf(" (%s of %s)", words.Thousands(listed), words.Thousands(total))
	}
	return fmt.Sprintf(" (%s)", words.Thousands(total))
}

func when(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return "at " + t.In(loc).Format("Jan 02 15:04") + " (" + words.Age(now.Sub(t)) + " ago)"
}

// isAddress reports an address or a range ("203.0.113.0/24"), not a
// person's key ("okta:00u1…").
func isAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// body is the part of the pane that scrolls: its height less the hint.
func (d *detail) body() int { return max(d.h-1, 1) }

// clamp keeps the offset in range and the cursor in view.
func (d *detail) clamp() {
	if d.cursor >= 0 {
		if d.cursor < d.off {
			d.off = d.cursor
		}
		if d.cursor >= d.off+d.body() {
			d.off = d.cursor - d.body() + 1
		}
	}
	d.off = max(min(d.off, len(d.lines)-d.body()), 0)
}

// move steps the cursor to the n-th selectable line up (n < 0) or down;
// with none that way the pane scrolls.
func (d *detail) move(n int) {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	moved := false
	for i := d.cursor + step; i >= 0 && i < len(d.lines) && n > 0; i += step {
		if d.lines[i].selectable() {
			d.cursor, moved = i, true
			n--
		}
	}
	if !moved {
		d.off += step
	}
	d.clamp()
}

func (s *Screen) detailKey(msg tea.KeyMsg) tea.Cmd {
	d, c := s.detail, s.c
	nav := c.Nav
	switch {
	case msg.Type == tea.KeyEsc:
		s.detail = nil
		return nil
	case key.Matches(msg, nav.Up):
		d.move(-1)
	case key.Matches(msg, nav.Down):
		d.move(1)
	case key.Matches(msg, nav.PageUp):
		d.off -= d.body()
		d.cursor = -1
		d.clamp()
		d.pickInView()
	case key.Matches(msg, nav.PageDown):
		d.off += d.body()
		d.cursor = -1
		d.clamp()
		d.pickInView()
	case key.Matches(msg, nav.Top):
		d.off, d.cursor = 0, -1
		d.clamp()
		d.pickInView()
	case key.Matches(msg, nav.Bottom):
		d.off, d.cursor = len(d.lines), -1
		d.clamp()
		d.pickInView()
	case key.Matches(msg, d.k.Open):
		if d.cursor < 0 || d.cursor >= len(d.lines) {
			return c.SayErr("nothing selected: ↑/↓ select a person or an address")
		}
		l := d.lines[d.cursor]
		if l.person != "" {
			return c.OpenUser(l.person)
		}
		c.Ask(uictx.ShowEvents{IP: l.ip})
		return nil
	case key.Matches(msg, s.k.Ack):
		return s.ack(d.a)
	case key.Matches(msg, s.k.Resolve):
		return s.resolve(d.a)
	case key.Matches(msg, s.k.Respond):
		return s.respond(d.a)
	case key.Matches(msg, s.k.Copy):
		if d.cursor >= 0 && d.cursor < len(d.lines) {
			return c.CopyText(d.lines[d.cursor].person + d.lines[d.cursor].ip)
		}
		return c.CopyText(d.a.Subject)
	}
	return nil
}

// pickInView puts the cursor on the first selectable line shown.
func (d *detail) pickInView() {
	for i := d.off; i < min(d.off+d.body(), len(d.lines)); i++ {
		if d.lines[i].selectable() {
			d.cursor = i
			return
		}
	}
}

// view draws the visible lines only, the selected one marked.
func (d *detail) view(w, h int) string {
	if w != d.w || h != d.h {
		d.resize(w, h)
	}
	t := d.s.c.Theme
	marker := "▸ "
	if !t.HasColor() {
		marker = "> "
	}
	out := make([]string, 0, h)
	end := min(d.off+d.body(), len(d.lines))
	for i := d.off; i < end; i++ {
		l := d.lines[i]
		text := l.text
		switch {
		case i == d.cursor:
			text = t.Focus.Render(marker) + text
		case l.selectable():
			text = "  " + text
		}
		out = append(out, text)
	}
	for len(out) < d.body() {
		out = append(out, "")
	}
	hint := "↑/↓ select · enter opens the person or the range's events · esc closes"
	if d.s.c.ActionsOff() == "" {
		hint = "↑/↓ select · enter opens · P respond · a acknowledge · x resolve · esc closes"
	}
	if len(d.lines) > d.body() {
		hint += fmt.Sprintf(" · lines %d–%d of %d", d.off+1, end, len(d.lines))
	}
	out = append(out, t.Muted.Render(hint))
	return layout.Block(strings.Join(out, "\n"), w, h)
}
