package rules

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// personCount counts as a map does, in its short list and past it.
func TestPersonCountIsAMap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, people := range []int{3, smallPeople, 3 * smallPeople} {
		var c personCount
		want := map[string]int{}
		for range 2000 {
			p := fmt.Sprint("p", rnd.IntN(people))
			n := 1
			if want[p] > 0 && rnd.IntN(2) == 0 {
				n = -1
			}
			c.add(p, n)
			if want[p] += n; want[p] == 0 {
				delete(want, p)
			}
			if c.len() != len(want) {
				t.Fatalf("%d people: len %d, want %d", people, c.len(), len(want))
			}
		}
		c.reset()
		if c.len() != 0 {
			t.Fatalf("after reset: %d", c.len())
		}
	}
}

// expireByScan is Expire as it was: every subject gone by the window
// deleted after each batch. Expire must forget, in effect, exactly what
// it forgot, batch by batch.
func expireByScan(e *Evaluator) {
	for _, w := range e.windows {
		cut := w.newest.Add(-w.rule.Within)
		for key, s := range w.subjects {
			if s.newest.Before(cut) && (s.inc == nil || s.inc.to.Before(cut.Add(-w.rule.Within))) {
				delete(w.subjects, key)
			}
		}
	}
}

// Expire forgets, in effect, the subjects a scan deleting them after
// every batch forgot, with late events, long incidents and busy
// addresses that stay, so what the rules find is the same; and it holds
// no more than twice what its last sweep left.
func TestExpireForgetsWhatAScanForgets(t *testing.T) {
	defer func(n int) { minSweep = n }(minSweep)
	minSweep = 2 // sweeps come often
	for seed := range uint64(20) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		rs := []Rule{
			{Name: "burst", Kind: model.KindFailedBurst, Enabled: true, Severity: model.LevelHigh, Failures: 4, Within: 3 * time.Minute},
			{Name: "shared", Kind: model.KindSharedAddress, Enabled: true, Severity: model.LevelMedium, People: 3, Within: 2 * time.Minute},
		}
		lazyEv, scanEv := New(rs), New(rs)
		start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		id := 0
		for batch := range 120 {
			head := start.Add(time.Duration(batch) * 20 * time.Second)
			var evs []model.Event
			for range rnd.IntN(30) {
				id++
				at := head.Add(time.Duration(rnd.IntN(20_000)) * time.Millisecond)
				if rnd.IntN(12) == 0 { // late: up to three windows back
					at = head.Add(-time.Duration(rnd.IntN(540)) * time.Second)
				}
				ev := model.Event{Vendor: "onelogin", ID: fmt.Sprint(id), Time: at, TypeName: "USER_LOGGED_INTO_ONELOGIN",
					IP: fmt.Sprintf("198.51.%d.%d", rnd.IntN(3), rnd.IntN(6)), UserKey: fmt.Sprintf("p%d@example.com", rnd.IntN(8)),
					Score: model.NoScore}
				if rnd.IntN(3) == 0 {
					ev.TypeName = "USER_FAILED_ONELOGIN_LOGIN"
				}
				evs = append(evs, ev)
			}
			got, want := lazyEv.Events(slices.Clone(evs)), scanEv.Events(slices.Clone(evs))
			lazyEv.Expire()
			expireByScan(scanEv)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d batch %d: findings differ:\n%+v\n%+v", seed, batch, got, want)
			}
			for i, w := range lazyEv.windows {
				var live []string
				for key, s := range w.subjects {
					if !w.gone(s) {
						live = append(live, key)
					}
				}
				slices.Sort(live)
				if scan := slices.Sorted(maps.Keys(scanEv.windows[i].subjects)); !slices.Equal(live, scan) {
					t.Fatalf("seed %d batch %d, %s: Expire keeps %v, a scan %v", seed, batch, rs[i].Name, live, scan)
				}
				if len(w.subjects) > 2*w.swept+minSweep {
					t.Fatalf("seed %d batch %d, %s: %d subjects after a sweep left %d", seed, batch, rs[i].Name, len(w.subjects), w.swept)
				}
			}
		}
	}
}

// union agrees with a union by map, with items repeated in either list,
// lists at the cap, and totals past the lists.
func TestUnionIsAUnion(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	byMap := func(a []int, at int, b []int, bt int) ([]int, int) {
		seen := map[int]bool{}
		out := slices.Clone(a)
		for _, x := range a {
			seen[x] = true
		}
		total := at
		for _, x := range b {
			if !seen[x] {
				seen[x] = true
				total++
				if len(out) < model.MaxEvidence {
					out = append(out, x)
				}
			}
		}
		return out, total + max(bt-len(b), 0)
	}
	list := func() []int {
		n := []int{0, 1, 2, 9, 40, model.MaxEvidence}[rnd.IntN(6)]
		out := make([]int, n)
		for i := range out {
			out[i] = rnd.IntN(2 * model.MaxEvidence)
		}
		return out
	}
	for range 2000 {
		a, b := list(), list()
		at, bt := len(a)+rnd.IntN(3), len(b)+rnd.IntN(3)
		got, gotTotal := union(a, at, b, bt)
		want, wantTotal := byMap(a, at, b, bt)
		if !slices.Equal(got, want) || gotTotal != wantTotal {
			t.Fatalf("union(%v, %d, %v, %d) = %v, %d; want %v, %d", a, at, b, bt, got, gotTotal, want, wantTotal)
		}
	}
}
