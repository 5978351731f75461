package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// alertsCases are the alerts area's cases (the concurrent ones are in
// alerts_race.go).
var alertsCases = append([]Case{
	{"PutAlertsDedupesAndSequences", testPutAlertsDedupesAndSequences},
	{"SetAlertStateTransitions", testSetAlertStateTransitions},
	{"AlertsPagingAndPrune", testAlertsPagingAndPrune},
	{"AlertsByLastSeenPages", testAlertsByLastSeenPages},
	{"PutAlertsKeepsListsAndSeesOtherWriters", testPutAlertsKeepsListsAndSeesOtherWriters},
	{"PutAlertsHistoryDoesNotAbsorbNews", testPutAlertsHistoryDoesNotAbsorbNews},
	{"PutAlertsWritesOnlyChanges", testPutAlertsWritesOnlyChanges},
	{"PutAlertsFindsEveryKeyAfterARestart", testPutAlertsFindsEveryKeyAfterARestart},
	{"PutAlertsOddKeys", testPutAlertsOddKeys},
	{"PutAlertsOneKeyTwiceInABatch", testPutAlertsOneKeyTwiceInABatch},
	{"AlertsEmptyStoreAndLimits", testAlertsEmptyStoreAndLimits},
}, alertsRaceCases...)

// A finding starts an open alert; the same key updates it while it is
// live (through merge), and after it is resolved starts a new one. Every
// write takes the next sequence number, and AlertChanges returns each
// changed alert once, as it is now.
func testPutAlertsDedupesAndSequences(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	t0 := alertsNow
	first := burstFinding("203.0.113.0/24", 20, t0, t0.Add(time.Minute))
	got, err := s.PutAlerts(ctx, t0.Add(2*time.Minute), []model.Alert{first}, nil, map[string]string{"detect/events": "7"})
	alertsMust(t, err)
	a := got[0]
	if a.ID == 0 || a.State != model.AlertOpen || a.Seq != 1 || a.Count != 1 || a.Incident.Failures != 20 {
		t.Fatalf("new alert %+v", a)
	}
	if c := alertsCursor(t, s, "detect/events"); c != "7" {
		t.Errorf("cursor %q, want 7 (written with the alerts)", c)
	}
	stored, err := s.Alert(ctx, a.ID)
	alertsMust(t, err)
	if !reflect.DeepEqual(stored, a) {
		t.Fatalf("stored %+v\nreturned %+v", stored, a)
	}
	if len(stored.Evidence.Events) != 20 || stored.Evidence.EventsTotal != 20 || stored.Response.String() != "push_range high" {
		t.Errorf("evidence or response lost: %+v", stored)
	}

	// The burst goes on: same key, merged.
	more := burstFinding("203.0.113.0/24", 30, t0.Add(time.Minute), t0.Add(3*time.Minute))
	merge := func(live, f model.Alert) model.Alert {
		f.FirstSeen = live.FirstSeen
		f.Count = live.Count + 1
		return f
	}
	got, err = s.PutAlerts(ctx, t0.Add(4*time.Minute), []model.Alert{more}, merge, map[string]string{"detect/events": "8"})
	alertsMust(t, err)
	if b := got[0]; b.ID != a.ID || b.Seq != 2 || b.Count != 2 || !b.FirstSeen.Equal(t0) || b.Incident.Failures != 30 ||
		!b.Created.Equal(a.Created) || !b.Updated.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("updated alert %+v", b)
	}
	if c := alertsCursor(t, s, "detect/events"); c != "8" {
		t.Errorf("cursor %q, want 8 (moved with the alerts)", c)
	}
	// Acknowledging keeps it live: the next finding still updates it.
	acked, err := s.SetAlertState(ctx, a.ID, model.AlertAcknowledged, "alice", t0.Add(5*time.Minute))
	alertsMust(t, err)
	if acked.Seq != 3 || acked.AckedBy != "alice" || !acked.AckedAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("acked %+v", acked)
	}
	got, err = s.PutAlerts(ctx, t0.Add(6*time.Minute), []model.Alert{more}, nil, nil)
	alertsMust(t, err)
	if b := got[0]; b.ID != a.ID || b.State != model.AlertAcknowledged || b.AckedBy != "alice" || b.Seq != 4 {
		t.Fatalf("finding on an acknowledged alert: %+v", b)
	}
	// Resolved: the key starts a new alert.
	_, err = s.SetAlertState(ctx, a.ID, model.AlertResolved, "bob", t0.Add(7*time.Minute))
	alertsMust(t, err)
	got, err = s.PutAlerts(ctx, t0.Add(30*time.Minute), []model.Alert{first}, merge, nil)
	alertsMust(t, err)
	if c := got[0]; c.ID == a.ID || c.State != model.AlertOpen || c.Seq != 6 || c.Count != 1 {
		t.Fatalf("after resolving, %+v", c)
	}
	// Another key is another alert in the same transaction.
	other := burstFinding("198.51.100.0/24", 25, t0, t0)
	grown := burstFinding("203.0.113.0/24", 21, t0, t0.Add(2*time.Minute))
	got, err = s.PutAlerts(ctx, t0.Add(31*time.Minute), []model.Alert{other, grown}, nil, nil)
	alertsMust(t, err)
	if got[0].Seq != 7 || got[1].Seq != 8 || got[0].ID == got[1].ID {
		t.Fatalf("two findings: %+v", got)
	}

	changes, err := s.AlertChanges(ctx, 0, 100)
	alertsMust(t, err)
	var seqs []int64
	for _, c := range changes {
		seqs = append(seqs, c.Seq)
	}
	// The first alert's last change was its resolution (5); the new one's
	// 8 (its update) and the other range's 7.
	if !slices.Equal(seqs, []int64{5, 7, 8}) {
		t.Fatalf("changes %v", seqs)
	}
	if after, _ := s.AlertChanges(ctx, 7, 100); len(after) != 1 || after[0].Seq != 8 {
		t.Errorf("changes after 7: %+v", after)
	}
	if n, err := s.AlertSeq(ctx); err != nil || n != 8 {
		t.Errorf("alert seq %d, %v; want 8", n, err)
	}
	live, err := s.LiveAlerts(ctx, []string{"burst:203.0.113.0/24", "burst:192.0.2.0/24"})
	alertsMust(t, err)
	if len(live) != 1 || live["burst:203.0.113.0/24"].ID != got[1].ID {
		t.Errorf("live alerts %+v", live)
	}
	counts, err := s.CountAlerts(ctx)
	alertsMust(t, err)
	if counts[model.AlertOpen] != 2 || counts[model.AlertResolved] != 1 {
		t.Errorf("counts %v", counts)
	}
	if _, err := s.PutAlerts(ctx, t0, []model.Alert{{Rule: "x"}}, nil, nil); err == nil {
		t.Error("a finding without a key: no error")
	}
	if _, err := s.PutAlerts(ctx, t0, []model.Alert{{Key: "x"}}, nil, nil); err == nil {
		t.Error("a finding without a rule: no error")
	}
}

