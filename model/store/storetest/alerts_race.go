package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// alertsRaceCases are two stores on one database writing alerts at once
// (issue 17: a dashboard acknowledges while the engine writes; a leader
// change overlaps two engines).
var alertsRaceCases = []Case{
	{"AlertChangesInCommitOrder", testAlertChangesInCommitOrder},
	{"PutAlertsSameKeyTwoStores", testPutAlertsSameKeyTwoStores},
	{"SetAlertStateRacesPutAlerts", testSetAlertStateRacesPutAlerts},
	{"SetAlertStateTwiceTwoStores", testSetAlertStateTwiceTwoStores},
	{"PruneAlertsTwoStores", testPruneAlertsTwoStores},
}

// Two stores put findings (some keys shared) and resolve alerts while a
// reader follows AlertChanges: every write takes its own number, the
// numbers are 1…N with none lost, and the reader, keeping the last seq it
// got, ends with every alert's final change (a number handed out before
// another but committed after it would be skipped).
func testAlertChangesInCommitOrder(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	const rounds = 30

	var (
		mu   sync.Mutex
		seqs []int64 // every number a write returned
	)
	took := func(ss ...int64) {
		mu.Lock()
		seqs = append(seqs, ss...)
		mu.Unlock()
	}
	writer := func(w int, s store.Store) error {
		for r := range rounds {
			shared := burstFinding(fmt.Sprintf("10.0.%d.0/24", r%4), 1, alertsNow, alertsNow)
			shared.Count = 1 + r*2 + w // every put changes it
			own := burstFinding(fmt.Sprintf("10.%d.%d.0/24", w+1, r%3), 1, alertsNow, alertsNow)
			own.Count = 1 + r
			got, err := s.PutAlerts(ctx, alertsNow, []model.Alert{shared, own}, nil, nil)
			if err != nil {
				return err
			}
			for _, a := range got {
				took(a.Seq)
			}
			if r%5 == w {
				a, err := s.SetAlertState(ctx, got[0].ID, model.AlertResolved, fmt.Sprint("op", w), alertsNow)
				switch {
				case err == nil:
					took(a.Seq)
				case !errors.Is(err, store.ErrAlertState): // the other resolved it first
					return err
				}
			}
		}
		return nil
	}

	seen := map[int64]int64{} // alert id → the last seq the reader got
	var after int64
	read := func() (int, error) {
		ch, err := f.Store.AlertChanges(ctx, after, 7)
		if err != nil {
			return 0, err
		}
		for _, a := range ch {
			if a.Seq <= after {
				return 0, fmt.Errorf("change %d after %d", a.Seq, after)
			}
			seen[a.ID], after = a.Seq, a.Seq
		}
		return len(ch), nil
	}
	done := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-done:
				readErr <- nil
				return
			default:
			}
			if _, err := read(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for w, s := range stores {
		wg.Go(func() { errs[w] = writer(w, s) })
	}
	wg.Wait()
	close(done)
	alertsMust(t, <-readErr)
	alertsMust(t, errors.Join(errs...))
	for {
		n, err := read()
		alertsMust(t, err)
		if n == 0 {
			break
		}
	}

	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("numbers taken %v: want 1…%d, each once", seqs, len(seqs))
		}
	}
	if n, err := f.Store.AlertSeq(ctx); err != nil || n != int64(len(seqs)) {
		t.Fatalf("alert seq %d, %v; %d numbers taken", n, err, len(seqs))
	}
	final := map[int64]int64{}
	ch, err := f.Store.AlertChanges(ctx, 0, store.MaxPageSize)
	alertsMust(t, err)
	for _, a := range ch {
		final[a.ID] = a.Seq
	}
	if len(ch) == store.MaxPageSize {
		t.Fatal("more changes than a page: make the case smaller")
	}
	for id, seq := range final {
		if seen[id] != seq {
			t.Errorf("alert %d: the reader's last change is %d, the alert's %d (skipped)", id, seen[id], seq)
		}
	}
	if len(seen) != len(final) {
		t.Errorf("reader saw %d alerts, the store has %d", len(seen), len(final))
	}
}

