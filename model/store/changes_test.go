package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func view(email string, l model.Level) model.UserRisk {
	return model.UserRisk{UserID: "id-" + email, Email: email, Level: l, Score: model.NoScore}
}

// TestChangesLevels: a person's level changes in a window are read
// against the row before them (same person and vendor), one line a person
// (their biggest rise), rises before falls; people first seen at High or
// Critical in the window are new, those High before are not.
func TestChangesLevels(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	since := fixtureNow.Add(-time.Hour)
	before := since.Add(-2 * time.Hour)
	must(t, s.PutUserRisks(ctx, "cloudflare", before, []model.UserRisk{
		view("ava@example.com", model.LevelMedium), view("ben@example.com", model.LevelLow),
		view("cy@example.com", model.LevelHigh), view("eve@example.com", model.LevelHigh)}))
	must(t, s.PutUserRisks(ctx, "casb", before, []model.UserRisk{view("ava@example.com", model.LevelLow)}))
	// In the window: Ava Medium→Critical in Cloudflare and Low→Medium in
	// CASB; Ben Low→None; Cy unchanged; Dee new at Critical; Eve High
	// before, Critical now (a rise, not new).
	must(t, s.PutUserRisks(ctx, "cloudflare", since.Add(10*time.Minute), []model.UserRisk{
		view("ava@example.com", model.LevelCritical), view("ben@example.com", model.LevelNone),
		view("cy@example.com", model.LevelHigh), view("dee@example.com", model.LevelCritical),
		view("eve@example.com", model.LevelCritical)}))
	must(t, s.PutUserRisks(ctx, "casb", since.Add(20*time.Minute), []model.UserRisk{view("ava@example.com", model.LevelMedium)}))
	// After the window: not counted.
	must(t, s.PutUserRisks(ctx, "casb", fixtureNow.Add(time.Minute), []model.UserRisk{view("fay@example.com", model.LevelCritical)}))

	ch, err := s.Changes(ctx, ChangesQuery{Since: since, Until: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch.Levels {
		got = append(got, fmt.Sprintf("%s %s %s→%s", c.Key, c.Vendor, c.From.Label(), c.To.Label()))
	}
	want := []string{
		"ava@example.com cloudflare Medium→Critical", // the biggest rise of hers, though CASB's is newer
		"eve@example.com cloudflare High→Critical",
		"ben@example.com cloudflare Low→None",
	}
	// Ava and Eve rose at the same time: by key.
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("levels:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(ch.NewPeople) != 1 || ch.NewPeople[0].Key != "dee@example.com" || ch.NewPeople[0].Level != model.LevelCritical {
		t.Fatalf("new people %+v, want Dee at Critical", ch.NewPeople)
	}
	// Seen by an operator at Critical: not new to them.
	ch.Unseen(model.SeenMark{People: map[string]model.Level{"dee@example.com": model.LevelCritical}})
	if len(ch.NewPeople) != 0 {
		t.Fatalf("Dee seen at Critical is still new: %+v", ch.NewPeople)
	}
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

// TestChangesRanges: a range is listed when it is new (no event before
// the window) and busy with failed sign-ins or people; the counts are
// its window's.
func TestChangesRanges(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	since := fixtureNow.Add(-time.Hour)
	put(t, s, rangeEvents("203.0.113.%d", since.Add(time.Minute), 135, 40, true, 1000))     // the burst: new, failing
	put(t, s, rangeEvents("198.51.100.%d", since.Add(-2*time.Hour), 5, 5, false, 2000))     // an old range…
	put(t, s, rangeEvents("198.51.100.%d", since.Add(time.Minute), 60, 30, true, 3000))     // …failing now, but not new
	put(t, s, rangeEvents("192.0.2.%d", since.Add(time.Minute), 5, 2, true, 4000))          // new, quiet
	put(t, s, rangeEvents("2001:db8:1:2::%x", since.Add(time.Minute), 12, 12, false, 5000)) // new, many people
	ch, err := s.Changes(ctx, ChangesQuery{Since: since, Until: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range ch.Ranges {
		got = append(got, fmt.Sprintf("%s: %d addresses, %d people, %d failures, %d events", r.Prefix, r.Addresses, r.People, r.Failures, r.Events))
	}
	want := []string{
		"203.0.113.0/24: 50 addresses, 40 people, 135 failures, 135 events",
		"2001:db8:1::/48: 12 addresses, 12 people, 0 failures, 12 events",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ranges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestChangesHealth: each source's newest state change in the window.
func TestChangesHealth(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	since := fixtureNow.Add(-time.Hour)
	must(t, s.RecordHealth(ctx, model.HealthChange{Source: "casb", At: since.Add(-time.Minute), From: model.StateOK, To: model.StateFailing}))
	must(t, s.RecordHealth(ctx, model.HealthChange{Source: "okta", At: since.Add(time.Minute), From: model.StateOK, To: model.StateDegraded, Error: "429"}))
	must(t, s.RecordHealth(ctx, model.HealthChange{Source: "okta", At: since.Add(2 * time.Minute), From: model.StateDegraded, To: model.StateFailing, Error: "401"}))
	ch, err := s.Changes(ctx, ChangesQuery{Since: since, Until: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Health) != 1 || ch.Health[0].Source != "okta" || ch.Health[0].To != model.StateFailing || ch.Health[0].Error != "401" {
		t.Fatalf("health %+v", ch.Health)
	}
}

// TestChangeMarksPerOperator: each operator has their own mark, and a
// mark never moves back.
func TestChangeMarksPerOperator(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	if m, err := s.ChangeMark(ctx, "alice"); err != nil || !m.At.IsZero() {
		t.Fatalf("no mark yet: %+v %v", m, err)
	}
	must(t, s.SetChangeMark(ctx, "alice", model.SeenMark{At: fixtureNow, People: map[string]model.Level{"ava@example.com": model.LevelCritical}}))
	if m, _ := s.ChangeMark(ctx, "bob"); !m.At.IsZero() {
		t.Fatalf("alice's look moved bob's mark: %+v", m)
	}
	must(t, s.SetChangeMark(ctx, "alice", model.SeenMark{At: fixtureNow.Add(-time.Hour)}))
	m, err := s.ChangeMark(ctx, "alice")
	if err != nil || !m.At.Equal(fixtureNow) || m.People["ava@example.com"] != model.LevelCritical {
		t.Fatalf("alice's mark %+v %v", m, err)
	}
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
// events after inserts, a batch stored again, and a prune that cuts an
// hour in two; Trends reads it by step, with the window before.
func TestRollupFollowsEvents(t *testing.T) {
	s := openMem(t)
	s.pruneBatch = 70
	ctx := context.Background()
	g := newEventGen(16, 40)
	old := g.batch(600, fixtureNow.Add(-48*time.Hour), 24*time.Hour)
	recent := g.batch(900, fixtureNow.Add(-24*time.Hour), 24*time.Hour)
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

	tr, err := s.Trends(ctx, TrendQuery{From: fixtureNow.Add(-24 * time.Hour), To: fixtureNow, Step: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sum := func(c [model.Unscored + 1]int) (n int) {
		for _, x := range c {
			n += x
		}
		return n
	}
	if len(tr.Counts) != 24 || sum(tr.Total) != 930 || sum(tr.Previous) != 600 {
		t.Fatalf("trend: %d steps, %d in the window, %d before, want 24, 930, 600", len(tr.Counts), sum(tr.Total), sum(tr.Previous))
	}
	critical := 0 // and the range's 30 score 60: High
	for _, e := range recent {
		if e.Score >= 76 {
			critical++
		}
	}
	if tr.Total[model.BucketVeryHigh] != critical {
		t.Fatalf("very high: %d, want %d", tr.Total[model.BucketVeryHigh], critical)
	}
	daily, err := s.Trends(ctx, TrendQuery{From: fixtureNow.Add(-48 * time.Hour), To: fixtureNow, Step: 24 * time.Hour})
	if err != nil || len(daily.Counts) != 2 || sum(daily.Counts[0]) != 600 || sum(daily.Counts[1]) != 930 {
		t.Fatalf("daily: %+v %v", daily.Counts, err)
	}

	// A cut in the middle of an hour.
	if _, err := s.Prune(ctx, fixtureNow.Add(-30*time.Hour-17*time.Minute)); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "after a prune", s)
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
	put(t, s, newEventGen(17, 20).batch(500, fixtureNow.Add(-72*time.Hour), 72*time.Hour))
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
	if migrations[len(migrations)-1] != changesSchema {
		t.Fatal("the changes' migration is no longer the last: undo the ones after it too")
	}
	_, err = s.write.Exec(`DROP TRIGGER event_hours_remove; DROP TABLE event_hours;
		DROP TABLE ip_ranges; DROP TRIGGER risk_history_prev; DROP TRIGGER person_peaks_add;
		DROP TABLE person_peaks; DROP INDEX risk_history_at; ALTER TABLE risk_history DROP COLUMN prev_level;
		DROP TABLE health_changes; DROP TABLE change_marks; ` + fmt.Sprintf("PRAGMA user_version = %d", len(migrations)-1))
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