// Only open → acknowledged → resolved (or open → resolved) are allowed;
// each change records who and when.
func testSetAlertStateTransitions(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	t0 := alertsNow
	put := func(key string) model.Alert {
		f := burstFinding(key, 1, t0, t0)
		f.Key = key
		got, err := s.PutAlerts(ctx, t0, []model.Alert{f}, nil, nil)
		alertsMust(t, err)
		return got[0]
	}
	a := put("a")
	for _, tc := range []struct {
		to model.AlertState
		ok bool
	}{
		{model.AlertOpen, false},
		{model.AlertAcknowledged, true},
		{model.AlertAcknowledged, false},
		{model.AlertOpen, false},
		{model.AlertResolved, true},
		{model.AlertResolved, false},
		{model.AlertAcknowledged, false},
	} {
		_, err := s.SetAlertState(ctx, a.ID, tc.to, "carol", t0.Add(time.Minute))
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, store.ErrAlertState) {
			t.Errorf("to %s: %v", tc.to, err)
		}
	}
	got, err := s.Alert(ctx, a.ID)
	alertsMust(t, err)
	if got.State != model.AlertResolved || got.AckedBy != "carol" || got.ResolvedBy != "carol" ||
		!got.ResolvedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after transitions: %+v", got)
	}
	// Two changes, each its number; the refused ones took none.
	if n, err := s.AlertSeq(ctx); err != nil || n != got.Seq || n != a.Seq+2 {
		t.Errorf("alert seq %d, %v; want %d", n, err, a.Seq+2)
	}
	b := put("b")
	if r, err := s.SetAlertState(ctx, b.ID, model.AlertResolved, "dave", t0); err != nil || r.AckedBy != "" || r.ResolvedBy != "dave" {
		t.Errorf("open → resolved: %+v, %v", r, err)
	}
	if _, err := s.SetAlertState(ctx, 999, model.AlertResolved, "dave", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
}

