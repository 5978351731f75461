package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func burstFinding(rng string, failures int, from, to time.Time) model.Alert {
	f := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: model.LevelHigh,
		Key: "burst:" + rng, Title: "Burst of failed sign-ins from " + rng, Subject: rng,
		FirstSeen: from, LastSeen: to, Count: 1,
		Incident: &model.Incident{Range: rng, Addresses: 3, People: 2, Failures: failures, From: from, To: to},
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
	for i := range failures {
		f.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: fmt.Sprint(i)})
	}
	f.Evidence.AddAddress("203.0.113.10")
	f.Evidence.AddPerson("zoe@example.com")
	return f
}

// A finding starts an open alert; the same key updates it while it is
// live (through merge), and after it is resolved starts a new one. Every
// write takes the next sequence number, and AlertChanges returns each
// changed alert once, as it is now.
func TestPutAlertsDedupesAndSequences(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	first := burstFinding("203.0.113.0/24", 20, t0, t0.Add(time.Minute))
	got, err := s.PutAlerts(ctx, t0.Add(2*time.Minute), []model.Alert{first}, nil, map[string]string{"detect/events": "7"})
	must(t, err)
	a := got[0]
	if a.ID == 0 || a.State != model.AlertOpen || a.Seq != 1 || a.Count != 1 || a.Incident.Failures != 20 {
		t.Fatalf("new alert %+v", a)
	}
	if c, _ := s.Cursor(ctx, "detect/events"); c != "7" {
		t.Errorf("cursor %q, want 7 (written with the alerts)", c)
	}
	stored, err := s.Alert(ctx, a.ID)
	must(t, err)
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
	got, err = s.PutAlerts(ctx, t0.Add(4*time.Minute), []model.Alert{more}, merge, nil)
	must(t, err)
	if b := got[0]; b.ID != a.ID || b.Seq != 2 || b.Count != 2 || !b.FirstSeen.Equal(t0) || b.Incident.Failures != 30 ||
		!b.Created.Equal(a.Created) || !b.Updated.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("updated alert %+v", b)
	}
	// Acknowledging keeps it live: the next finding still updates it.
	acked, err := s.SetAlertState(ctx, a.ID, model.AlertAcknowledged, "alice", t0.Add(5*time.Minute))
	must(t, err)
	if acked.Seq != 3 || acked.AckedBy != "alice" || !acked.AckedAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("acked %+v", acked)
	}
	got, err = s.PutAlerts(ctx, t0.Add(6*time.Minute), []model.Alert{more}, nil, nil)
	must(t, err)
	if b := got[0]; b.ID != a.ID || b.State != model.AlertAcknowledged || b.AckedBy != "alice" || b.Seq != 4 {
		t.Fatalf("finding on an acknowledged alert: %+v", b)
	}
	// Resolved: the key starts a new alert.
	_, err = s.SetAlertState(ctx, a.ID, model.AlertResolved, "bob", t0.Add(7*time.Minute))
	must(t, err)
	got, err = s.PutAlerts(ctx, t0.Add(30*time.Minute), []model.Alert{first}, merge, nil)
	must(t, err)
	if c := got[0]; c.ID == a.ID || c.State != model.AlertOpen || c.Seq != 6 || c.Count != 1 {
		t.Fatalf("after resolving, %+v", c)
	}
	// Another key is another alert in the same transaction.
	other := burstFinding("198.51.100.0/24", 25, t0, t0)
	grown := burstFinding("203.0.113.0/24", 21, t0, t0.Add(2*time.Minute))
	got, err = s.PutAlerts(ctx, t0.Add(31*time.Minute), []model.Alert{other, grown}, nil, nil)
	must(t, err)
	if got[0].Seq != 7 || got[1].Seq != 8 || got[0].ID == got[1].ID {
		t.Fatalf("two findings: %+v", got)
	}

	changes, err := s.AlertChanges(ctx, 0, 100)
	must(t, err)
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
	must(t, err)
	if len(live) != 1 || live["burst:203.0.113.0/24"].ID != got[1].ID {
		t.Errorf("live alerts %+v", live)
	}
	counts, err := s.CountAlerts(ctx)
	must(t, err)
	if counts[model.AlertOpen] != 2 || counts[model.AlertResolved] != 1 {
		t.Errorf("counts %v", counts)
	}
	if _, err := s.PutAlerts(ctx, t0, []model.Alert{{Rule: "x"}}, nil, nil); err == nil {
		t.Error("a finding without a key: no error")
	}
}

