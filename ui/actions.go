package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// ---- reset a user's Cloudflare risk ----

// oktaLink is the answer to "does Cloudflare send risk to Okta?".
type oktaLink struct {
	modal  int
	linked bool
	err    error
}

// resetPerson opens the confirmation of a reset of p's Cloudflare risk.
func resetPerson(c *uictx.Context, p model.Person, known bool) tea.Cmd {
	if off := c.ActionsOff(); off != "" {
		return c.Refused()
	}
	who := display(p)
	if !known {
		return c.SayErr("cannot reset " + who + ": no vendor reports a risk for them")
	}
	if !c.Actions.CanReset() {
		return c.SayErr("cannot reset: Cloudflare is not configured")
	}
	var cf *model.View
	for i, v := range p.Views {
		if v.Vendor == model.VendorCloudflare && v.UserID != "" {
			cf = &p.Views[i]
		}
	}
	if cf == nil {
		return c.SayErr("cannot reset " + who + ": they have no Cloudflare user id (Cloudflare's risk table does not list them)")
	}
	target := actions.ResetTarget{UserID: cf.UserID, Email: words.FirstNonEmpty(cf.Email, p.Email), Name: words.FirstNonEmpty(cf.Name, p.Name), Level: cf.Level}
	d := newDialog(c, "Reset Cloudflare risk", "Reset", nil, nil)
	d.lines = resetLines(c.Theme, target, nil, nil)
	d.run = func() tea.Cmd {
		ok := "reset requested for " + personLabel(target.Name, target.Email) + "; the row updates on the next poll"
		return c.Act(d.ident, ok, "reset failed", func(ctx context.Context, acts Actions, who actions.Actor) error {
			return acts.ResetUser(ctx, who, target)
		}, func(err error) tea.Cmd {
			if err == nil {
				c.Ask(uictx.SourcePoll{Source: model.VendorCloudflare})
			}
			return c.ReloadOutbox()
		})
	}
	d.follow = func(d *dialog, msg tea.Msg) tea.Cmd {
		if m, ok := msg.(oktaLink); ok && m.modal == d.ident {
			d.lines = resetLines(c.Theme, target, &m.linked, m.err)
		}
		return nil
	}
	acts, ctx, id := c.Actions, c.Ctx, d.ident
	return tea.Batch(c.OpenModal(d), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		linked, err := acts.OktaLinked(ctx)
		return oktaLink{modal: id, linked: linked, err: err}
	})
}

// resetLines say whom a reset touches and what it does. linked is nil
// while the Okta link is being checked.
func resetLines(th *theme.Theme, t actions.ResetTarget, linked *bool, err error) []string {
	level := "none reported"
	if t.Level > model.LevelUnknown {
		level = th.Level(t.Level).Render(t.Level.String())
	}
	okta := th.Muted.Render("checking the Okta link…")
	switch {
	case err != nil:
		okta = th.Warn.Render("Whether Cloudflare sends risk to Okta is not known (" + err.Error() + "): if it does, the reset reaches Okta too.")
	case linked != nil && *linked:
		okta = "Cloudflare sends risk scores to Okta (an active integration): the reset reaches Okta too."
	case linked != nil:
		okta = "No active Okta integration: Okta is not told of the reset."
	}
	return []string{
		th.Bold.Render(words.FirstNonEmpty(t.Name, t.Email)) + "  " + t.Email,
		"Cloudflare risk level now: " + level,
		"",
		"A reset clears their Cloudflare risk score and risk history; they leave the risk table until a behavior triggers again.",
		"Access policies that use the user risk score re-evaluate them, so what they can reach may change.",
		okta,
	}
}

func personLabel(name, email string) string {
	switch {
	case name == "":
		return email
	case email == "":
		return name
	}
	return name + " (" + email + ")"
}

// ---- push IP risk to Okta ----

var pushLevels = []string{"LOW", "MEDIUM", "HIGH"}

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