// Alerts pages newest first by id, in the states asked, and prune
// removes only resolved alerts resolved before the bound.
func testAlertsPagingAndPrune(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	t0 := alertsNow
	var ids []int64
	for i := range 23 {
		f := burstFinding(fmt.Sprintf("k%d", i), 1, t0, t0)
		f.Key = f.Subject
		got, err := s.PutAlerts(ctx, t0, []model.Alert{f}, nil, nil)
		alertsMust(t, err)
		ids = append(ids, got[0].ID)
		if i%3 == 0 {
			_, err := s.SetAlertState(ctx, got[0].ID, model.AlertResolved, "x", t0.Add(time.Duration(i)*time.Hour))
			alertsMust(t, err)
		}
	}
	page := func(q store.AlertQuery) []int64 {
		var out []int64
		for {
			as, err := s.Alerts(ctx, q)
			alertsMust(t, err)
			for _, a := range as {
				out = append(out, a.ID)
			}
			if len(as) < q.Limit {
				return out
			}
			q.BeforeID = as[len(as)-1].ID
		}
	}
	all := slices.Clone(ids)
	slices.Reverse(all)
	if got := page(store.AlertQuery{Limit: 5}); !slices.Equal(got, all) {
		t.Errorf("all %v, want %v", got, all)
	}
	var open_ []int64
	for i, id := range all {
		if (len(all)-1-i)%3 != 0 {
			open_ = append(open_, id)
		}
	}
	if got := page(store.AlertQuery{States: []model.AlertState{model.AlertOpen, model.AlertAcknowledged}, Limit: 4}); !slices.Equal(got, open_) {
		t.Errorf("open %v, want %v", got, open_)
	}
	if _, err := s.Alerts(ctx, store.AlertQuery{Limit: 501}); err == nil {
		t.Error("page of 501: no error")
	}
	if _, err := s.Alerts(ctx, store.AlertQuery{Limit: -1}); err == nil {
		t.Error("page of -1: no error")
	}
	// Resolved at 0h, 3h, … 21h: those before 10h go.
	n, err := s.PruneAlerts(ctx, t0.Add(10*time.Hour))
	alertsMust(t, err)
	if n != 4 {
		t.Errorf("pruned %d, want 4", n)
	}
	counts, _ := s.CountAlerts(ctx)
	if counts[model.AlertResolved] != 4 || counts[model.AlertOpen] != 15 {
		t.Errorf("after prune %v", counts)
	}
	if _, err := s.Alert(ctx, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a pruned alert: %v", err)
	}
}

