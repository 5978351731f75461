package postgres

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/storetest"
)

// The PostgreSQL side of model/store/bench_test.go: the same 1M-event
// fixture (the same generator, seed and days, stored newest day first),
// the same page, count and ingest cases, so the two run side by side:
//
//	go test ./model/store/ ./model/store/postgres/ -run '^$' \
//		-bench 'EventsPage1M|CountEvents1M|PutEvents' -benchtime 20x
const (
	benchEvents  = 1_000_000
	benchDays    = 90
	benchVersion = 2 // bump when the generator or the loader changes
)

// benchDirEnv names a directory to keep the benchmark server and its
// fixture in between runs (built when missing); otherwise they live in
// the test binary's throwaway server.
const benchDirEnv = "RISKTOP_PG_BENCH_DIR"

var bench1M struct {
	once sync.Once
	url  string
	err  error
	srv  *pgtest.Server // the kept server, when benchDirEnv names one
}

// benchServer is the server the benchmarks use. A kept server is stopped
// (not removed) when the benchmark ends.
func benchServer(tb testing.TB) *pgtest.Server {
	tb.Helper()
	dir := os.Getenv(benchDirEnv)
	if dir == "" {
		return pgtest.Shared(tb)
	}
	if bench1M.srv == nil {
		srv, err := pgtest.StartIn(dir)
		if err != nil {
			tb.Fatal(err)
		}
		bench1M.srv = srv
	} else if err := bench1M.srv.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { bench1M.srv.Stop() })
	return bench1M.srv
}

// benchURL is the 1M fixture's database, built on first use.
func benchURL(tb testing.TB) string {
	tb.Helper()
	srv := benchServer(tb)
	bench1M.once.Do(func() {
		name := fmt.Sprintf("risktop_bench_v%d_%d", benchVersion, len(migrations))
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, srv.URL("postgres"))
		if err != nil {
			bench1M.err = err
			return
		}
		defer admin.Close(ctx)
		bench1M.url = srv.URL(name)
		var exists bool
		if bench1M.err = admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); bench1M.err != nil || exists {
			return
		}
		// Built under another name and renamed when done, so a run cut
		// short leaves no half-built fixture behind that name.
		tmp := name + "_tmp"
		if _, bench1M.err = admin.Exec(ctx, `DROP DATABASE IF EXISTS `+tmp); bench1M.err != nil {
			return
		}
		if _, bench1M.err = admin.Exec(ctx, `CREATE DATABASE `+tmp); bench1M.err != nil {
			return
		}
		start := time.Now()
		if bench1M.err = buildBenchFixture(ctx, srv.URL(tmp)); bench1M.err != nil {
			return
		}
		_, bench1M.err = admin.Exec(ctx, `ALTER DATABASE `+tmp+` RENAME TO `+name)
		fmt.Fprintf(os.Stderr, "built the %d-event PostgreSQL fixture in %v\n", benchEvents, time.Since(start).Round(time.Second))
	})
	if bench1M.err != nil {
		tb.Fatal(bench1M.err)
	}
	return bench1M.url
}

