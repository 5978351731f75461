package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/ui/events"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// The alerts beyond the Alerts tab: the header's badge, who is rising
// (marked in the Users list), and the terminal notification of a new
// alert, once per alert per session, never for one that existed when the
// session started or that was back-filled from history.

// Notification kinds an operator chooses with :notify (remembered per
// operator in the store's preferences).
const (
	// notifyDefault is the terminal's own default (the config's
	// notify.terminal), passed to Deps.Notify as "".
	notifyDefault = "default"
	notifyOff     = "off"
	notifyBell    = "bell"
	notifyOSC9    = "osc9"
	notifyOSC777  = "osc777"
)

var notifyKinds = []string{notifyOff, notifyBell, notifyOSC9, notifyOSC777, notifyDefault}

// notifyPref is the preference's name in the store.
const notifyPref = "notify"

// riseWindow is how far back a level rise marks someone as rising.
const riseWindow = time.Hour

// alertWatch is the root's part in the alerts.
type alertWatch struct {
	started  bool  // the baseline is read: notifications may start
	baseline int64 // the newest alert id when the session started
	seq      int64 // the alerts' change sequence read up to
	notified map[int64]bool
	live     map[int64]liveAlert // the live alerts as last read: kept up to date from the changes
	kind     string              // this operator's choice (notifyKinds); "" or default: the terminal's
	loading  bool
	again    bool
	gen      int
}

// alertsRead is what one read of the watch brings.
type alertsRead struct {
	gen      int
	first    bool
	baseline int64
	seq      int64
	changed  []model.Alert // changed after the sequence held (not on the first read)
	live     map[int64]liveAlert
	summary  uictx.AlertSummary
	kind     string // the operator's stored choice ("" when never set); first read only
	err      error
}

// notifyMin is the severity from which a new alert notifies.
func (a *App) notifyMin() model.Level {
	if a.deps.NotifyMin > model.LevelNone {
		return a.deps.NotifyMin
	}
	return model.LevelHigh
}

// watchAlerts reads the alerts' summary (and, after the first read, what
// changed) in a command; one read at a time, another after it when asked
// meanwhile.
func (a *App) watchAlerts() tea.Cmd {
	w := &a.watch
	st := a.c.Store
	if st == nil {
		return nil
	}
	if w.loading {
		w.again = true
		return nil
	}
	w.loading = true
	w.gen++
	gen, first, seq, live, ctx, owner, now := w.gen, !w.started, w.seq, w.live, a.ctx, events.ViewOwner(a.c), a.deps.Now()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		r := alertsRead{gen: gen, first: first, seq: seq}
		if first {
			if r.seq, r.err = st.AlertSeq(ctx); r.err != nil {
				return r
			}
			newest, err := st.Alerts(ctx, store.AlertQuery{Limit: 1})
			if err != nil {
				r.err = err
				return r
			}
			if len(newest) > 0 {
				r.baseline = newest[0].ID
			}
			if kind, ok, err := st.Pref(ctx, owner, notifyPref); err == nil && ok {
				r.kind = kind
			}
			all, err := st.LiveAlerts(ctx, nil)
			if err != nil {
				r.err = err
				return r
			}
			live = map[int64]liveAlert{}
			for _, al := range all {
				if l, ok := liveOf(al); ok {
					live[al.ID] = l
				}
			}
		} else {
			for {
				page, err := st.AlertChanges(ctx, r.seq, store.MaxPageSize)
				if err != nil {
					r.err = err
					return r
				}
				r.changed = append(r.changed, page...)
				if len(page) > 0 {
					r.seq = page[len(page)-1].Seq
				}
				if len(page) < store.MaxPageSize {
					break
				}
			}
			live = nextLive(live, r.changed)
		}
		r.live = live
		r.summary, r.err = summarize(ctx, st, live, now)
		return r
	}
}

// liveAlert is what the summary needs of a live alert.
type liveAlert struct {
	open     bool
	severity model.Level
	people   []string // never changed once made: maps of them are shared
}