// Alerts by last seen (the Alerts tab's order) page through every alert
// once, newest evidence first, ties by id.
func testAlertsByLastSeenPages(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	var fs []model.Alert
	for i := 0; i < 25; i++ {
		at := t0.Add(-time.Duration((i*7)%10) * time.Minute) // ties, out of id order
		fs = append(fs, model.Alert{Rule: "score", Kind: model.KindHighScore, Severity: model.LevelHigh, Key: fmt.Sprint("k", i),
			Title: "t", Subject: "s", FirstSeen: at, LastSeen: at, Count: 1})
	}
	_, err := s.PutAlerts(ctx, t0, fs, nil, nil)
	alertsMust(t, err)
	var got []model.Alert
	q := store.AlertQuery{ByLastSeen: true, Limit: 4}
	for {
		page, err := s.Alerts(ctx, q)
		alertsMust(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		last := page[len(page)-1]
		q.BeforeID, q.BeforeLast = last.ID, last.LastSeen
	}
	if len(got) != 25 {
		t.Fatalf("%d alerts paged, want 25", len(got))
	}
	for i := 1; i < len(got); i++ {
		p, c := got[i-1], got[i]
		if c.LastSeen.After(p.LastSeen) || c.LastSeen.Equal(p.LastSeen) && c.ID > p.ID {
			t.Fatalf("out of order at %d: #%d %v after #%d %v", i, c.ID, c.LastSeen, p.ID, p.LastSeen)
		}
	}
}

// An update whose lists did not change keeps them and still moves the
// totals; a change made by someone else (here an acknowledgement through
// a second store on the same data) is read back, not overwritten from
// the cache.
func testPutAlertsKeepsListsAndSeesOtherWriters(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	s := f.Store
	ctx := context.Background()
	fd := burstFinding("203.0.113.0/24", 3, alertsNow, alertsNow)
	got, err := s.PutAlerts(ctx, alertsNow, []model.Alert{fd}, nil, nil)
	alertsMust(t, err)
	fd.Evidence.EventsTotal, fd.Evidence.PeopleTotal = 900, 7
	_, err = s.PutAlerts(ctx, alertsNow, []model.Alert{fd}, nil, nil)
	alertsMust(t, err)
	a, err := s.Alert(ctx, got[0].ID)
	alertsMust(t, err)
	if len(a.Evidence.Events) != 3 || a.Evidence.EventsTotal != 900 || a.Evidence.PeopleTotal != 7 || a.Evidence.People[0] != "zoe@example.com" {
		t.Fatalf("evidence %+v", a.Evidence)
	}
	other := f.Second(t)
	_, err = other.SetAlertState(ctx, a.ID, model.AlertAcknowledged, "bob", alertsNow)
	alertsMust(t, err)
	merged := 0
	fd.Evidence.EventsTotal = 901 // a change: an unchanged alert is not written
	got, err = s.PutAlerts(ctx, alertsNow, []model.Alert{fd}, func(live, f model.Alert) model.Alert {
		merged++
		if live.State != model.AlertAcknowledged || live.AckedBy != "bob" {
			t.Errorf("merge saw %+v", live)
		}
		return f
	}, nil)
	alertsMust(t, err)
	if merged != 1 || got[0].State != model.AlertAcknowledged || got[0].AckedBy != "bob" {
		t.Fatalf("after another writer: %+v", got[0])
	}
	// Resolved elsewhere: the next finding starts a new alert.
	_, err = other.SetAlertState(ctx, a.ID, model.AlertResolved, "bob", alertsNow)
	alertsMust(t, err)
	got, err = s.PutAlerts(ctx, alertsNow, []model.Alert{fd}, nil, nil)
	alertsMust(t, err)
	if got[0].ID == a.ID || got[0].State != model.AlertOpen {
		t.Fatalf("after a resolution elsewhere: %+v", got[0])
	}
	// Pruned elsewhere (resolved first): the cache does not bring it back.
	_, err = other.SetAlertState(ctx, got[0].ID, model.AlertResolved, "bob", alertsNow)
	alertsMust(t, err)
	if n, err := other.PruneAlerts(ctx, alertsNow.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	again, err := s.PutAlerts(ctx, alertsNow, []model.Alert{fd}, nil, nil)
	alertsMust(t, err)
	if again[0].ID == got[0].ID || again[0].State != model.AlertOpen {
		t.Fatalf("after a prune elsewhere: %+v", again[0])
	}
	if live, _ := s.LiveAlerts(ctx, nil); len(live) != 1 || live[fd.Key].ID != again[0].ID {
		t.Fatalf("live after a prune elsewhere: %+v", live)
	}
}

// A fresh finding on a back-filled alert resolves it and starts its own
// alert; a back-filled finding on a fresh alert merges as usual.
func testPutAlertsHistoryDoesNotAbsorbNews(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	old := burstFinding("203.0.113.0/24", 5, alertsNow.Add(-6*time.Hour), alertsNow.Add(-6*time.Hour))
	old.Backfilled = true
	got, err := s.PutAlerts(ctx, alertsNow, []model.Alert{old}, nil, nil)
	alertsMust(t, err)
	first := got[0]
	fresh := burstFinding("203.0.113.0/24", 30, alertsNow, alertsNow)
	got, err = s.PutAlerts(ctx, alertsNow, []model.Alert{fresh}, nil, nil)
	alertsMust(t, err)
	if len(got) != 2 || got[0].ID != first.ID || got[0].State != model.AlertResolved || got[0].ResolvedBy != store.SystemActor ||
		got[1].ID == first.ID || got[1].State != model.AlertOpen || got[1].Backfilled || got[1].Seq != got[0].Seq+1 {
		t.Fatalf("got %+v", got)
	}
	for _, a := range got {
		stored, err := s.Alert(ctx, a.ID)
		alertsMust(t, err)
		if !reflect.DeepEqual(stored, a) {
			t.Fatalf("stored %+v\nreturned %+v", stored, a)
		}
	}
	live := got[1]
	got, err = s.PutAlerts(ctx, alertsNow, []model.Alert{old}, nil, nil)
	alertsMust(t, err)
	if len(got) != 1 || got[0].ID != live.ID || got[0].State != model.AlertOpen {
		t.Fatalf("history onto news: %+v", got)
	}
}

// An update that changes nothing the operator sees is not written and
// takes no sequence number; one that moves only the times, count or
// evidence writes those, and one that changes the rest writes it all:
// each stored as returned.
func testPutAlertsWritesOnlyChanges(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	t0 := alertsNow.Add(123456) // below the millisecond: stored without it
	f := burstFinding("203.0.113.0/24", 20, t0, t0.Add(time.Minute))
	put := func(at time.Time, f model.Alert) []model.Alert {
		t.Helper()
		got, err := s.PutAlerts(ctx, at, []model.Alert{f}, nil, nil)
		alertsMust(t, err)
		for _, a := range got {
			stored, err := s.Alert(ctx, a.ID)
			alertsMust(t, err)
			if !reflect.DeepEqual(stored, a) {
				t.Fatalf("stored %+v\nreturned %+v", stored, a)
			}
		}
		return got
	}
	a := put(t0, f)[0]
	if got := put(t0.Add(time.Minute), f); len(got) != 0 {
		t.Fatalf("the same finding again was written: %+v", got)
	}
	if n, _ := s.AlertSeq(ctx); n != a.Seq {
		t.Fatalf("alert seq %d after an unchanged finding, want %d", n, a.Seq)
	}
	// Only the end and the count move (the lists stay): the short update.
	f.LastSeen, f.Count = t0.Add(2*time.Minute), 2
	b := put(t0.Add(2*time.Minute), f)
	if len(b) != 1 || b[0].Seq != a.Seq+1 || b[0].Count != 2 || !b[0].Updated.Equal(alertsNow.Add(2*time.Minute)) {
		t.Fatalf("count update %+v", b)
	}
	// The evidence grows.
	f.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: "late"})
	if c := put(t0.Add(3*time.Minute), f); len(c) != 1 || c[0].Evidence.EventsTotal != 21 {
		t.Fatalf("evidence update %+v", c)
	}
	// The incident and severity change: everything is written.
	f.Severity, f.Incident.Failures = model.LevelCritical, 99
	if d := put(t0.Add(4*time.Minute), f); len(d) != 1 || d[0].Severity != model.LevelCritical || d[0].Incident.Failures != 99 {
		t.Fatalf("full update %+v", d)
	}
	// Repeated: nothing again.
	if got := put(t0.Add(5*time.Minute), f); len(got) != 0 {
		t.Fatalf("unchanged again: %+v", got)
	}
	// The head changes but the lists do not.
	f.Title = "Renamed"
	if e := put(t0.Add(6*time.Minute), f); len(e) != 1 || e[0].Title != "Renamed" || len(e[0].Evidence.Events) != 21 {
		t.Fatalf("head update %+v", e)
	}
}

