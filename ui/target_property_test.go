package ui

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/theme"
)

// TestActionTargetIsWhatTheFrameShowed drives random key sequences
// through the whole dashboard, with data arriving between keys (people
// re-sorting the Users list and leaving it, new pushes re-ordering the
// outbox, new events), and holds it to what the operator sees:
//
//   - every frame of a list marks exactly one selected row (the marker
//     column), in colour and without;
//   - until the operator moves the Users cursor it is on the first row,
//     the list at its top; once moved, it stays on the person it was put
//     on, or the screen says they left the list;
//   - an action (reset, drop) acts on the row the last frame before its
//     key showed as selected (or the person the drill-down showed), its
//     dialog names it, and data arriving while it is open changes
//     nothing.
//
// Each failure prints the seed and the steps that led to it.
func TestActionTargetIsWhatTheFrameShowed(t *testing.T) {
	runs, steps := 40, 200
	if testing.Short() {
		runs = 4
	}
	resets, drops := 0, 0
	for seed := uint64(1); seed <= uint64(runs); seed++ {
		profile := termenv.Ascii
		if seed%3 == 0 {
			profile = termenv.ANSI256
		}
		p := propertyRun(t, seed, steps, profile)
		if t.Failed() {
			return
		}
		resets, drops = resets+p.resets, drops+p.drops
	}
	// Not vacuous: the random keys did reach both actions.
	if resets == 0 || drops == 0 {
		t.Fatalf("%d resets and %d drops in %d runs: the keys never act", resets, drops, runs)
	}
	t.Logf("%d runs of %d steps: %d resets, %d drops checked", runs, steps, resets, drops)
}

// propertyRun is one random run.
func propertyRun(t *testing.T, seed uint64, steps int, profile termenv.Profile) *prop {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1414))
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile)
	fa := &fakeActions{reads: simReads(t)}
	a := newFixtureAppTheme(t, 160, 40, 200, theme.New(r))
	setDeps(a, func(d *Deps) { d.Actions, d.Actor = fa, "ops@bastion" })
	seedOutbox(t, a)

	p := &prop{t: t, a: a, fa: fa, rng: rng, seed: seed, profile: profile, nextIP: 1}
	p.frame = p.view()
	for i := 0; i < steps && !t.Failed(); i++ {
		if rng.IntN(3) == 0 {
			p.data()
		} else {
			p.key()
		}
	}
	return p
}

type prop struct {
	t       *testing.T
	a       *App
	fa      *fakeActions
	rng     *rand.Rand
	seed    uint64
	profile termenv.Profile
	log     []string
	frame   string // the last frame, colours stripped
	nextIP  int
	round   int

	moved  bool   // the operator moved the Users cursor (since g or a sort)
	chosen string // then: the email on the row they put it on

	want     string // the target the open dialog must act on
	wantKind string // "reset" or "drop"
	resets   int
	drops    int
}

func (p *prop) fail(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("seed %d (%v): %s\nsteps: %s\nlast frame:\n%s", p.seed, p.profile, fmt.Sprintf(format, args...),
		strings.Join(p.log, " "), p.frame)
}

func (p *prop) view() string { return ansi.Strip(p.a.View()) }

// marker is the selected row's marker in this run's profile.
func (p *prop) marker() string {
	if p.profile == termenv.Ascii {
		return ">"
	}
	return "▸"
}

var propKeys = []string{"3", "3", "3", "6", "4", "j", "j", "k", "down", "up", "g", "G", "]", "[", "s", "enter", "esc",
	"R", "R", "R", "d", "d", "tab", "left", "right", "h", "l", "y"}

var propModalKeys = []string{"tab", "tab", "enter", "enter", "esc", "left", "right", "j", "n"}

