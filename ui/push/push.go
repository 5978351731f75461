// Package push is the way an operator pushes IP risk to Okta from the
// dashboard: the push form (one address, checked as it is typed), the
// bulk push (every address an events filter matches) and the
// confirmations they ask for, queued through the actions service's
// outbox.
package push

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/form"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// levels are the push levels Okta takes.
var levels = []string{"LOW", "MEDIUM", "HIGH"}

// pushReady says why pushes are refused, "" when they are allowed.
func pushReady(c *uictx.Context) (tea.Cmd, bool) {
	if c.ActionsOff() != "" {
		return c.Refused(), false
	}
	if !c.Actions.CanPush() {
		return c.SayErr("cannot push IP risk: Okta is not configured"), false
	}
	return nil, true
}

// LevelOf is the push level an event's risk suggests.
func LevelOf(l model.Level) string {
	switch {
	case l >= model.LevelHigh:
		return "HIGH"
	case l == model.LevelMedium:
		return "MEDIUM"
	case l == model.LevelLow || l == model.LevelNone:
		return "LOW"
	}
	return "HIGH"
}

// Open opens the push form for one address (editable; seen lists
// other addresses ctrl+n / ctrl+p cycle through).
func Open(c *uictx.Context, ip, level string, seen []string) tea.Cmd {
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	f := form.New(c, "Push IP risk to Okta", "Queue push")
	f.Intro = []string{"Okta weighs the address's risk in sign-in policies that use it. The push goes through the outbox: queued first, then sent within Okta's rate limit."}
	ipf := f.Text("ip", "IP", ip, "", 64)
	ipf.Hint = "an IPv4 or IPv6 address, without a zone"
	if len(seen) > 1 {
		ipf.Options = seen
		ipf.Hint = fmt.Sprintf("%s seen here; ctrl+n / ctrl+p for the others", words.Plural(len(seen), "address"))
	}
	pushFields(f, level)
	f.Check = func(f *form.Form) {
		req, durErr := pushRequestOf(f, f.Value("ip"))
		showProblems(c, f, req, durErr)
	}
	f.Send = func(f *form.Form) tea.Cmd {
		req, _ := pushRequestOf(f, f.Value("ip"))
		if why := privateAddress(c, req); why != "" {
			f.Ready()
			return confirmPrivate(c, f, req, why)
		}
		return queuePush(c, f.ID(), []actions.PushRequest{req})
	}
	return c.OpenModal(f.Start())
}

// privateAddress says why req's address needs a confirmation (a private
// range), "" when it does not.
func privateAddress(c *uictx.Context, req actions.PushRequest) string {
	for _, p := range c.Actions.CheckPush(req) {
		if p.Field == "ip" && p.Confirm {
			return p.Message
		}
	}
	return ""
}

// confirmPrivate asks before pushing an address in a private range.
func confirmPrivate(c *uictx.Context, f *form.Form, req actions.PushRequest, why string) tea.Cmd {
	t := c.Theme
	lines := []string{
		fmt.Sprintf("Push %s risk for %s to Okta?", t.Bold.Render(strings.ToUpper(req.Level)), t.Bold.Render(req.IP)),
		"",
		t.Warn.Render(why + "."),
		"Push it only if Okta's sign-ins really come from it (say, through a proxy that keeps the private address).",
	}
	req.AllowPrivate = true
	d := dialog.New(c, "Confirm the push", "Push", lines, nil)
	d.Prev = f
	d.Run = func() tea.Cmd { return queuePush(c, d.ID(), []actions.PushRequest{req}) }
	return c.OpenModal(d)
}

// pushFields adds the fields every push shares.
func pushFields(f *form.Form, level string) {
	f.Choose("level", "Level", levels, level)
	msg := f.Text("message", "Message", "", "", 1024)
	msg.Hint = "optional: letters, digits, . _ - and spaces"
	exp := f.Text("expires", "Expires", "", "", 32)
	exp.Hint = "a duration like 2h or 90m; blank: Okta's default (24h after it takes the event)"
}

// pushRequestOf reads a push from the form; durErr is a bad expiry.
func pushRequestOf(f *form.Form, ip string) (actions.PushRequest, string) {
	req := actions.PushRequest{IP: strings.TrimSpace(ip), Level: f.Value("level"), Message: f.Value("message")}
	exp := strings.TrimSpace(f.Value("expires"))
	if exp == "" {
		return req, ""
	}
	d, err := time.ParseDuration(exp)
	switch {
	case err != nil:
		return req, fmt.Sprintf("%q is not a duration like 2h or 90m (blank for Okta's default)", exp)
	case d <= 0:
		return req, "must be more than 0 (blank for Okta's default)"
	}
	req.Expires = d
	return req, ""
}