// A store that starts afresh (no cache) finds the live alerts of a
// batch's keys and updates them rather than inserting them twice.
func testPutAlertsFindsEveryKeyAfterARestart(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	ctx := context.Background()
	a := burstFinding("203.0.113.0/24", 3, alertsNow, alertsNow)
	b := burstFinding("198.51.100.0/24", 3, alertsNow, alertsNow)
	first, err := f.Store.PutAlerts(ctx, alertsNow, []model.Alert{a, b}, nil, map[string]string{"detect/events": "1"})
	alertsMust(t, err)
	s := f.Reopen(t)
	if c := alertsCursor(t, s, "detect/events"); c != "1" {
		t.Errorf("cursor %q after a restart, want 1", c)
	}
	a.Count, b.Count = 2, 2
	got, err := s.PutAlerts(ctx, alertsNow, []model.Alert{b, a}, nil, nil)
	alertsMust(t, err)
	if len(got) != 2 || got[0].ID != first[1].ID || got[1].ID != first[0].ID || got[0].Count != 2 || got[1].Count != 2 {
		t.Fatalf("after a restart: %+v\nfirst %+v", got, first)
	}
	if counts, _ := s.CountAlerts(ctx); counts[model.AlertOpen] != 2 || len(counts) != 1 {
		t.Errorf("counts %v", counts)
	}
}

