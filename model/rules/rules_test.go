package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// failure is a failed sign-in of person n from 203.0.113.(10+addr) at t0+at.
func failure(id int, at time.Duration, addr, person int) model.Event {
	return model.Event{Vendor: "onelogin", ID: fmt.Sprint(id), Time: t0.Add(at), TypeName: "USER_FAILED_ONELOGIN_LOGIN",
		IP: fmt.Sprintf("203.0.113.%d", 10+addr), UserKey: fmt.Sprintf("p%d@example.com", person), Score: model.NoScore}
}

func burstRule(n int, within time.Duration) Rule {
	return Rule{Name: "burst", Kind: model.KindFailedBurst, Enabled: true, Severity: model.LevelHigh, Failures: n,
		Within: within, Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
}

func only(t *testing.T, fs []model.Alert) model.Alert {
	t.Helper()
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
	}
	return fs[0]
}

// N failures within M fire; N-1, or N spread wider than M, do not.
func TestBurstThresholdAndWindowEdges(t *testing.T) {
	// 5 failures, one a minute: 4 minutes from first to last.
	five := func() []model.Event {
		var evs []model.Event
		for i := range 5 {
			evs = append(evs, failure(i, time.Duration(i)*time.Minute, i, i))
		}
		return evs
	}
	if fs := New([]Rule{burstRule(6, 10*time.Minute)}).Events(five()); len(fs) != 0 {
		t.Errorf("5 failures, threshold 6: %+v", fs)
	}
	// The window holds events at most Within older than the newest: 4m fits 4m.
	f := only(t, New([]Rule{burstRule(5, 4*time.Minute)}).Events(five()))
	if f.Key != "burst:203.0.113.0/24" || f.Incident.Failures != 5 || f.Incident.Addresses != 5 || f.Incident.People != 5 ||
		!f.FirstSeen.Equal(t0) || !f.LastSeen.Equal(t0.Add(4*time.Minute)) || f.Response.String() != "push_range high" {
		t.Errorf("finding %+v %+v", f, f.Incident)
	}
	if fs := New([]Rule{burstRule(5, 4*time.Minute-time.Millisecond)}).Events(five()); len(fs) != 0 {
		t.Errorf("5 failures over 4m, window just under 4m: %+v", fs)
	}
	// Only failures count, and a disabled rule finds nothing.
	evs := five()
	evs[2].TypeName = "USER_LOGGED_INTO_ONELOGIN"
	if fs := New([]Rule{burstRule(5, time.Hour)}).Events(evs); len(fs) != 0 {
		t.Errorf("4 failures and a success: %+v", fs)
	}
	off := burstRule(2, time.Hour)
	off.Enabled = false
	if fs := New([]Rule{off}).Events(five()); len(fs) != 0 {
		t.Errorf("disabled rule: %+v", fs)
	}
}

// One burst is one incident whatever batches it comes in; after a gap
// longer than the window the next burst is a new incident.
func TestBurstIsOneIncidentPerBurst(t *testing.T) {
	ev := New([]Rule{burstRule(3, 2*time.Minute)})
	var all []model.Alert
	id := 0
	burst := func(start time.Duration, n int) {
		for i := range n {
			id++
			// Batches of 4 events, as polls bring them.
			all = append(all, ev.Events([]model.Event{failure(id, start+time.Duration(i)*20*time.Second, i%7, i%5)})...)
			if i%4 == 3 {
				ev.Expire()
			}
		}
	}
	burst(0, 12)             // 0s … 220s
	burst(10*time.Minute, 6) // a new burst after 6+ minutes of quiet
	var firsts []time.Time
	last := map[time.Time]model.Alert{}
	for _, f := range all {
		if _, ok := last[f.Incident.From]; !ok {
			firsts = append(firsts, f.Incident.From)
		}
		last[f.Incident.From] = f
	}
	if len(firsts) != 2 || !firsts[0].Equal(t0) || !firsts[1].Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("incidents start at %v", firsts)
	}
	a, b := last[firsts[0]].Incident, last[firsts[1]].Incident
	if a.Failures != 12 || a.Addresses != 7 || a.People != 5 || a.Span() != 220*time.Second {
		t.Errorf("first incident %+v", a)
	}
	if b.Failures != 6 || b.Span() != 100*time.Second {
		t.Errorf("second incident %+v", b)
	}
	if got := a.Summary(); got != "203.0.113.0/24: 7 addresses, 5 people, 12 failures in 4 min" {
		t.Errorf("summary %q", got)
	}
	// The store folds both into one alert counting two bursts.
	alert := all[0]
	alert.Count = 1
	for _, f := range all[1:] {
		alert = Merge(alert, f)
	}
	if alert.Count != 2 || alert.Incident.From != firsts[1] || !alert.FirstSeen.Equal(t0) {
		t.Errorf("merged alert: count %d, incident %+v", alert.Count, alert.Incident)
	}
}