// Only open → acknowledged → resolved (or open → resolved) are allowed;
// each change records who and when.
func TestSetAlertStateTransitions(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	put := func(key string) model.Alert {
		f := burstFinding(key, 1, t0, t0)
		f.Key = key
		got, err := s.PutAlerts(ctx, t0, []model.Alert{f}, nil, nil)
		must(t, err)
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
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrAlertState) {
			t.Errorf("to %s: %v", tc.to, err)
		}
	}
	got, err := s.Alert(ctx, a.ID)
	must(t, err)
	if got.State != model.AlertResolved || got.AckedBy != "carol" || got.ResolvedBy != "carol" ||
		!got.ResolvedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after transitions: %+v", got)
	}
	b := put("b")
	if r, err := s.SetAlertState(ctx, b.ID, model.AlertResolved, "dave", t0); err != nil || r.AckedBy != "" || r.ResolvedBy != "dave" {
		t.Errorf("open → resolved: %+v, %v", r, err)
	}
	if _, err := s.SetAlertState(ctx, 999, model.AlertResolved, "dave", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
}

// Alerts pages newest first by id, in the states asked, and prune
// removes only resolved alerts resolved before the bound.
func TestAlertsPagingAndPrune(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	var ids []int64
	for i := range 23 {
		f := burstFinding(fmt.Sprintf("k%d", i), 1, t0, t0)
		f.Key = f.Subject
		got, err := s.PutAlerts(ctx, t0, []model.Alert{f}, nil, nil)
		must(t, err)
		ids = append(ids, got[0].ID)
		if i%3 == 0 {
			_, err := s.SetAlertState(ctx, got[0].ID, model.AlertResolved, "x", t0.Add(time.Duration(i)*time.Hour))
			must(t, err)
		}
	}
	page := func(q AlertQuery) []int64 {
		var out []int64
		for {
			as, err := s.Alerts(ctx, q)
			must(t, err)
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
	if got := page(AlertQuery{Limit: 5}); !slices.Equal(got, all) {
		t.Errorf("all %v, want %v", got, all)
	}
	var open []int64
	for i, id := range all {
		if (len(all)-1-i)%3 != 0 {
			open = append(open, id)
		}
	}
	if got := page(AlertQuery{States: []model.AlertState{model.AlertOpen, model.AlertAcknowledged}, Limit: 4}); !slices.Equal(got, open) {
		t.Errorf("open %v, want %v", got, open)
	}
	if _, err := s.Alerts(ctx, AlertQuery{Limit: 501}); err == nil {
		t.Error("page of 501: no error")
	}
	// Resolved at 0h, 3h, … 21h: those before 10h go.
	n, err := s.PruneAlerts(ctx, t0.Add(10*time.Hour))
	must(t, err)
	if n != 4 {
		t.Errorf("pruned %d, want 4", n)
	}
	counts, _ := s.CountAlerts(ctx)
	if counts[model.AlertResolved] != 4 || counts[model.AlertOpen] != 15 {
		t.Errorf("after prune %v", counts)
	}
}

// The event feed numbers events in the order stored: an event fetched
// late (older than those stored before it) comes after them in the feed,
// though its seq sorts before theirs. Events already stored take no number.
func TestEventFeedIsInsertionOrdered(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	ev := func(id string, at time.Time) model.Event {
		return model.Event{Vendor: "onelogin", ID: id, Time: at, TypeName: "USER_FAILED_LOGIN", IP: "203.0.113.9",
			UserKey: "zoe@example.com", Score: model.NoScore}
	}
	put(t, s, []model.Event{ev("a", t0), ev("b", t0.Add(time.Minute))})
	put(t, s, []model.Event{ev("b", t0.Add(time.Minute)), ev("old", t0.Add(-time.Hour))})
	feed, err := s.EventFeed(ctx, 0, 10)
	must(t, err)
	var got []string
	for _, e := range feed {
		got = append(got, fmt.Sprintf("%s@%d", e.ID, e.Feed))
	}
	if !slices.Equal(got, []string{"a@1", "b@2", "old@3"}) {
		t.Fatalf("feed %v", got)
	}
	if e := feed[2]; !e.Time.Equal(t0.Add(-time.Hour)) || e.UserKey != "zoe@example.com" || e.IP != "203.0.113.9" {
		t.Errorf("feed event %+v", e)
	}
	if after, _ := s.EventFeed(ctx, 2, 10); len(after) != 1 || after[0].ID != "old" {
		t.Errorf("feed after 2: %+v", after)
	}
	if h, _ := s.FeedHead(ctx); h != 3 {
		t.Errorf("head %d", h)
	}
	// A reader at 2 has seen a and b of the window, not old.
	win, err := s.FeedEventsFrom(ctx, t0.Add(-2*time.Hour), 2, 100)
	must(t, err)
	if len(win) != 2 || win[0].ID != "a" || win[1].ID != "b" {
		t.Errorf("window at 2: %+v", win)
	}
}

// A store made at schema 4 migrates: its events have no feed number, a
// window read still finds them, and new events are numbered from 1.
func TestMigrateEventsToFeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	db, err := sql.Open("sqlite", path)
	must(t, err)
	ctx := context.Background()
	must(t, migrate(ctx, db, migrations[:4]))
	_, err = db.Exec(`INSERT INTO events (seq, vendor, id, type, type_name, ip, score, level, app, reasons, fields)
		VALUES (?, 'onelogin', 'old', 6, 'USER_FAILED_LOGIN', '203.0.113.5', -1, 0, '', '', '')`, seqOf(fixtureNow.UnixMilli(), 1))
	must(t, err)
	must(t, db.Close())
	s, err := Open(path, Options{})
	must(t, err)
	defer s.Close()
	put(t, s, []model.Event{{Vendor: "onelogin", ID: "new", Time: fixtureNow.Add(time.Second), Score: model.NoScore}})
	win, err := s.FeedEventsFrom(ctx, fixtureNow.Add(-time.Minute), 0, 10)
	must(t, err)
	if len(win) != 1 || win[0].ID != "old" || win[0].Feed != 0 {
		t.Errorf("window before the feed: %+v", win)
	}
	feed, err := s.EventFeed(ctx, 0, 10)
	must(t, err)
	if len(feed) != 1 || feed[0].ID != "new" || feed[0].Feed != 1 {
		t.Errorf("feed %+v", feed)
	}
}

// An update whose lists did not change keeps them and still moves the
// totals; a change made by someone else (here an acknowledgement through
// a second handle on the file) is read back, not overwritten from the
// cache.
func TestPutAlertsKeepsListsAndSeesOtherWriters(t *testing.T) {
	s, path := openFile(t)
	ctx := context.Background()
	f := burstFinding("203.0.113.0/24", 3, fixtureNow, fixtureNow)
	got, err := s.PutAlerts(ctx, fixtureNow, []model.Alert{f}, nil, nil)
	must(t, err)
	f.Evidence.EventsTotal, f.Evidence.PeopleTotal = 900, 7
	_, err = s.PutAlerts(ctx, fixtureNow, []model.Alert{f}, nil, nil)
	must(t, err)
	a, err := s.Alert(ctx, got[0].ID)
	must(t, err)
	if len(a.Evidence.Events) != 3 || a.Evidence.EventsTotal != 900 || a.Evidence.PeopleTotal != 7 || a.Evidence.People[0] != "zoe@example.com" {
		t.Fatalf("evidence %+v", a.Evidence)
	}
	other, err := Open(path, Options{})
	must(t, err)
	defer other.Close()
	_, err = other.SetAlertState(ctx, a.ID, model.AlertAcknowledged, "bob", fixtureNow)
	must(t, err)
	merged := 0
	f.Evidence.EventsTotal = 901 // a change: an unchanged alert is not written
	got, err = s.PutAlerts(ctx, fixtureNow, []model.Alert{f}, func(live, f model.Alert) model.Alert {
		merged++
		if live.State != model.AlertAcknowledged || live.AckedBy != "bob" {
			t.Errorf("merge saw %+v", live)
		}
		return f
	}, nil)
	must(t, err)
	if merged != 1 || got[0].State != model.AlertAcknowledged || got[0].AckedBy != "bob" {
		t.Fatalf("after another writer: %+v", got[0])
	}
	// Resolved elsewhere: the next finding starts a new alert.
	_, err = other.SetAlertState(ctx, a.ID, model.AlertResolved, "bob", fixtureNow)
	must(t, err)
	got, err = s.PutAlerts(ctx, fixtureNow, []model.Alert{f}, nil, nil)
	must(t, err)
	if got[0].ID == a.ID || got[0].State != model.AlertOpen {
		t.Fatalf("after a resolution elsewhere: %+v", got[0])
	}
}

// A fresh finding on a back-filled alert resolves it and starts its own
// alert; a back-filled finding on a fresh alert merges as usual.
func TestPutAlertsHistoryDoesNotAbsorbNews(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	old := burstFinding("203.0.113.0/24", 5, fixtureNow.Add(-6*time.Hour), fixtureNow.Add(-6*time.Hour))
	old.Backfilled = true
	got, err := s.PutAlerts(ctx, fixtureNow, []model.Alert{old}, nil, nil)
	must(t, err)
	first := got[0]
	fresh := burstFinding("203.0.113.0/24", 30, fixtureNow, fixtureNow)
	got, err = s.PutAlerts(ctx, fixtureNow, []model.Alert{fresh}, nil, nil)
	must(t, err)
	if len(got) != 2 || got[0].ID != first.ID || got[0].State != model.AlertResolved || got[0].ResolvedBy != SystemActor ||
		got[1].ID == first.ID || got[1].State != model.AlertOpen || got[1].Backfilled || got[1].Seq != got[0].Seq+1 {
		t.Fatalf("got %+v", got)
	}
	live := got[1]
	got, err = s.PutAlerts(ctx, fixtureNow, []model.Alert{old}, nil, nil)
	must(t, err)
	if len(got) != 1 || got[0].ID != live.ID || got[0].State != model.AlertOpen {
		t.Fatalf("history onto news: %+v", got)
	}
}

// An update that changes nothing the operator sees is not written and
// takes no sequence number; one that moves only the times, count or
// evidence writes those, and one that changes the rest writes it all:
// each stored as returned.
func TestPutAlertsWritesOnlyChanges(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow.Add(123456) // below the millisecond: stored without it
	f := burstFinding("203.0.113.0/24", 20, t0, t0.Add(time.Minute))
	put := func(at time.Time, f model.Alert) []model.Alert {
		t.Helper()
		got, err := s.PutAlerts(ctx, at, []model.Alert{f}, nil, nil)
		must(t, err)
		for _, a := range got {
			stored, err := s.Alert(ctx, a.ID)
			must(t, err)
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
	if len(b) != 1 || b[0].Seq != a.Seq+1 || b[0].Count != 2 || !b[0].Updated.Equal(fixtureNow.Add(2*time.Minute)) {
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
}

// The live alerts of a batch's keys are read together; a key that is not
// valid UTF-8 (which a batched read would spell otherwise) is still
// found, and updated rather than inserted twice.
func TestPutAlertsFindsEveryKeyAfterARestart(t *testing.T) {
	s, path := openFile(t)
	ctx := context.Background()
	odd := burstFinding("203.0.113.0/24", 3, fixtureNow, fixtureNow)
	odd.Key = "burst:\xff203.0.113.0/24"
	plain := burstFinding("198.51.100.0/24", 3, fixtureNow, fixtureNow)
	first, err := s.PutAlerts(ctx, fixtureNow, []model.Alert{odd, plain}, nil, nil)
	must(t, err)
	other, err := Open(path, Options{}) // no cache: it reads every key
	must(t, err)
	defer other.Close()
	odd.Count, plain.Count = 2, 2
	got, err := other.PutAlerts(ctx, fixtureNow, []model.Alert{odd, plain}, nil, nil)
	must(t, err)
	if len(got) != 2 || got[0].ID != first[0].ID || got[1].ID != first[1].ID || got[0].Count != 2 {
		t.Fatalf("after a restart: %+v\nfirst %+v", got, first)
	}
}
