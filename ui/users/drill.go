package users

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/push"
	"github.com/risktop/risktop/ui/scroll"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Drill is one person's risk, vendor by vendor, opened from the
// Users list, an event, or ":user <email>". It reads the store (and, when
// the person is known to the vendor the actions service reads from, asks
// for their current detail there) in commands; until the answers come it
// shows what the live data has.
type Drill struct {
	c        *uictx.Context
	sections uictx.Vendors // the vendors with levels, a section each
	key      string        // the person's key, or the name/email it was opened with
	k        drillKeys
	vp       scroll.Model
	gen      int
	load     drillData
	done     bool
	tlWindow int // index into timelineWindows

	width, height int
	cacheKey      string
}

type drillKeys struct {
	Events, Back, Reset, Push, PushRisk, Copy key.Binding
	Timeline                                  key.Binding
}

// drillData is what the drill-down read for one person.
type drillData struct {
	gen      int
	signIns  []model.Event            // the sign-ins vendor's, newest first
	detected map[string][]model.Event // by vendor: what a vendor with levels (not per application) detected, as the poller stored it
	history  []model.RiskPoint
	scored   []model.Event // the person's events with a score, the timeline's longest window
	// detail is the person's current detail in detailOf, the vendor the
	// actions service reads from, or why it was not read.
	detail    *actions.UserDetail
	detailOf  string
	detailErr string
	err       string
}

// drillSignIns is how many recent sign-ins the drill-down reads.
const drillSignIns = 100

// NewDrill is the drill-down of who: a person's key, name or email.
func NewDrill(c *uictx.Context, who string) *Drill {
	d := &Drill{c: c, sections: c.Vendors.WithLevels(), key: who, tlWindow: defaultTimeline, k: drillKeys{
		Events:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "view their events")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Reset:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reset Cloudflare risk")),
		PushRisk: key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "push their risk to Okta")),
		Push:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "push an IP's risk to Okta")),
		Copy:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the email")),
		Timeline: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "time span (24h/7d/30d)")),
	}}
	return d
}

func (d *Drill) Keys() []key.Binding {
	bs := append([]key.Binding{d.k.Events}, d.c.ActionKeys(d.k.Reset, d.k.Push, d.k.PushRisk)...)
	nav := d.c.Nav
	return append(bs, d.k.Copy, d.k.Timeline, nav.Up, nav.Down, nav.PageUp, nav.PageDown, d.k.Back)
}

func (d *Drill) Typing() bool { return false }

// Person is the person shown, and whether a vendor reports them.
func (d *Drill) Person() (model.Person, bool) { return d.c.Data.Person(d.key) }

// Key is what the drill-down was opened with: a person's key, or the
// name or email asked for.
func (d *Drill) Key() string { return d.key }

// Activate reads the person's sign-ins, what each vendor with levels
// detected, their history, and their current detail in the vendor the
// actions service reads from.
func (d *Drill) Activate() tea.Cmd {
	st := d.c.Store
	if st == nil {
		return nil
	}
	d.gen++
	gen, ctx, now := d.gen, d.c.Ctx, d.c.Now()
	historyKey := d.key
	p, _ := d.Person()
	who := d.key
	if p.Email != "" {
		who = p.Email
	}
	names := []string{who}
	if p.Name != "" && p.Name != who {
		names = append(names, p.Name)
	}
	acts := d.c.Actions
	var readsFrom, detailID string // the vendor the service reads from, and the person's user id there
	if acts != nil {
		readsFrom = acts.ReadsFrom()
	}
	for _, v := range p.Views {
		if readsFrom != "" && v.Vendor == readsFrom && v.UserID != "" {
			detailID = v.UserID
		}
	}
	signIns, hasSignIns := d.c.Vendors.SignIns()
	var detecting []string
	for _, v := range d.sections {
		if !v.PerApp {
			detecting = append(detecting, v.Name)
		}
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		r := drillData{gen: gen, detected: map[string][]model.Event{}}
		var errs []string
		for _, n := range names {
			if !hasSignIns {
				break // no vendor's events are sign-ins
			}
			page, err := st.Events(ctx, store.EventQuery{EventFilter: store.EventFilter{Vendor: signIns.Name, User: n}, Limit: drillSignIns})
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			if len(page.Events) > 0 {
				r.signIns = page.Events
				break
			}
		}
		for _, v := range detecting {
			if page, err := st.Events(ctx, store.EventQuery{EventFilter: store.EventFilter{Vendor: v, User: who}, Limit: 50}); err == nil {
				r.detected[v] = page.Events
			}
		}
		if k := model.NormalizeEmail(who); k != "" {
			historyKey = k
		}
		if h, err := st.RiskHistory(ctx, historyKey, time.Time{}); err == nil {
			r.history = h
		}
		// The timeline's scored events, of every vendor, by the first of
		// the person's names that has any.
		longest := timelineWindows[len(timelineWindows)-1]
		for _, n := range names {
			page, err := st.Events(ctx, store.EventQuery{EventFilter: store.EventFilter{User: n, From: now.Add(-longest)}, Limit: store.MaxPageSize})
			if err != nil {
				errs = append(errs, err.Error())
				break
			}
			for _, e := range page.Events {
				if e.Score >= 0 {
					r.scored = append(r.scored, e)
				}
			}
			if len(page.Events) > 0 {
				break
			}
		}
		if acts != nil && detailID != "" {
			r.detailOf = readsFrom
			switch u, err := acts.UserDetail(ctx, detailID); {
			case errors.Is(err, actions.ErrNotConfigured):
			case err != nil:
				r.detailErr = err.Error()
			default:
				r.detail = u
			}
		}
		r.err = strings.Join(errs, "; ")
		return r
	}
}

