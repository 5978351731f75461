// Package push is the way an operator pushes IP risk to Okta from the
// dashboard: the push form (one address, checked as it is typed), the
// bulk push (every address an events filter matches) and the
// confirmations they ask for, queued through the actions service's
// outbox.
package push

import (
	"context"
	"fmt"
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

// IPs are the distinct addresses of the events filter.
type IPs struct {
	IPs    []string
	Total  int    // the filter's distinct addresses, of which IPs are the riskiest
	Filter string // the filter in words
	Err    error
}

// Collect reads the distinct addresses of the events filter in a
// command; the bulk form opens when they arrive.
func Collect(c *uictx.Context, f store.EventFilter, describe string) tea.Cmd {
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	st, ctx := c.Store, c.Ctx
	if st == nil {
		return c.SayErr("no store to read addresses from")
	}
	return tea.Batch(c.Say(collecting), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		ips, total, err := st.DistinctIPs(ctx, f, BulkCap)
		return IPs{IPs: ips, Total: total, Filter: describe, Err: err}
	})
}

const collecting = "collecting the addresses in the filter…"

// OpenBulk shows how many addresses a bulk push takes, before anything is
// queued; its submit asks for confirmation.
func OpenBulk(c *uictx.Context, m IPs) tea.Cmd {
	c.Ask(uictx.NoticeDone{Text: collecting}) // done: the form or a notice says what came of it
	if m.Err != nil {
		return c.SayErr("addresses not read: " + m.Err.Error())
	}
	if len(m.IPs) == 0 {
		return c.Say("no addresses in the current filter: nothing to push")
	}
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	// Addresses that may never be pushed are left out; private ones are
	// pushed once the confirmation says so.
	var ips, refused, private []string
	for _, ip := range m.IPs {
		out := false
		for _, p := range c.Actions.CheckPush(actions.PushRequest{IP: ip, Level: "HIGH"}) {
			switch {
			case p.Field != "ip":
			case p.Confirm:
				private = append(private, ip)
			default:
				refused, out = append(refused, p.Message), true
			}
		}
		if !out {
			ips = append(ips, ip)
		}
	}
	t := c.Theme
	if len(ips) == 0 {
		return c.SayErr("nothing to push: " + ipSample(refused, 3))
	}
	n := words.Plural(len(ips), "address")
	f := form.New(c, "Push IP risk to Okta: "+n, "Review")
	f.Intro = []string{t.Bold.Render(n) + " in the events filter: " + m.Filter}
	if m.Total > len(m.IPs) {
		f.Intro = append(f.Intro, t.Warn.Render(fmt.Sprintf("The filter has %s; only the riskiest %s are pushed. Narrow the filter for the rest.",
			words.Plural(m.Total, "address"), words.Thousands(len(m.IPs)))))
	}
	if len(refused) > 0 {
		f.Intro = append(f.Intro, t.Warn.Render("left out: "+ipSample(refused, 3)))
	}
	if len(private) > 0 {
		f.Intro = append(f.Intro, t.Warn.Render(fmt.Sprintf("%d in a private range: %s; the confirmation asks", len(private), ipSample(private, 4))))
	}
	f.Intro = append(f.Intro, t.Muted.Render(ipSample(ips, 6)))
	pushFields(f, "HIGH")
	f.Check = func(f *form.Form) {
		f.SetErr("")
		req, durErr := pushRequestOf(f, ips[0])
		showProblems(c, f, req, durErr)
	}
	f.Send = func(f *form.Form) tea.Cmd {
		reqs := make([]actions.PushRequest, len(ips))
		for i, ip := range ips {
			reqs[i], _ = pushRequestOf(f, ip)
			reqs[i].AllowPrivate = true // the confirmation names them
		}
		f.Ready()
		return confirmBulk(c, f, reqs, private)
	}
	return c.OpenModal(f.Start())
}

// confirmBulk asks once more before queueing many pushes, naming the
// private addresses among them.
func confirmBulk(c *uictx.Context, f *form.Form, reqs []actions.PushRequest, private []string) tea.Cmd {
	r := reqs[0]
	exp := "Okta's default (24h after it takes them)"
	if r.Expires > 0 {
		exp = r.Expires.String()
	}
	msg := "none"
	if r.Message != "" {
		msg = r.Message
	}
	ips := make([]string, len(reqs))
	for i, q := range reqs {
		ips[i] = q.IP
	}
	lines := []string{
		fmt.Sprintf("Push %s risk for %s to Okta?", c.Theme.Bold.Render(r.Level), c.Theme.Bold.Render(words.Plural(len(reqs), "address"))),
		c.Theme.Muted.Render(ipSample(ips, 8)),
		"",
		"Expires: " + exp,
		"Message: " + msg,
		"They are queued in the outbox and sent within Okta's rate limit; the Outbox tab shows each one.",
		"An address already queued, being sent, or sent and still live at this level or higher is skipped.",
	}
	if len(private) > 0 {
		verb := "are"
		if len(private) == 1 {
			verb = "is"
		}
		lines = append(lines, c.Theme.Warn.Render(fmt.Sprintf("%d of them %s in a private range: %s. Okta sees those only from inside a network that uses them.",
			len(private), verb, ipSample(private, 4))))
	}
	d := dialog.New(c, "Confirm the bulk push", fmt.Sprintf("Push %s", words.Plural(len(reqs), "address")), lines, nil)
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