// key presses a random key and checks what follows from it.
func (p *prop) key() {
	before, onUsers, onOutbox, inDrill := p.frame, p.usersShown(), p.outboxShown(), p.a.drill != nil && p.a.modal == nil
	drilled := ""
	if inDrill {
		// The drill-down shows one person (its first line, maybe
		// scrolled away, names them).
		who, _ := p.a.drill.Person()
		drilled = who.Email
	}
	modal := p.a.modal
	k := propKeys[p.rng.IntN(len(propKeys))]
	if modal != nil {
		k = propModalKeys[p.rng.IntN(len(propModalKeys))]
	}
	p.log = append(p.log, k)
	drive(p.a, press(k))
	p.after()
	if modal == nil && p.a.modal != nil {
		d, ok := p.a.modal.(*dialog.Dialog)
		switch {
		case !ok:
		case k == "R" && inDrill:
			p.expect(d, "reset", drilled)
		case k == "R" && onUsers:
			p.expect(d, "reset", p.selectedCells(before, " Risk ", 3))
		case k == "d" && onOutbox:
			p.expect(d, "drop", p.selectedCells(before, " Created ", 3))
		}
	}
	if onUsers && modal == nil && p.a.modal == nil && p.a.drill == nil && p.a.tab == tabUsers && !p.a.help && !p.a.cmdbar.active {
		switch k {
		case "g", "s":
			p.moved = false
		case "j", "down", "]", "G":
			if len(p.userRows()) > 1 {
				p.moved = true
			}
		}
		if p.moved {
			p.chosen = p.selectedCells(p.frame, " Risk ", 3)
		}
	}
	p.checkUsers(false)
}

// expect records what the dialog just opened must act on, and checks it
// names it.
func (p *prop) expect(d *dialog.Dialog, kind, target string) {
	if target == "" {
		p.fail("a %s dialog opened with no row selected in the frame before", kind)
	}
	p.want, p.wantKind = target, kind
	if !strings.Contains(p.frame, strings.TrimSuffix(target, "…")) {
		p.fail("the %s dialog does not name %q", kind, target)
	}
}

// data delivers something new between keys.
func (p *prop) data() {
	p.round++
	ctx := context.Background()
	switch p.rng.IntN(4) {
	case 0, 1: // people arrive, re-sort, and some leave
		from, n := p.rng.IntN(30), 1+p.rng.IntN(40)
		lv := []model.Level{model.LevelCritical, model.LevelHigh, model.LevelMedium, model.LevelLow}[p.rng.IntN(4)]
		p.log = append(p.log, fmt.Sprintf("[people %d+%d %v]", from, n, lv))
		drive(p.a, hubMsg{shuffledBackfill(p.rng, from, n, lv)})
	case 2: // new pushes, newest first in the outbox
		n := 1 + p.rng.IntN(4)
		items := make([]model.OutboxItem, n)
		for i := range items {
			items[i] = model.OutboxItem{Created: fixtureNow, IP: fmt.Sprintf("192.0.2.%d", p.nextIP), Level: model.LevelHigh, Actor: "someone-else"}
			p.nextIP++
		}
		if _, err := p.a.deps.Store.Enqueue(ctx, items); err != nil {
			p.t.Fatal(err)
		}
		p.log = append(p.log, fmt.Sprintf("[%d pushes]", n))
		drive(p.a, hubMsg{hub.ActionsChanged{}})
		if p.a.tab == tabOutbox && p.a.drill == nil {
			drive(p.a, p.a.screens[tabOutbox].Activate()) // what OutboxReload does, also under a dialog
		}
	default:
		p.log = append(p.log, "[events]")
		drive(p.a, hubMsg{hub.EventsMsg{Vendor: "onelogin", Inserted: 5, Newest: fixtureNow}})
	}
	wasNamed := p.want != "" && strings.Contains(p.frame, strings.TrimSuffix(p.want, "…"))
	p.after()
	if wasNamed && p.a.modal != nil && !strings.Contains(p.frame, strings.TrimSuffix(p.want, "…")) {
		p.fail("data arriving changed the open dialog: it no longer names %q", p.want)
	}
	p.checkUsers(true)
}

