package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// The people area's concurrency cases: two stores on one database (two
// risktop instances) writing at once.

// peopleRound is round r of a vendor's poll of n people: every person's
// level moves each round.
func peopleRound(vendor string, r, n int) []model.UserRisk {
	vs := make([]model.UserRisk, n)
	for i := range vs {
		l := model.Level(1 + (r+i)%4)
		vs[i] = model.UserRisk{Vendor: vendor, UserID: fmt.Sprint(i), Email: fmt.Sprintf("p%d@example.com", i), Name: fmt.Sprintf("P %d", i),
			Level: l, RawLevel: l.String(), Score: model.NoScore}
	}
	return vs
}

// peopleParallel runs fns at once and waits for them all.
func peopleParallel(fns ...func()) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	wg.Wait()
}

// Two instances poll two vendors at once: each vendor's views are its
// last poll's, and each change is in the history once, in order.
func testPutUserRisksTwoVendors(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	const rounds, people = 15, 40
	vendors := []string{"cloudflare", "casb"}
	errs := make(chan error, 2*rounds)
	var fns []func()
	for w, vendor := range vendors {
		fns = append(fns, func() {
			for r := range rounds {
				errs <- stores[w].PutUserRisks(ctx, vendor, peopleNow.Add(time.Duration(r)*time.Minute), peopleRound(vendor, r, people))
			}
		})
	}
	peopleParallel(fns...)
	close(errs)
	for err := range errs {
		peopleMust(t, err)
	}
	for _, vendor := range vendors {
		got, err := stores[1].UserRisks(ctx, vendor)
		if want := peopleRound(vendor, rounds-1, people); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s's views:\n got %+v\nwant %+v (%v)", vendor, got, want, err)
		}
	}
	all := peopleHistory(t, stores[0])
	if len(all) != 2*rounds*people {
		t.Fatalf("%d history rows, want %d", len(all), 2*rounds*people)
	}
	type pv struct{ key, vendor string }
	last := map[pv]store.LevelChange{}
	for _, c := range all {
		k := pv{c.Key, c.Vendor}
		p, seen := last[k]
		if c.First == seen || (seen && (c.Previous != p.Level || !c.At.After(p.At))) {
			t.Fatalf("%+v after %+v", c, p)
		}
		last[k] = c
	}
}

// Two instances store the same poll at once (a leader change that
// overlaps): the views are there once and each change is in the history
// once.
func testPutUserRisksSameViewTwice(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	const rounds, people = 10, 30
	for r := range rounds {
		at, views := peopleNow.Add(time.Duration(r)*time.Minute), peopleRound("okta", r, people)
		errs := make([]error, len(stores))
		peopleParallel(func() { errs[0] = stores[0].PutUserRisks(ctx, "okta", at, views) },
			func() { errs[1] = stores[1].PutUserRisks(ctx, "okta", at, views) })
		for _, err := range errs {
			peopleMust(t, err)
		}
		got, err := stores[r%2].UserRisks(ctx, "okta")
		if err != nil || !reflect.DeepEqual(got, views) {
			t.Fatalf("round %d: %d views, want %d (%v)", r, len(got), len(views), err)
		}
	}
	if n := len(peopleHistory(t, stores[0])); n != rounds*people {
		t.Fatalf("%d history rows, want %d: a change stored twice", n, rounds*people)
	}
	for i := range people {
		h, err := stores[1].RiskHistory(ctx, fmt.Sprintf("p%d@example.com", i), time.Time{})
		if err != nil || len(h) != rounds {
			t.Fatalf("p%d: %d points, want %d (%v)", i, len(h), rounds, err)
		}
	}
}

