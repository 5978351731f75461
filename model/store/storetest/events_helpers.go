package storetest

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
	"github.com/risktop/risktop/model/store"
)

// FixtureNow is the end of the events cases' (and the benchmarks')
// generated history.
var FixtureNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, s store.Store, evs []model.Event) int {
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

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// seqTie is the tiebreak both stores give an event within its
// millisecond (the low bits of its seq: model/store/events.go's tieOf),
// so a case can make two events clash.
func seqTie(vendor, id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(vendor))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return int64(h.Sum64() & (1<<20 - 1))
}

// maxTypes is the stores' bound on the Types and TypeNames filter.
const maxTypes = 200

// filterUsers are the user filter's alternatives, blanks left out.
func filterUsers(f store.EventFilter) []string {
	var out []string
	for _, u := range append([]string{f.User}, f.Users...) {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// matches is the filter written the slow, obvious way.
func matches(e model.Event, f store.EventFilter) bool {
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
	if who := filterUsers(f); len(who) > 0 && !slices.ContainsFunc(who, func(u string) bool {
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
func walk(t *testing.T, s store.Store, q store.EventQuery) []model.Event {
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
func walkBack(t *testing.T, s store.Store, q store.EventQuery) []model.Event {
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

// checkOrder checks a page against the sort's definition.
func checkOrder(t *testing.T, evs []model.Event, by store.Sort) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		a, b := evs[i-1], evs[i]
		if by == store.ByScore && a.Score != b.Score {
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

// filterFixture is a small store with hand-made events that every filter
// can tell apart, plus generated ones.
func filterFixture(t *testing.T, s store.Store) []model.Event {
	t.Helper()
	g := eventgen.New(7, 60)
	var evs []model.Event
	// Ten days, back-filled newest day first, as the poller does.
	for day := range 10 {
		evs = append(evs, g.Batch(80, FixtureNow.Add(-time.Duration(day+1)*24*time.Hour), 24*time.Hour)...)
	}
	evs = append(evs,
		model.Event{Vendor: "okta", ID: "percent", Time: FixtureNow.Add(-time.Minute), UserName: "100% Sure_Thing",
			IP: "10.1.2.3", Score: model.NoScore, App: "Weird_App", Reasons: "matched 50% of rules"},
		model.Event{Vendor: "okta", ID: "ten", Time: FixtureNow.Add(-2 * time.Minute), IP: "10.10.0.1", Score: 3},
		model.Event{Vendor: "okta", ID: "mapped", Time: FixtureNow.Add(-3 * time.Minute), IP: "::ffff:10.1.9.9", Score: 3},
		model.Event{Vendor: "okta", ID: "nameonly", Time: FixtureNow.Add(-4 * time.Minute), UserName: "Ada Lovelace", Score: 60},
	)
	// Store in shuffled batches: insertion order must not matter.
	shuffled := slices.Clone(evs)
	g.Rnd.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := 0; i < len(shuffled); i += 97 {
		put(t, s, shuffled[i:min(i+97, len(shuffled))])
	}
	return evs
}

// tiesFixture has many events per millisecond and per score, so the
// keyset tiebreaks are exercised on every page boundary.
func tiesFixture(t *testing.T, s store.Store) []model.Event {
	t.Helper()
	var evs []model.Event
	scores := []int{model.NoScore, 0, 10, 50, 50, 90}
	for i := range 347 {
		evs = append(evs, model.Event{
			Vendor: "onelogin", ID: fmt.Sprintf("e%03d", i),
			Time:  FixtureNow.Add(-time.Duration(i%13) * time.Second), // 13 distinct times
			Score: scores[i%len(scores)], Type: 5,
		})
	}
	// Insert in an order unrelated to time or id.
	order := slices.Clone(evs)
	slices.SortFunc(order, func(a, b model.Event) int { return strings.Compare(a.ID[2:]+a.ID, b.ID[2:]+b.ID) })
	for i := 0; i < len(order); i += 50 {
		put(t, s, order[i:min(i+50, len(order))])
	}
	return evs
}

// aggFixture is a handful of events whose aggregates are worked out by
// hand in the cases. t0 is 10:00.
func aggFixture(t *testing.T, s store.Store) time.Time {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	ol := "onelogin"
	put(t, s, []model.Event{
		{Vendor: ol, ID: "1", Time: at(0, 5), UserID: "7", UserName: "Ada Lovelace", UserKey: "ada@example.com", IP: "192.0.2.1", Score: 10, Level: model.LevelLow, Type: 5},
		{Vendor: ol, ID: "2", Time: at(0, 50), UserID: "7", UserName: "Ada Lovelace", UserKey: "ada@example.com", IP: "192.0.2.1", Score: 80, Level: model.LevelCritical, Type: 5},
		{Vendor: ol, ID: "3", Time: at(2, 0), UserID: "8", UserName: "Alan Turing", UserKey: "alan@example.com", IP: "192.0.2.1", Score: 30, Level: model.LevelMedium, Type: 6},
		{Vendor: ol, ID: "4", Time: at(2, 30), UserID: "8", UserName: "Alan Turing", UserKey: "alan@example.com", IP: "198.51.100.9", Score: 80, Level: model.LevelCritical, Type: 5},
		{Vendor: ol, ID: "5", Time: at(4, 59), UserName: "Grace Hopper", IP: "198.51.100.9", Score: model.NoScore, Type: 6},
		{Vendor: ol, ID: "6", Time: at(-1, 0), UserID: "9", UserName: "Old Event", IP: "203.0.113.5", Score: 99, Level: model.LevelCritical, Type: 5},
		{Vendor: "cloudflare", ID: "c1", Time: at(3, 0), UserID: "cf-7", UserKey: "ada@example.com", IP: "192.0.2.1", Score: model.NoScore, Level: model.LevelHigh},
		{Vendor: ol, ID: "7", Time: at(1, 0), UserID: "7", UserName: "Ada L.", IP: "2001:db8::1", Score: 5, Level: model.LevelLow, Type: 5},
	})
	return t0
}

// tailEvents are events whose stored form differs from what was put: a
// mapped IPv4 address, sub-millisecond times, columns the feed does not
// read, no user at all.
func tailEvents(from, n int, at time.Time) []model.Event {
	out := make([]model.Event, n)
	for i := range out {
		k := from + i
		e := model.Event{Vendor: "onelogin", ID: "ev" + strconv.Itoa(k), Time: at.Add(time.Duration(k)*time.Second + 123456),
			Type: 6, TypeName: "USER_FAILED_ONELOGIN_LOGIN", UserID: strconv.Itoa(k % 3), UserName: "Zoe", UserKey: "zoe@example.com",
			IP: "::ffff:198.51.100." + strconv.Itoa(k%250), Score: model.NoScore, App: "Slack", Reasons: "new device",
			Fields: map[string]string{"k": "v"}}
		switch k % 4 {
		case 1:
			e.UserID, e.UserName, e.UserKey = "", "", ""
		case 2:
			e.Score, e.Level, e.IP = 91, model.LevelCritical, "2001:db8::1"
		}
		out[i] = e
	}
	return out
}