// Two stores put the same new keys at the same moment: one live alert
// per key, which both return (one inserted it, the other updated it).
func testPutAlertsSameKeyTwoStores(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	const rounds = 20
	for r := range rounds {
		start := make(chan struct{})
		got := make([][]model.Alert, len(stores))
		errs := make([]error, len(stores))
		var wg sync.WaitGroup
		for w, s := range stores {
			fd := burstFinding(fmt.Sprintf("10.0.%d.0/24", r), 1, alertsNow, alertsNow)
			fd.Count = 1 + w // each differs: the later one is an update
			wg.Go(func() {
				<-start
				got[w], errs[w] = s.PutAlerts(ctx, alertsNow, []model.Alert{fd}, nil, nil)
			})
		}
		close(start)
		wg.Wait()
		alertsMust(t, errors.Join(errs...))
		if len(got[0]) != 1 || len(got[1]) != 1 || got[0][0].ID != got[1][0].ID {
			t.Fatalf("round %d: %+v\n%+v", r, got[0], got[1])
		}
	}
	live, err := f.Store.LiveAlerts(ctx, nil)
	alertsMust(t, err)
	counts, err := f.Store.CountAlerts(ctx)
	alertsMust(t, err)
	if len(live) != rounds || counts[model.AlertOpen] != rounds || len(counts) != 1 {
		t.Fatalf("%d live, counts %v; want %d open", len(live), counts, rounds)
	}
}

// An engine updates alerts while an operator, on another store,
// acknowledges them all and resolves some: the acknowledgements stay, the
// engine's counts stay, nothing writes a resolved alert after its
// resolution, and the engine's cache notices every change.
func testSetAlertStateRacesPutAlerts(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	engine, operator := f.Store, f.Second(t)
	ctx := context.Background()
	const (
		n      = 8
		rounds = 15
	)
	findings := func(count int) []model.Alert {
		var fs []model.Alert
		for i := range n {
			fd := burstFinding(fmt.Sprintf("10.0.%d.0/24", i), 1, alertsNow, alertsNow)
			fd.Count = count
			fs = append(fs, fd)
		}
		return fs
	}
	first, err := engine.PutAlerts(ctx, alertsNow, findings(1), nil, nil)
	alertsMust(t, err)

	resolved := map[int64]model.Alert{} // the operator's resolutions, by id
	var wg sync.WaitGroup
	var engineErr, operatorErr error
	wg.Go(func() {
		for r := range rounds {
			if _, err := engine.PutAlerts(ctx, alertsNow, findings(2+r), nil, nil); err != nil {
				engineErr = err
				return
			}
		}
	})
	wg.Go(func() {
		for i, a := range first {
			if _, err := operator.SetAlertState(ctx, a.ID, model.AlertAcknowledged, "bob", alertsNow); err != nil {
				operatorErr = err
				return
			}
			if i%2 == 0 {
				res, err := operator.SetAlertState(ctx, a.ID, model.AlertResolved, "bob", alertsNow)
				if err != nil {
					operatorErr = err
					return
				}
				resolved[a.ID] = res
			}
		}
	})
	wg.Wait()
	alertsMust(t, errors.Join(engineErr, operatorErr))

	for _, a := range first {
		stored, err := engine.Alert(ctx, a.ID)
		alertsMust(t, err)
		if stored.AckedBy != "bob" {
			t.Errorf("alert %d lost its acknowledgement: %+v", a.ID, stored)
		}
		if res, ok := resolved[a.ID]; ok {
			if stored.State != model.AlertResolved || stored.Seq != res.Seq || stored.ResolvedBy != "bob" {
				t.Errorf("alert %d written after its resolution (seq %d): %+v", a.ID, res.Seq, stored)
			}
		} else if stored.State != model.AlertAcknowledged || stored.Count != 1+rounds {
			t.Errorf("alert %d: %+v; want acknowledged, count %d", a.ID, stored, 1+rounds)
		}
	}
	// The engine's next put sees every change (not its cache's copy): the
	// acknowledged alerts as acknowledged, the resolved ones not at all.
	mergedAcked := 0
	_, err = engine.PutAlerts(ctx, alertsNow, findings(100), func(live, f model.Alert) model.Alert {
		if _, ok := resolved[live.ID]; ok {
			t.Errorf("merged into resolved alert %d", live.ID)
		}
		if slices.ContainsFunc(first, func(a model.Alert) bool { return a.ID == live.ID }) {
			mergedAcked++
			if live.State != model.AlertAcknowledged || live.AckedBy != "bob" {
				t.Errorf("merge saw %+v", live)
			}
		}
		return f
	}, nil)
	alertsMust(t, err)
	if want := n - len(resolved); mergedAcked != want {
		t.Errorf("merged into %d acknowledged alerts, want %d", mergedAcked, want)
	}
	live, err := engine.LiveAlerts(ctx, nil)
	alertsMust(t, err)
	if len(live) != n {
		t.Errorf("%d live alerts, want %d", len(live), n)
	}
	for _, a := range live {
		if a.Count != 100 {
			t.Errorf("live %+v: want count 100", a)
		}
	}
}

