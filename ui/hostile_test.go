package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/theme"
)

// The hostile screen suite: every text field the dashboard shows filled
// with the hostile corpus, the way production fills it. Vendor values come
// from the four simulators with their hostile knob on, through the config
// path, the real clients and the pollers' mappers into the store and the
// hub. Store rows that no client cleaned (another process wrote them) are
// written raw. Every screen, dialog and notice is then drawn and checked.

// hostileRig is the data of a hostile tenant, shared by the apps a test
// draws.
type hostileRig struct {
	sim     *sim.Sim
	clock   *simkit.ManualClock
	st      *store.SQLite
	clients actions.Clients
	msgs    []hub.Msg
}

// rawToken marks the store rows written raw: token i names corpus entry i
// and field f, and starts the value so it shows however narrow the column.
func rawToken(f byte, i int) string { return fmt.Sprintf("%c%02d", f, i) }

func newHostileRig(t testing.TB) *hostileRig {
	t.Helper()
	ctx := context.Background()
	r := &hostileRig{clock: simkit.NewManualClock(fixtureNow)}
	s, err := sim.New(sim.Options{World: simkit.Options{Seed: 3, People: 12, History: 3 * time.Hour, Clock: r.clock}})
	if err != nil {
		t.Fatal(err)
	}
	r.sim = s
	r.setFaults(simkit.Faults{Hostile: true})

	// The config path, as `risktop` runs it against the simulator.
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "okta.pem")
	if err := os.WriteFile(keyFile, s.OktaKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Parse(filepath.Join(dir, "risktop.yaml"), []byte(sim.EndpointsAt("http://sim").Config(keyFile)), config.Env{}, vendors.All)
	if err != nil {
		t.Fatal(err)
	}
	r.st = emptyStore(t)
	bus := hub.New()
	sub := bus.Subscribe()
	opts := httpx.Options{HTTPClient: &http.Client{Transport: simkit.Transport(s.Handler())}, Sleep: httpxtest.NoWait, Now: r.clock.Now}
	built := map[string]any{}
	for _, v := range vendors.All {
		if built[v.Name], err = v.New(cfg.Source(v.Name), opts); err != nil {
			t.Fatal(err)
		}
	}
	r.clients = actions.ClientsOf(built)
	if _, err := r.clients.Cloudflare.CreateIntegration(ctx, cloudflare.IntegrationCreate{
		TenantURL: "https://acme.okta.com", ReferenceID: "0oa-access-okta-idp"}); err != nil {
		t.Fatal(err)
	}

	// OneLogin, as its source maps a page (its Poll runs on the wall clock).
	ol := built["onelogin"].(*onelogin.Client)
	types, err := ol.EventTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for page, err := range ol.EventPages(ctx, onelogin.Query{Since: fixtureNow.Add(-3 * time.Hour), Sort: "+id"}) {
		if err != nil {
			t.Fatal(err)
		}
		evs := make([]model.Event, len(page.Events))
		for i, e := range page.Events {
			evs[i] = onelogin.MapEvent(e, types)
		}
		if _, err := r.st.PutEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	si, err := ol.ScoreInsights(ctx, onelogin.ScoreQuery{After: fixtureNow.Add(-24 * time.Hour), Before: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	r.msgs = append(r.msgs, hub.ScoresMsg{Scores: model.Scores{Window: 24 * time.Hour, Counts: si.Scores, Total: si.Total, At: fixtureNow}},
		hub.EventsMsg{Vendor: "onelogin", Inserted: 1, Newest: fixtureNow})
	// CASB, Cloudflare and Okta through their sources.
	if _, err := casb.NewSource(built["casb"].(*casb.Client), r.st, bus).Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudflare.NewSource(r.clients.Cloudflare, r.st, bus, cloudflare.SourceOptions{}).Poll(ctx); err != nil {
		t.Fatal(err)
	}
	note, err := okta.NewSource(r.clients.Okta).Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, cfErr := r.clients.Cloudflare.User(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff")
	for _, v := range vendors.Names() {
		h := model.Health{Source: v, State: model.StateOK, LastSuccess: fixtureNow.Add(-20 * time.Second)}
		switch v {
		case "okta":
			h.Note = note
		case "cloudflare":
			h.State, h.Failures, h.LastError, h.NextPoll = model.StateDegraded, 1, cfErr.Error(), fixtureNow.Add(time.Minute)
		}
		r.msgs = append(r.msgs, hub.HealthMsg{Health: h})
	}

	r.writeRaw(t)
	// OneLogin's people are folded out of the stored events, raw rows
	// included, as its source does.
	views, err := r.st.EventUsers(ctx, "onelogin", fixtureNow.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	r.msgs = append(append(sub.Take(), r.msgs...), hub.UsersMsg{Vendor: "onelogin", At: fixtureNow, Views: views})
	return r
}

// writeRaw stores rows no client cleaned: one event, outbox item and audit
// entry per corpus entry, newest first, every text field hostile.
func (r *hostileRig) writeRaw(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	var evs []model.Event
	var items []model.OutboxItem
	corpus := sanitize.Hostile()
	for i, c := range corpus {
		v := func(f byte) string { return rawToken(f, i) + c.Raw }
		at := fixtureNow.Add(-time.Duration(i+1) * time.Second)
		evs = append(evs, model.Event{
			Vendor: "onelogin", ID: fmt.Sprintf("raw-%02d", i), Time: at, Type: 5,
			TypeName: v('t'), UserID: "raw-user", UserName: v('u'), IP: v('i'), Score: 99, Level: model.LevelCritical,
			App: v('a'), Reasons: v('r') + "\n" + v('s'), Fields: map[string]string{"notes": v('n'), v('k'): v('v')},
		})
		items = append(items, model.OutboxItem{Created: at, IP: v('i'), Level: model.LevelHigh, Message: v('m'), Actor: v('o'),
			State: model.OutboxQueued, NextTry: at})
		if _, err := r.st.AppendAudit(ctx, model.AuditEntry{At: at, Actor: v('o'), Action: "push-ip", Vendor: "okta",
			Target: v('g'), Result: "failed", Detail: v('d')}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.st.PutEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	ids, err := r.st.Enqueue(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(ids) / 2; i < len(ids); i++ {
		if err := r.st.MarkFailed(ctx, []int64{ids[i]}, rawToken('e', i)+corpus[i].Raw, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
}

func (r *hostileRig) setFaults(f simkit.Faults) {
	for _, v := range sim.Vendors {
		fs, _ := r.sim.Faults(v)
		fs.Set(f)
	}
}

// app draws the rig at w×h with th, actions on against the simulators.
func (r *hostileRig) app(t testing.TB, w, h int, th *theme.Theme) *App {
	t.Helper()
	now := func() time.Time { return fixtureNow }
	svc, err := actions.New(actions.Options{Store: r.st, Cloudflare: r.clients.Cloudflare, Okta: r.clients.Okta, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	a := New(Deps{Vendors: vendors.Infos(), Store: r.st, Actions: svc, Actor: "ops@bastion", Theme: th, Title: "acme",
		Now: now, After: noTimers})
	drive(a, tea.WindowSizeMsg{Width: w, Height: h})
	drive(a, a.Init())
	drive(a, hubMsg(r.msgs))
	return a
}

func trueColorTheme() *theme.Theme {
	rd := lipgloss.NewRenderer(io.Discard)
	rd.SetColorProfile(termenv.TrueColor)
	return theme.New(rd)
}

// sgr is the theme's own styling, the only escape allowed on screen.
var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// checkScreen asserts what reaches the terminal: exactly h lines of exactly
// w cells, and nothing but printable text once the theme's SGR is taken
// out: no ESC, C0 or C1 control, DEL, or bidi control, and valid UTF-8.
func checkScreen(t *testing.T, what, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", what, len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Errorf("%s: line %d is %d cells wide, want %d: %q", what, i, lw, w, sgr.ReplaceAllString(l, ""))
		}
		plain := sgr.ReplaceAllString(l, "")
		if !utf8.ValidString(plain) {
			t.Errorf("%s: line %d is not UTF-8: %q", what, i, plain)
			continue
		}
		for _, c := range plain {
			if unicode.IsControl(c) || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069 || c == 0x200e || c == 0x200f || c == 0x061c {
				t.Errorf("%s: line %d holds %U: %q", what, i, c, plain)
				break
			}
		}
	}
}

// hostileScreen is the keys to one screen, dialog or notice, and what it
// must still show of the hostile values (the raw rows' tokens).
type hostileScreen struct {
	name string
	keys func(a *App) []string
	want []string
	// wantFrom is more to see, worked out once the keys are pressed: the
	// start of values that came through a client.
	wantFrom func(r *hostileRig, a *App) []string
}

func keys(ks ...string) func(*App) []string { return func(*App) []string { return ks } }

// cfPerson is the keys that select, on the Users tab, the riskiest person
// Cloudflare knows (a reset needs their Cloudflare user id), then presses then.
func cfPerson(then ...string) func(*App) []string {
	return func(a *App) []string {
		ks := []string{"3"}
		for _, p := range a.data.People {
			for _, v := range p.Views {
				if v.Vendor == "cloudflare" {
					return append(ks, then...)
				}
			}
			ks = append(ks, "j")
		}
		return nil
	}
}

func hostileScreens() []hostileScreen {
	// Lists show the newest first: the last raw rows written.
	last := len(sanitize.Hostile()) - 1
	tok := func(fs string, i int) []string {
		var out []string
		for _, f := range []byte(fs) {
			out = append(out, rawToken(f, i))
		}
		return out
	}
	// whole is the token and the readable rest of the value, for screens
	// that show values in full.
	whole := func(fs string, i int) []string {
		out := tok(fs, i)
		for j := range out {
			out[j] += sanitize.Hostile()[i].Line
		}
		return out
	}
	tenantURL := func(r *hostileRig, _ *App) []string {
		ins, err := r.clients.Cloudflare.Integrations(context.Background())
		if err != nil || len(ins) == 0 {
			return []string{fmt.Sprint("no integration: ", err)}
		}
		return []string{start(ins[0].TenantURL)}
	}
	return []hostileScreen{
		{"overview", nil, []string{"OneLogin risk"}, nil},
		{"overview-7d", keys("w"), nil, nil},
		{"events", keys("2"), tok("ui", 0), nil},
		{"events-page2", keys("2", "]"), nil, nil},
		{"events-detail", keys("2", "enter"), whole("utarsnkv", 0), nil},
		{"events-detail-osc52", keys("2", "j", "enter"), whole("utarsn", 1), nil},
		{"events-detail-title", keys("2", "j", "j", "j", "enter"), whole("utarsn", 3), nil},
		{"events-detail-bidi", keys("2", "]", "enter"), nil, nil},
		{"events-filter", keys("2", "/", "u", "0", "enter"), tok("u", 0), nil}, // typing costs a cursor blink a key
		{"users", keys("3"), tok("u", 0), nil},
		{"drill", keys("3", "enter"), tok("u", 0), nil},
		{"drill-cloudflare", cfPerson("enter"), []string{"Cloudflare"}, func(_ *hostileRig, a *App) []string {
			p, _ := a.drill.Person()
			return []string{start(p.Name)}
		}},
		{"drill-casb", keys("3", "G", "enter"), []string{"Oracle CASB"}, nil},
		{"behaviors", keys("4"), []string{"Cloudflare risk behaviors"}, func(r *hostileRig, _ *App) []string {
			bs, err := r.clients.Cloudflare.Behaviors(context.Background())
			if err != nil {
				return []string{err.Error()}
			}
			var out []string
			for _, b := range bs {
				out = append(out, start(b.Name), start(b.Description))
			}
			return out
		}},
		{"behaviors-diff", keys("4", " ", "s"), nil, nil},
		{"integrations", keys("5"), []string{"Cloudflare risk integrations", "0oa-acce"}, tenantURL},
		{"integration-form", keys("5", "enter"), []string{"0oa-access-okta-idp"}, tenantURL},
		{"outbox", keys("6"), tok("ioe", last), nil},
		{"audit", keys("6", "right"), tok("ogd", last), nil},
		{"help", keys("?"), []string{"Commands (:)"}, nil},
		{"command", keys(":", "u", "s"), nil, nil},
		{"reset-dialog", cfPerson("R"), []string{"Reset Cloudflare risk"}, nil},
		{"push-form", keys("2", "p"), nil, nil},
		{"bulk-form", keys("2", "P"), nil, nil},
	}
}

// TestHostileScreens draws every screen over the hostile tenant at 80×24
// and 160×48 in true colour and checks what reaches the terminal; then a
// vendor's hostile error in a notice, and three goldens. One rig serves
// all: building it takes seconds.
func TestHostileScreens(t *testing.T) {
	r := newHostileRig(t)
	t.Run("golden", func(t *testing.T) { testHostileGoldens(t, r) })
	t.Run("notice", func(t *testing.T) { testHostileVendorErrorNotice(t, r) })
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		for _, sc := range hostileScreens() {
			t.Run(fmt.Sprintf("%s-%dx%d", sc.name, sz.w, sz.h), func(t *testing.T) {
				a := r.app(t, sz.w, sz.h, trueColorTheme())
				if sc.keys != nil {
					ks := sc.keys(a)
					if ks == nil {
						t.Fatal("no way to this screen")
					}
					for _, k := range ks {
						drive(a, press(k))
					}
				}
				view := a.View()
				checkScreen(t, sc.name, view, sz.w, sz.h)
				plain := sgr.ReplaceAllString(view, "")
				want := sc.want
				if sc.wantFrom != nil {
					want = append(append([]string(nil), want...), sc.wantFrom(r, a)...)
				}
				for _, w := range want {
					if !strings.Contains(plain, w) {
						t.Errorf("%s: %q is not on screen:\n%s", sc.name, w, plain)
					}
				}
			})
		}
	}
}

// testHostileVendorErrorNotice: an action fails with the vendor's error
// under the hostile knob, and the notice that says so is clean, fits, and
// still says what failed.
func testHostileVendorErrorNotice(t *testing.T, r *hostileRig) {
	defer r.setFaults(simkit.Faults{Hostile: true})
	r.setFaults(simkit.Faults{Hostile: true, FailNext: 1000})
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		a := r.app(t, sz.w, sz.h, trueColorTheme())
		for _, k := range cfPerson("R", "tab", "enter")(a) {
			drive(a, press(k))
		}
		if !a.toast.err || !strings.Contains(a.toast.text, "reset failed") || !strings.Contains(a.toast.text, "503") {
			t.Fatalf("%dx%d: notice %q", sz.w, sz.h, a.toast.text)
		}
		view := a.View()
		checkScreen(t, "notice", view, sz.w, sz.h)
		if plain := sgr.ReplaceAllString(view, ""); !strings.Contains(plain, "reset failed") {
			t.Errorf("%dx%d: the notice is not on screen:\n%s", sz.w, sz.h, plain)
		}
	}
}

// testHostileGoldens pins three hostile screens as an operator sees them
// (update with go test ./ui -run TestHostileScreens -update).
func testHostileGoldens(t *testing.T, r *hostileRig) {
	for _, g := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"events-detail", 160, 48, []string{"2", "enter"}},
		{"outbox", 80, 24, []string{"6"}},
		{"behaviors", 80, 24, []string{"4"}},
	} {
		t.Run(g.name, func(t *testing.T) {
			a := r.app(t, g.w, g.h, asciiTheme())
			for _, k := range g.keys {
				drive(a, press(k))
			}
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
}

// start is the first three characters of a cleaned value: what even a
// narrow column shows of it.
func start(s string) string {
	r := []rune(s)
	return string(r[:min(3, len(r))])
}