// showProblems puts the service's problems under their fields.
func showProblems(c *uictx.Context, f *form.Form, req actions.PushRequest, durErr string) {
	for _, p := range c.Actions.CheckPush(req) {
		name := p.Field
		switch {
		case name == "ip" && !f.Has("ip"):
			continue // the bulk form checks its addresses as it opens
		case p.Confirm:
			f.SetWarning(name, p.Message+"; you will be asked to confirm")
			continue
		}
		if !f.Has(name) {
			name = "message" // a problem without a field of its own
		}
		if cur := f.Problem(name); cur != "" {
			f.SetProblem(name, cur+"; "+p.Message)
		} else {
			f.SetProblem(name, p.Message)
		}
	}
	if durErr != "" {
		f.SetProblem("expires", durErr)
	}
}

// queuePush queues reqs and says what became of them; the Outbox tab
// follows them.
func queuePush(c *uictx.Context, modal int, reqs []actions.PushRequest) tea.Cmd {
	ctx, acts, actor := c.Ctx, c.Actions, c.Actor
	after := func(error) tea.Cmd { return c.ReloadOutbox() }
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, uictx.ActionTimeout)
		defer cancel()
		outs, err := acts.QueuePush(ctx, actor, reqs)
		return uictx.ActionDone{Modal: modal, OK: pushNotice(reqs, outs), Fail: "not queued", Err: err, After: after}
	}
}

// pushNotice says what a push queued and what it skipped, and why.
func pushNotice(reqs []actions.PushRequest, outs []actions.PushOutcome) string {
	if len(reqs) == 0 || len(outs) != len(reqs) {
		return ""
	}
	level := strings.ToUpper(reqs[0].Level)
	var queued int
	var skipped []string
	for _, o := range outs {
		if o.Queued {
			queued++
		} else {
			skipped = append(skipped, o.IP+" "+o.Reason())
		}
	}
	if len(outs) == 1 {
		o := outs[0]
		if !o.Queued {
			return "skipped " + o.IP + ": " + o.Reason() + " — not queued again"
		}
		return fmt.Sprintf("queued %s (%s) for Okta; sending — the Outbox tab follows it", o.IP, level)
	}
	var parts []string
	if queued > 0 {
		parts = append(parts, fmt.Sprintf("queued %s (%s) for Okta; sending — the Outbox tab follows them", words.Plural(queued, "address"), level))
	} else {
		parts = append(parts, "nothing queued")
	}
	if len(skipped) > 0 {
		// Each reason holds commas: the addresses are apart by semicolons.
		sample := strings.Join(skipped[:min(len(skipped), 3)], "; ")
		if len(skipped) > 3 {
			sample += fmt.Sprintf("; … and %s more", words.Thousands(len(skipped)-3))
		}
		parts = append(parts, fmt.Sprintf("skipped %d already queued or sent: %s", len(skipped), sample))
	}
	return strings.Join(parts, "; ")
}

// BulkCap is the most addresses one bulk push takes.
const BulkCap = 1000

// IPs are the addresses of a bulk push, frozen when they were read: the
// form and its confirmation show these, and push these, whatever arrives
// meanwhile.
type IPs struct {
	IPs    []string
	Total  int    // the filter's distinct addresses, of which IPs are the riskiest
	Filter string // the filter they came from, in words
	Level  string // the level the form starts at (an alert's response); "" is HIGH
	// From says where the set came from besides the filter: "" is the
	// Events filter; an alert names itself ("alert #7: Burst of …").
	From string
	Err  error
	// Live is what the outbox holds live for each address
	// (store.LivePushes), read at At: the form marks the addresses a push
	// would skip. Nil until read: OpenBulk reads it first.
	Live map[string][]model.OutboxItem
	At   time.Time
}

