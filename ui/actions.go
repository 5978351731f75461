package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
)

// actionTimeout bounds one vendor call started from the dashboard.
const actionTimeout = time.Minute

// actionsOff says why actions are refused here, "" when they are allowed.
// It does no I/O (ReadOnly is a field of the service), so views call it
// to hide action keys from the footer and the help.
func (a *App) actionsOff() string {
	switch {
	case a.deps.Actions == nil:
		return "no actions: this dashboard runs without the actions service"
	case a.deps.ReadOnly || a.deps.Actions.ReadOnly():
		if r, ok := a.deps.Actions.(refuser); ok && r.Refusal() != nil {
			return r.Refusal().Error()
		}
		return actions.ErrReadOnly.Error()
	}
	return ""
}

// refuser is an Actions that may say why it refuses everything (an SSH
// viewer's: "this SSH key may view, not act"); nil: the usual read-only.
type refuser interface{ Refusal() error }

// actionKeys lists bs when actions are allowed, none when they are not,
// so the footer and the help show action keys only where they work.
func (a *App) actionKeys(bs ...key.Binding) []key.Binding {
	if a.actionsOff() != "" {
		return nil
	}
	return bs
}

// refused shows why an action key did nothing. It calls nothing.
func (a *App) refused() tea.Cmd { return a.say(a.actionsOff()) }

// actionDone is the result of an action a command carried out.
type actionDone struct {
	modal int    // the dialog or form that started it (0: none)
	ok    string // the notice on success
	fail  string // what failed, before the vendor's error
	err   error
	// after runs in Update once the result is in (a reload, a refresh);
	// it gets the error, nil on success.
	after func(err error) tea.Cmd
}

func (a *App) onActionDone(m actionDone) tea.Cmd {
	if a.modal != nil && a.modal.id() == m.modal {
		if f, ok := a.modal.(*form); ok && m.err != nil {
			f.failed(m.fail + ": " + m.err.Error()) // keep what was typed
		} else {
			a.modal = nil
		}
	}
	var cmds []tea.Cmd
	if m.err != nil {
		cmds = append(cmds, a.sayErr(m.fail+": "+m.err.Error()))
	} else if m.ok != "" {
		cmds = append(cmds, a.say(m.ok))
	}
	if m.after != nil {
		cmds = append(cmds, m.after(m.err))
	}
	return tea.Batch(cmds...)
}

// act runs do in a command with the app's context and a timeout, and
// delivers its actionDone.
func (a *App) act(modal int, ok, fail string, do func(ctx context.Context) error, after func(error) tea.Cmd) tea.Cmd {
	ctx := a.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		err := do(ctx)
		return actionDone{modal: modal, ok: ok, fail: fail, err: err, after: after}
	}
}

// ---- reset a user's Cloudflare risk ----

// oktaLink is the answer to "does Cloudflare send risk to Okta?".
type oktaLink struct {
	modal  int
	linked bool
	err    error
}

// resetPerson opens the confirmation of a reset of p's Cloudflare risk.
func (a *App) resetPerson(p model.Person, known bool) tea.Cmd {
	if off := a.actionsOff(); off != "" {
		return a.refused()
	}
	who := display(p)
	if !known {
		return a.sayErr("cannot reset " + who + ": no vendor reports a risk for them")
	}
	if !a.deps.Actions.CanReset() {
		return a.sayErr("cannot reset: Cloudflare is not configured")
	}
	var cf *model.View
	for i, v := range p.Views {
		if v.Vendor == model.VendorCloudflare && v.UserID != "" {
			cf = &p.Views[i]
		}
	}
	if cf == nil {
		return a.sayErr("cannot reset " + who + ": they have no Cloudflare user id (Cloudflare's risk table does not list them)")
	}
	target := actions.ResetTarget{UserID: cf.UserID, Email: firstNonEmpty(cf.Email, p.Email), Name: firstNonEmpty(cf.Name, p.Name), Level: cf.Level}
	d := a.newDialog("Reset Cloudflare risk", "Reset", nil, nil)
	d.lines = a.resetLines(target, nil, nil)
	d.run = func() tea.Cmd {
		ok := "reset requested for " + personLabel(target.Name, target.Email) + "; the row updates on the next poll"
		return a.act(d.ident, ok, "reset failed", func(ctx context.Context) error {
			return a.deps.Actions.ResetUser(ctx, a.deps.Actor, target)
		}, func(err error) tea.Cmd {
			if err == nil && a.deps.Control != nil {
				a.deps.Control.Refresh(model.VendorCloudflare)
			}
			return a.reloadOutbox()
		})
	}
	d.update = func(d *dialog, msg tea.Msg) tea.Cmd {
		if m, ok := msg.(oktaLink); ok && m.modal == d.ident {
			d.lines = a.resetLines(target, &m.linked, m.err)
		}
		return nil
	}
	acts, ctx, id := a.deps.Actions, a.ctx, d.ident
	return tea.Batch(a.openModal(d), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		linked, err := acts.OktaLinked(ctx)
		return oktaLink{modal: id, linked: linked, err: err}
	})
}