// Two operators on two stores acknowledge (then resolve) the same alerts
// at once: each change is made once, the other is refused with
// ErrAlertState.
func testSetAlertStateTwiceTwoStores(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	var fs []model.Alert
	for i := range 10 {
		fs = append(fs, burstFinding(fmt.Sprintf("10.0.%d.0/24", i), 1, alertsNow, alertsNow))
	}
	alerts, err := f.Store.PutAlerts(ctx, alertsNow, fs, nil, nil)
	alertsMust(t, err)
	for _, to := range []model.AlertState{model.AlertAcknowledged, model.AlertResolved} {
		for _, a := range alerts {
			start := make(chan struct{})
			var (
				wg   sync.WaitGroup
				errs = make([]error, len(stores))
				got  = make([]model.Alert, len(stores))
			)
			for w, s := range stores {
				wg.Go(func() {
					<-start
					got[w], errs[w] = s.SetAlertState(ctx, a.ID, to, fmt.Sprint("op", w), alertsNow.Add(time.Minute))
				})
			}
			close(start)
			wg.Wait()
			okCount := 0
			for w, err := range errs {
				switch {
				case err == nil:
					okCount++
					stored, err := f.Store.Alert(ctx, a.ID)
					alertsMust(t, err)
					if stored.State != to || stored.Seq != got[w].Seq {
						t.Errorf("stored %+v, returned %+v", stored, got[w])
					}
				case !errors.Is(err, store.ErrAlertState):
					t.Fatalf("alert %d to %s: %v", a.ID, to, err)
				}
			}
			if okCount != 1 {
				t.Fatalf("alert %d to %s: %d changes made, want 1 (%v)", a.ID, to, okCount, errs)
			}
		}
	}
	if n, err := f.Store.AlertSeq(ctx); err != nil || n != int64(3*len(alerts)) {
		t.Errorf("alert seq %d, %v; want %d", n, err, 3*len(alerts))
	}
}

// Two stores prune at once: each resolved alert goes once, counted by
// one of them; live alerts stay.
func testPruneAlertsTwoStores(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	var fs []model.Alert
	for i := range 40 {
		fs = append(fs, burstFinding(fmt.Sprintf("10.0.%d.0/24", i), 1, alertsNow, alertsNow))
	}
	alerts, err := f.Store.PutAlerts(ctx, alertsNow, fs, nil, nil)
	alertsMust(t, err)
	for _, a := range alerts[:30] {
		_, err := f.Store.SetAlertState(ctx, a.ID, model.AlertResolved, "x", alertsNow)
		alertsMust(t, err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	pruned := make([]int, len(stores))
	errs := make([]error, len(stores))
	for w, s := range stores {
		wg.Go(func() {
			<-start
			pruned[w], errs[w] = s.PruneAlerts(ctx, alertsNow.Add(time.Minute))
		})
	}
	close(start)
	wg.Wait()
	alertsMust(t, errors.Join(errs...))
	if pruned[0]+pruned[1] != 30 {
		t.Errorf("pruned %v, want 30 in all", pruned)
	}
	counts, err := f.Store.CountAlerts(ctx)
	alertsMust(t, err)
	if counts[model.AlertOpen] != 10 || len(counts) != 1 {
		t.Errorf("counts %v after pruning", counts)
	}
}
