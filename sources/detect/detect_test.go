package detect

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/rules"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// tenant is the simulator over loopback HTTP with the scenario on, its
// clock moved only by the test, and OneLogin and Cloudflare polled into
// a file store by the real sources.
type tenant struct {
	clock  *simkit.ManualClock
	sim    *sim.Sim
	store  *store.SQLite
	hub    *hub.Hub
	runner *poll.Runner
	path   string
}

func newTenant(t *testing.T) *tenant {
	t.Helper()
	// The sources stamp cursors and history with the wall clock, so the
	// simulator starts there and is then moved by hand.
	clock := simkit.NewManualClock(time.Now().UTC().Truncate(time.Second))
	s, err := sim.New(sim.Options{World: simkit.Options{Seed: 9, People: 120, History: 8 * time.Hour, Scenario: true, Clock: clock}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	tn := &tenant{clock: clock, sim: s, hub: hub.New(), path: filepath.Join(t.TempDir(), "risktop.db")}
	tn.store, err = store.Open(tn.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tn.store.Close() })
	opts := httpx.Options{Timeout: 10 * time.Second}
	ol, err := onelogin.New(onelogin.Config{BaseURL: srv.URL + sim.PathOneLogin, ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret), HTTP: opts})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := cloudflare.New(cloudflare.Config{BaseURL: srv.URL + sim.PathCloudflare, AccountID: cfsim.DefaultAccountID,
		APIToken: secret.New(cfsim.DefaultToken), HTTP: opts})
	if err != nil {
		t.Fatal(err)
	}
	tn.runner = poll.NewRunner(tn.hub,
		poll.Spec{Source: onelogin.NewSource(ol, tn.store, tn.hub, onelogin.SourceOptions{Backfill: 8 * time.Hour, BackfillPace: time.Millisecond}),
			Interval: 30 * time.Second},
		poll.Spec{Source: cloudflare.NewSource(cf, tn.store, tn.hub, cloudflare.SourceOptions{DetailsPerPoll: 200}), Interval: time.Minute},
	)
	return tn
}

// poll polls every source once, catching up.
func (tn *tenant) poll(t *testing.T) {
	t.Helper()
	for _, o := range tn.runner.Once(context.Background(), nil) {
		if o.Err != nil {
			t.Fatalf("poll %s: %v", o.Source, o.Err)
		}
	}
}

func (tn *tenant) engine() *Engine {
	return New(Options{Store: tn.store, Hub: tn.hub, Rules: rules.Defaults(), Now: tn.clock.Now})
}

