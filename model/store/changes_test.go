package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
)

func view(email string, l model.Level) model.UserRisk {
	return model.UserRisk{UserID: "id-" + email, Email: email, Level: l, Score: model.NoScore}
}

// rangeEvents are n sign-ins from distinct addresses of a /24 (or /48)
// by users people ids, failed when fail.
func rangeEvents(prefix string, from time.Time, n, people int, fail bool, idBase int) []model.Event {
	var out []model.Event
	for i := range n {
		name := "USER_LOGGED_INTO_ONELOGIN"
		if fail {
			name = "USER_FAILED_ONELOGIN_LOGIN"
		}
		u := i % people
		out = append(out, model.Event{Vendor: "onelogin", ID: fmt.Sprint(idBase + i), Time: from.Add(time.Duration(i) * time.Second),
			Type: 6, TypeName: name, UserID: fmt.Sprint(u), UserName: fmt.Sprintf("User %d", u),
			IP: fmt.Sprintf(prefix, i%50+1), Score: 60, Level: model.LevelHigh})
	}
	return out
}

// directHours counts events per (hour, vendor, bucket) from the events.
func directHours(t *testing.T, s *SQLite) map[string]int {
	t.Helper()
	rows, err := s.read.Query(`SELECT (seq >> 20) / 3600000, vendor, ` + bucketSQL("score") + `, count(*) FROM events GROUP BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	return hourRows(t, rows)
}

func rollupHours(t *testing.T, s *SQLite) map[string]int {
	t.Helper()
	rows, err := s.read.Query(`SELECT hour, vendor, n0, n1, n2, n3, n4, nx FROM event_hours`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			hour   int64
			vendor string
			n      [6]int
		)
		if err := rows.Scan(&hour, &vendor, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5]); err != nil {
			t.Fatal(err)
		}
		for b, c := range n {
			if b == 5 {
				b = -1
			}
			if c != 0 {
				out[fmt.Sprintf("%d/%s/%d", hour, vendor, b)] = c
			}
		}
	}
	return out
}

func hourRows(t *testing.T, rows interface {
	Next() bool
	Scan(...any) error
	Close() error
}) map[string]int {
	t.Helper()
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			hour, bucket, n int64
			vendor          string
		)
		if err := rows.Scan(&hour, &vendor, &bucket, &n); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%d/%s/%d", hour, vendor, bucket)] = int(n)
	}
	return out
}

// sameRanges compares ip_ranges with the events' own count by range.
func sameRanges(t *testing.T, when string, s *SQLite) {
	t.Helper()
	read := func(q string) string {
		rows, err := s.read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var (
				r                []byte
				first, ev, fails int64
			)
			if err := rows.Scan(&r, &first, &ev, &fails); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%x %d %d %d", r, first>>seqShift, ev, fails))
		}
		return strings.Join(out, "\n")
	}
	direct := read(`SELECT ` + rangeOf("ip_bin") + ` AS r, min(seq), count(*), sum(type_name LIKE '%fail%') FROM events
		WHERE ip_bin IS NOT NULL GROUP BY r ORDER BY r`)
	table := read(`SELECT range, first_seq, events, failures FROM ip_ranges ORDER BY range`)
	if direct != table || direct == "" {
		t.Fatalf("%s: ip_ranges\n%s\nwant\n%s", when, table, direct)
	}
}

func sameCounts(t *testing.T, when string, s *SQLite) {
	t.Helper()
	direct, rollup := directHours(t, s), rollupHours(t, s)
	if fmt.Sprint(direct) != fmt.Sprint(rollup) {
		t.Fatalf("%s: the rollup (%d rows) is not the events' count (%d rows):\nrollup %v\ndirect %v", when, len(rollup), len(direct), rollup, direct)
	}
}

// TestRollupFollowsEvents: the hourly rollup equals a direct count of the
// events after inserts and a batch stored again, and a prune that cuts
// an hour in two leaves it (what Trends reads of it: storetest's
// TrendsFollowEvents).
func TestRollupFollowsEvents(t *testing.T) {
	s := openMem(t)
	s.pruneBatch = 70
	ctx := context.Background()
	g := eventgen.New(16, 40)
	old := g.Batch(600, fixtureNow.Add(-48*time.Hour), 24*time.Hour)
	recent := g.Batch(900, fixtureNow.Add(-24*time.Hour), 24*time.Hour)
	put(t, s, old)
	put(t, s, recent)
	put(t, s, rangeEvents("198.18.7.%d", fixtureNow.Add(-time.Hour), 30, 12, true, 9000))
	sameCounts(t, "after inserts", s)
	sameRanges(t, "after inserts", s)
	if n, err := s.PutEvents(ctx, recent[:300]); err != nil || n != 0 {
		t.Fatalf("stored again: %d, %v", n, err)
	}
	sameCounts(t, "after a batch stored again", s)
	sameRanges(t, "after a batch stored again", s)

	// A cut in the middle of an hour: the rollup outlives the events.
	kept := rollupHours(t, s)
	if _, err := s.Prune(ctx, fixtureNow.Add(-30*time.Hour-17*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := rollupHours(t, s); fmt.Sprint(got) != fmt.Sprint(kept) {
		t.Fatalf("after a prune: the rollup\n%v\nwant it unchanged\n%v", got, kept)
	}
	if n, _ := s.CountEvents(ctx, EventFilter{}); n == 1530 || n <= 930 {
		t.Fatalf("the prune removed nothing or too much: %d left", n)
	}
}

// TestRollupBackFilled: the migration counts the events already stored,
// and fills the ranges, the history's previous levels and the peaks: the
// Changes read the same before and after.
func TestRollupBackFilled(t *testing.T) {
	s, path := openFile(t)
	ctx := context.Background()
	put(t, s, eventgen.New(17, 20).Batch(500, fixtureNow.Add(-72*time.Hour), 72*time.Hour))
	put(t, s, rangeEvents("198.18.7.%d", fixtureNow.Add(-30*time.Minute), 30, 12, true, 9000))
	for i, l := range []model.Level{model.LevelLow, model.LevelHigh, model.LevelMedium, model.LevelCritical} {
		must(t, s.PutUserRisks(ctx, "cloudflare", fixtureNow.Add(time.Duration(i-3)*time.Hour), []model.UserRisk{
			view("ava@example.com", l), view("ben@example.com", model.Level(5-i))}))
	}
	q := ChangesQuery{Since: fixtureNow.Add(-90 * time.Minute), Until: fixtureNow}
	before, err := s.Changes(ctx, q)
	must(t, err)
	if len(before.Levels) != 2 || len(before.Ranges) != 1 || len(before.NewPeople) != 0 {
		t.Fatalf("changes before: %+v", before)
	}
	want := directHours(t, s)
	// Take the store back to before the migration, with its events.
	if len(migrations) != 9 || migrations[7] != changesSchema {
		t.Fatal("migrations after 9: undo them too")
	}
	_, err = s.write.Exec(`DROP TABLE event_hours;
		DROP TABLE ip_ranges; DROP TRIGGER risk_history_prev; DROP TRIGGER person_peaks_add;
		DROP TABLE person_peaks; DROP INDEX risk_history_at; ALTER TABLE risk_history DROP COLUMN prev_level;
		DROP TABLE health_changes; DROP TABLE change_marks; PRAGMA user_version = 7`)
	must(t, err)
	must(t, s.Close())
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := rollupHours(t, s2); fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
		t.Fatalf("back-filled %v, want %v", got, want)
	}
	after, err := s2.Changes(ctx, q)
	must(t, err)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("changes after the migration:\n%+v\nwant\n%+v", after, before)
	}
}

// TestBucketSQLIsBucketOf: the rollup's buckets are model's.
func TestBucketSQLIsBucketOf(t *testing.T) {
	s := openMem(t)
	for score := -1; score <= 100; score++ {
		var b int
		if err := s.read.QueryRow(`SELECT `+bucketSQL("?1"), score).Scan(&b); err != nil {
			t.Fatal(err)
		}
		want := -1
		if score >= 0 {
			want = int(model.BucketOf(score))
		}
		if b != want {
			t.Fatalf("score %d: bucket %d, want %d", score, b, want)
		}
	}
}

// TestFailedTypeMatchesTheStore: the store counts failures as
// model.FailedType does.
func TestFailedTypeMatchesTheStore(t *testing.T) {
	s := openMem(t)
	for _, name := range []string{"USER_FAILED_ONELOGIN_LOGIN", "login failed", "Fail", "FAI L", "USER_LOGGED_INTO_ONELOGIN", "", "fai"} {
		var n int
		if err := s.read.QueryRow(`SELECT ? LIKE '%fail%'`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != model.FailedType(name) {
			t.Fatalf("%q: store %d, model %v", name, n, model.FailedType(name))
		}
	}
}