// Collect reads the distinct addresses of the events filter, and what
// the outbox holds live for them, in a command; the bulk form opens when
// they arrive.
func Collect(c *uictx.Context, f store.EventFilter, describe string) tea.Cmd {
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	st, ctx, now := c.Store, c.Ctx, c.Now
	if st == nil {
		return c.SayErr("no store to read addresses from")
	}
	return tea.Batch(c.Say(collecting), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		ips, total, err := st.DistinctIPs(ctx, f, BulkCap)
		m := IPs{IPs: ips, Total: total, Filter: describe, Err: err}
		if err == nil {
			m.readLive(ctx, st, now())
		}
		return m
	})
}

// OpenBulkFor opens the bulk push of ips, frozen now, that came from the
// filter described (the Events filter, ":ip 203.0.113.0/24"): the form
// opens once the outbox has said which of them are already sent. Beyond
// BulkCap addresses only the first are taken, and the form says so.
func OpenBulkFor(c *uictx.Context, ips []string, describe string) tea.Cmd {
	return openBulk(c, ips, describe, "", "")
}

// OpenBulkAt is OpenBulkFor with the form starting at level (LOW, MEDIUM
// or HIGH; "" is HIGH): an alert's suggested response, which names itself
// in from ("alert #7: Burst of …") where the others name the filter.
func OpenBulkAt(c *uictx.Context, ips []string, from, level string) tea.Cmd {
	return openBulk(c, ips, "", from, level)
}

func openBulk(c *uictx.Context, ips []string, describe, from, level string) tea.Cmd {
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	seen := make(map[string]bool, len(ips))
	var set []string
	for _, ip := range ips {
		ip = Canonical(ip)
		if ip != "" && !seen[ip] {
			seen[ip] = true
			set = append(set, ip)
		}
	}
	m := IPs{IPs: set[:min(len(set), BulkCap)], Total: len(set), Filter: describe, From: from, Level: level}
	return func() tea.Msg { return m }
}

// origin is where the set came from, in words: "the events filter:
// score ≥ 90", "alert #7: Burst of …".
func (m IPs) origin() string {
	if m.From != "" {
		return m.From
	}
	return "the events filter: " + m.Filter
}

// Canonical is an address in the outbox's one spelling (as the actions
// service queues it); text that is no address is kept as it is, for the
// form to leave out with the reason.
func Canonical(ip string) string {
	ip = strings.TrimSpace(ip)
	if a, err := netip.ParseAddr(ip); err == nil {
		return a.Unmap().String()
	}
	return ip
}

// readLive reads what the outbox holds live for m's addresses. A failed
// read leaves Live empty: the service still skips what is live when it
// queues, and the notice says so.
func (m *IPs) readLive(ctx context.Context, st store.Store, now time.Time) {
	m.At = now
	keys := make([]string, len(m.IPs))
	for i, ip := range m.IPs {
		keys[i] = Canonical(ip)
	}
	live, err := st.LivePushes(ctx, keys, now, actions.DefaultPushLife)
	if err != nil {
		live = map[string][]model.OutboxItem{}
	}
	m.Live = live
}

const collecting = "collecting the addresses in the filter…"

// bulk is a bulk push's frozen set: the addresses, those covered by a
// live push (at some level), and the private ones.
type bulk struct {
	ips     []string
	private []string
	live    map[string][]model.OutboxItem
	at      time.Time
	from    string // where the set came from, in words (IPs.origin)
}

// covered is the live item that covers ip at level (a push would skip
// it), and whether there is one.
func (b *bulk) covered(ip string, level string) (model.OutboxItem, bool) {
	lv, _ := model.ParseLevel(level)
	return store.Covering(b.live[Canonical(ip)], lv)
}

// anyLive reports whether some address has a live push at any level.
func (b *bulk) anyLive() bool {
	for _, ip := range b.ips {
		if len(b.live[Canonical(ip)]) > 0 {
			return true
		}
	}
	return false
}

// plan is what a push at level does: the addresses it pushes and the
// ones already sent that it skips (or re-sends, forced, with resend).
func (b *bulk) plan(level string, resend bool) (push, sent []string) {
	for _, ip := range b.ips {
		if _, ok := b.covered(ip, level); ok {
			sent = append(sent, ip)
			if !resend {
				continue
			}
		}
		push = append(push, ip)
	}
	return push, sent
}

// count is the one line the form and the confirmation both show.
func (b *bulk) count(level string, resend bool) string {
	push, sent := b.plan(level, resend)
	n := words.Plural(len(b.ips), "address")
	switch {
	case len(sent) == 0:
		return n + ", all to push"
	case resend:
		return fmt.Sprintf("%s: %s to push, of which %d already sent or queued at %s or higher, sent again", n, words.Thousands(len(push)), len(sent), level)
	}
	return fmt.Sprintf("%s: %s to push · %d already sent or queued at %s or higher, skipped", n, words.Thousands(len(push)), len(sent), level)
}

