package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
	"github.com/risktop/risktop/model/store"
)

// eventsCases are the events area's cases: PutEvents, pages, counts,
// aggregates, addresses and the feed.
var eventsCases = []Case{
	{"PutEventsDedupes", testPutEventsDedupes},
	{"PutEventsSameMillisecond", testPutEventsSameMillisecond},
	{"PutEventsRefusesBadInput", testPutEventsRefusesBadInput},
	{"PutEventsOddText", testPutEventsOddText},
	{"EventRoundTrip", testEventRoundTrip},
	{"NewestEventPerVendor", testNewestEventPerVendor},
	{"EventFilters", testEventFilters},
	{"EventFilterErrors", testEventFilterErrors},
	{"KeysetPaging", testKeysetPaging},
	{"PagingAtBothEnds", testPagingAtBothEnds},
	{"PagingFilteredAcrossManyPages", testPagingFilteredAcrossManyPages},
	{"EventsHonourContext", testEventsHonourContext},
	{"CountPage", testCountPage},
	{"DistinctIPs", testDistinctIPs},
	{"DistinctIPsMany", testDistinctIPsMany},
	{"EventRate", testEventRate},
	{"TopIPs", testTopIPs},
	{"EventUsers", testEventUsers},
	{"EventFeedSameFromEveryStore", testEventFeedSameFromEveryStore},
	{"EventFeedAcrossWriters", testEventFeedAcrossWriters},
	{"FeedHeadAndEventsFrom", testFeedHeadAndEventsFrom},
	{"PutEventsRacingStores", testPutEventsRacingStores},
	{"EventFeedReaderDuringRacingWrites", testEventFeedReaderDuringRacingWrites},
	{"EventFeedWriterReadsDuringRacingWrites", testEventFeedWriterReadsDuringRacingWrites},
	{"EventFeedWriterReadsTheTable", testEventFeedWriterReadsTheTable},
}

func testPutEventsDedupes(t *testing.T, open Opener) {
	s := open(t).Store
	g := eventgen.New(1, 40)
	evs := g.Batch(120, FixtureNow.Add(-time.Hour), time.Hour)
	if n := put(t, s, evs); n != 120 {
		t.Fatalf("first put inserted %d, want 120", n)
	}
	if n := put(t, s, evs); n != 0 {
		t.Fatalf("re-put inserted %d, want 0", n)
	}
	// An overlapping page, with one event twice in it.
	more := append(slices.Clone(evs[100:]), g.Batch(30, FixtureNow, time.Minute)...)
	more = append(more, more[len(more)-1])
	if n := put(t, s, more); n != 30 {
		t.Fatalf("overlapping put inserted %d, want 30", n)
	}
	// A re-fetched event whose vendor changed a field is still the same event.
	changed := evs[0]
	changed.Score, changed.Time = 99, changed.Time.Add(time.Hour)
	if n := put(t, s, []model.Event{changed}); n != 0 {
		t.Fatalf("changed re-put inserted %d, want 0", n)
	}
	if n, err := s.CountEvents(context.Background(), store.EventFilter{}); err != nil || n != 150 {
		t.Fatalf("count = %d, %v; want 150", n, err)
	}
	if e, err := s.Event(context.Background(), evs[0].Vendor, evs[0].ID); err != nil || e.Score != evs[0].Score {
		t.Fatalf("kept %+v, %v; want score %d", e, err, evs[0].Score)
	}
	// Of one event twice in a batch, the first is kept.
	first := model.Event{Vendor: "okta", ID: "twice", Time: FixtureNow, Score: 10}
	second := first
	second.Score, second.Time = 90, FixtureNow.Add(time.Second)
	if n := put(t, s, []model.Event{first, second}); n != 1 {
		t.Fatalf("a batch with one event twice inserted %d, want 1", n)
	}
	if e, err := s.Event(context.Background(), "okta", "twice"); err != nil || e.Score != 10 || !e.Time.Equal(FixtureNow) {
		t.Fatalf("kept %+v, %v; want the first", e, err)
	}
}

// Text the sources would have cleaned (a NUL, invalid UTF-8) still
// stores: a batch never fails on it, so a poller cannot wedge on a page.
func testPutEventsOddText(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	odd := model.Event{Vendor: "okta", ID: "odd\x00id", Time: FixtureNow, UserName: "Zoe\x00 \xff", UserKey: "zoe@example.com",
		App: "bad \xfe app", Reasons: "nul \x00 here", TypeName: "T\x00", IP: "203.0.113.9\x00", Score: 40}
	if n, err := s.PutEvents(ctx, []model.Event{odd}); err != nil || n != 1 {
		t.Fatalf("put = %d, %v", n, err)
	}
	page, err := s.Events(ctx, store.EventQuery{EventFilter: store.EventFilter{User: "zoe@example.com"}})
	if err != nil || len(page.Events) != 1 || page.Events[0].Score != 40 {
		t.Fatalf("page = %+v, %v", page.Events, err)
	}
	if n, err := s.PutEvents(ctx, []model.Event{odd}); err != nil || n != 0 {
		t.Fatalf("re-put = %d, %v", n, err)
	}
}