func (d *Drill) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case uictx.Resized:
		d.width, d.height = msg.W, msg.H
		d.cacheKey = ""
	case drillData:
		if msg.gen == d.gen {
			d.load, d.done = msg, true
			d.cacheKey = ""
		}
	case uictx.DataChanged:
		d.cacheKey = ""
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, d.k.Events):
			p, _ := d.Person()
			who := d.key
			if p.Email != "" {
				who = p.Email
			} else if p.Name != "" {
				who = p.Name
			}
			d.c.Ask(uictx.ShowEvents{User: who})
			return nil
		case key.Matches(msg, d.k.Reset):
			if d.c.ActionsOff() != "" {
				return d.c.Refused()
			}
			p, known := d.Person()
			if p.Name == "" && p.Email == "" {
				p.Name = d.key
			}
			return resetPerson(d.c, p, known)
		case key.Matches(msg, d.k.PushRisk):
			p, known := d.Person()
			if !known {
				return d.c.SayErr("no vendor reports a risk for " + d.key)
			}
			return pushPersonRisk(d.c, p)
		case key.Matches(msg, d.k.Push):
			if d.c.ActionsOff() != "" {
				return d.c.Refused()
			}
			seen := d.addresses()
			ip, level := "", "HIGH"
			for _, e := range d.load.signIns {
				if e.IP != "" {
					ip, level = e.IP, push.LevelOf(e.Level)
					break
				}
			}
			return push.Open(d.c, ip, level, seen)
		case key.Matches(msg, d.k.Timeline):
			d.tlWindow = (d.tlWindow + 1) % len(timelineWindows)
			d.cacheKey = ""
		case key.Matches(msg, d.k.Copy):
			p, _ := d.Person()
			email := p.Email
			if email == "" && strings.Contains(d.key, "@") {
				email = d.key
			}
			if email == "" {
				return d.c.SayErr("no email known for " + d.key)
			}
			return d.c.CopyText(email)
		default:
			d.vp.OnKey(msg, d.c.Nav)
		}
	}
	return nil
}

// addresses are the distinct addresses of the person's sign-ins, newest
// first: the push form starts on the newest and cycles through the rest.
func (d *Drill) addresses() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range d.load.signIns {
		if e.IP != "" && !seen[e.IP] {
			seen[e.IP] = true
			out = append(out, e.IP)
		}
	}
	return out
}

func (d *Drill) View(w, h int) string {
	ck := fmt.Sprintf("%d/%d/%d/%d/%v/%d/%p", w, h, d.c.Data.Version, d.gen, d.done, d.tlWindow, d.c.Loc)
	if ck != d.cacheKey {
		d.vp.Set(d.render(w), w, h)
		d.cacheKey = ck
	}
	return d.vp.View()
}