// lines are the addresses, one a line, each one already live marked with
// what covers it and what becomes of it.
func (b *bulk) lines(level string, resend bool) []string {
	out := make([]string, len(b.ips))
	for i, ip := range b.ips {
		it, ok := b.covered(ip, level)
		if !ok {
			out[i] = ip
			continue
		}
		what := "skipped"
		if resend {
			what = "sent again"
		}
		out[i] = fmt.Sprintf("%-15s ✓ %s · %s", ip, liveText(it, b.at), what)
	}
	return out
}

// liveText says briefly what covers an address: "sent HIGH #12, until
// 14:30 UTC" (when Okta forgets it), "queued HIGH #12".
func liveText(it model.OutboxItem, now time.Time) string {
	lv := strings.ToUpper(it.Level.String())
	if it.State != model.OutboxSent {
		return fmt.Sprintf("%s %s #%d", it.State, lv, it.ID)
	}
	until := it.ExpiresAt
	if until.IsZero() {
		until = it.SentAt.Add(actions.DefaultPushLife)
	}
	day := ""
	if y, m, d := until.UTC().Date(); true {
		if y2, m2, d2 := now.UTC().Date(); y != y2 || m != m2 || d != d2 {
			day = until.UTC().Format("Jan 2 ")
		}
	}
	return fmt.Sprintf("sent %s #%d, until %s%s UTC", lv, it.ID, day, until.UTC().Format("15:04"))
}

// OpenBulk opens the bulk push of m's addresses, frozen: the form shows
// how many and which (each one already sent or queued at the chosen
// level or higher marked, skipped unless "Already sent" says re-send),
// and its submit asks for a confirmation that shows the same count and
// list and names the filter they came from. Nothing is queued before.
// When m has not read the outbox yet, it reads it first (in a command).
func OpenBulk(c *uictx.Context, m IPs) tea.Cmd {
	if m.Err != nil {
		c.Ask(uictx.NoticeDone{Text: collecting})
		return c.SayErr("addresses not read: " + m.Err.Error())
	}
	if len(m.IPs) == 0 {
		c.Ask(uictx.NoticeDone{Text: collecting})
		return c.Say("no addresses in the current filter: nothing to push")
	}
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	if m.Live == nil && c.Store != nil {
		st, ctx, now := c.Store, c.Ctx, c.Now()
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			m.readLive(ctx, st, now)
			return m
		}
	}
	c.Ask(uictx.NoticeDone{Text: collecting}) // done: the form or a notice says what came of it
	// Addresses that may never be pushed are left out; private ones are
	// pushed once the confirmation says so.
	b := &bulk{live: m.Live, at: m.At, from: m.origin()}
	var refused []string
	for _, ip := range m.IPs {
		out := false
		for _, p := range c.Actions.CheckPush(actions.PushRequest{IP: ip, Level: "HIGH"}) {
			switch {
			case p.Field != "ip":
			case p.Confirm:
				b.private = append(b.private, ip)
			default:
				refused, out = append(refused, p.Message), true
			}
		}
		if !out {
			b.ips = append(b.ips, ip)
		}
	}
	t := c.Theme
	if len(b.ips) == 0 {
		return c.SayErr("nothing to push: " + ipSample(refused, 3))
	}
	n := words.Plural(len(b.ips), "address")
	f := form.New(c, "Push IP risk to Okta: "+n, "Review")
	intro := []string{t.Bold.Render(n) + " from " + m.origin()}
	if m.Total > len(m.IPs) {
		intro = append(intro, t.Warn.Render(fmt.Sprintf("The filter has %s; only the riskiest %s are pushed. Narrow the filter for the rest.",
			words.Plural(m.Total, "address"), words.Thousands(len(m.IPs)))))
	}
	if len(refused) > 0 {
		intro = append(intro, t.Warn.Render("left out: "+ipSample(refused, 3)))
	}
	if len(b.private) > 0 {
		intro = append(intro, t.Warn.Render(fmt.Sprintf("%d in a private range: %s; the confirmation asks", len(b.private), ipSample(b.private, 4))))
	}
	f.Intro = intro
	start := m.Level
	if !slices.Contains(levels, start) {
		start = "HIGH"
	}
	list := f.List("addresses", "Addresses", b.lines(start, false))
	list.Hint = "fixed when the form opened; shift+tab, then j/k scroll"
	f.Choose("level", "Level", levels, start)
	canResend := b.anyLive()
	if canResend {
		f.Choose("resend", "Already sent", []string{"skip", "re-send"}, "skip").Hint =
			"sent or queued at this level or higher, still live"
	}
	msg := f.Text("message", "Message", "", "", 1024)
	msg.Hint = "optional: letters, digits, . _ - and spaces"
	exp := f.Text("expires", "Expires", "", "", 32)
	exp.Hint = "a duration like 2h or 90m; blank: Okta's default (24h after it takes the event)"
	resend := func(f *form.Form) bool { return canResend && f.Value("resend") == "re-send" }
	f.Check = func(f *form.Form) {
		f.SetErr("")
		level := f.Value("level")
		f.Intro = append(append([]string(nil), intro...), t.Bold.Render(b.count(level, resend(f))))
		f.SetList("addresses", b.lines(level, resend(f)))
		req, durErr := pushRequestOf(f, b.ips[0])
		showProblems(c, f, req, durErr)
		if toPush, _ := b.plan(level, resend(f)); len(toPush) == 0 {
			f.SetProblem("resend", "every address is already sent or queued at "+level+" or higher: choose re-send to push them again")
		}
	}
	f.Send = func(f *form.Form) tea.Cmd {
		level := f.Value("level")
		again := resend(f)
		toPush, _ := b.plan(level, again)
		if len(toPush) == 0 { // Check refuses it first
			f.Ready()
			return nil
		}
		reqs := make([]actions.PushRequest, len(toPush))
		for i, ip := range toPush {
			reqs[i], _ = pushRequestOf(f, ip)
			reqs[i].AllowPrivate = true // the confirmation names them
			if _, ok := b.covered(ip, level); ok && again {
				reqs[i].Force = true
			}
		}
		f.Ready()
		return confirmBulk(c, f, b, reqs, again)
	}
	f.Start()
	f.SetFocus(f.FieldIndex("level")) // the list is one shift+tab up
	return c.OpenModal(f)
}