// Events fetched late (older than the range's window) form their own
// incident, and the live incident keeps its numbers.
func TestBurstFetchedLate(t *testing.T) {
	ev := New([]Rule{burstRule(3, time.Minute)})
	var live []model.Event
	for i := range 4 {
		live = append(live, failure(i, 6*time.Hour+time.Duration(i)*time.Second, i, i))
	}
	f := only(t, ev.Events(live))
	if f.Incident.Failures != 4 {
		t.Fatalf("live %+v", f.Incident)
	}
	var old []model.Event
	for i := range 5 {
		old = append(old, failure(100+i, time.Duration(i)*time.Second, i, i))
	}
	g := only(t, ev.Events(old))
	if g.Key != f.Key || g.Incident.Failures != 5 || !g.Incident.From.Equal(t0) {
		t.Fatalf("late burst %+v", g.Incident)
	}
	// The live incident goes on from where it was.
	h := only(t, ev.Events([]model.Event{failure(9, 6*time.Hour+10*time.Second, 9, 9)}))
	if h.Incident.Failures != 5 || !h.Incident.From.Equal(f.Incident.From) {
		t.Errorf("live after late %+v", h.Incident)
	}
	// Merged into the live alert, the older incident counts but does not
	// replace the latest.
	m := Merge(h, g)
	if m.Count != 2 || m.Incident.Failures != 5 || !m.FirstSeen.Equal(t0) {
		t.Errorf("merge %+v %+v", m, m.Incident)
	}
}

// One address used by N people within M; IPv6 ranges are /48.
func TestSharedAddress(t *testing.T) {
	r := Rule{Name: "shared", Kind: model.KindSharedAddress, Enabled: true, Severity: model.LevelMedium, People: 3, Within: 10 * time.Minute}
	signIn := func(id int, at time.Duration, person int) model.Event {
		return model.Event{Vendor: "okta", ID: fmt.Sprint(id), Time: t0.Add(at), TypeName: "user.session.start",
			IP: "2001:db8:1:2::7", UserKey: fmt.Sprintf("p%d@example.com", person), Score: model.NoScore}
	}
	// The same two people over and over: never three.
	var evs []model.Event
	for i := range 10 {
		evs = append(evs, signIn(i, time.Duration(i)*time.Minute, i%2))
	}
	if fs := New([]Rule{r}).Events(evs); len(fs) != 0 {
		t.Fatalf("two people: %+v", fs)
	}
	// A third person at 11m, with person 0 (8m) and 1 (9m) in the window.
	evs = append(evs, signIn(10, 11*time.Minute, 2))
	f := only(t, New([]Rule{r}).Events(evs))
	if f.Key != "shared:2001:db8:1:2::7" || f.Incident.People != 3 || f.Title != "2001:db8:1:2::7 used by 3 people" {
		t.Errorf("finding %+v %+v", f, f.Incident)
	}
	if RangeOf("2001:db8:1:2::7") != "2001:db8:1::/48" || RangeOf("::ffff:203.0.113.9") != "203.0.113.0/24" || RangeOf("x") != "" {
		t.Error("RangeOf")
	}
}