// resetLines say whom a reset touches and what it does. linked is nil
// while the Okta link is being checked.
func (a *App) resetLines(t actions.ResetTarget, linked *bool, err error) []string {
	th := a.deps.Theme
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
		th.Bold.Render(firstNonEmpty(t.Name, t.Email)) + "  " + t.Email,
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

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// ---- push IP risk to Okta ----

var pushLevels = []string{"LOW", "MEDIUM", "HIGH"}

// pushReady says why pushes are refused, "" when they are allowed.
func (a *App) pushReady() (tea.Cmd, bool) {
	if a.actionsOff() != "" {
		return a.refused(), false
	}
	if !a.deps.Actions.CanPush() {
		return a.sayErr("cannot push IP risk: Okta is not configured"), false
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
func (a *App) openPush(ip, level string, seen []string) tea.Cmd {
	if cmd, ok := a.pushReady(); !ok {
		return cmd
	}
	f := a.newForm("Push IP risk to Okta", "Queue push")
	f.intro = []string{"Okta weighs the address's risk in sign-in policies that use it. The push goes through the outbox: queued first, then sent within Okta's rate limit."}
	ipf := f.text("ip", "IP", ip, "", 64)
	ipf.hint = "an IPv4 or IPv6 address, without a zone"
	if len(seen) > 1 {
		ipf.options = seen
		ipf.hint = fmt.Sprintf("%s seen here; ctrl+n / ctrl+p for the others", plural(len(seen), "address"))
	}
	a.pushFields(f, level)
	f.check = func(f *form) {
		req, durErr := pushRequestOf(f, f.value("ip"))
		a.showProblems(f, req, durErr)
	}
	f.send = func(f *form) tea.Cmd {
		req, _ := pushRequestOf(f, f.value("ip"))
		if why := a.privateAddress(req); why != "" {
			f.busy = false
			return a.confirmPrivate(f, req, why)
		}
		return a.queuePush(f.ident, []actions.PushRequest{req})
	}
	return a.openModal(f.start())
}

// privateAddress says why req's address needs a confirmation (a private
// range), "" when it does not.
func (a *App) privateAddress(req actions.PushRequest) string {
	for _, p := range a.deps.Actions.CheckPush(req) {
		if p.Field == "ip" && p.Confirm {
			return p.Message
		}
	}
	return ""
}

// confirmPrivate asks before pushing an address in a private range.
func (a *App) confirmPrivate(f *form, req actions.PushRequest, why string) tea.Cmd {
	t := a.deps.Theme
	lines := []string{
		fmt.Sprintf("Push %s risk for %s to Okta?", t.Bold.Render(strings.ToUpper(req.Level)), t.Bold.Render(req.IP)),
		"",
		t.Warn.Render(why + "."),
		"Push it only if Okta's sign-ins really come from it (say, through a proxy that keeps the private address).",
	}
	req.AllowPrivate = true
	d := a.newDialog("Confirm the push", "Push", lines, nil)
	d.prev = f
	d.run = func() tea.Cmd { return a.queuePush(d.ident, []actions.PushRequest{req}) }
	return a.openModal(d)
}

// pushFields adds the fields every push shares.
func (a *App) pushFields(f *form, level string) {
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
func (a *App) showProblems(f *form, req actions.PushRequest, durErr string) {
	for _, p := range a.deps.Actions.CheckPush(req) {
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
func (a *App) queuePush(modal int, reqs []actions.PushRequest) tea.Cmd {
	ctx, acts, actor := a.ctx, a.deps.Actions, a.deps.Actor
	after := func(error) tea.Cmd { return a.reloadOutbox() }
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		outs, err := acts.QueuePush(ctx, actor, reqs)
		return actionDone{modal: modal, ok: pushNotice(reqs, outs), fail: "not queued", err: err, after: after}
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
		parts = append(parts, fmt.Sprintf("queued %s (%s) for Okta; sending — the Outbox tab follows them", plural(queued, "address"), level))
	} else {
		parts = append(parts, "nothing queued")
	}
	if len(skipped) > 0 {
		// Each reason holds commas: the addresses are apart by semicolons.
		sample := strings.Join(skipped[:min(len(skipped), 3)], "; ")
		if len(skipped) > 3 {
			sample += fmt.Sprintf("; … and %s more", thousands(len(skipped)-3))
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
func (a *App) collectIPs(f store.EventFilter, describe string) tea.Cmd {
	if cmd, ok := a.pushReady(); !ok {
		return cmd
	}
	st, ctx := a.deps.Store, a.ctx
	if st == nil {
		return a.sayErr("no store to read addresses from")
	}
	return tea.Batch(a.say(collecting), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		ips, total, err := st.DistinctIPs(ctx, f, bulkCap)
		return bulkIPs{ips: ips, total: total, filter: describe, err: err}
	})
}

const collecting = "collecting the addresses in the filter…"

// openBulk shows how many addresses a bulk push takes, before anything is
// queued; its submit asks for confirmation.
func (a *App) openBulk(m bulkIPs) tea.Cmd {
	if a.toast.text == collecting {
		a.toast.text = "" // done: the form or a notice says what came of it
	}
	if m.err != nil {
		return a.sayErr("addresses not read: " + m.err.Error())
	}
	if len(m.ips) == 0 {
		return a.say("no addresses in the current filter: nothing to push")
	}
	if cmd, ok := a.pushReady(); !ok {
		return cmd
	}
	// Addresses that may never be pushed are left out; private ones are
	// pushed once the confirmation says so.
	var ips, refused, private []string
	for _, ip := range m.ips {
		out := false
		for _, p := range a.deps.Actions.CheckPush(actions.PushRequest{IP: ip, Level: "HIGH"}) {
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
	t := a.deps.Theme
	if len(ips) == 0 {
		return a.sayErr("nothing to push: " + ipSample(refused, 3))
	}
	n := plural(len(ips), "address")
	f := a.newForm("Push IP risk to Okta: "+n, "Review")
	f.intro = []string{t.Bold.Render(n) + " in the events filter: " + m.filter}
	if m.total > len(m.ips) {
		f.intro = append(f.intro, t.Warn.Render(fmt.Sprintf("The filter has %s; only the riskiest %s are pushed. Narrow the filter for the rest.",
			plural(m.total, "address"), thousands(len(m.ips)))))
	}
	if len(refused) > 0 {
		f.intro = append(f.intro, t.Warn.Render("left out: "+ipSample(refused, 3)))
	}
	if len(private) > 0 {
		f.intro = append(f.intro, t.Warn.Render(fmt.Sprintf("%d in a private range: %s; the confirmation asks", len(private), ipSample(private, 4))))
	}
	f.intro = append(f.intro, t.Muted.Render(ipSample(ips, 6)))
	a.pushFields(f, "HIGH")
	f.check = func(f *form) {
		f.err = ""
		req, durErr := pushRequestOf(f, ips[0])
		a.showProblems(f, req, durErr)
	}
	f.send = func(f *form) tea.Cmd {
		reqs := make([]actions.PushRequest, len(ips))
		for i, ip := range ips {
			reqs[i], _ = pushRequestOf(f, ip)
			reqs[i].AllowPrivate = true // the confirmation names them
		}
		f.busy = false
		return a.confirmBulk(f, reqs, private)
	}
	return a.openModal(f.start())
}

// confirmBulk asks once more before queueing many pushes, naming the
// private addresses among them.
func (a *App) confirmBulk(f *form, reqs []actions.PushRequest, private []string) tea.Cmd {
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
		fmt.Sprintf("Push %s risk for %s to Okta?", a.deps.Theme.Bold.Render(r.Level), a.deps.Theme.Bold.Render(plural(len(reqs), "address"))),
		a.deps.Theme.Muted.Render(ipSample(ips, 8)),
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
		lines = append(lines, a.deps.Theme.Warn.Render(fmt.Sprintf("%d of them %s in a private range: %s. Okta sees those only from inside a network that uses them.",
			len(private), verb, ipSample(private, 4))))
	}
	d := a.newDialog("Confirm the bulk push", fmt.Sprintf("Push %s", plural(len(reqs), "address")), lines, nil)
	d.prev = f
	d.run = func() tea.Cmd { return a.queuePush(d.ident, reqs) }
	return a.openModal(d)
}

// ipSample lists the first n addresses and how many more there are.
func ipSample(ips []string, n int) string {
	if len(ips) <= n {
		return strings.Join(ips, ", ")
	}
	return strings.Join(ips[:n], ", ") + fmt.Sprintf(", … and %s more", thousands(len(ips)-n))
}

// ---- copy ----

// copyDone is the result of a copy.
type copyDone struct {
	text string
	err  error
}

// copyText copies text with the terminal's clipboard (OSC 52) in a command.
func (a *App) copyText(text string) tea.Cmd {
	if a.deps.Clipboard == nil {
		return a.sayErr("copying is not available here")
	}
	if text == "" {
		return a.sayErr("nothing to copy here")
	}
	clip := a.deps.Clipboard
	return func() tea.Msg { return copyDone{text: text, err: clip(text)} }
}

func (a *App) onCopied(m copyDone) tea.Cmd {
	if m.err != nil {
		return a.sayErr("not copied: " + m.err.Error())
	}
	return a.say("copied " + cut(m.text, 60) + " to the clipboard")
}

// reloadOutbox reloads the Outbox & audit lists when they are on screen
// (they reload anyway when shown).
func (a *App) reloadOutbox() tea.Cmd {
	if a.tab != tabOutbox || a.drill != nil {
		return nil
	}
	return a.screens[tabOutbox].activate()
}