func (d *Drill) render(w int) string {
	t := d.c.Theme
	p, known := d.Person()
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	section := func(title string) { line(""); line(t.Bold.Render(title)) }
	now := d.c.Now()

	name := p.Name
	if name == "" {
		name = d.key
	}
	line(d.head(p, known) + "  " + t.Bold.Render(name) + t.Muted.Render("  "+p.Email))
	signIns, hasSignIns := d.c.Vendors.SignIns()
	if !known {
		if hasSignIns {
			line(t.Muted.Render("No vendor reports a risk for this person right now; their sign-ins follow if " + signIns.Display + " has any."))
		} else {
			line(t.Muted.Render("No vendor reports a risk for this person right now."))
		}
	} else {
		var joins []string
		for _, v := range p.Views {
			namer := signIns.Display // whose events name people rather than their logins
			if !hasSignIns {
				namer = d.c.Vendors.Display(v.Vendor)
			}
			how := map[string]string{"email": "by email", "name": "by name only, a guess (" + namer + " gave no email for them)", "": "alone"}[v.JoinedBy]
			joins = append(joins, fmt.Sprintf("%s %s", v.Vendor, how))
		}
		line(t.Muted.Render("joined: " + strings.Join(dedupe(joins), " · ")))
	}
	win := timelineWindows[d.tlWindow]
	section("Risk over time · " + windowName(win) + " (t)")
	if tl := d.timeline(w); len(tl) > 0 {
		for _, l := range tl {
			line(l)
		}
	} else if !d.done {
		line(t.Muted.Render("  loading…"))
	} else {
		line(t.Muted.Render("  no level change or scored sign-in in the last " + windowName(win)))
	}

	for _, v := range d.sections {
		section(v.Display)
		if v.PerApp {
			d.perApp(line, v, p)
		} else {
			d.detections(line, v, p)
		}
	}

	if hasSignIns {
		section(signIns.Display + " sign-ins")
		d.signInLines(line)
	}

	if ips := ipsSeen(d.load.signIns); len(ips) > 0 {
		section("Addresses seen")
		for _, ip := range ips {
			line(fmt.Sprintf("  %-39s %s  %s  last %s", ip.IP, words.Plural(ip.Events, "sign-in"),
				t.Level(ip.Level).Render(worstOf(ip, signIns.Display)), ago(now, ip.LastSeen)))
		}
	}
	if d.load.err != "" {
		line("")
		line(t.Error.Render("store: " + d.load.err))
	}
	return strings.TrimRight(b.String(), "\n")
}

// detections are a vendor's section of the person's level there, then
// what it detected: their current detail when the actions service reads
// it from this vendor, else the detections the poller stored.
func (d *Drill) detections(line func(string), v vendorkit.Info, p model.Person) {
	t, now := d.c.Theme, d.c.Now()
	shown := false
	for _, view := range p.Views {
		if view.Vendor != v.Name {
			continue
		}
		shown = true
		line(fmt.Sprintf("%s  %s · last %s", t.Level(view.Level).Render(viewRisk(view.UserRisk, v.Display)), words.Plural(view.Events, "event"), ago(now, view.LastSeen)))
	}
	stored := d.load.detected[v.Name]
	if det := d.load.detail; det != nil && d.load.detailOf == v.Name {
		if det.LastResetTime != nil {
			line(t.Muted.Render("last reset " + det.LastResetTime.In(d.c.Loc).Format("2006-01-02 15:04")))
		}
		for _, e := range det.Detections {
			l := actions.LevelOf(e.RiskLevel)
			line(fmt.Sprintf("  %s  %s  %s", e.Timestamp.In(d.c.Loc).Format("Jan 02 15:04"), t.Level(l).Render(layout.PadRight(l.DescribeWord(v.Display, e.RiskLevel), 8)), e.Name))
		}
	} else {
		for _, e := range stored {
			line(fmt.Sprintf("  %s  %s  %s", e.Time.In(d.c.Loc).Format("Jan 02 15:04"), t.Level(e.Level).Render(layout.PadRight(e.Level.Describe(v.Display, e.Score), 8)), e.TypeName))
		}
	}
	if d.load.detailErr != "" && d.load.detailOf == v.Name {
		line(t.Warn.Render("  current detail not read: " + d.load.detailErr))
	}
	if !shown && len(stored) == 0 {
		line(t.Muted.Render("  no behaviour detected (absent from " + v.Display + "'s risk table: not the same as low)"))
	}
}

// perApp is a vendor's section of the person's views, one per
// application: level, score, application and reasons.
func (d *Drill) perApp(line func(string), vendor vendorkit.Info, p model.Person) {
	t := d.c.Theme
	shown := false
	for _, v := range p.Views {
		if v.Vendor != vendor.Name {
			continue
		}
		shown = true
		line(fmt.Sprintf("%s  %s", t.Level(v.Level).Render(viewRisk(v.UserRisk, vendor.Display)), t.Muted.Render(v.Context)))
		for _, r := range v.Reasons {
			count := ""
			if r.Count > 0 {
				count = fmt.Sprintf(" ×%d", r.Count)
			}
			line(fmt.Sprintf("  %s%s  %s", r.Code, count, t.Muted.Render(r.Text)))
		}
	}
	if !shown {
		line(t.Muted.Render("  not in the user risk report"))
	}
}

