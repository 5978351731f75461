package store

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
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

// filterFixture (the events cases' own is in storetest) is a small store with hand-made events that every filter
// can tell apart, plus generated ones.
func filterFixture(t *testing.T) (*SQLite, []model.Event) {
	t.Helper()
	s := openMem(t)
	g := eventgen.New(7, 60)
	var evs []model.Event
	// Ten days, back-filled newest day first, as the poller does.
	for day := range 10 {
		evs = append(evs, g.Batch(80, fixtureNow.Add(-time.Duration(day+1)*24*time.Hour), 24*time.Hour)...)
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
	g.Rnd.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := 0; i < len(shuffled); i += 97 {
		put(t, s, shuffled[i:min(i+97, len(shuffled))])
	}
	return s, evs
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

func TestFieldsJSONMatchesEncodingJSON(t *testing.T) {
	g := eventgen.New(5, 1)
	for i := range 300 {
		f := map[string]string{}
		for range g.Rnd.IntN(5) {
			b := make([]byte, g.Rnd.IntN(12))
			for j := range b {
				b[j] = byte(g.Rnd.IntN(256))
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
