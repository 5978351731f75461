package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/form"
	"github.com/risktop/risktop/ui/push"
)

// operatorApp is the fixture app with the real actions service (its checks
// are what the forms show) on the Cloudflare simulator and an Okta client
// that is never called.
func operatorApp(t *testing.T) *App {
	t.Helper()
	a := newFixtureApp(t, 120, 40, 0)
	oc, err := okta.New(okta.Config{BaseURL: "https://acme.okta.com", APIToken: secret.New("00never-sent"), AllowDocumentationRanges: true})
	if err != nil {
		t.Fatal(err)
	}
	cf := simCloudflare(t)
	svc, err := actions.New(actions.Options{Store: a.deps.Store, Cloudflare: cf, Okta: oc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	setDeps(a, func(d *Deps) { d.Actor = "ops@bastion" })
	drive(a, Attach{Actions: svc})
	return a
}

// TestEveryInvalidFormValueSaysWhy types each kind of invalid value into
// its field: the field shows why under it as it is typed, submitting
// refuses (focus goes to the field) and nothing is queued or created. The
// push level is a choice of LOW, MEDIUM and HIGH, so no invalid one can be
// typed (push-ip --level is checked in cmd/risktop).
func TestEveryInvalidFormValueSaysWhy(t *testing.T) {
	a := operatorApp(t)
	integrations := func() int {
		ins, err := a.deps.Actions.Integrations(a.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(ins)
	}
	before := integrations()
	for _, c := range []struct {
		form, field, value, want string
	}{
		{"push", "ip", "", "required (an IPv4 or IPv6 address)"},
		{"push", "ip", "999.1.1.1", `"999.1.1.1" is not an IPv4 or IPv6 address`},
		{"push", "ip", "203.0.113.0/24", `"203.0.113.0/24" is not an IPv4 or IPv6 address`},
		{"push", "ip", "fe80::1%eth0", `"fe80::1%eth0" has a zone; send the bare address`},
		{"push", "message", "héllo; world!", `characters 'é' ';' '!' are not allowed (letters, digits, '.', '_', '-' and space)`},
		{"push", "message", strings.Repeat("a", 600), "600 characters; at most 512"},
		{"push", "expires", "soon", `"soon" is not a duration like 2h or 90m (blank for Okta's default)`},
		{"push", "expires", "-1h", "must be more than 0 (blank for Okta's default)"},
		{"push", "expires", "500ms", "500ms would pass before the event reaches Okta"},
		{"bulk", "message", "drop table;", `character ';' is not allowed`},
		{"bulk", "expires", "tomorrow", `"tomorrow" is not a duration`},
		{"integration", "tenant", "", "required: the Okta org URL, like https://tenant.okta.com"},
		{"integration", "tenant", "acme.okta.com", "must be an absolute URL, like https://tenant.okta.com"},
		{"integration", "tenant", "ftp://acme.okta.com", "must be an absolute URL"},
		{"integration", "tenant", "https://", "must be an absolute URL"},
		{"integration", "reference", "a/b?c", "an id, without / ? or #"},
	} {
		name := c.form + " " + c.field + " " + c.value
		if len(name) > 60 {
			name = name[:60]
		}
		switch c.form {
		case "push":
			drive(a, answered(a, push.Open(a.c, "203.0.113.9", "HIGH", nil)))
		case "bulk":
			drive(a, push.IPs{IPs: []string{"203.0.113.9", "198.51.100.7"}, Total: 2, Filter: "score ≥ 76"})
		case "integration":
			drive(a, press("5"))
			drive(a, press("n"))
		}
		f, ok := a.modal.(*form.Form)
		if !ok {
			t.Fatalf("%s: no form open", name)
		}
		i := fieldIndex(f, c.field)
		f.SetFocus(i)
		drive(a, tea.KeyMsg{Type: tea.KeyCtrlU})
		if c.value != "" {
			drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(c.value)})
		}
		if got := f.Problem(c.field); !strings.Contains(got, c.want) {
			t.Errorf("%s: problem %q, want %q", name, got, c.want)
		}
		if view := a.View(); !strings.Contains(view, "✖ "+c.want[:min(len(c.want), 30)]) {
			t.Errorf("%s: the problem is not shown:\n%s", name, view)
		}
		f.SetFocus(f.FieldCount()) // the submit button
		drive(a, press("enter"))
		if a.modal != f || f.Err() != form.ProblemsFirst || f.Focus() >= f.FieldCount() {
			t.Errorf("%s: submitted with a problem (modal %v, err %q, focus %d)", name, a.modal != nil, f.Err(), f.Focus())
		}
		drive(a, press("esc"))
		if a.modal != nil {
			t.Fatalf("%s: esc left the form open", name)
		}
	}
	items, err := a.deps.Store.Outbox(a.ctx, "", 10)
	if err != nil || len(items) != 0 {
		t.Errorf("invalid pushes were queued: %v %v", items, err)
	}
	if n := integrations(); n != before {
		t.Errorf("an invalid integration was created: %d, was %d", n, before)
	}
}

func fieldIndex(f *form.Form, name string) int {
	i := f.FieldIndex(name)
	if i < 0 {
		panic("no field " + name)
	}
	return i
}

// TestCommandBarMistakesSaySo: an unknown command, a missing or bad
// argument, or an argument to a command that takes none, typed in the ':'
// bar, is named in an error notice and changes nothing else.
func TestCommandBarMistakesSaySo(t *testing.T) {
	a := newFixtureApp(t, 120, 40, 0)
	drive(a, press("2"))
	for _, c := range []struct{ line, want string }{
		{"frobnicate", "unknown command :frobnicate — try :alerts :behaviors :events :help :integrations :ip :notify :outbox :overview :quit :save :sources :tz :user :users :view"},
		{"Users", "unknown command :Users"},
		{"user", ":user needs an email, e.g. :user ava.chen@example.com"},
		{"user nobody@example.com", "no one known as nobody@example.com (tab completes)"},
		{"ip", ":ip needs an address or a prefix, e.g. :ip 203.0.113.0/24"},
		{"ip 999.1.1.1", "999.1.1.1 is not an IPv4 or IPv6 address"},
		{"ip 10.0.0.0/99", "10.0.0.0/99 is not an address prefix like 203.0.113.0/24"},
		{"ip \x1b[2J1.2.3.4", "1.2.3.4 is not an IPv4 or IPv6 address"}, // no escape in the notice
		{"users everyone", ":users takes no argument (everyone?)"},
		{"quit now", ":quit takes no argument (now?)"},
	} {
		// Update by hand: the bar's cursor blink would cost half a
		// second a key through drive, and only the notice matters here.
		a.Update(press(":"))
		a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(c.line)})
		a.Update(press("enter"))
		if !a.toast.err || !strings.Contains(a.toast.text, c.want) {
			t.Errorf(":%q: notice %q (error %v), want %q", c.line, a.toast.text, a.toast.err, c.want)
		}
		if a.tab != tabEvents || a.drill != nil || a.modal != nil || a.cmdbar.active || a.ctx.Err() != nil {
			t.Fatalf(":%q changed the screen or quit", c.line)
		}
		if !strings.Contains(a.View(), c.want[:min(len(c.want), 40)]) {
			t.Errorf(":%q: the notice is not on screen:\n%s", c.line, a.View())
		}
	}
	// A person who is known opens, so the notices above are not blanket.
	a.Update(press(":"))
	a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("user ava.chen@example.com")})
	a.Update(press("enter"))
	if a.drill == nil || strings.Contains(a.toast.text, "no one known") {
		t.Fatalf(":user with a known email: drill %v, notice %q", a.drill != nil, a.toast.text)
	}
}