// pushLevelOf is the push level an event's risk suggests.
func pushLevelOf(l model.Level) string {
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

// openPush opens the push form for one address (editable; seen lists
// other addresses ctrl+n / ctrl+p cycle through).
func openPush(c *uictx.Context, ip, level string, seen []string) tea.Cmd {
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	f := newForm(c, "Push IP risk to Okta", "Queue push")
	f.intro = []string{"Okta weighs the address's risk in sign-in policies that use it. The push goes through the outbox: queued first, then sent within Okta's rate limit."}
	ipf := f.text("ip", "IP", ip, "", 64)
	ipf.hint = "an IPv4 or IPv6 address, without a zone"
	if len(seen) > 1 {
		ipf.options = seen
		ipf.hint = fmt.Sprintf("%s seen here; ctrl+n / ctrl+p for the others", words.Plural(len(seen), "address"))
	}
	pushFields(f, level)
	f.check = func(f *form) {
		req, durErr := pushRequestOf(f, f.value("ip"))
		showProblems(c, f, req, durErr)
	}
	f.send = func(f *form) tea.Cmd {
		req, _ := pushRequestOf(f, f.value("ip"))
		if why := privateAddress(c, req); why != "" {
			f.busy = false
			return confirmPrivate(c, f, req, why)
		}
		return queuePush(c, f.ident, []actions.PushRequest{req})
	}
	return c.OpenModal(f.start())
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
func confirmPrivate(c *uictx.Context, f *form, req actions.PushRequest, why string) tea.Cmd {
	t := c.Theme
	lines := []string{
		fmt.Sprintf("Push %s risk for %s to Okta?", t.Bold.Render(strings.ToUpper(req.Level)), t.Bold.Render(req.IP)),
		"",
		t.Warn.Render(why + "."),
		"Push it only if Okta's sign-ins really come from it (say, through a proxy that keeps the private address).",
	}
	req.AllowPrivate = true
	d := newDialog(c, "Confirm the push", "Push", lines, nil)
	d.prev = f
	d.run = func() tea.Cmd { return queuePush(c, d.ident, []actions.PushRequest{req}) }
	return c.OpenModal(d)
}

// pushFields adds the fields every push shares.
func pushFields(f *form, level string) {
	f.choose("level", "Level", pushLevels, level)
	msg := f.text("message", "Message", "", "", 1024)
	msg.hint = "optional: letters, digits, . _ - and spaces"
	exp := f.text("expires", "Expires", "", "", 32)
	exp.hint = "a duration like 2h or 90m; blank: Okta's default (24h after it takes the event)"
}

// pushRequestOf reads a push from the form; durErr is a bad expiry.
func pushRequestOf(f *form, ip string) (actions.PushRequest, string) {
	req := actions.PushRequest{IP: strings.TrimSpace(ip), Level: f.value("level"), Message: f.value("message")}
	exp := strings.TrimSpace(f.value("expires"))
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
func showProblems(c *uictx.Context, f *form, req actions.PushRequest, durErr string) {
	for _, p := range c.Actions.CheckPush(req) {
		name := p.Field
		switch {
		case name == "ip" && !f.has("ip"):
			continue // the bulk form checks its addresses as it opens
		case p.Confirm:
			f.setWarning(name, p.Message+"; you will be asked to confirm")
			continue
		}
		if !f.has(name) {
			name = "message" // a problem without a field of its own
		}
		if cur := f.problemOf(name); cur != "" {
			f.setProblem(name, cur+"; "+p.Message)
		} else {
			f.setProblem(name, p.Message)
		}
	}
	if durErr != "" {
		f.setProblem("expires", durErr)
	}
}

func (f *form) has(name string) bool {
	for _, fl := range f.fields {
		if fl.name == name {
			return true
		}
	}
	return false
}

func (f *form) problemOf(name string) string {
	for _, fl := range f.fields {
		if fl.name == name {
			return fl.problem
		}
	}
	return ""
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

// bulkCap is the most addresses one bulk push takes.
const bulkCap = 1000

// bulkIPs are the distinct addresses of the events filter.
type bulkIPs struct {
	ips    []string
	total  int
	filter string // the filter in words
	err    error
}

// collectIPs reads the distinct addresses of the events filter in a
// command; the bulk form opens when they arrive.
func collectIPs(c *uictx.Context, f store.EventFilter, describe string) tea.Cmd {
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
		ips, total, err := st.DistinctIPs(ctx, f, bulkCap)
		return bulkIPs{ips: ips, total: total, filter: describe, err: err}
	})
}

const collecting = "collecting the addresses in the filter…"

// openBulk shows how many addresses a bulk push takes, before anything is
// queued; its submit asks for confirmation.
func openBulk(c *uictx.Context, m bulkIPs) tea.Cmd {
	c.Ask(uictx.NoticeDone{Text: collecting}) // done: the form or a notice says what came of it
	if m.err != nil {
		return c.SayErr("addresses not read: " + m.err.Error())
	}
	if len(m.ips) == 0 {
		return c.Say("no addresses in the current filter: nothing to push")
	}
	if cmd, ok := pushReady(c); !ok {
		return cmd
	}
	// Addresses that may never be pushed are left out; private ones are
	// pushed once the confirmation says so.
	var ips, refused, private []string
	for _, ip := range m.ips {
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
	f := newForm(c, "Push IP risk to Okta: "+n, "Review")
	f.intro = []string{t.Bold.Render(n) + " in the events filter: " + m.filter}
	if m.total > len(m.ips) {
		f.intro = append(f.intro, t.Warn.Render(fmt.Sprintf("The filter has %s; only the riskiest %s are pushed. Narrow the filter for the rest.",
			words.Plural(m.total, "address"), words.Thousands(len(m.ips)))))
	}
	if len(refused) > 0 {
		f.intro = append(f.intro, t.Warn.Render("left out: "+ipSample(refused, 3)))
	}
	if len(private) > 0 {
		f.intro = append(f.intro, t.Warn.Render(fmt.Sprintf("%d in a private range: %s; the confirmation asks", len(private), ipSample(private, 4))))
	}
	f.intro = append(f.intro, t.Muted.Render(ipSample(ips, 6)))
	pushFields(f, "HIGH")
	f.check = func(f *form) {
		f.err = ""
		req, durErr := pushRequestOf(f, ips[0])
		showProblems(c, f, req, durErr)
	}
	f.send = func(f *form) tea.Cmd {
		reqs := make([]actions.PushRequest, len(ips))
		for i, ip := range ips {
			reqs[i], _ = pushRequestOf(f, ip)
			reqs[i].AllowPrivate = true // the confirmation names them
		}
		f.busy = false
		return confirmBulk(c, f, reqs, private)
	}
	return c.OpenModal(f.start())
}

// confirmBulk asks once more before queueing many pushes, naming the
// private addresses among them.
func confirmBulk(c *uictx.Context, f *form, reqs []actions.PushRequest, private []string) tea.Cmd {
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
	d := newDialog(c, "Confirm the bulk push", fmt.Sprintf("Push %s", words.Plural(len(reqs), "address")), lines, nil)
	d.prev = f
	d.run = func() tea.Cmd { return queuePush(c, d.ident, reqs) }
	return c.OpenModal(d)
}

// ipSample lists the first n addresses and how many more there are.
func ipSample(ips []string, n int) string {
	if len(ips) <= n {
		return strings.Join(ips, ", ")
	}
	return strings.Join(ips[:n], ", ") + fmt.Sprintf(", … and %s more", words.Thousands(len(ips)-n))
}