func TestLevelRiseAndMultiVendor(t *testing.T) {
	rs := Defaults()
	ev := New(rs)
	ev.SetVendorNames(func(v string) string { return map[string]string{"okta": "Okta", "cloudflare": "Cloudflare"}[v] })
	ch := func(at time.Duration, vendor string, prev, level model.Level, first bool) LevelChange {
		return LevelChange{Key: "zoe@example.com", Vendor: vendor, At: t0.Add(at), Level: level, Previous: prev, First: first}
	}
	// A first reading at High is no rise; Low → Medium is below the bar.
	if fs := ev.Changes([]LevelChange{ch(0, "okta", 0, model.LevelHigh, true), ch(time.Minute, "cloudflare", 0, model.LevelLow, true),
		ch(2*time.Minute, "cloudflare", model.LevelLow, model.LevelMedium, false)}); len(fs) != 0 {
		t.Fatalf("no rise yet: %+v", fs)
	}
	// Medium → Critical in Cloudflare: a rise, and now two vendors at High+.
	fs := ev.Changes([]LevelChange{ch(3*time.Minute, "cloudflare", model.LevelMedium, model.LevelCritical, false)})
	if len(fs) != 2 {
		t.Fatalf("findings %+v", fs)
	}
	if r := fs[0]; r.Key != "rise:zoe@example.com:cloudflare" || r.Title != "zoe@example.com rose from Medium to Critical in Cloudflare" ||
		r.Response.String() != "push_person high" || !r.LastSeen.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("rise %+v", r)
	}
	if m := fs[1]; m.Key != "two_vendors:zoe@example.com" || m.Severity != model.LevelCritical ||
		m.Title != "zoe@example.com is High or above in Cloudflare and Okta" {
		t.Errorf("multi %+v", m)
	}
	// Staying there finds nothing new; falling finds nothing; rising
	// again after falling is another rise and another crossing.
	if fs := ev.Changes([]LevelChange{ch(4*time.Minute, "cloudflare", model.LevelCritical, model.LevelHigh, false)}); len(fs) != 0 {
		t.Errorf("Critical → High: %+v", fs)
	}
	fs = ev.Changes([]LevelChange{ch(5*time.Minute, "okta", model.LevelHigh, model.LevelLow, false),
		ch(6*time.Minute, "okta", model.LevelLow, model.LevelHigh, false)})
	if len(fs) != 2 || fs[0].Key != "rise:zoe@example.com:okta" || fs[1].Key != "two_vendors:zoe@example.com" {
		t.Errorf("fall and rise again: %+v", fs)
	}
	// Someone new to a vendor polled before rose from None.
	fs = ev.Changes([]LevelChange{{Key: "ava@example.com", Vendor: "cloudflare", At: t0.Add(7 * time.Minute), Level: model.LevelHigh, First: true}})
	if len(fs) != 1 || fs[0].Title != "ava@example.com rose from None to High in Cloudflare" {
		t.Errorf("new in a known vendor: %+v", fs)
	}
	// Seeded levels count as known: a later change crosses from them.
	ev2 := New(rs)
	ev2.SeedLevels(map[string]map[string]model.Level{"zoe@example.com": {"okta": model.LevelCritical}})
	fs = ev2.Changes([]LevelChange{ch(0, "onelogin", model.LevelLow, model.LevelHigh, false)})
	if len(fs) != 2 || fs[1].Key != "two_vendors:zoe@example.com" {
		t.Errorf("after seeding: %+v", fs)
	}
}

