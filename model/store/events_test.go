package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func openMem(t *testing.T) *SQLite {
	t.Helper()
	s, err := Open(":memory:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openFile(t *testing.T) (*SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "risktop.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func put(t *testing.T, s Store, evs []model.Event) int {
	t.Helper()
	n, err := s.PutEvents(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func ids(evs []model.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Vendor + "/" + e.ID
	}
	return out
}

func TestPutEventsDedupes(t *testing.T) {
	s := openMem(t)
	g := newEventGen(1, 40)
	evs := g.batch(120, fixtureNow.Add(-time.Hour), time.Hour)
	if n := put(t, s, evs); n != 120 {
		t.Fatalf("first put inserted %d, want 120", n)
	}
	if n := put(t, s, evs); n != 0 {
		t.Fatalf("re-put inserted %d, want 0", n)
	}
	// An overlapping page, with one event twice in it.
	more := append(slices.Clone(evs[100:]), g.batch(30, fixtureNow, time.Minute)...)
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
	if n, err := s.CountEvents(context.Background(), EventFilter{}); err != nil || n != 150 {
		t.Fatalf("count = %d, %v; want 150", n, err)
	}
}

// Events in the same millisecond share the seq's time part; a tiebreak
// clash must move to the next free tiebreak, not lose the event.
func TestPutEventsSameMillisecond(t *testing.T) {
	s := openMem(t)
	// Find two ids whose tiebreaks clash.
	seen := map[int64]string{}
	var a, b string
	for i := 0; a == ""; i++ {
		id := strconv.Itoa(i)
		tie := tieOf("onelogin", id)
		if other, ok := seen[tie]; ok {
			a, b = other, id
		}
		seen[tie] = id
	}
	at := fixtureNow
	var evs []model.Event
	for _, id := range []string{a, b, "x", "y", "z"} {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: id, Time: at, Score: model.NoScore})
	}
	if n := put(t, s, evs); n != 5 {
		t.Fatalf("inserted %d, want 5", n)
	}
	if n := put(t, s, evs); n != 0 {
		t.Fatalf("re-put inserted %d, want 0", n)
	}
	page, err := s.Events(context.Background(), EventQuery{Limit: 10})
	if err != nil || len(page.Events) != 5 {
		t.Fatalf("page: %v, %d events", err, len(page.Events))
	}
	for _, e := range page.Events {
		if !e.Time.Equal(at) {
			t.Errorf("%s at %v, want %v", e.ID, e.Time, at)
		}
	}
}

func TestPutEventsRefusesBadInput(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	for name, e := range map[string]model.Event{
		"no id":      {Vendor: "onelogin", Time: fixtureNow},
		"no vendor":  {ID: "1", Time: fixtureNow},
		"zero time":  {Vendor: "onelogin", ID: "1"},
		"far future": {Vendor: "onelogin", ID: "1", Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		good := model.Event{Vendor: "onelogin", ID: "good", Time: fixtureNow}
		if _, err := s.PutEvents(ctx, []model.Event{good, e}); err == nil || !strings.HasPrefix(err.Error(), "store: put events: ") {
			t.Errorf("%s: err = %v, want a put events error", name, err)
		}
	}
	// Nothing of a refused batch is stored.
	if n, _ := s.CountEvents(ctx, EventFilter{}); n != 0 {
		t.Errorf("%d events stored from refused batches", n)
	}
	if n, err := s.PutEvents(ctx, nil); n != 0 || err != nil {
		t.Errorf("empty batch: %d, %v", n, err)
	}
}

func TestEventRoundTrip(t *testing.T) {
	s := openMem(t)
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
	if _, err := s.Event(ctx, in.Vendor, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing event: %v", err)
	}
	if _, err := s.NewestEvent(ctx, "okta"); !errors.Is(err, ErrNotFound) {
		t.Errorf("newest of a vendor without events: %v", err)
	}
}

func TestNewestEventPerVendor(t *testing.T) {
	s := openMem(t)
	put(t, s, []model.Event{
		{Vendor: "onelogin", ID: "a", Time: fixtureNow.Add(-3 * time.Hour)},
		{Vendor: "cloudflare", ID: "b", Time: fixtureNow.Add(-2 * time.Hour)},
		{Vendor: "onelogin", ID: "c", Time: fixtureNow.Add(-time.Hour)},
		{Vendor: "onelogin", ID: "d", Time: fixtureNow.Add(-4 * time.Hour)}, // back-filled later
	})
	for vendor, want := range map[string]string{"onelogin": "c", "cloudflare": "b"} {
		if e, err := s.NewestEvent(context.Background(), vendor); err != nil || e.ID != want {
			t.Errorf("newest %s = %q, %v; want %q", vendor, e.ID, err, want)
		}
	}
}

// filterFixture is a small store with hand-made events that every filter
// can tell apart, plus generated ones.
func filterFixture(t *testing.T) (*SQLite, []model.Event) {
	t.Helper()
	s := openMem(t)
	g := newEventGen(7, 60)
	var evs []model.Event
	// Ten days, back-filled newest day first, as the poller does.
	for day := range 10 {
		evs = append(evs, g.batch(80, fixtureNow.Add(-time.Duration(day+1)*24*time.Hour), 24*time.Hour)...)
	}
	evs = append(evs,
		model.Event{Vendor: "okta", ID: "percent", Time: fixtureNow.Add(-time.Minute), UserName: "100% Sure_Thing",
			IP: "10.1.2.3", Score: model.NoScore, App: "Weird_App", Reasons: "matched 50% of rules"},
		model.Event{Vendor: "okta", ID: "ten", Time: fixtureNow.Add(-2 * time.Minute), IP: "10.10.0.1", Score: 3},
		model.Event{Vendor: "okta", ID: "mapped", Time: fixtureNow.Add(-3 * time.Minute), IP: "::ffff:10.1.9.9", Score: 3},
		model.Event{Vendor: "okta", ID: "nameonly", Time: fixtureNow.Add(-4 * time.Minute), UserName: "Ada Lovelace", Score: 60},
	)
	// Store in shuffled batches: insertion order must not matter.
	shuffled := slices.Clone(evs)
	g.rnd.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := 0; i < len(shuffled); i += 97 {
		put(t, s, shuffled[i:min(i+97, len(shuffled))])
	}
	return s, evs
}

// matches is the filter written the slow, obvious way.
func matches(e model.Event, f EventFilter) bool {
	ms := e.Time.UnixMilli()
	lower := strings.ToLower
	switch {
	case f.Vendor != "" && e.Vendor != f.Vendor,
		!f.From.IsZero() && ms < f.From.UnixMilli(),
		!f.To.IsZero() && ms >= f.To.UnixMilli(),
		len(f.Types)+len(f.TypeNames) > 0 && !slices.Contains(f.Types, e.Type) &&
			!slices.ContainsFunc(f.TypeNames, func(n string) bool { return strings.Contains(lower(e.TypeName), lower(n)) }),
		f.MinScore > 0 && e.Score < f.MinScore:
		return false
	}
	if who := f.users(); len(who) > 0 && !slices.ContainsFunc(who, func(u string) bool {
		return lower(u) == e.UserKey || u == e.UserID || lower(u) == lower(e.UserName)
	}) {
		return false
	}
	if f.IP != "" {
		a, err := netip.ParseAddr(e.IP)
		if err != nil {
			return false
		}
		a = a.Unmap()
		if p, err := netip.ParsePrefix(f.IP); err == nil {
			if !p.Contains(a) {
				return false
			}
		} else if a != netip.MustParseAddr(f.IP).Unmap() {
			return false
		}
	}
	if f.Text != "" {
		t := lower(f.Text)
		ip := e.IP
		if a, err := netip.ParseAddr(ip); err == nil {
			ip = a.Unmap().String()
		}
		if !slices.ContainsFunc([]string{e.TypeName, e.UserName, e.UserKey, ip, e.App, e.Reasons}, func(s string) bool {
			return strings.Contains(lower(s), t)
		}) {
			return false
		}
	}
	return true
}

// walk pages through q forwards with After and returns the events.
func walk(t *testing.T, s Store, q EventQuery) []model.Event {
	t.Helper()
	var out []model.Event
	for pages := 0; ; pages++ {
		p, err := s.Events(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if p.HasPrev != (pages > 0) {
			t.Fatalf("page %d: HasPrev = %v", pages, p.HasPrev)
		}
		out = append(out, p.Events...)
		if !p.HasNext {
			return out
		}
		if pages > 10_000 {
			t.Fatal("paging does not end")
		}
		if len(p.Events) != q.Limit {
			t.Fatalf("page %d has %d events and HasNext", pages, len(p.Events))
		}
		q.After = p.LastKey
	}
}

// walkBack pages from the last page backwards with Before and returns the
// events in the query's order.
func walkBack(t *testing.T, s Store, q EventQuery) []model.Event {
	t.Helper()
	q.Last = true
	var pages [][]model.Event
	for n := 0; ; n++ {
		p, err := s.Events(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if p.HasNext != (n > 0) {
			t.Fatalf("page %d from the end: HasNext = %v", n, p.HasNext)
		}
		pages = append(pages, p.Events)
		if !p.HasPrev {
			break
		}
		if n > 10_000 {
			t.Fatal("paging back does not end")
		}
		if len(p.Events) != q.Limit {
			t.Fatalf("page %d from the end has %d events and HasPrev", n, len(p.Events))
		}
		q.Last, q.Before = false, p.First
	}
	var out []model.Event
	for i := len(pages) - 1; i >= 0; i-- {
		out = append(out, pages[i]...)
	}
	return out
}

func TestEventFilters(t *testing.T) {
	s, evs := filterFixture(t)
	g := newEventGen(7, 60)
	busy, rare := g.users[0], g.users[45]
	day := fixtureNow.Add(-24 * time.Hour)
	cases := []struct {
		name string
		f    EventFilter
		min  int // the fixture must give at least this many matches
	}{
		{"all", EventFilter{}, 804},
		{"vendor", EventFilter{Vendor: "cloudflare"}, 10},
		{"from", EventFilter{From: day}, 50},
		{"window", EventFilter{From: fixtureNow.Add(-72 * time.Hour), To: day}, 100},
		{"to at an event", EventFilter{To: fixtureNow.Add(-time.Minute)}, 800},
		{"types", EventFilter{Types: []int{6, 13}}, 50},
		{"user by email", EventFilter{User: strings.ToUpper(busy.email)}, 20},
		{"user by id", EventFilter{User: rare.id}, 1},
		{"user by name", EventFilter{User: " " + strings.ToUpper(rare.name) + " "}, 1},
		{"user by name only", EventFilter{User: "ada lovelace"}, 1},
		{"unknown user", EventFilter{User: "nobody@example.com"}, 0},
		{"ip", EventFilter{IP: "10.1.2.3"}, 1},
		{"ip mapped", EventFilter{IP: "::ffff:10.1.9.9"}, 1},
		{"ip /24", EventFilter{IP: "192.0.2.0/24"}, 100},
		{"ip /16 not /8", EventFilter{IP: "10.1.0.0/16"}, 2},
		{"ip /8", EventFilter{IP: "10.0.0.0/8"}, 3},
		{"ip unmasked prefix", EventFilter{IP: "203.0.113.77/24"}, 100},
		{"ip v6 /32", EventFilter{IP: "2001:db8::/32"}, 100},
		{"ip v6 /44", EventFilter{IP: "2001:db8:30::/44"}, 1},
		{"min score", EventFilter{MinScore: 50}, 50},
		{"type names", EventFilter{TypeNames: []string{"TYPE 13", "type 11"}}, 20},
		{"type ids or names", EventFilter{Types: []int{6}, TypeNames: []string{"type 13"}}, 50},
		{"type name with LIKE signs", EventFilter{TypeNames: []string{"type_1"}}, 0},
		{"users: email or name", EventFilter{User: rare.email, Users: []string{"Ada Lovelace"}}, 2},
		{"users: names only", EventFilter{Users: []string{"ada lovelace", "nobody", strings.ToUpper(rare.name)}}, 2},
		{"text type name", EventFilter{Text: "TYPE 110"}, 1},
		{"text name", EventFilter{Text: "LOVELACE"}, 2},
		{"text email", EventFilter{Text: "ada.lovelace@"}, 1},
		{"text ip", EventFilter{Text: "203.0.113.1"}, 5},
		{"text app", EventFilter{Text: "workspace"}, 10},
		{"text reason", EventFilter{Text: "impossible travel from lagos"}, 2},
		{"text percent", EventFilter{Text: "100%"}, 1},
		{"text underscore", EventFilter{Text: "d_a"}, 1},
		{"text short", EventFilter{Text: "%"}, 1},
		{"combined", EventFilter{Vendor: "onelogin", From: fixtureNow.Add(-5 * 24 * time.Hour), MinScore: 20,
			Types: []int{5, 6}, IP: "192.0.2.0/24"}, 5},
		{"user and window", EventFilter{User: busy.email, From: fixtureNow.Add(-5 * 24 * time.Hour)}, 5},
		{"far window", EventFilter{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, 804},
		{"far future", EventFilter{From: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, 0},
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
			for _, by := range []Sort{ByTime, ByScore} {
				got := ids(walk(t, s, EventQuery{EventFilter: c.f, Sort: by, Limit: 37}))
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
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestEventFilterErrors(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	for _, ip := range []string{"garbage", "203.0.113.", "203.0.113.0/33", "1.2.3.4/x", "::1/129"} {
		_, err := s.Events(ctx, EventQuery{EventFilter: EventFilter{IP: ip}})
		if err == nil || !strings.Contains(err.Error(), "bad IP filter") {
			t.Errorf("IP %q: err = %v", ip, err)
		}
		if _, err := s.CountEvents(ctx, EventFilter{IP: ip}); err == nil {
			t.Errorf("count with IP %q: no error", ip)
		}
	}
	key := &PageKey{}
	for name, q := range map[string]EventQuery{
		"negative limit": {Limit: -1},
		"limit too big":  {Limit: MaxPageSize + 1},
		"after+before":   {After: key, Before: key},
		"last+after":     {Last: true, After: key},
		"sort":           {Sort: Sort(7)},
		"types":          {EventFilter: EventFilter{Types: make([]int, maxTypes+1)}},
	} {
		if _, err := s.Events(ctx, q); err == nil || !strings.HasPrefix(err.Error(), "store: events: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// tiesFixture has many events per millisecond and per score, so the
// keyset tiebreaks are exercised on every page boundary.
func tiesFixture(t *testing.T) (*SQLite, []model.Event) {
	s := openMem(t)
	var evs []model.Event
	scores := []int{model.NoScore, 0, 10, 50, 50, 90}
	for i := range 347 {
		evs = append(evs, model.Event{
			Vendor: "onelogin", ID: fmt.Sprintf("e%03d", i),
			Time:  fixtureNow.Add(-time.Duration(i%13) * time.Second), // 13 distinct times
			Score: scores[i%len(scores)], Type: 5,
		})
	}
	// Insert in an order unrelated to time or id.
	order := slices.Clone(evs)
	slices.SortFunc(order, func(a, b model.Event) int { return strings.Compare(a.ID[2:]+a.ID, b.ID[2:]+b.ID) })
	for i := 0; i < len(order); i += 50 {
		put(t, s, order[i:min(i+50, len(order))])
	}
	return s, evs
}

func TestKeysetPaging(t *testing.T) {
	s, evs := tiesFixture(t)
	ctx := context.Background()
	for _, by := range []Sort{ByTime, ByScore} {
		for _, limit := range []int{3, 7, 50, 346, 347, 500} {
			t.Run(fmt.Sprintf("sort%d/limit%d", by, limit), func(t *testing.T) {
				full, err := s.Events(ctx, EventQuery{Sort: by, Limit: 500})
				if err != nil || len(full.Events) != len(evs) || full.HasNext || full.HasPrev {
					t.Fatalf("full page: %v, %d events, next %v prev %v", err, len(full.Events), full.HasNext, full.HasPrev)
				}
				checkOrder(t, full.Events, by)
				want := ids(full.Events)
				q := EventQuery{Sort: by, Limit: limit}
				if got := ids(walk(t, s, q)); !reflect.DeepEqual(got, want) {
					t.Errorf("forward pages differ from the full result\n got %v\nwant %v", got, want)
				}
				if got := ids(walkBack(t, s, q)); !reflect.DeepEqual(got, want) {
					t.Errorf("backward pages differ from the full result\n got %v\nwant %v", got, want)
				}
				last, err := s.Events(ctx, EventQuery{Sort: by, Limit: limit, Last: true})
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

// checkOrder checks a page against the sort's definition.
func checkOrder(t *testing.T, evs []model.Event, by Sort) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		a, b := evs[i-1], evs[i]
		if by == ByScore && a.Score != b.Score {
			if a.Score < b.Score {
				t.Fatalf("%s (score %d) before %s (score %d)", a.ID, a.Score, b.ID, b.Score)
			}
			continue
		}
		if a.Time.Before(b.Time) {
			t.Fatalf("%s (%v) before %s (%v)", a.ID, a.Time, b.ID, b.Time)
		}
	}
}

func TestPagingAtBothEnds(t *testing.T) {
	s, _ := tiesFixture(t)
	ctx := context.Background()
	first, err := s.Events(ctx, EventQuery{Limit: 100})
	if err != nil || first.HasPrev || !first.HasNext || len(first.Events) != 100 {
		t.Fatalf("first page: %v prev %v next %v", err, first.HasPrev, first.HasNext)
	}
	// Back from the second page lands on the first, which has nothing before it.
	second, _ := s.Events(ctx, EventQuery{Limit: 100, After: first.LastKey})
	back, err := s.Events(ctx, EventQuery{Limit: 100, Before: second.First})
	if err != nil || back.HasPrev || !back.HasNext || !reflect.DeepEqual(ids(back.Events), ids(first.Events)) {
		t.Fatalf("back to the first page: %v prev %v next %v", err, back.HasPrev, back.HasNext)
	}
	// Past the last row there is nothing, and nothing after it.
	last, _ := s.Events(ctx, EventQuery{Limit: 100, Last: true})
	past, err := s.Events(ctx, EventQuery{Limit: 100, After: last.LastKey})
	if err != nil || len(past.Events) != 0 || past.HasNext || past.First != nil || past.LastKey != nil {
		t.Fatalf("past the end: %v, %d events, next %v", err, len(past.Events), past.HasNext)
	}
	// An empty store has one empty page.
	empty := openMem(t)
	for _, q := range []EventQuery{{}, {Last: true}, {Sort: ByScore}} {
		p, err := empty.Events(ctx, q)
		if err != nil || len(p.Events) != 0 || p.HasNext || p.HasPrev {
			t.Errorf("empty store %+v: %v %+v", q, err, p)
		}
	}
}

func TestPagingFilteredAcrossManyPages(t *testing.T) {
	s, evs := filterFixture(t)
	f := EventFilter{Vendor: "onelogin", MinScore: 1}
	var want int
	for _, e := range evs {
		if matches(e, f) {
			want++
		}
	}
	for _, by := range []Sort{ByTime, ByScore} {
		q := EventQuery{EventFilter: f, Sort: by, Limit: 19}
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

func TestEventsHonourContext(t *testing.T) {
	s, _ := filterFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Events(ctx, EventQuery{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Events: %v", err)
	}
	if _, err := s.PutEvents(ctx, newEventGen(1, 1).batch(1, fixtureNow, time.Second)); !errors.Is(err, context.Canceled) {
		t.Errorf("PutEvents: %v", err)
	}
	if _, err := s.CountEvents(ctx, EventFilter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("CountEvents: %v", err)
	}
}

func TestFieldsJSONMatchesEncodingJSON(t *testing.T) {
	g := newEventGen(5, 1)
	for i := range 300 {
		f := map[string]string{}
		for range g.rnd.IntN(5) {
			b := make([]byte, g.rnd.IntN(12))
			for j := range b {
				b[j] = byte(g.rnd.IntN(256))
			}
			f[string(b[:len(b)/2])] = string(b)
		}
		f["<html>&"] = "\u2028 é ✓ \"quoted\" \\ \x01\x1f"
		want, err := jsonRoundTrip(f)
		if err != nil {
			t.Fatal(err)
		}
		ours := appendFieldsJSON(nil, f)
		var std map[string]string
		if err := jsonUnmarshal(ours, &std); err != nil || !reflect.DeepEqual(std, want) {
			t.Fatalf("case %d: encoding/json reads %s as %q, %v; want %q", i, ours, std, err, want)
		}
		fast, ok := parseFlatObject(string(ours))
		if !ok || !reflect.DeepEqual(fast, want) {
			t.Fatalf("case %d: parseFlatObject(%s) = %q, %v; want %q", i, ours, fast, ok, want)
		}
		// What another encoder wrote still reads, through encoding/json.
		other, _ := jsonMarshal(f)
		if got, err := parseFieldsJSON(string(other)); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: parseFieldsJSON(%s) = %q, %v", i, other, got, err)
		}
	}
	for _, bad := range []string{`{"a":"b"`, `{"a":1}`, `{"a":"b",}`, `{"a" "b"}`, `[]`, `{"a":"\ud800"}`} {
		if _, ok := parseFlatObject(bad); ok {
			t.Errorf("parseFlatObject accepted %s", bad)
		}
	}
}

// A context that ends between the resolver's two prepares leaves one
// statement; closing must not panic on the other (it took the poller's
// goroutine, and the dashboard, down on quit).
func TestUIDResolverClosesHalfPrepared(t *testing.T) {
	s := openMem(t)
	tx, err := s.write.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	find, err := tx.Prepare(`SELECT 1`)
	if err != nil {
		t.Fatal(err)
	}
	u := &uidResolver{tx: tx, find: find}
	u.close()
	(&uidResolver{}).close()
}