func (tn *tenant) alerts(t *testing.T) []model.Alert {
	t.Helper()
	as, err := tn.store.Alerts(context.Background(), store.AlertQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func byKey(as []model.Alert, key string) []model.Alert {
	var out []model.Alert
	for _, a := range as {
		if a.Key == key {
			out = append(out, a)
		}
	}
	return out
}

// attack counts what the simulator's credential stuffing did between two
// times: failed sign-ins, and the distinct addresses and people behind them.
func (tn *tenant) attack(from, to time.Time) (failures, addrs, people int) {
	a, p := map[string]bool{}, map[int]bool{}
	for _, act := range tn.sim.World.Between(from, to) {
		if act.Attack && act.Kind == simkit.KindFailedLogin {
			failures++
			a[act.IP.String()] = true
			p[act.Person] = true
		}
	}
	return failures, len(a), len(p)
}

// cloudflareLevels is each person's Cloudflare level by email, as stored.
func (tn *tenant) cloudflareLevels(t *testing.T) map[string]model.Level {
	t.Helper()
	views, err := tn.store.UserRisks(context.Background(), "cloudflare")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model.Level{}
	for _, v := range views {
		out[v.Key()] = model.Max(out[v.Key()], v.Level)
	}
	return out
}

const burstKey = "burst:203.0.113.0/24"

// The scenario's credential stuffing becomes one open burst alert within
// one poll of its start, its incident the simulator's attack; the people
// it pushed to High rise; the planted burst of six hours ago comes in with
// the back-fill, flagged as such; and an engine started again on the same
// store adds nothing twice and misses nothing.
func TestScenarioBurstOverTheSimulator(t *testing.T) {
	tn := newTenant(t)
	ctx := context.Background()
	live := tn.sim.World.LiveStart()
	planted := tn.sim.World.AttackAt(live.Add(-6 * time.Hour))
	if !planted.Active {
		t.Fatal("no planted attack six hours back")
	}

	// Before the attack: the back-fill holds the planted burst.
	tn.poll(t)
	before := tn.cloudflareLevels(t)
	eng := tn.engine()
	sub := tn.hub.Subscribe()
	defer sub.Close()
	res, err := eng.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events == 0 {
		t.Fatal("no events evaluated")
	}
	old := byKey(tn.alerts(t), burstKey)
	if len(old) != 1 || !old[0].Backfilled || old[0].Incident == nil ||
		old[0].Incident.From.Before(planted.Start) || old[0].Incident.To.After(planted.End) {
		t.Fatalf("planted burst: %+v (attack %v–%v)", old, planted.Start, planted.End)
	}
	wantF, wantA, wantP := tn.attack(planted.Start, planted.End)
	if in := old[0].Incident; in.Failures != wantF || in.Addresses != wantA || in.People != wantP {
		t.Errorf("planted incident %s, the simulator's attack: %d failures, %d addresses, %d people", in.Summary(), wantF, wantA, wantP)
	}
	var announced int64
	for _, m := range sub.Take() {
		if a, ok := m.(hub.AlertsChanged); ok {
			announced = a.Seq
		}
	}
	if seq, _ := tn.store.AlertSeq(ctx); announced == 0 || announced != seq {
		t.Errorf("hub heard of seq %d, store is at %d", announced, seq)
	}

	// Into the live burst: one poll, one run.
	atk := tn.sim.World.AttackAt(live.Add(3 * time.Minute))
	if !atk.Active || atk.Cycle != 1 {
		t.Fatalf("no live attack: %+v", atk)
	}
	tn.clock.Advance(atk.Start.Sub(tn.clock.Now()) + 90*time.Second)
	tn.poll(t)
	if _, err := eng.Once(ctx); err != nil {
		t.Fatal(err)
	}
	// The live burst is news: a new open alert; the planted one, history,
	// is resolved by risktop rather than absorbing it.
	var b model.Alert
	for _, a := range byKey(tn.alerts(t), burstKey) {
		switch {
		case a.ID == old[0].ID:
			if a.State != model.AlertResolved || a.ResolvedBy != store.SystemActor {
				t.Errorf("the planted burst's alert: %+v", a)
			}
		case b.ID != 0:
			t.Fatalf("two new burst alerts: %+v and %+v", b, a)
		default:
			b = a
		}
	}
	wantF, wantA, wantP = tn.attack(atk.Start, tn.clock.Now().Add(time.Millisecond))
	if b.State != model.AlertOpen || b.Backfilled || b.Count != 1 || b.Incident.From.Before(atk.Start) ||
		b.Incident.Failures != wantF || b.Incident.Addresses != wantA || b.Incident.People != wantP ||
		b.Response.String() != "push_range high" || b.Evidence.AddressesTotal != wantA {
		t.Errorf("live burst alert %+v\n%s; the simulator's attack: %d failures, %d addresses, %d people",
			b, b.Incident.Summary(), wantF, wantA, wantP)
	}

	// Rises: exactly the people whose Cloudflare level went from below
	// High (or from no reading: Cloudflare lists only people at risk) to
	// High or above, the targets among them.
	after := tn.cloudflareLevels(t)
	var wantRise []string
	for email, l := range after {
		if l >= model.LevelHigh && l > before[email] {
			wantRise = append(wantRise, "rise:"+email+":cloudflare")
		}
	}
	var gotRise []string
	for _, a := range tn.alerts(t) {
		if a.Kind == model.KindLevelRise {
			gotRise = append(gotRise, a.Key)
		}
	}
	slices.Sort(wantRise)
	slices.Sort(gotRise)
	if len(wantRise) == 0 || !slices.Equal(gotRise, wantRise) {
		t.Errorf("rise alerts %v\nwant %v", gotRise, wantRise)
	}
	targets := map[string]bool{}
	for _, i := range atk.Targets {
		targets["rise:"+tn.sim.World.People()[i].Email+":cloudflare"] = true
	}
	hit := 0
	for _, k := range gotRise {
		if targets[k] {
			hit++
		}
	}
	if hit == 0 {
		t.Errorf("no targeted person rose: %v", gotRise)
	}

	// A restart on the same store: nothing again, nothing missed.
	count := len(tn.alerts(t))
	res, err = tn.engine().Once(ctx)
	if err != nil || len(res.Alerts) != 0 || res.Events != 0 {
		t.Fatalf("restarted engine: %+v, %v", res, err)
	}
	tn.clock.Advance(time.Minute)
	tn.poll(t)
	again := tn.engine()
	if _, err := again.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(tn.alerts(t)); n < count {
		t.Fatalf("alerts went from %d to %d", count, n)
	}
	c := byKey(tn.alerts(t), burstKey)[:1] // newest first: the live one
	wantF, wantA, wantP = tn.attack(atk.Start, tn.clock.Now().Add(time.Millisecond))
	if c[0].ID != b.ID || c[0].Count != 1 || !c[0].Incident.From.Equal(b.Incident.From) ||
		c[0].Incident.Failures != wantF || c[0].Incident.Addresses != wantA || c[0].Incident.People != wantP {
		t.Errorf("after a restart mid-burst: %+v %s; want %d failures, %d addresses, %d people",
			c, fmt.Sprint(c[0].Incident), wantF, wantA, wantP)
	}
}

// Run evaluates when the hub announces stored events, and announces the
// alerts it wrote; a process's sessions all hear of them.
func TestRunWakesOnEventsAndAnnounces(t *testing.T) {
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus := hub.New()
	sub := bus.Subscribe()
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	eng := New(Options{Store: st, Hub: bus, Rules: rules.Defaults(), Tick: time.Hour})
	go func() { eng.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	now := time.Now().UTC()
	var evs []model.Event
	for i := range 25 {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: fmt.Sprint(i), Time: now.Add(time.Duration(i) * time.Second),
			TypeName: "USER_FAILED_ONELOGIN_LOGIN", IP: fmt.Sprintf("198.51.100.%d", i), UserKey: "zoe@example.com", Score: model.NoScore})
	}
	if _, err := st.PutEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	bus.Publish(hub.EventsMsg{Vendor: "onelogin", Inserted: len(evs)})
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-sub.Ready():
		case <-deadline:
			t.Fatal("no AlertsChanged after the events")
		}
		for _, m := range sub.Take() {
			if a, ok := m.(hub.AlertsChanged); ok {
				got, err := st.Alert(ctx, 1)
				if err != nil || got.Key != "burst:198.51.100.0/24" || got.Seq != a.Seq || got.Incident.Failures != 25 {
					t.Fatalf("alert %+v (%v), announced seq %d", got, err, a.Seq)
				}
				return
			}
		}
	}
}