// liveOf is a's part in the summary, false when it is resolved.
func liveOf(a model.Alert) (liveAlert, bool) {
	if !a.Live() {
		return liveAlert{}, false
	}
	people := a.Evidence.People
	if len(people) == 0 && (a.Kind == model.KindLevelRise || a.Kind == model.KindMultiVendor) {
		people = []string{a.Subject}
	}
	if a.Backfilled {
		people = nil // history: whoever it names rose hours ago, if at all
	}
	return liveAlert{open: a.State == model.AlertOpen, severity: a.Severity, people: people}, true
}

// nextLive is live with changed applied, as a new map (the one held by
// the Update loop is never written by a command).
func nextLive(live map[int64]liveAlert, changed []model.Alert) map[int64]liveAlert {
	out := make(map[int64]liveAlert, len(live)+len(changed))
	for id, l := range live {
		out[id] = l
	}
	for _, a := range changed {
		if l, ok := liveOf(a); ok {
			out[a.ID] = l
		} else {
			delete(out, a.ID)
		}
	}
	return out
}

// summarize counts the live alerts and finds who is rising: the people
// of a live alert's evidence, and whose level rose in the last hour.
func summarize(ctx context.Context, st store.Store, live map[int64]liveAlert, now time.Time) (uictx.AlertSummary, error) {
	s := uictx.AlertSummary{Risen: map[string]uictx.Rise{}, At: now}
	for id, l := range live {
		if l.open {
			s.Open++
			s.Worst = model.Max(s.Worst, l.severity)
		} else {
			s.Acknowledged++
		}
		for _, p := range l.people {
			r := s.Risen[p]
			r.Alert = max(r.Alert, id)
			s.Risen[p] = r
		}
	}
	rises, err := st.Rises(ctx, now.Add(-riseWindow), 0)
	if err != nil {
		return s, err
	}
	for _, rs := range rises { // newest first: the first one of a person is their latest
		r, seen := s.Risen[rs.Key]
		if seen && r.To != model.LevelUnknown {
			continue
		}
		r.From, r.To, r.Vendor, r.At = rs.From, rs.To, rs.Vendor, rs.At
		s.Risen[rs.Key] = r
	}
	return s, nil
}

// onAlertsRead takes a read: the summary goes to the screens, and each
// alert new since the session started, not back-filled and severe
// enough, is announced once.
func (a *App) onAlertsRead(r alertsRead) tea.Cmd {
	w := &a.watch
	if r.gen != w.gen {
		return nil
	}
	w.loading = false
	var cmds []tea.Cmd
	if r.err == nil {
		if r.first {
			w.started, w.baseline = true, r.baseline
			if r.kind != "" {
				w.kind = r.kind
			}
		}
		w.seq, w.live = max(w.seq, r.seq), r.live
		cmds = append(cmds, a.announce(r.changed))
		ch := a.data.SetAlerts(r.summary)
		a.headerKey = ""
		for _, s := range a.screens {
			cmds = append(cmds, s.Update(uictx.DataChanged(ch)))
		}
		if a.drill != nil {
			cmds = append(cmds, a.drill.Update(uictx.DataChanged(ch)))
		}
	} else {
		a.deps.Log.Warn("alerts not read", "err", r.err)
	}
	if w.again {
		w.again = false
		cmds = append(cmds, a.watchAlerts())
	}
	return tea.Batch(cmds...)
}