func TestHighScore(t *testing.T) {
	r, _ := Default("score")
	ev := New([]Rule{r})
	evs := []model.Event{
		{Vendor: "onelogin", ID: "1", Time: t0, UserKey: "zoe@example.com", IP: "192.0.2.1", Score: 89},
		{Vendor: "onelogin", ID: "2", Time: t0.Add(time.Minute), UserKey: "zoe@example.com", IP: "192.0.2.2", Score: 90},
		{Vendor: "onelogin", ID: "3", Time: t0.Add(2 * time.Minute), UserKey: "zoe@example.com", IP: "192.0.2.2", Score: 97},
		{Vendor: "onelogin", ID: "4", Time: t0.Add(3 * time.Minute), IP: "192.0.2.9", Score: 99},
	}
	fs := ev.Events(evs)
	if len(fs) != 2 {
		t.Fatalf("findings %+v", fs)
	}
	z := fs[0]
	if z.Key != "score:zoe@example.com" || z.Count != 2 || z.Evidence.EventsTotal != 2 || z.Evidence.AddressesTotal != 1 ||
		z.Title != "zoe@example.com scored 97 in onelogin" || !z.FirstSeen.Equal(t0.Add(time.Minute)) {
		t.Errorf("zoe %+v", z)
	}
	if a := fs[1]; a.Key != "score:192.0.2.9" || a.Response.Kind != model.ResponseNone {
		t.Errorf("no person: %+v", a)
	}
}

func TestCheckRules(t *testing.T) {
	if err := CheckAll(Defaults()); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := []struct {
		r    Rule
		want string
	}{
		{Rule{Name: "b", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Failures: 1, Within: time.Minute}, "failures: must be a whole number of at least 2"},
		{Rule{Name: "b", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Failures: 5}, "within: must be a positive duration"},
		{Rule{Name: "b", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Failures: 5, Within: 48 * time.Hour}, "longer than the most"},
		{Rule{Name: "b", Kind: model.KindFailedBurst, Severity: model.LevelNone, Failures: 5, Within: time.Minute}, "severity: must be low"},
		{Rule{Name: "b", Kind: "burst", Severity: model.LevelHigh}, `kind: "burst" is not a rule kind (one of failed_burst`},
		{Rule{Name: "s", Kind: model.KindHighScore, Severity: model.LevelHigh, Score: 101}, "score: must be a whole number from 1 to 100"},
		{Rule{Name: "s", Kind: model.KindHighScore, Severity: model.LevelHigh, Score: 90,
			Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}, "push_range does not fit a high_score rule"},
		{Rule{Name: "b", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Failures: 5, Within: time.Minute,
			Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelCritical}}, "push_range needs a level: low, medium or high"},
		{Rule{Name: "m", Kind: model.KindMultiVendor, Severity: model.LevelHigh, Level: model.LevelHigh, Vendors: 1}, "vendors: must be"},
		{Rule{Name: "a:b", Kind: model.KindLevelRise, Severity: model.LevelHigh, Level: model.LevelHigh}, "name:"},
	}
	for _, b := range bad {
		ps := Check(b.r)
		if len(ps) != 1 || !strings.Contains(ps[0].Error(), b.want) {
			t.Errorf("Check(%+v) = %v, want %q", b.r, ps, b.want)
		}
	}
	if err := CheckAll(append(Defaults(), Defaults()[0])); err == nil || !strings.Contains(err.Error(), `rule "burst": named twice`) {
		t.Errorf("duplicate: %v", err)
	}
	for in, want := range map[string]string{"push_range HIGH": "push_range high", "none": "none", "reset_cloudflare": "reset_cloudflare"} {
		if r, err := ParseResponse(in); err != nil || r.String() != want {
			t.Errorf("ParseResponse(%q) = %v, %v", in, r, err)
		}
	}
	for _, in := range []string{"", "push", "push_range extreme", "push_range high now"} {
		if _, err := ParseResponse(in); err == nil {
			t.Errorf("ParseResponse(%q): no error", in)
		}
	}
}