// signInLines are the person's sign-ins, newest first.
func (d *Drill) signInLines(line func(string)) {
	t := d.c.Theme
	switch {
	case !d.done:
		line(t.Muted.Render("  loading…"))
	case len(d.load.signIns) == 0:
		line(t.Muted.Render("  none stored"))
	}
	for i, e := range d.load.signIns {
		if i == 12 {
			line(t.Muted.Render(fmt.Sprintf("  … %d more (e lists them all)", len(d.load.signIns)-i)))
			break
		}
		reason, _, _ := strings.Cut(e.Reasons, "\n")
		line(fmt.Sprintf("  %s  %s  %-15s %s %s", e.Time.In(d.c.Loc).Format("Jan 02 15:04:05"), t.Level(e.Level).Render(riskShort(e)), e.IP, e.TypeName, t.Muted.Render(reason)))
	}
}

// timeline is the person's level changes in every vendor and their
// scored sign-ins on one time axis, over the window chosen (timeline.go).
func (d *Drill) timeline(w int) []string {
	span := timelineWindows[d.tlWindow]
	tl := timeline{t: d.c.Theme, vendors: d.c.Vendors, loc: d.c.Loc, from: d.c.Now().Add(-span), span: span,
		width: max(w-timelineLabelW-1, 10)}
	return tl.draw(d.load.history, d.load.scored)
}

// windowName is 24h, 7d, 30d.
func windowName(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%dh", int(d/time.Hour))
}

// head is the person's level now (the highest of each vendor's current
// view) and, when an event shown below is riskier, that too: a person's
// level follows the vendors' current views, while the events go further
// back, so "High" over a Critical sign-in is explained, not a surprise.
func (d *Drill) head(p model.Person, known bool) string {
	t := d.c.Theme
	now := t.Level(p.Level).Render(p.Level.Label())
	if !known {
		return now
	}
	worst, since := d.worstShown()
	if worst <= p.Level {
		return now
	}
	span := "the events below"
	if !since.IsZero() {
		span = "the last " + words.Coarse(d.c.Now().Sub(since))
	}
	return now + t.Muted.Render(" now · ") + t.Level(worst).Render(worst.Label()) + t.Muted.Render(" at worst in "+span)
}

// worstShown is the highest level among the events the drill-down shows
// and the oldest of those events' times.
func (d *Drill) worstShown() (model.Level, time.Time) {
	worst, oldest := model.LevelUnknown, time.Time{}
	see := func(l model.Level, at time.Time) {
		worst = model.Max(worst, l)
		if !at.IsZero() && (oldest.IsZero() || at.Before(oldest)) {
			oldest = at
		}
	}
	for _, e := range d.load.signIns {
		see(e.Level, e.Time)
	}
	if det := d.load.detail; det != nil {
		for _, e := range det.Detections {
			see(actions.LevelOf(e.RiskLevel), e.Timestamp)
		}
	}
	for v, evs := range d.load.detected {
		if det := d.load.detail; det != nil && d.load.detailOf == v {
			continue // the current detail is shown instead
		}
		for _, e := range evs {
			see(e.Level, e.Time)
		}
	}
	return worst, oldest
}

// viewRisk is a vendor's view in the one vocabulary: the level, with the
// vendor's score beside it, else its own word where it says something else.
func viewRisk(v model.UserRisk, display string) string {
	if v.Score >= 0 {
		return v.Level.Describe(display, v.Score)
	}
	return v.Level.DescribeWord(display, v.RawLevel)
}

// riskShort is an event's level with the vendor's score beside it, as the
// Events table writes it ("Critical  99"): the section names the vendor.
func riskShort(e model.Event) string {
	if e.Score < 0 {
		return layout.PadRight(e.Level.Label(), 12)
	}
	return fmt.Sprintf("%-8s %3d", e.Level.Label(), e.Score)
}

// worstOf is an address's riskiest sign-in in the one vocabulary.
func worstOf(ip model.IPRisk, vendor string) string {
	if ip.MaxScore == model.NoScore {
		return "no score"
	}
	return "at worst " + ip.Level.Describe(vendor, ip.MaxScore)
}

func ipsSeen(evs []model.Event) []model.IPRisk {
	by := map[string]*model.IPRisk{}
	for _, e := range evs {
		if e.IP == "" {
			continue
		}
		r, ok := by[e.IP]
		if !ok {
			r = &model.IPRisk{IP: e.IP, MaxScore: model.NoScore}
			by[e.IP] = r
		}
		r.Events++
		r.MaxScore = max(r.MaxScore, e.Score)
		if e.Time.After(r.LastSeen) {
			r.LastSeen = e.Time
		}
	}
	out := make([]model.IPRisk, 0, len(by))
	for _, r := range by {
		r.Level = model.LevelOfScore(r.MaxScore)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MaxScore != out[j].MaxScore {
			return out[i].MaxScore > out[j].MaxScore
		}
		return out[i].IP < out[j].IP
	})
	if len(out) > 10 {
		out = out[:10]
	}
	return out
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return words.Coarse(now.Sub(t)) + " ago"
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