// buildBenchFixture loads the fixture with COPY: the rows are made by
// PutEvents' own code (putRowsOf, the tiebreaks, the users rows), the
// secondary indexes are dropped first and built after, in bulk.
func buildBenchFixture(ctx context.Context, url string) error {
	s, err := Open(ctx, url, Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	g := eventgen.New(1, 5000)
	var (
		rows  []putRow
		users = map[identity]int64{}
		taken = map[int64]bool{}
		feed  int64
	)
	perDay := benchEvents / benchDays
	for day := range benchDays {
		n := perDay
		if day == benchDays-1 {
			n = benchEvents - perDay*(benchDays-1)
		}
		from := storetest.FixtureNow.Add(-time.Duration(day+1) * 24 * time.Hour)
		batch, err := putRowsOf(g.Batch(n, from, 24*time.Hour))
		if err != nil {
			return err
		}
		for _, r := range batch {
			for taken[store.SeqOf(r.ms, r.tie)] {
				r.tie++
			}
			r.seq = store.SeqOf(r.ms, r.tie)
			taken[r.seq] = true
			if id := r.id; id.userID != "" || id.name != "" || id.key != "" {
				if users[id] == 0 {
					users[id] = int64(len(users) + 1)
				}
				r.uid = users[id]
			}
			feed++
			r.feed = feed
			rows = append(rows, r)
		}
	}
	var defs []string
	err = s.inTx(ctx, "build fixture", func(tx pgx.Tx) error {
		// The constraints' indexes (primary keys, UNIQUE) stay.
		rs, err := tx.Query(ctx, `SELECT indexdef FROM pg_indexes WHERE tablename IN ('events', 'users')
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`)
		if err != nil {
			return err
		}
		if defs, err = pgx.CollectRows(rs, pgx.RowTo[string]); err != nil {
			return err
		}
		for _, d := range defs {
			name := strings.Fields(strings.SplitN(d, " INDEX ", 2)[1])[0]
			if _, err := tx.Exec(ctx, `DROP INDEX `+name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = s.inTx(ctx, "build fixture", func(tx pgx.Tx) error {
		ids := make([]identity, 0, len(users))
		for id := range users {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b identity) int { return int(users[a] - users[b]) })
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"uid", "vendor", "user_id", "user_name", "user_key", "user_fold"},
			pgx.CopyFromSlice(len(ids), func(i int) ([]any, error) {
				id := ids[i]
				return []any{users[id], id.vendor, id.userID, id.name, id.key, strings.ToLower(id.name)}, nil
			})); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('users', 'uid'), $1)`, len(ids)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"},
			[]string{"seq", "vendor", "id", "uid", "type", "type_name", "ip", "ip_bin", "score", "level", "app", "reasons", "fields", "feed", "search_text"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				e := r.ev
				var uid *int64
				if r.uid != 0 {
					uid = &r.uid
				}
				return []any{r.seq, e.Vendor, e.ID, uid, e.Type, e.TypeName, r.ip, r.ipBin, e.Score, int(e.Level), e.App, e.Reasons,
					r.fields, r.feed, r.search}, nil
			})); err != nil {
			return err
		}
		for _, d := range defs {
			if _, err := tx.Exec(ctx, d); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE counters SET n = $1 WHERE name = 'event_feed'`, feed); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	// As autovacuum would soon: the statistics, and the visibility map
	// that lets counts read only the indexes.
	_, err = s.pool.Exec(ctx, `VACUUM ANALYZE events, users`)
	return err
}

// BenchmarkPGPutEvents stores 50-event batches, as one OneLogin page,
// into a store already holding ten days (100,000 events).
func BenchmarkPGPutEvents(b *testing.B) {
	const perBatch = 50
	ctx := context.Background()
	s, err := Open(ctx, benchServer(b).NewDatabase(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g := eventgen.New(2, 5000)
	for day := range 10 {
		if _, err := s.PutEvents(ctx, g.Batch(10_000, storetest.FixtureNow.Add(-time.Duration(day+2)*24*time.Hour), 24*time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE events`); err != nil {
		b.Fatal(err)
	}
	var batches [][]model.Event
	for i := 0; b.Loop(); i++ {
		if i == len(batches) {
			b.StopTimer()
			for range max(len(batches), 64) {
				batches = append(batches, g.Batch(perBatch, storetest.FixtureNow.Add(time.Duration(len(batches))*time.Minute), time.Minute))
			}
			b.StartTimer()
		}
		n, err := s.PutEvents(ctx, batches[i])
		if err != nil || n != perBatch {
			b.Fatalf("put %d events: %d, %v", perBatch, n, err)
		}
	}
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "events/s")
}

// pageCase is one page query the benchmarks time (model/store's cases).
type pageCase struct {
	name  string
	query store.EventQuery
	after bool // time the page after query's
}

func pageCases() []pageCase {
	day := storetest.FixtureNow.Add(-24 * time.Hour)
	g := eventgen.New(1, 5000)
	hot, rare := g.Users[0], g.Users[4000]
	type (
		q = store.EventQuery
		f = store.EventFilter
	)
	return []pageCase{
		{name: "all", query: q{Limit: 50}},
		{name: "24h+score50", query: q{EventFilter: f{From: day, MinScore: 50}, Limit: 50}},
		{name: "24h+score50/byscore", query: q{EventFilter: f{From: day, MinScore: 50}, Sort: store.ByScore, Limit: 50}},
		{name: "24h+score50/page2", query: q{EventFilter: f{From: day, MinScore: 50}, Limit: 50}, after: true},
		{name: "24h+score50/byscore/page2", query: q{EventFilter: f{From: day, MinScore: 50}, Sort: store.ByScore, Limit: 50}, after: true},
		{name: "24h+score50/last", query: q{EventFilter: f{From: day, MinScore: 50}, Limit: 50, Last: true}},
		{name: "score90/byscore", query: q{EventFilter: f{MinScore: 90}, Sort: store.ByScore, Limit: 50}},
		{name: "last", query: q{Limit: 50, Last: true}},
		{name: "user/busy", query: q{EventFilter: f{User: hot.Email}, Limit: 50}},
		{name: "user/busy/byscore", query: q{EventFilter: f{User: hot.Email}, Sort: store.ByScore, Limit: 50}},
		{name: "user/rare", query: q{EventFilter: f{User: rare.Email}, Limit: 50}},
		{name: "user/name", query: q{EventFilter: f{User: strings.ToUpper(rare.Name)}, Limit: 50}},
		{name: "user/id+30d", query: q{EventFilter: f{User: rare.ID, From: storetest.FixtureNow.Add(-30 * 24 * time.Hour)}, Limit: 50}},
		{name: "ip", query: q{EventFilter: f{IP: "203.0.113.77"}, Limit: 50}},
		{name: "ip/24", query: q{EventFilter: f{IP: "198.51.100.0/24"}, Limit: 50}},
		{name: "ip/24/byscore", query: q{EventFilter: f{IP: "198.51.100.0/24"}, Sort: store.ByScore, Limit: 50}},
		{name: "ip/24+score90", query: q{EventFilter: f{IP: "198.51.100.0/24", MinScore: 90}, Limit: 50}},
		{name: "ip/44v6", query: q{EventFilter: f{IP: "2001:db8:30::/44"}, Limit: 50}},
		{name: "type/rare", query: q{EventFilter: f{Types: []int{110}}, Limit: 50}},
		{name: "text/name", query: q{EventFilter: f{Text: "kowalski"}, Limit: 50}},
		{name: "text/rare-name", query: q{EventFilter: f{Text: strings.ToLower(rare.Name)}, Limit: 50}},
		{name: "text/reason", query: q{EventFilter: f{Text: "impossible travel from lagos"}, Limit: 50}},
		{name: "text/ip", query: q{EventFilter: f{Text: "203.0.113.77"}, Limit: 50}},
		{name: "text/none", query: q{EventFilter: f{Text: "zq"}, Limit: 50}},
		{name: "text+24h", query: q{EventFilter: f{Text: "proxy", From: day}, Limit: 50}},
		{name: "vendor/cloudflare+24h", query: q{EventFilter: f{Vendor: "cloudflare", From: day}, Limit: 50}},
	}
}

// BenchmarkPGEventsPage1M times page queries on the 1,000,000-event
// database and reports each case's median and 95th percentile.
func BenchmarkPGEventsPage1M(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, benchURL(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, c := range pageCases() {
		b.Run(c.name, func(b *testing.B) {
			q := c.query
			if c.after {
				p, err := s.Events(ctx, q)
				if err != nil || p.LastKey == nil {
					b.Fatalf("first page: %v", err)
				}
				q.After = p.LastKey
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				p, err := s.Events(ctx, q)
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Events) == 0 && c.name != "text/none" {
					b.Fatal("empty page")
				}
			}
			reportPercentiles(b, took)
		})
	}
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "median-ns/op")
	b.ReportMetric(float64(took[len(took)*95/100].Nanoseconds()), "p95-ns/op")
}

// BenchmarkPGCountEvents1M times the pager's counts on the 1M database.
func BenchmarkPGCountEvents1M(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, benchURL(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	day := storetest.FixtureNow.Add(-24 * time.Hour)
	rare := eventgen.New(1, 5000).Users[4000]
	cases := []struct {
		name string
		f    store.EventFilter
	}{
		{"all", store.EventFilter{}},
		{"24h", store.EventFilter{From: day}},
		{"24h+score50", store.EventFilter{From: day, MinScore: 50}},
		{"score50", store.EventFilter{MinScore: 50}},
		{"user/rare", store.EventFilter{User: rare.Email}},
		{"ip/24", store.EventFilter{IP: "198.51.100.0/24"}},
		{"text/name", store.EventFilter{Text: "kowalski"}},
		{"text/reason", store.EventFilter{Text: "impossible travel from lagos"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := s.CountEvents(ctx, c.f); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			reportPercentiles(b, took)
		})
	}
}