// announce says the new alerts among changed in the footer and, unless
// the operator turned it off, on the terminal (bell or desktop).
func (a *App) announce(changed []model.Alert) tea.Cmd {
	w := &a.watch
	if w.notified == nil {
		w.notified = map[int64]bool{}
	}
	var fresh []model.Alert
	for _, al := range changed {
		if al.ID <= w.baseline || w.notified[al.ID] || al.Backfilled || al.State != model.AlertOpen || al.Severity < a.notifyMin() {
			continue
		}
		w.notified[al.ID] = true
		fresh = append(fresh, al)
	}
	if len(fresh) == 0 {
		return nil
	}
	// One short line: a wrapped notice would cover the screen's own last
	// line (a list's drift notice). The Alerts tab has the rest.
	text := "New alert: " + fresh[0].What() + " — 7 shows it"
	if len(fresh) > 1 {
		worst := fresh[0].Severity
		for _, al := range fresh {
			worst = max(worst, al.Severity)
		}
		text = fmt.Sprintf("%d new alerts, the worst %s — 7 shows them", len(fresh), worst.Label())
	}
	// The badge and the bell say it too: a notice already showing (a
	// selection that moved, an action's result) is not pushed off by it.
	var cmds []tea.Cmd
	if !a.toast.visible(a.deps.Now()) {
		cmds = append(cmds, a.say(text))
	}
	kind := w.kind
	if kind == notifyDefault {
		kind = ""
	}
	if notify := a.deps.Notify; notify != nil && kind != notifyOff {
		// One note for the alerts that came together (an engine's batch):
		// a burst of rules firing at once rings once, not once each.
		worst := fresh[0]
		for _, al := range fresh {
			if al.Severity > worst.Severity {
				worst = al
			}
		}
		title := fmt.Sprintf("risktop: %s alert", strings.ToLower(worst.Severity.Label()))
		body := fmt.Sprintf("#%d %s", worst.ID, worst.Title)
		if len(fresh) > 1 {
			title = fmt.Sprintf("risktop: %d new alerts, the worst %s", len(fresh), strings.ToLower(worst.Severity.Label()))
			body += fmt.Sprintf(" (and %d more)", len(fresh)-1)
		}
		// The terminal is written from a command, never from Update.
		cmds = append(cmds, func() tea.Msg { notify(kind, title, body); return nil })
	}
	return tea.Batch(cmds...)
}

// prefSaved is the result of storing an operator's preference.
type prefSaved struct {
	what string
	err  error
}

// setNotify is :notify: off, bell, osc9 or osc777 for this operator,
// remembered in the store; no argument says the choice in force.
func (a *App) setNotify(arg string) tea.Cmd {
	w := &a.watch
	arg = strings.ToLower(strings.TrimSpace(arg))
	if arg == "" {
		return a.say("new alerts " + notifyWords(w.kind) + " — :notify off|bell|osc9|osc777|default")
	}
	valid := false
	for _, k := range notifyKinds {
		valid = valid || k == arg
	}
	if !valid {
		return a.sayErr(":notify takes off, bell, osc9, osc777 or default, not " + arg)
	}
	w.kind = arg
	what := "new alerts " + notifyWords(arg)
	st := a.c.Store
	if st == nil {
		return a.say(what + " (for this session: no store to remember it in)")
	}
	ctx, owner, now := a.ctx, events.ViewOwner(a.c), a.deps.Now()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return prefSaved{what: what + ", remembered for " + owner, err: st.SetPref(ctx, owner, notifyPref, arg, now)}
	}
}

// notifyWords says what a notification choice does.
func notifyWords(kind string) string {
	switch kind {
	case notifyOff:
		return "show in the footer only"
	case notifyOSC9:
		return "raise a desktop notification (OSC 9)"
	case notifyOSC777:
		return "raise a desktop notification (OSC 777)"
	case notifyBell:
		return "ring the terminal bell"
	}
	return "notify as this terminal is set to (notify.terminal; the bell unless set)"
}

// alertBadge is the header's count of open alerts, in the colour of the
// worst: "⚑ 3 open"; without colour, in words: "3 alerts (High)". Empty
// when none is open.
func (a *App) alertBadge() string {
	s := a.data.Alerts
	if s.Open == 0 {
		return ""
	}
	t := a.deps.Theme
	if !t.HasColor() {
		return " " + t.Bold.Render(fmt.Sprintf("%s (%s)", words.Plural(s.Open, "alert"), s.Worst.Label()))
	}
	return " " + t.Level(s.Worst).Render(fmt.Sprintf("⚑ %s open", words.Thousands(s.Open)))
}