// after renders the frame and checks any action invoked since.
func (p *prop) after() {
	p.frame = p.view()
	fa := p.fa
	fa.mu.Lock()
	resets, drops := append([]any(nil), anySlice(fa.resets)...), append([]int64(nil), fa.dropped...)
	fa.mu.Unlock()
	if len(resets) > p.resets {
		got := fa.resets[len(fa.resets)-1]
		if p.wantKind != "reset" || !strings.HasPrefix(got.Email, strings.TrimSuffix(p.want, "…")) {
			p.fail("reset %s (%s); the frame showed %q selected (%s)", got.Email, got.UserID, p.want, p.wantKind)
		}
		p.resets, p.want = len(resets), ""
	}
	if len(drops) > p.drops {
		id := drops[len(drops)-1]
		items, err := p.a.deps.Store.OutboxItems(context.Background(), []int64{id})
		if err != nil || len(items) != 1 {
			p.t.Fatal(items, err)
		}
		if p.wantKind != "drop" || items[0].IP != p.want {
			p.fail("dropped #%d (%s); the frame showed %q selected (%s)", id, items[0].IP, p.want, p.wantKind)
		}
		p.drops, p.want = len(drops), ""
	}
	if p.a.modal == nil {
		p.want = ""
	}
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// usersShown, outboxShown: the frame shows that list, nothing over it.
func (p *prop) usersShown() bool {
	return p.a.tab == tabUsers && p.a.drill == nil && p.a.modal == nil && !p.a.help && !p.a.cmdbar.active
}

func (p *prop) outboxShown() bool {
	return p.a.tab == tabOutbox && p.a.drill == nil && p.a.modal == nil && !p.a.help && !p.a.cmdbar.active
}

// userRows are the Users rows of the frame.
func (p *prop) userRows() []string { return rowsUnder(p.frame, " Risk ") }

// checkUsers holds the Users cursor to its rules in the frame.
func (p *prop) checkUsers(dataArrived bool) {
	if !p.usersShown() {
		return
	}
	rows := p.userRows()
	if len(rows) == 0 {
		return
	}
	sel := -1
	for i, r := range rows {
		if strings.HasPrefix(r, p.marker()) {
			if sel >= 0 {
				p.fail("two rows marked selected")
			}
			sel = i
		}
	}
	if sel < 0 {
		p.fail("no row marked selected (%q)", p.marker())
	}
	if !p.moved {
		if sel != 0 || strings.Contains(p.frame, "↑ ") {
			p.fail("the cursor was never moved, yet it is on row %d of the frame, not the first row at the top", sel)
		}
		return
	}
	now := p.selectedCells(p.frame, " Risk ", 3)
	if dataArrived && now != p.chosen {
		if !strings.Contains(p.frame, " left the list") {
			p.fail("the cursor left %q for %q without a word", p.chosen, now)
		}
		p.chosen = now
	}
}

// rowsUnder are the frame's lines after the one starting with header,
// up to a blank one.
func rowsUnder(frame, header string) []string {
	lines := strings.Split(frame, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, header) || strings.HasPrefix(strings.TrimLeft(l, " "), strings.TrimLeft(header, " ")) && strings.HasPrefix(l, " ") {
			var rows []string
			for _, r := range lines[i+1:] {
				if strings.TrimSpace(r) == "" {
					break
				}
				rows = append(rows, r)
			}
			return rows
		}
	}
	return nil
}

// selectedCells is the identifying cell of the row marked selected in
// the list under header: the email (Users: the token with an @) or the
// address (outbox: the n-th token after the marker, n from 0). "" when
// no row is marked.
func (p *prop) selectedCells(frame, header string, n int) string {
	for _, r := range rowsUnder(frame, header) {
		if !strings.HasPrefix(r, p.marker()) {
			continue
		}
		fields := strings.Fields(strings.TrimPrefix(r, p.marker()))
		if header == " Risk " {
			for _, f := range fields {
				if strings.Contains(f, "@") {
					return f
				}
			}
			return ""
		}
		if n+1 < len(fields) {
			return fields[n+1] // Created is three tokens ("Nov 21 14:29"), then State, then IP
		}
	}
	return ""
}

// shuffledBackfill is backfill with random scores, so each poll re-sorts.
func shuffledBackfill(rng *rand.Rand, from, n int, level model.Level) hub.Msg {
	m := backfill(from, n, level).(hub.UsersMsg)
	for i := range m.Views {
		if strings.HasPrefix(m.Views[i].UserID, "bf-") {
			m.Views[i].Score = 40 + rng.IntN(60)
			m.Views[i].LastSeen = fixtureNow.Add(-time.Duration(rng.IntN(90)) * time.Minute)
		}
	}
	return m
}