// Events in the same millisecond share the seq's time part; a tiebreak
// clash must move to the next free tiebreak, not lose the event.
func testPutEventsSameMillisecond(t *testing.T, open Opener) {
	s := open(t).Store
	// Find two ids whose tiebreaks clash.
	seen := map[int64]string{}
	var a, b string
	for i := 0; a == ""; i++ {
		id := strconv.Itoa(i)
		tie := seqTie("onelogin", id)
		if other, ok := seen[tie]; ok {
			a, b = other, id
		}
		seen[tie] = id
	}
	at := FixtureNow
	var evs []model.Event
	for _, id := range []string{a, b, "x", "y", "z"} {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: id, Time: at, Score: model.NoScore})
	}
	if n := put(t, s, evs[1:3]); n != 2 {
		t.Fatalf("inserted %d, want 2", n)
	}
	// a clashes with b, stored before it, and with nothing in its batch.
	if n := put(t, s, evs); n != 3 {
		t.Fatalf("inserted %d, want 3", n)
	}
	if n := put(t, s, evs); n != 0 {
		t.Fatalf("re-put inserted %d, want 0", n)
	}
	page, err := s.Events(context.Background(), store.EventQuery{Limit: 10})
	if err != nil || len(page.Events) != 5 {
		t.Fatalf("page: %v, %d events", err, len(page.Events))
	}
	for _, e := range page.Events {
		if !e.Time.Equal(at) {
			t.Errorf("%s at %v, want %v", e.ID, e.Time, at)
		}
	}
	// And within one batch of a fresh store.
	s2 := open(t).Store
	if n := put(t, s2, evs); n != 5 {
		t.Fatalf("one batch inserted %d, want 5", n)
	}
}