// A key that is not valid UTF-8 (a batched read could spell it
// otherwise) is kept exactly on SQLite — found again after a restart and
// updated rather than inserted twice; PostgreSQL's TEXT cannot hold it,
// and the whole batch is refused: never stored altered.
func testPutAlertsOddKeys(t *testing.T, open Opener) {
	f := openAlerts(t, open)
	ctx := context.Background()
	odd := burstFinding("203.0.113.0/24", 3, alertsNow, alertsNow)
	odd.Key = "burst:\xff203.0.113.0/24"
	plain := burstFinding("198.51.100.0/24", 3, alertsNow, alertsNow)
	first, err := f.Store.PutAlerts(ctx, alertsNow, []model.Alert{odd, plain}, nil, nil)
	if err != nil {
		if _, pg := f.Store.(alertsPooled); !pg {
			t.Fatalf("refused by a store that keeps any bytes: %v", err)
		}
		// Refused (PostgreSQL): nothing of the batch is stored, and the
		// store goes on.
		if n, _ := f.Store.AlertSeq(ctx); n != 0 {
			t.Errorf("alert seq %d after a refused batch", n)
		}
		if live, err := f.Store.LiveAlerts(ctx, []string{odd.Key, plain.Key}); err != nil || len(live) != 0 {
			t.Errorf("live after a refused batch: %v, %v", live, err)
		}
		if _, err := f.Store.PutAlerts(ctx, alertsNow, []model.Alert{plain}, nil, nil); err != nil {
			t.Errorf("after a refused batch: %v", err)
		}
		return
	}
	if first[0].Key != odd.Key {
		t.Fatalf("key stored as %q", first[0].Key)
	}
	s := f.Reopen(t) // no cache: it reads every key
	odd.Count, plain.Count = 2, 2
	got, err := s.PutAlerts(ctx, alertsNow, []model.Alert{odd, plain}, nil, nil)
	alertsMust(t, err)
	if len(got) != 2 || got[0].ID != first[0].ID || got[1].ID != first[1].ID || got[0].Count != 2 {
		t.Fatalf("after a restart: %+v\nfirst %+v", got, first)
	}
	if live, err := s.LiveAlerts(ctx, []string{odd.Key}); err != nil || live[odd.Key].ID != first[0].ID {
		t.Errorf("live %v, %v", live, err)
	}
}

