package simkit

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func newTestWorld(scenario bool) (*World, *ManualClock) {
	c := NewManualClock(t0)
	return NewWorld(Options{Seed: 7, Clock: c, Scenario: scenario}), c
}

func TestWorldIsDeterministic(t *testing.T) {
	a, ca := newTestWorld(true)
	b, cb := newTestWorld(true)
	ca.Advance(5 * time.Minute)
	cb.Advance(5 * time.Minute)
	x, y := a.After(0, 0), b.After(0, 0)
	if len(x) == 0 || !reflect.DeepEqual(x, y) {
		t.Fatalf("same seed and clock gave different activity (%d vs %d)", len(x), len(y))
	}
	if !reflect.DeepEqual(a.People(), b.People()) {
		t.Fatal("people differ")
	}
}

var docNets = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

func inDocNets(a netip.Addr) bool {
	for _, p := range docNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestWorldShape(t *testing.T) {
	w, _ := newTestWorld(false)
	people := w.People()
	if len(people) != 300 {
		t.Fatalf("%d people", len(people))
	}
	emails, nonASCII, unnamed := map[string]bool{}, 0, 0
	for _, p := range people {
		if emails[p.Email] {
			t.Errorf("duplicate email %s", p.Email)
		}
		emails[p.Email] = true
		if !inDocNets(p.Home) {
			t.Errorf("home IP %s outside the documentation ranges", p.Home)
		}
		if utf8.RuneCountInString(p.Name()) != len(p.Name()) {
			nonASCII++
		}
		if p.Name() == "" {
			unnamed++
		}
		if len(p.CloudflareID) != 36 || len(p.Apps) < 2 {
			t.Errorf("person %d: id %q apps %d", p.Index, p.CloudflareID, len(p.Apps))
		}
	}
	if nonASCII < 10 || unnamed == 0 {
		t.Errorf("%d non-ASCII names, %d unnamed; want some of each", nonASCII, unnamed)
	}
	acts := w.After(0, 0)
	hours := w.opts.History.Hours()
	if perMin := float64(len(acts)) / hours / 60; perMin < 3 || perMin > 5 {
		t.Errorf("%.1f activities a minute over the history, want about 4", perMin)
	}
	scores := map[int]bool{}
	for i, a := range acts {
		if !inDocNets(a.IP) {
			t.Fatalf("activity IP %s outside the documentation ranges", a.IP)
		}
		if i > 0 && (a.Seq != acts[i-1].Seq+1 || a.Time.Before(acts[i-1].Time)) {
			t.Fatalf("activity out of order at %d", i)
		}
		if a.Attack {
			t.Fatalf("attack activity with the scenario off")
		}
		scores[a.Score] = true
	}
	for _, b := range []int{5, 26, 51, 76} {
		if !scores[b] {
			t.Errorf("no activity scored exactly %d", b)
		}
	}
}

func TestScenarioBurstComesFromTheAttackNet(t *testing.T) {
	w, c := newTestWorld(true)
	before := w.LastSeq()
	c.Advance(2 * time.Minute)
	if atk := w.AttackAt(c.Now()); !atk.Active || atk.Cycle != 1 || len(atk.Targets) != 40 {
		t.Fatalf("attack at +2m = %+v", atk)
	}
	c.Advance(6 * time.Minute)
	acts := w.After(before, 0)
	var attack, failed, success int
	for _, a := range acts {
		if !a.Attack {
			continue
		}
		attack++
		if !AttackNet.Contains(a.IP) {
			t.Fatalf("attack from %s", a.IP)
		}
		switch a.Kind {
		case KindFailedLogin:
			failed++
		case KindLogin:
			success++
			if a.Score < 70 || a.Signal != SignalTravel {
				t.Errorf("compromise scored %d signal %d", a.Score, a.Signal)
			}
		}
	}
	if attack < 150 || failed < success*3 || success == 0 {
		t.Fatalf("attack activity %d (failed %d, success %d)", attack, failed, success)
	}
	if w.AttackAt(c.Now()).Active {
		t.Fatal("attack still on after 6 minutes")
	}
	hist := w.AttackAt(w.LiveStart().Add(-6*time.Hour + time.Minute))
	if !hist.Active || hist.Cycle != 0 {
		t.Fatalf("no planted historical attack: %+v", hist)
	}
}

func TestSpeedCompressesTheScenario(t *testing.T) {
	c := NewManualClock(t0)
	w := NewWorld(Options{Seed: 7, Clock: c, Scenario: true, Speed: 10})
	c.Advance(13 * time.Second) // 2 minutes / 10 = 12 s
	if !w.AttackAt(c.Now()).Active {
		t.Fatal("attack not under way 13 s in at speed 10")
	}
}