func testPutEventsRefusesBadInput(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	for name, e := range map[string]model.Event{
		"no id":      {Vendor: "onelogin", Time: FixtureNow},
		"no vendor":  {ID: "1", Time: FixtureNow},
		"zero time":  {Vendor: "onelogin", ID: "1"},
		"far future": {Vendor: "onelogin", ID: "1", Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		good := model.Event{Vendor: "onelogin", ID: "good", Time: FixtureNow}
		if _, err := s.PutEvents(ctx, []model.Event{good, e}); err == nil || !strings.HasPrefix(err.Error(), "store: put events: ") {
			t.Errorf("%s: err = %v, want a put events error", name, err)
		}
	}
	// Nothing of a refused batch is stored.
	if n, _ := s.CountEvents(ctx, store.EventFilter{}); n != 0 {
		t.Errorf("%d events stored from refused batches", n)
	}
	if n, err := s.PutEvents(ctx, nil); n != 0 || err != nil {
		t.Errorf("empty batch: %d, %v", n, err)
	}
}

func testEventRoundTrip(t *testing.T, open Opener) {
	f := open(t)
	s := f.Store
	ctx := context.Background()
	in := model.Event{
		Vendor: "onelogin", ID: "42", Time: time.Date(2026, 2, 3, 4, 5, 6, 789_123_456, time.UTC),
		Type: 5, TypeName: "USER_LOGGED_INTO_ONELOGIN", UserID: "123", UserName: "Zoë Ångström",
		UserKey: "zoe@example.com", IP: "2001:DB8:0::1", Score: 77, Level: model.LevelCritical,
		App: "Slack", Reasons: "New device\nUnusual location: Oslo, NO",
		Fields: map[string]string{"notes": "quote \" backslash \\ tab \t nul \x00 bad \xff", "empty": ""},
	}
	put(t, s, []model.Event{in})
	got, err := s.Event(ctx, in.Vendor, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Time = in.Time.Truncate(time.Millisecond)
	want.IP = "2001:db8::1"
	want.Fields = map[string]string{"notes": "quote \" backslash \\ tab \t nul \x00 bad \uFFFD", "empty": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	newest, err := s.NewestEvent(ctx, in.Vendor)
	if err != nil || newest.ID != "42" {
		t.Errorf("newest = %v, %v", newest.ID, err)
	}
	if _, err := s.Event(ctx, in.Vendor, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing event: %v", err)
	}
	if _, err := s.NewestEvent(ctx, "okta"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("newest of a vendor without events: %v", err)
	}
	// A restarted process reads what was stored.
	if again, err := f.Reopen(t).Event(ctx, in.Vendor, in.ID); err != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("after reopening: %+v, %v", again, err)
	}
}

func testNewestEventPerVendor(t *testing.T, open Opener) {
	s := open(t).Store
	put(t, s, []model.Event{
		{Vendor: "onelogin", ID: "a", Time: FixtureNow.Add(-3 * time.Hour)},
		{Vendor: "cloudflare", ID: "b", Time: FixtureNow.Add(-2 * time.Hour)},
		{Vendor: "onelogin", ID: "c", Time: FixtureNow.Add(-time.Hour)},
		{Vendor: "onelogin", ID: "d", Time: FixtureNow.Add(-4 * time.Hour)}, // back-filled later
	})
	for vendor, want := range map[string]string{"onelogin": "c", "cloudflare": "b"} {
		if e, err := s.NewestEvent(context.Background(), vendor); err != nil || e.ID != want {
			t.Errorf("newest %s = %q, %v; want %q", vendor, e.ID, err, want)
		}
	}
}

func testEventFilters(t *testing.T, open Opener) {
	s := open(t).Store
	evs := filterFixture(t, s)
	g := eventgen.New(7, 60)
	busy, rare := g.Users[0], g.Users[45]
	day := FixtureNow.Add(-24 * time.Hour)
	cases := []struct {
		name string
		f    store.EventFilter
		min  int // the fixture must give at least this many matches
	}{
		{"all", store.EventFilter{}, 804},
		{"vendor", store.EventFilter{Vendor: "cloudflare"}, 10},
		{"from", store.EventFilter{From: day}, 50},
		{"window", store.EventFilter{From: FixtureNow.Add(-72 * time.Hour), To: day}, 100},
		{"to at an event", store.EventFilter{To: FixtureNow.Add(-time.Minute)}, 800},
		{"types", store.EventFilter{Types: []int{6, 13}}, 50},
		{"user by email", store.EventFilter{User: strings.ToUpper(busy.Email)}, 20},
		{"user by id", store.EventFilter{User: rare.ID}, 1},
		{"user by name", store.EventFilter{User: " " + strings.ToUpper(rare.Name) + " "}, 1},
		{"user by name only", store.EventFilter{User: "ada lovelace"}, 1},
		{"unknown user", store.EventFilter{User: "nobody@example.com"}, 0},
		{"ip", store.EventFilter{IP: "10.1.2.3"}, 1},
		{"ip mapped", store.EventFilter{IP: "::ffff:10.1.9.9"}, 1},
		{"ip /24", store.EventFilter{IP: "192.0.2.0/24"}, 100},
		{"ip /16 not /8", store.EventFilter{IP: "10.1.0.0/16"}, 2},
		{"ip /8", store.EventFilter{IP: "10.0.0.0/8"}, 3},
		{"ip unmasked prefix", store.EventFilter{IP: "203.0.113.77/24"}, 100},
		{"ip v6 /32", store.EventFilter{IP: "2001:db8::/32"}, 100},
		{"ip v6 /44", store.EventFilter{IP: "2001:db8:30::/44"}, 1},
		{"min score", store.EventFilter{MinScore: 50}, 50},
		{"type names", store.EventFilter{TypeNames: []string{"TYPE 13", "type 11"}}, 20},
		{"type ids or names", store.EventFilter{Types: []int{6}, TypeNames: []string{"type 13"}}, 50},
		{"type name with LIKE signs", store.EventFilter{TypeNames: []string{"type_1"}}, 0},
		{"users: email or name", store.EventFilter{User: rare.Email, Users: []string{"Ada Lovelace"}}, 2},
		{"users: names only", store.EventFilter{Users: []string{"ada lovelace", "nobody", strings.ToUpper(rare.Name)}}, 2},
		{"text type name", store.EventFilter{Text: "TYPE 110"}, 1},
		{"text name", store.EventFilter{Text: "LOVELACE"}, 2},
		{"text email", store.EventFilter{Text: "ada.lovelace@"}, 1},
		{"text ip", store.EventFilter{Text: "203.0.113.1"}, 5},
		{"text app", store.EventFilter{Text: "workspace"}, 10},
		{"text reason", store.EventFilter{Text: "impossible travel from lagos"}, 2},
		{"text percent", store.EventFilter{Text: "100%"}, 1},
		{"text underscore", store.EventFilter{Text: "d_a"}, 1},
		{"text short", store.EventFilter{Text: "%"}, 1},
		{"text non-ASCII", store.EventFilter{Text: "Lucía"}, 1},
		{"combined", store.EventFilter{Vendor: "onelogin", From: FixtureNow.Add(-5 * 24 * time.Hour), MinScore: 20,
			Types: []int{5, 6}, IP: "192.0.2.0/24"}, 5},
		{"user and window", store.EventFilter{User: busy.Email, From: FixtureNow.Add(-5 * 24 * time.Hour)}, 5},
		{"far window", store.EventFilter{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, 804},
		{"far future", store.EventFilter{From: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, 0},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			for _, e := range evs {
				if matches(e, c.f) {
					want = append(want, e.Vendor+"/"+e.ID)
				}
			}
			if len(want) < c.min {
				t.Fatalf("fixture has %d matches, want at least %d", len(want), c.min)
			}
			for _, by := range []store.Sort{store.ByTime, store.ByScore} {
				got := ids(walk(t, s, store.EventQuery{EventFilter: c.f, Sort: by, Limit: 37}))
				if !slices.Equal(sorted(got), sorted(want)) {
					t.Errorf("sort %d: got %d events, want %d\n got %v\nwant %v", by, len(got), len(want), got, want)
				}
			}
			n, err := s.CountEvents(ctx, c.f)
			if err != nil || n != len(want) {
				t.Errorf("count = %d, %v; want %d", n, err, len(want))
			}
		})
	}
	// Free text folds ASCII letters only, as SQLite's LIKE does.
	lucia, err := s.CountEvents(ctx, store.EventFilter{Text: "Lucía"})
	must(t, err)
	if n, err := s.CountEvents(ctx, store.EventFilter{Text: "LUCíA"}); err != nil || n != lucia || n == 0 {
		t.Errorf("LUCíA: %d, %v; want %d", n, err, lucia)
	}
	if n, err := s.CountEvents(ctx, store.EventFilter{Text: "lucÍa"}); err != nil || n != 0 {
		t.Errorf("lucÍa: %d, %v; want 0", n, err)
	}
}

func testEventFilterErrors(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	for _, ip := range []string{"garbage", "203.0.113.", "203.0.113.0/33", "1.2.3.4/x", "::1/129"} {
		_, err := s.Events(ctx, store.EventQuery{EventFilter: store.EventFilter{IP: ip}})
		if err == nil || !strings.Contains(err.Error(), "bad IP filter") {
			t.Errorf("IP %q: err = %v", ip, err)
		}
		if _, err := s.CountEvents(ctx, store.EventFilter{IP: ip}); err == nil {
			t.Errorf("count with IP %q: no error", ip)
		}
	}
	key := &store.PageKey{}
	for name, q := range map[string]store.EventQuery{
		"negative limit": {Limit: -1},
		"limit too big":  {Limit: store.MaxPageSize + 1},
		"after+before":   {After: key, Before: key},
		"last+after":     {Last: true, After: key},
		"sort":           {Sort: store.Sort(7)},
		"types":          {EventFilter: store.EventFilter{Types: make([]int, maxTypes+1)}},
	} {
		if _, err := s.Events(ctx, q); err == nil || !strings.HasPrefix(err.Error(), "store: events: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := s.CountPage(ctx, store.CountQuery{Sort: store.Sort(7)}); err == nil || !strings.HasPrefix(err.Error(), "store: count page: ") {
		t.Errorf("count page with a bad sort: err = %v", err)
	}
}

func testKeysetPaging(t *testing.T, open Opener) {
	s := open(t).Store
	evs := tiesFixture(t, s)
	ctx := context.Background()
	for _, by := range []store.Sort{store.ByTime, store.ByScore} {
		for _, limit := range []int{3, 7, 50, 346, 347, 500} {
			t.Run(fmt.Sprintf("sort%d/limit%d", by, limit), func(t *testing.T) {
				full, err := s.Events(ctx, store.EventQuery{Sort: by, Limit: 500})
				if err != nil || len(full.Events) != len(evs) || full.HasNext || full.HasPrev {
					t.Fatalf("full page: %v, %d events, next %v prev %v", err, len(full.Events), full.HasNext, full.HasPrev)
				}
				checkOrder(t, full.Events, by)
				want := ids(full.Events)
				q := store.EventQuery{Sort: by, Limit: limit}
				if got := ids(walk(t, s, q)); !reflect.DeepEqual(got, want) {
					t.Errorf("forward pages differ from the full result\n got %v\nwant %v", got, want)
				}
				if got := ids(walkBack(t, s, q)); !reflect.DeepEqual(got, want) {
					t.Errorf("backward pages differ from the full result\n got %v\nwant %v", got, want)
				}
				last, err := s.Events(ctx, store.EventQuery{Sort: by, Limit: limit, Last: true})
				if err != nil {
					t.Fatal(err)
				}
				tail := want[max(len(want)-limit, 0):]
				if got := ids(last.Events); !reflect.DeepEqual(got, tail) || last.HasNext || last.HasPrev != (limit < len(want)) {
					t.Errorf("last page = %v (prev %v next %v), want %v", got, last.HasPrev, last.HasNext, tail)
				}
			})
		}
	}
}

func testPagingAtBothEnds(t *testing.T, open Opener) {
	s := open(t).Store
	tiesFixture(t, s)
	ctx := context.Background()
	first, err := s.Events(ctx, store.EventQuery{Limit: 100})
	if err != nil || first.HasPrev || !first.HasNext || len(first.Events) != 100 {
		t.Fatalf("first page: %v prev %v next %v", err, first.HasPrev, first.HasNext)
	}
	// Back from the second page lands on the first, which has nothing before it.
	second, _ := s.Events(ctx, store.EventQuery{Limit: 100, After: first.LastKey})
	back, err := s.Events(ctx, store.EventQuery{Limit: 100, Before: second.First})
	if err != nil || back.HasPrev || !back.HasNext || !reflect.DeepEqual(ids(back.Events), ids(first.Events)) {
		t.Fatalf("back to the first page: %v prev %v next %v", err, back.HasPrev, back.HasNext)
	}
	// Past the last row there is nothing, and nothing after it.
	last, _ := s.Events(ctx, store.EventQuery{Limit: 100, Last: true})
	past, err := s.Events(ctx, store.EventQuery{Limit: 100, After: last.LastKey})
	if err != nil || len(past.Events) != 0 || past.HasNext || past.First != nil || past.LastKey != nil {
		t.Fatalf("past the end: %v, %d events, next %v", err, len(past.Events), past.HasNext)
	}
	// An empty store has one empty page.
	empty := open(t).Store
	for _, q := range []store.EventQuery{{}, {Last: true}, {Sort: store.ByScore}} {
		p, err := empty.Events(ctx, q)
		if err != nil || len(p.Events) != 0 || p.HasNext || p.HasPrev {
			t.Errorf("empty store %+v: %v %+v", q, err, p)
		}
	}
}

func testPagingFilteredAcrossManyPages(t *testing.T, open Opener) {
	s := open(t).Store
	evs := filterFixture(t, s)
	f := store.EventFilter{Vendor: "onelogin", MinScore: 1}
	var want int
	for _, e := range evs {
		if matches(e, f) {
			want++
		}
	}
	for _, by := range []store.Sort{store.ByTime, store.ByScore} {
		q := store.EventQuery{EventFilter: f, Sort: by, Limit: 19}
		fwd, back := walk(t, s, q), walkBack(t, s, q)
		if len(fwd) != want || !reflect.DeepEqual(ids(fwd), ids(back)) {
			t.Errorf("sort %d: forward %d events, backward %d, want %d", by, len(fwd), len(back), want)
		}
		checkOrder(t, fwd, by)
		if n := len(sorted(ids(fwd))); n != len(slices.Compact(sorted(ids(fwd)))) {
			t.Errorf("sort %d: repeated events", by)
		}
	}
}

func testEventsHonourContext(t *testing.T, open Opener) {
	s := open(t).Store
	filterFixture(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Events(ctx, store.EventQuery{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Events: %v", err)
	}
	if _, err := s.PutEvents(ctx, eventgen.New(1, 1).Batch(1, FixtureNow, time.Second)); !errors.Is(err, context.Canceled) {
		t.Errorf("PutEvents: %v", err)
	}
	if _, err := s.CountEvents(ctx, store.EventFilter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("CountEvents: %v", err)
	}
}

// CountPage places a page: the matches, those ahead of its first row in
// the sort's order, those newer than a mark, and the newest's key.
func testCountPage(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	evs := tiesFixture(t, s)
	for _, by := range []store.Sort{store.ByTime, store.ByScore} {
		f := store.EventFilter{MinScore: 1}
		var want int
		for _, e := range evs {
			if matches(e, f) {
				want++
			}
		}
		all := walk(t, s, store.EventQuery{EventFilter: f, Sort: by, Limit: 500})
		first, err := s.Events(ctx, store.EventQuery{EventFilter: f, Sort: by, Limit: 40})
		must(t, err)
		page, err := s.Events(ctx, store.EventQuery{EventFilter: f, Sort: by, Limit: 40, After: first.LastKey})
		must(t, err)
		newest, err := s.Events(ctx, store.EventQuery{EventFilter: f, Limit: 30})
		must(t, err)
		// Newer than the 30th newest by time: 29 (times tie, seq decides).
		c, err := s.CountPage(ctx, store.CountQuery{EventFilter: f, Sort: by, First: page.First, Since: newest.LastKey})
		must(t, err)
		if c.Total != want || c.Before != 40 || c.Newer != 29 {
			t.Errorf("sort %d: %+v, want total %d, before 40, newer 29", by, c, want)
		}
		if len(all) != want || c.Head == nil || c.Head.Seq != newest.First.Seq || c.Head.Time != newest.First.Time {
			t.Errorf("sort %d: head %+v, want the newest %+v", by, c.Head, newest.First)
		}
		none, err := s.CountPage(ctx, store.CountQuery{EventFilter: f, Sort: by})
		must(t, err)
		if none.Total != want || none.Before != 0 || none.Newer != 0 {
			t.Errorf("sort %d without keys: %+v", by, none)
		}
	}
	empty, err := s.CountPage(ctx, store.CountQuery{EventFilter: store.EventFilter{User: "nobody"}})
	if err != nil || empty != (store.PageCount{}) {
		t.Errorf("no matches: %+v, %v", empty, err)
	}
	empty, err = s.CountPage(ctx, store.CountQuery{EventFilter: store.EventFilter{Vendor: "okta"}})
	if err != nil || empty.Total != 0 || empty.Head != nil {
		t.Errorf("no matches: %+v, %v", empty, err)
	}
}

func testDistinctIPs(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	at := FixtureNow.Add(-30 * time.Minute)
	ev := func(id, ip string, score int, age time.Duration) model.Event {
		return model.Event{Vendor: "onelogin", ID: id, Time: at.Add(-age), Type: 5, UserName: "Ada Lovelace",
			UserKey: "ada.lovelace@example.com", IP: ip, Score: score, Level: model.LevelOfScore(score)}
	}
	put(t, s, []model.Event{
		ev("1", "203.0.113.7", 80, 0),
		ev("2", "203.0.113.7", 20, time.Minute), // same address: one entry, its highest score counts
		ev("3", "2001:db8::1", 95, 0),
		ev("4", "2001:DB8:0::1", 10, 2*time.Minute), // the same address, written differently
		ev("5", "198.51.100.4", 76, 0),
		ev("6", "::ffff:192.0.2.9", 50, 0), // IPv4-mapped: stored as 192.0.2.9
		ev("7", "not-an-ip", 99, 0),        // never returned: it cannot be pushed
		ev("8", "", 99, 0),
		ev("9", "198.51.100.200", 30, 3*time.Hour), // outside the last hour
	})

	ips, total, err := s.DistinctIPs(ctx, store.EventFilter{}, 100)
	must(t, err)
	want := []string{"2001:db8::1", "203.0.113.7", "198.51.100.4", "192.0.2.9", "198.51.100.200"}
	if !slices.Equal(ips, want) || total != 5 {
		t.Fatalf("all: %v (%d), want %v (5)", ips, total, want)
	}

	// The filter is the Events screen's: a window and a minimum score.
	f := store.EventFilter{From: FixtureNow.Add(-time.Hour), MinScore: 76}
	ips, total, err = s.DistinctIPs(ctx, f, 100)
	must(t, err)
	if want := []string{"2001:db8::1", "203.0.113.7", "198.51.100.4"}; !slices.Equal(ips, want) || total != 3 {
		t.Fatalf("score>=76 in the last hour: %v (%d), want %v (3)", ips, total, want)
	}

	// A limit keeps the riskiest and still counts them all.
	ips, total, err = s.DistinctIPs(ctx, store.EventFilter{}, 2)
	must(t, err)
	if want := []string{"2001:db8::1", "203.0.113.7"}; !slices.Equal(ips, want) || total != 5 {
		t.Fatalf("limit 2: %v (%d)", ips, total)
	}

	// Limit 0 only counts.
	ips, total, err = s.DistinctIPs(ctx, store.EventFilter{IP: "203.0.113.0/24"}, 0)
	must(t, err)
	if ips != nil || total != 1 {
		t.Fatalf("count only: %v (%d)", ips, total)
	}

	// A user nobody is: nothing, and no error.
	ips, total, err = s.DistinctIPs(ctx, store.EventFilter{User: "nobody@example.com"}, 10)
	must(t, err)
	if len(ips) != 0 || total != 0 {
		t.Fatalf("unknown user: %v (%d)", ips, total)
	}

	// A bad filter says so.
	if _, _, err := s.DistinctIPs(ctx, store.EventFilter{IP: "999.1.1.1"}, 10); err == nil {
		t.Fatal("a bad IP filter gave no error")
	}
}

func testDistinctIPsMany(t *testing.T, open Opener) {
	s := open(t).Store
	var evs []model.Event
	for i := range 1500 {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: fmt.Sprint(i), Time: FixtureNow.Add(-time.Duration(i) * time.Second),
			IP: fmt.Sprintf("10.0.%d.%d", i/250, i%250), Score: i % 101, UserKey: "x@example.com"})
	}
	put(t, s, evs)
	ips, total, err := s.DistinctIPs(context.Background(), store.EventFilter{}, 1000)
	must(t, err)
	if len(ips) != 1000 || total != 1500 {
		t.Fatalf("got %d of %d, want 1000 of 1500", len(ips), total)
	}
	seen := map[string]bool{}
	for _, ip := range ips {
		if seen[ip] {
			t.Fatalf("%s twice", ip)
		}
		seen[ip] = true
	}
}

func testEventRate(t *testing.T, open Opener) {
	s := open(t).Store
	t0 := aggFixture(t, s)
	ctx := context.Background()
	// Minutes 10:00–10:05: events 1,2 | 7 | 3,4 | c1 | — | 5; 6 is before.
	got, err := s.EventRate(ctx, store.EventFilter{}, t0, t0.Add(5*time.Minute), time.Minute)
	if want := []int{2, 1, 2, 1, 1}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("rate = %v, %v; want %v", got, err, want)
	}
	got, err = s.EventRate(ctx, store.EventFilter{Vendor: "onelogin", Types: []int{5}}, t0, t0.Add(5*time.Minute), 2*time.Minute)
	if want := []int{3, 1, 0}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("onelogin sign-ins = %v, %v; want %v", got, err, want)
	}
	// The filter's own window narrows the chart; steps outside are zero.
	got, err = s.EventRate(ctx, store.EventFilter{From: t0.Add(2 * time.Minute)}, t0.Add(-2*time.Minute), t0.Add(4*time.Minute), time.Minute)
	if want := []int{0, 0, 0, 0, 2, 1}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("narrowed rate = %v, %v; want %v", got, err, want)
	}
	got, err = s.EventRate(ctx, store.EventFilter{User: "nobody"}, t0, t0.Add(time.Minute), time.Minute)
	if want := []int{0}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("no-match rate = %v, %v", got, err)
	}
	for name, args := range map[string][3]time.Duration{
		"zero step":   {0, time.Minute, 0},
		"empty":       {0, 0, time.Minute},
		"too many":    {0, 24 * time.Hour, time.Millisecond},
		"sub-ms step": {0, time.Minute, time.Microsecond},
	} {
		if _, err := s.EventRate(ctx, store.EventFilter{}, t0.Add(args[0]), t0.Add(args[1]), args[2]); err == nil ||
			!strings.HasPrefix(err.Error(), "store: event rate: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func testTopIPs(t *testing.T, open Opener) {
	s := open(t).Store
	t0 := aggFixture(t, s)
	got, err := s.TopIPs(context.Background(), t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	want := []model.IPRisk{
		// 80 from both; 192.0.2.1 has more events (1,2,3,c1) and people (ada, alan).
		{IP: "192.0.2.1", Level: model.LevelCritical, MaxScore: 80, Events: 4, Users: 2, LastSeen: at(3, 0)},
		{IP: "198.51.100.9", Level: model.LevelCritical, MaxScore: 80, Events: 2, Users: 2, LastSeen: at(4, 59)},
		{IP: "2001:db8::1", Level: model.LevelLow, MaxScore: 5, Events: 1, Users: 1, LastSeen: at(1, 0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("top IPs:\n got %+v\nwant %+v", got, want)
	}
	if got, _ := s.TopIPs(context.Background(), t0, 1); len(got) != 1 || got[0].IP != "192.0.2.1" {
		t.Errorf("top 1 = %+v", got)
	}
	if got, err := s.TopIPs(context.Background(), t0, 0); got != nil || err != nil {
		t.Errorf("top 0 = %+v, %v", got, err)
	}
}

func testEventUsers(t *testing.T, open Opener) {
	s := open(t).Store
	t0 := aggFixture(t, s)
	got, err := s.EventUsers(context.Background(), "onelogin", t0)
	if err != nil {
		t.Fatal(err)
	}
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	want := []model.UserRisk{
		// Both at 80 (critical); Ada has three events (1, 2, 7), Alan two.
		// Ada's newest name is "Ada L." (event 7); her email comes from event 1.
		{Vendor: "onelogin", UserID: "7", Email: "ada@example.com", Name: "Ada L.", Level: model.LevelCritical,
			RawLevel: "critical", Score: 80, Events: 3, LastSeen: at(1, 0)},
		{Vendor: "onelogin", UserID: "8", Email: "alan@example.com", Name: "Alan Turing", Level: model.LevelCritical,
			RawLevel: "critical", Score: 80, Events: 2, LastSeen: at(2, 30)},
		// No id or email: known by name, no score.
		{Vendor: "onelogin", Name: "Grace Hopper", Level: model.LevelUnknown, RawLevel: "unknown",
			Score: model.NoScore, Events: 1, LastSeen: at(4, 59)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event users:\n got %+v\nwant %+v", got, want)
	}
	cf, err := s.EventUsers(context.Background(), "cloudflare", t0)
	if err != nil || len(cf) != 1 || cf[0].Level != model.LevelHigh || cf[0].Email != "ada@example.com" {
		t.Errorf("cloudflare users = %+v, %v", cf, err)
	}
	if _, err := s.EventUsers(context.Background(), "", t0); err == nil {
		t.Error("no vendor: no error")
	}
}

// readFeed reads the whole feed after after in pages of limit.
func readFeed(t *testing.T, s store.Store, after int64, limit int) []store.FeedEvent {
	t.Helper()
	var out []store.FeedEvent
	for {
		evs, err := s.EventFeed(context.Background(), after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Feed
	}
}

// The store that wrote the events and another store on the same data
// read the same feed: the same events, numbers and stored values (a
// mapped address, the millisecond, no level or app), for every start and
// limit; a duplicate takes no number.
func testEventFeedSameFromEveryStore(t *testing.T, open Opener) {
	f := open(t)
	s := f.Store
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put(t, s, tailEvents(0, 7, at))
	put(t, s, append(tailEvents(5, 6, at), tailEvents(20, 1, at)...)) // ev5, ev6 are stored already
	put(t, s, tailEvents(30, 9, at))
	other := f.Second(t)
	all := readFeed(t, other, 0, 100)
	if len(all) != 21 {
		t.Fatalf("the feed holds %d events, want 21", len(all))
	}
	for i, e := range all {
		if e.Feed != int64(i+1) {
			t.Fatalf("feed %d at %d", e.Feed, i)
		}
	}
	want0 := tailEvents(0, 1, at)[0]
	if e := all[0]; e.ID != "ev0" || !e.Time.Equal(want0.Time.Truncate(time.Millisecond)) || e.IP != "198.51.100.0" ||
		e.UserKey != "zoe@example.com" || e.UserName != "Zoe" || e.UserID != "0" || e.App != "" || e.Fields != nil || e.Level != 0 {
		t.Fatalf("feed's first event = %+v", e)
	}
	for _, after := range []int64{0, 1, 6, 7, 12, 20, 21} {
		for _, limit := range []int{1, 5, 100} {
			got, err := s.EventFeed(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			want, err := other.EventFeed(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after %d limit %d:\nwriter %+v\nother  %+v", after, limit, got, want)
			}
			if end := min(after+int64(limit), 21); len(got) != int(max(end-after, 0)) {
				t.Fatalf("after %d limit %d: %d events", after, limit, len(got))
			}
		}
	}
}

// Two stores writing in turns number the feed as one: a reader of either
// reads every event once, in the order they were stored.
func testEventFeedAcrossWriters(t *testing.T, open Opener) {
	f := open(t)
	s := f.Store
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put(t, s, tailEvents(0, 4, at)) // feed 1–4
	other := f.Second(t)
	put(t, other, tailEvents(10, 3, at)) // feed 5–7
	put(t, s, tailEvents(20, 2, at))     // feed 8–9
	for _, reader := range []store.Store{s, other} {
		var seen []string
		for _, e := range readFeed(t, reader, 0, 2) {
			seen = append(seen, fmt.Sprintf("%d:%s", e.Feed, e.ID))
		}
		want := "[1:ev0 2:ev1 3:ev2 4:ev3 5:ev10 6:ev11 7:ev12 8:ev20 9:ev21]"
		if fmt.Sprint(seen) != want {
			t.Fatalf("read %v\nwant %s", seen, want)
		}
	}
	if evs, _ := s.EventFeed(context.Background(), 7, 10); len(evs) != 2 || evs[0].ID != "ev20" {
		t.Fatalf("after 7: %+v", evs)
	}
}

// FeedHead is the newest number; FeedEventsFrom is what a reader at a
// number had seen of a window, in time order.
func testFeedHeadAndEventsFrom(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	if n, err := s.FeedHead(ctx); n != 0 || err != nil {
		t.Fatalf("empty head = %d, %v", n, err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put(t, s, tailEvents(10, 5, at)) // feed 1–5, at+10s…at+14s
	head, err := s.FeedHead(ctx)
	if err != nil || head != 5 {
		t.Fatalf("head = %d, %v; want 5", head, err)
	}
	put(t, s, tailEvents(0, 5, at)) // feed 6–10, older: a back-fill
	put(t, s, tailEvents(0, 5, at)) // nothing new: the head stays
	if n, _ := s.FeedHead(ctx); n != 10 {
		t.Fatalf("head = %d, want 10", n)
	}
	got, err := s.FeedEventsFrom(ctx, at.Add(2*time.Second), head, 100)
	must(t, err)
	var seen []string
	for _, e := range got {
		seen = append(seen, fmt.Sprintf("%d:%s", e.Feed, e.ID))
	}
	if want := "[1:ev10 2:ev11 3:ev12 4:ev13 5:ev14]"; fmt.Sprint(seen) != want {
		t.Fatalf("seen at 5 = %v, want %s", seen, want)
	}
	got, err = s.FeedEventsFrom(ctx, at.Add(2*time.Second), 10, 4)
	must(t, err)
	seen = nil
	for _, e := range got {
		seen = append(seen, e.ID)
	}
	if want := "[ev2 ev3 ev4 ev10]"; fmt.Sprint(seen) != want {
		t.Fatalf("seen at 10 = %v, want %s", seen, want)
	}
}
