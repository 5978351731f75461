package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store/pgtest"
)

// The people area's tests of PostgreSQL internals: the rollups' SQL
// against model's rules, and the rollup tables against the events.

func openPeople(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.NewDatabase(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The rollup's buckets are model's; the store counts failures as
// model.FailedType does (SQLite's TestBucketSQLIsBucketOf and
// TestFailedTypeMatchesTheStore).
func TestPeopleSQLMatchesModel(t *testing.T) {
	s := openPeople(t)
	ctx := context.Background()
	for score := -1; score <= 100; score++ {
		var b int
		if err := s.pool.QueryRow(ctx, `SELECT `+strings.ReplaceAll(bucketOfScore, "score", "$1::bigint"), score).Scan(&b); err != nil {
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
	for _, name := range []string{"USER_FAILED_ONELOGIN_LOGIN", "login failed", "Fail", "FAI L", "USER_LOGGED_INTO_ONELOGIN", "", "fai", "FAİL", "ﬁail"} {
		var failed bool
		if err := s.pool.QueryRow(ctx, `SELECT `+strings.ReplaceAll(failedType, "e.type_name", "$1::text"), name).Scan(&failed); err != nil {
			t.Fatal(err)
		}
		if failed != model.FailedType(name) {
			t.Fatalf("%q: store %v, model %v", name, failed, model.FailedType(name))
		}
	}
}

// rollupRows are events as PutEvents hands them to addRollups.
func rollupRows(evs []model.Event) []eventRow {
	rows := make([]eventRow, len(evs))
	for i := range evs {
		e := &evs[i]
		rows[i] = eventRow{ev: e, ms: e.Time.UnixMilli(), seq: e.Time.UnixMilli()<<rollupSeqShift | int64(i)}
		if a, err := netip.ParseAddr(e.IP); err == nil {
			b := a.As16()
			rows[i].ipBin = b[:]
		}
	}
	return rows
}

func rollupEvents(seed, n int) []model.Event {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	out := make([]model.Event, n)
	for i := range out {
		k := seed*7919 + i*104729
		out[i] = model.Event{Vendor: []string{"onelogin", "cloudflare"}[k%2], ID: fmt.Sprintf("%d-%d", seed, i),
			Time: t0.Add(time.Duration(k%(6*3600)) * time.Second), TypeName: []string{"USER_FAILED_LOGIN", "login"}[k%3%2],
			Score: k%102 - 1, IP: fmt.Sprintf("198.51.%d.%d", k%3, k%250+1)}
		if k%5 == 0 {
			out[i].IP = fmt.Sprintf("2001:db8:%x::1", k%3)
		}
	}
	return out
}

// hoursOf reads event_hours as "hour/vendor/bucket" → count.
func hoursOf(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT hour, vendor, n0, n1, n2, n3, n4, nx FROM event_hours`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	var (
		hour   int64
		vendor string
		n      [6]int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&hour, &vendor, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5]}, func() error {
		for b, c := range n {
			if b == 5 {
				b = -1
			}
			if c != 0 {
				out[fmt.Sprintf("%d/%s/%d", hour, vendor, b)] = c
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// directHours counts events as event_hours should.
func directHours(evs []model.Event) map[string]int64 {
	out := map[string]int64{}
	for _, e := range evs {
		b := -1
		if e.Score >= 0 {
			b = int(model.BucketOf(e.Score))
		}
		out[fmt.Sprintf("%d/%s/%d", e.Time.UnixMilli()/3_600_000, e.Vendor, b)]++
	}
	return out
}

// Batches added at once by two stores, each in its own transaction, add
// up (the upserts sum, and take shared rows in one order: no deadlock);
// the ranges keep their first event and count every one.
func TestRollupsAddUpConcurrently(t *testing.T) {
	s := openPeople(t)
	ctx := context.Background()
	other, err := Open(ctx, s.pool.Config().ConnString(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var all []model.Event
	var batches [][]model.Event
	for b := range 40 {
		evs := rollupEvents(b, 60)
		batches, all = append(batches, evs), append(all, evs...)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(batches))
	for i, evs := range batches {
		st := []*Store{s, other}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- st.inTx(ctx, "rollups", func(tx pgx.Tx) error { return addRollups(ctx, tx, rollupRows(evs)) })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := hoursOf(t, s), directHours(all); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("event_hours\n%v\nwant\n%v", got, want)
	}
	type rc struct{ first, events, failures int64 }
	want := map[string]rc{}
	for _, r := range rollupRows(all) {
		k := fmt.Sprintf("%x", rollupRange(r.ipBin))
		c, ok := want[k]
		if !ok || r.ms<<rollupSeqShift < c.first {
			c.first = r.ms << rollupSeqShift
		}
		c.events++
		if model.FailedType(r.ev.TypeName) {
			c.failures++
		}
		want[k] = c
	}
	rows, err := s.pool.Query(ctx, `SELECT range, first_seq, events, failures FROM ip_ranges`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]rc{}
	var (
		r []byte
		c rc
	)
	if _, err := pgx.ForEachRow(rows, []any{&r, &c.first, &c.events, &c.failures}, func() error {
		got[fmt.Sprintf("%x", r)] = c
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) < 4 {
		t.Fatalf("ip_ranges\n%v\nwant\n%v", got, want)
	}
}

// The rollups equal the events' own count after PutEvents and a batch
// stored again; a delete of old events leaves the hours.
func TestRollupsEqualTheEvents(t *testing.T) {
	s := openPeople(t)
	ctx := context.Background()
	evs := rollupEvents(3, 800)
	if _, err := s.PutEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	same := func(when string) {
		t.Helper()
		rows, err := s.pool.Query(ctx, `SELECT (seq >> 20) / 3600000, vendor, `+bucketOfScore+`, count(*) FROM events GROUP BY 1, 2, 3`)
		if err != nil {
			t.Fatal(err)
		}
		direct := map[string]int64{}
		var (
			hour, bucket, n int64
			vendor          string
		)
		if _, err := pgx.ForEachRow(rows, []any{&hour, &vendor, &bucket, &n}, func() error {
			direct[fmt.Sprintf("%d/%s/%d", hour, vendor, bucket)] = n
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := hoursOf(t, s); fmt.Sprint(got) != fmt.Sprint(direct) || len(direct) == 0 {
			t.Fatalf("%s: event_hours\n%v\nwant\n%v", when, got, direct)
		}
		var diff int
		if err := s.pool.QueryRow(ctx, `WITH direct AS (
			SELECT CASE WHEN substr(ip_bin, 1, 12) = '\x00000000000000000000ffff'::bytea THEN substr(ip_bin, 1, 15) ELSE substr(ip_bin, 1, 6) END AS r,
				min(seq) >> 20 AS first_ms, count(*) AS events, count(*) FILTER (WHERE `+failedType+`) AS failures
			FROM events e WHERE ip_bin IS NOT NULL GROUP BY 1),
			rollup AS (SELECT range, first_seq >> 20, events, failures FROM ip_ranges)
			SELECT (SELECT count(*) FROM (SELECT * FROM direct EXCEPT SELECT * FROM rollup) a) +
				(SELECT count(*) FROM (SELECT * FROM rollup EXCEPT SELECT * FROM direct) b)`).Scan(&diff); err != nil || diff != 0 {
			t.Fatalf("%s: %d ranges differ from the events, %v", when, diff, err)
		}
	}
	same("after inserts")
	if n, err := s.PutEvents(ctx, evs[:300]); err != nil || n != 0 {
		t.Fatalf("stored again: %d, %v", n, err)
	}
	same("after a batch stored again")
	kept := hoursOf(t, s)
	cut := evs[0].Time.Truncate(time.Hour).Add(2*time.Hour + 17*time.Minute)
	if _, err := s.pool.Exec(ctx, `DELETE FROM events WHERE seq < $1`, cut.UnixMilli()<<rollupSeqShift); err != nil {
		t.Fatal(err)
	}
	// The hours outlive the events (store.RollupsOutlive).
	if got := hoursOf(t, s); fmt.Sprint(got) != fmt.Sprint(kept) {
		t.Fatalf("after a delete: event_hours\n%v\nwant it unchanged\n%v", got, kept)
	}
}