// TestPushFormAddressClasses: the push form refuses an address that never
// appears on the internet, marks a private one and asks before pushing
// it; a push of an address already sent and live says it was skipped and
// why; the bulk push leaves the refused ones out and asks about private
// ones.
func TestPushFormAddressClasses(t *testing.T) {
	a := operatorApp(t)
	ctx := context.Background()
	submit := func(f *form.Form) {
		t.Helper()
		f.SetFocus(f.FieldCount()) // the submit button
		drive(a, press("enter"))
	}

	// Unroutable: refused, with the reason under the field.
	drive(a, answered(a, push.Open(a.c, "127.0.0.1", "HIGH", nil)))
	f, ok := a.modal.(*form.Form)
	if !ok {
		t.Fatal("no push form")
	}
	const loopback = "127.0.0.1 is a loopback address (127.0.0.0/8): it never leaves the host"
	if got := f.Problem("ip"); got != loopback {
		t.Errorf("problem %q, want %q", got, loopback)
	}
	submit(f)
	if a.modal != f || f.Err() != form.ProblemsFirst {
		t.Fatalf("an unroutable address was submitted (modal %v, err %q)", a.modal != nil, f.Err())
	}
	drive(a, press("esc"))

	// Private: marked, not refused; submitting asks, naming the range;
	// confirming queues it.
	drive(a, answered(a, push.Open(a.c, "10.0.0.5", "HIGH", nil)))
	f = a.modal.(*form.Form)
	if got := f.Problem("ip"); got != "" {
		t.Errorf("a private address is refused: %q", got)
	}
	if view := a.View(); !strings.Contains(view, "▲ 10.0.0.5 is in a private range (10.0.0.0/8, RFC") {
		t.Errorf("the private address is not marked:\n%s", view)
	}
	submit(f)
	d, ok := a.modal.(*dialog.Dialog)
	if !ok {
		t.Fatalf("no confirmation for a private address (modal %T)", a.modal)
	}
	if view := a.View(); !strings.Contains(view, "Push HIGH risk for 10.0.0.5 to Okta?") || !strings.Contains(view, "private range (10.0.0.0/8") {
		t.Errorf("the confirmation does not say so:\n%s", view)
	}
	drive(a, press("tab"))
	drive(a, press("enter"))
	if a.modal == d {
		t.Fatalf("the confirmation stayed open")
	}
	if !strings.HasPrefix(a.toast.text, "queued 10.0.0.5 (HIGH) for Okta") {
		t.Errorf("notice %q", a.toast.text)
	}
	items, err := a.deps.Store.Outbox(ctx, "", 10)
	if err != nil || len(items) != 1 || items[0].IP != "10.0.0.5" {
		t.Fatalf("outbox %+v, %v", items, err)
	}

	// Already sent and live: skipped, and the notice names the address and why.
	ids, err := a.deps.Store.Enqueue(ctx, []model.OutboxItem{{IP: "203.0.113.9", Level: model.LevelHigh, Actor: "ops@bastion"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.deps.Store.MarkSent(ctx, ids, time.Now()); err != nil {
		t.Fatal(err)
	}
	drive(a, answered(a, push.Open(a.c, "203.0.113.9", "MEDIUM", nil)))
	submit(a.modal.(*form.Form))
	want := fmt.Sprintf("skipped 203.0.113.9: already sent at HIGH at %s UTC (outbox #%d), live until", time.Now().UTC().Format("15:04"), ids[0])
	if !strings.HasPrefix(a.toast.text, want) || !strings.Contains(a.toast.text, "not queued again") {
		t.Errorf("notice %q, want %q…", a.toast.text, want)
	}
	if items, _ := a.deps.Store.Outbox(ctx, "", 10); len(items) != 2 {
		t.Errorf("the sent address was queued again: %+v", items)
	}

	// Bulk: the unroutable address is left out, the private one asked
	// about, the sent one skipped.
	drive(a, push.IPs{IPs: []string{"203.0.113.9", "127.0.0.1", "10.0.0.6", "198.51.100.7"}, Total: 4, Filter: "score ≥ 76"})
	view := a.View()
	for _, w := range []string{"Push IP risk to Okta: 3 addresses", "left out: 127.0.0.1 is a loopback address (127.0.0.0/8)", "1 in a private range: 10.0.0.6"} {
		if !strings.Contains(view, w) {
			t.Errorf("bulk form lacks %q:\n%s", w, view)
		}
	}
	submit(a.modal.(*form.Form))
	// The sent one is marked and skipped before anything is queued.
	if view := a.View(); !strings.Contains(view, "Push HIGH risk for 2 addresses to Okta?") || !strings.Contains(view, "1 of them is in a private range: 10.0.0.6") ||
		!strings.Contains(view, "3 addresses: 2 to push · 1 already sent or queued at HIGH or") || !strings.Contains(view, "203.0.113.9     ✓ sent HIGH") {
		t.Errorf("bulk confirmation:\n%s", view)
	}
	drive(a, press("tab"))
	drive(a, press("enter"))
	if a.toast.text != "queued 2 addresses (HIGH) for Okta; sending — the Outbox tab follows them" {
		t.Errorf("bulk notice %q", a.toast.text)
	}
	got := map[string]model.OutboxState{}
	items, _ = a.deps.Store.Outbox(ctx, "", 10)
	for _, it := range items {
		got[it.IP] = it.State
	}
	if len(items) != 4 || got["10.0.0.6"] != model.OutboxQueued || got["198.51.100.7"] != model.OutboxQueued || got["127.0.0.1"] != "" {
		t.Errorf("outbox after the bulk push: %v", got)
	}
}