// A reader following HistoryFeed while two instances append never skips
// a row: what it read, in order, is the whole history.
func testHistoryFeedNeverSkips(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	reader := f.Second(t)
	ctx := context.Background()
	const rounds, people = 25, 20
	done := make(chan struct{})
	var (
		read    []store.LevelChange
		readErr error
	)
	follow := func() bool { // reads what is there; false on an error
		after := int64(0)
		if len(read) > 0 {
			after = read[len(read)-1].ID
		}
		for {
			page, err := reader.HistoryFeed(ctx, after, 7)
			if err != nil {
				readErr = err
				return false
			}
			if len(page) == 0 {
				return true
			}
			read = append(read, page...)
			after = page[len(page)-1].ID
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				follow() // what committed last
				return
			default:
				if !follow() {
					return
				}
			}
		}
	}()
	errs := make(chan error, 2*rounds)
	var fns []func()
	for w, vendor := range []string{"onelogin", "cloudflare"} {
		fns = append(fns, func() {
			for r := range rounds {
				errs <- stores[w].PutUserRisks(ctx, vendor, peopleNow.Add(time.Duration(r)*time.Second), peopleRound(vendor, r, people))
			}
		})
	}
	peopleParallel(fns...)
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		peopleMust(t, err)
	}
	peopleMust(t, readErr)
	all := peopleHistory(t, stores[0])
	if len(all) != 2*rounds*people {
		t.Fatalf("%d history rows, want %d", len(all), 2*rounds*people)
	}
	if !reflect.DeepEqual(read, all) {
		t.Fatalf("the reader read %d rows, the history has %d: it skipped some", len(read), len(all))
	}
}

// Operators on two instances move one mark at once, in any order: it
// ends at the newest, with that look's people.
func testChangeMarkConcurrent(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	const marks, writers = 60, 6
	order := rand.New(rand.NewPCG(7, 7)).Perm(marks)
	errs := make(chan error, marks)
	var fns []func()
	for w := range writers {
		fns = append(fns, func() {
			for i := w; i < marks; i += writers {
				k := order[i]
				errs <- stores[w%2].SetChangeMark(ctx, "alice", model.SeenMark{At: peopleNow.Add(time.Duration(k) * time.Minute),
					People: map[string]model.Level{fmt.Sprintf("p%d@example.com", k): model.LevelHigh}})
			}
		})
	}
	peopleParallel(fns...)
	close(errs)
	for err := range errs {
		peopleMust(t, err)
	}
	m, err := stores[1].ChangeMark(ctx, "alice")
	want := model.SeenMark{At: peopleNow.Add((marks - 1) * time.Minute), People: map[string]model.Level{fmt.Sprintf("p%d@example.com", marks-1): model.LevelHigh}}
	if err != nil || !reflect.DeepEqual(m, want) {
		t.Fatalf("the mark %+v, %v; want %+v", m, err, want)
	}
}

// Two instances store events at once, some the same: the trend counts
// each event once. Needs PutEvents.
func testRollupsAcrossInstances(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	a := peopleEvents(21, 800, peopleNow.Add(-6*time.Hour), 6*time.Hour)
	b := peopleEvents(22, 800, peopleNow.Add(-6*time.Hour), 6*time.Hour)
	shared := peopleEvents(23, 200, peopleNow.Add(-3*time.Hour), 3*time.Hour)
	peoplePutEvents(t, stores[0], a[:1]) // skips the case where events are not ported
	var (
		mu       sync.Mutex
		inserted = 1
		errs     []error
	)
	put := func(s store.Store, evs []model.Event) func() {
		return func() {
			for len(evs) > 0 {
				n := min(len(evs), 50)
				k, err := s.PutEvents(ctx, evs[:n])
				mu.Lock()
				inserted += k
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				evs = evs[n:]
			}
		}
	}
	peopleParallel(put(stores[0], a[1:]), put(stores[1], b), put(stores[0], shared), put(stores[1], shared))
	for _, err := range errs {
		peopleMust(t, err)
	}
	if inserted != 1800 {
		t.Fatalf("%d inserted, want 1800", inserted)
	}
	tr, err := stores[1].Trends(ctx, store.TrendQuery{From: peopleNow.Add(-6 * time.Hour), To: peopleNow, Step: time.Hour})
	peopleMust(t, err)
	var want [model.Unscored + 1]int
	for _, evs := range [][]model.Event{a, b, shared} {
		for _, e := range evs {
			if e.Score < 0 {
				want[model.Unscored]++
			} else {
				want[model.BucketOf(e.Score)]++
			}
		}
	}
	if tr.Total != want {
		t.Fatalf("the trend counts %v, want %v", tr.Total, want)
	}
}