// confirmBulk asks once more before queueing many pushes: the same count
// and list as the form, the filter they came from, and the private
// addresses among them.
func confirmBulk(c *uictx.Context, f *form.Form, b *bulk, reqs []actions.PushRequest, resend bool) tea.Cmd {
	r := reqs[0]
	exp := "Okta's default (24h after it takes them)"
	if r.Expires > 0 {
		exp = r.Expires.String()
	}
	msg := "none"
	if r.Message != "" {
		msg = r.Message
	}
	t := c.Theme
	lines := []string{
		fmt.Sprintf("Push %s risk for %s to Okta?", t.Bold.Render(r.Level), t.Bold.Render(words.Plural(len(reqs), "address"))),
		"From " + b.from,
		t.Bold.Render(b.count(r.Level, resend)),
	}
	var private []string
	for _, q := range reqs {
		if slices.Contains(b.private, q.IP) {
			private = append(private, q.IP)
		}
	}
	after := []string{
		"Expires: " + exp + " · Message: " + msg,
		"They are queued in the outbox and sent within Okta's rate limit; the Outbox tab shows each one.",
	}
	if !resend {
		after = append(after, "An address queued, being sent, or sent and still live at this level or higher by then is skipped.")
	}
	if len(private) > 0 {
		verb := "are"
		if len(private) == 1 {
			verb = "is"
		}
		after = append(after, t.Warn.Render(fmt.Sprintf("%d of them %s in a private range: %s. Okta sees those only from inside a network that uses them.",
			len(private), verb, ipSample(private, 4))))
	}
	d := dialog.New(c, "Confirm the bulk push", fmt.Sprintf("Push %s", words.Plural(len(reqs), "address")), lines, nil)
	d.List = b.lines(r.Level, resend)
	d.After = after
	d.Prev = f
	d.Run = func() tea.Cmd { return queuePush(c, d.ID(), reqs) }
	return c.OpenModal(d)
}

// ipSample lists the first n addresses and how many more there are.
func ipSample(ips []string, n int) string {
	if len(ips) <= n {
		return strings.Join(ips, ", ")
	}
	return strings.Join(ips[:n], ", ") + fmt.Sprintf(", … and %s more", words.Thousands(len(ips)-n))
}