// One batch may hold a key twice, and a back-filled finding then a fresh
// one of a key: the second sees what the first wrote.
func testPutAlertsOneKeyTwiceInABatch(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	a := burstFinding("203.0.113.0/24", 3, alertsNow, alertsNow)
	a2 := a
	a2.Count, a2.LastSeen = 2, alertsNow.Add(time.Minute)
	old := burstFinding("198.51.100.0/24", 3, alertsNow.Add(-time.Hour), alertsNow.Add(-time.Hour))
	old.Backfilled = true
	fresh := burstFinding("198.51.100.0/24", 4, alertsNow, alertsNow)
	got, err := s.PutAlerts(ctx, alertsNow, []model.Alert{a, old, a2, fresh}, nil, nil)
	alertsMust(t, err)
	// a (insert), old (insert), a2 (update of a), old resolved, fresh (insert).
	if len(got) != 5 || got[0].ID != got[2].ID || got[1].ID != got[3].ID || got[3].State != model.AlertResolved ||
		got[4].ID == got[1].ID || got[4].State != model.AlertOpen || got[2].Count != 2 {
		t.Fatalf("got %+v", got)
	}
	for i, g := range got {
		if g.Seq != int64(i+1) {
			t.Errorf("write %d has seq %d", i, g.Seq)
		}
	}
	if !(got[0].ID < got[1].ID && got[1].ID < got[4].ID) {
		t.Errorf("ids not in insert order: %d %d %d", got[0].ID, got[1].ID, got[4].ID)
	}
	for _, i := range []int{2, 3, 4} { // each alert's last write
		stored, err := s.Alert(ctx, got[i].ID)
		alertsMust(t, err)
		if !reflect.DeepEqual(stored, got[i]) {
			t.Errorf("stored %+v\nreturned %+v", stored, got[i])
		}
	}
	ch, err := s.AlertChanges(ctx, 0, 0)
	alertsMust(t, err)
	if len(ch) != 3 || ch[0].Seq != 3 || ch[1].Seq != 4 || ch[2].Seq != 5 {
		t.Errorf("changes %+v", ch)
	}

	// Stored alerts: one updated twice, one updated then superseded.
	aID := got[2].ID
	hist := burstFinding("192.0.2.0/24", 3, alertsNow.Add(-time.Hour), alertsNow.Add(-time.Hour))
	hist.Backfilled = true
	h, err := s.PutAlerts(ctx, alertsNow, []model.Alert{hist}, nil, nil)
	alertsMust(t, err)
	a3, a4, hist2 := a, a, hist
	a3.Count, a4.Count, hist2.Count = 3, 4, 2
	a4.Evidence.AddEvent(model.EventRef{Vendor: "okta", ID: "x"})
	freshH := burstFinding("192.0.2.0/24", 9, alertsNow, alertsNow)
	got, err = s.PutAlerts(ctx, alertsNow.Add(time.Minute), []model.Alert{a3, hist2, a4, freshH}, nil, nil)
	alertsMust(t, err)
	if len(got) != 5 || got[0].ID != aID || got[2].ID != aID || got[1].ID != h[0].ID || got[3].ID != h[0].ID ||
		got[3].State != model.AlertResolved || got[3].Count != 2 || got[4].ID <= h[0].ID || got[2].Count != 4 {
		t.Fatalf("second batch %+v", got)
	}
	for i, g := range got {
		if g.Seq != h[0].Seq+int64(i+1) {
			t.Errorf("write %d has seq %d", i, g.Seq)
		}
	}
	for _, i := range []int{2, 3, 4} {
		stored, err := s.Alert(ctx, got[i].ID)
		alertsMust(t, err)
		if !reflect.DeepEqual(stored, got[i]) {
			t.Errorf("stored %+v\nreturned %+v", stored, got[i])
		}
	}
}

// An empty store answers plainly; limits are bounded.
func testAlertsEmptyStoreAndLimits(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	if n, err := s.AlertSeq(ctx); err != nil || n != 0 {
		t.Errorf("alert seq %d, %v", n, err)
	}
	if _, err := s.Alert(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alert 1: %v", err)
	}
	for _, keys := range [][]string{nil, {}, {"x"}} {
		if live, err := s.LiveAlerts(ctx, keys); err != nil || live == nil || len(live) != 0 {
			t.Errorf("live alerts of %q: %v, %v", keys, live, err)
		}
	}
	if as, err := s.Alerts(ctx, store.AlertQuery{}); err != nil || len(as) != 0 {
		t.Errorf("alerts %v, %v", as, err)
	}
	if c, err := s.CountAlerts(ctx); err != nil || len(c) != 0 {
		t.Errorf("counts %v, %v", c, err)
	}
	if n, err := s.PruneAlerts(ctx, alertsNow); err != nil || n != 0 {
		t.Errorf("prune %d, %v", n, err)
	}
	if got, err := s.PutAlerts(ctx, alertsNow, nil, nil, nil); err != nil || len(got) != 0 {
		t.Errorf("no findings: %v, %v", got, err)
	}
	// Cursors alone are written, and take no number.
	if got, err := s.PutAlerts(ctx, alertsNow, nil, nil, map[string]string{"detect/events": "3", "detect/history": "4"}); err != nil || len(got) != 0 {
		t.Errorf("cursors alone: %v, %v", got, err)
	}
	if c, h := alertsCursor(t, s, "detect/events"), alertsCursor(t, s, "detect/history"); c != "3" || h != "4" {
		t.Errorf("cursors %q %q, want 3 4", c, h)
	}
	if n, err := s.AlertSeq(ctx); err != nil || n != 0 {
		t.Errorf("alert seq %d, %v after cursors alone", n, err)
	}
	// 60 alerts: a page is 50 by default, changes are bounded to 500
	// whatever the limit asked.
	var fs []model.Alert
	for i := range 60 {
		f := burstFinding(fmt.Sprint("10.0.", i, ".0/24"), 1, alertsNow, alertsNow)
		fs = append(fs, f)
	}
	_, err := s.PutAlerts(ctx, alertsNow, fs, nil, nil)
	alertsMust(t, err)
	if as, err := s.Alerts(ctx, store.AlertQuery{}); err != nil || len(as) != store.DefaultPageSize {
		t.Errorf("default page: %d, %v", len(as), err)
	}
	for _, limit := range []int{-1, 0, 501} {
		if ch, err := s.AlertChanges(ctx, 0, limit); err != nil || len(ch) != 60 {
			t.Errorf("changes, limit %d: %d, %v", limit, len(ch), err)
		}
	}
	if ch, err := s.AlertChanges(ctx, 10, 5); err != nil || len(ch) != 5 || ch[0].Seq != 11 {
		t.Errorf("changes after 10, limit 5: %+v, %v", ch, err)
	}
	if live, err := s.LiveAlerts(ctx, nil); err != nil || len(live) != 60 {
		t.Errorf("all live: %d, %v", len(live), err)
	}
}
