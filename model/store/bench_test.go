package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
)

// The 1M-event fixture: 90 days of OneLogin-like events ending at
// fixtureNow, stored as a back-fill would store them (the newest day
// first, then each older day), so insertion order is not time order.
const (
	fixtureEvents  = 1_000_000
	fixtureDays    = 90
	fixtureVersion = 3 // bump when the generator or the schema changes
)

var fixtureNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture1M is built once per process. RISKTOP_BENCH_DB names a file to
// keep it in across runs (built when missing); otherwise it lives in a
// temporary directory that TestMain removes.
var fixture1M struct {
	once sync.Once
	path string
	err  error
	dir  string
}

func TestMain(m *testing.M) {
	if os.Getenv(serveChildEnv) != "" {
		os.Exit(serveChild())
	}
	code := m.Run()
	if fixture1M.dir != "" {
		os.RemoveAll(fixture1M.dir)
	}
	os.Exit(code)
}

func fixturePath(tb testing.TB) string {
	tb.Helper()
	fixture1M.once.Do(func() {
		path := os.Getenv("RISKTOP_BENCH_DB")
		if path == "" {
			fixture1M.dir, fixture1M.err = os.MkdirTemp("", "risktop-store-bench-")
			if fixture1M.err != nil {
				return
			}
			path = filepath.Join(fixture1M.dir, "events.db")
		} else {
			path = fmt.Sprintf("%s.v%d.%d", path, fixtureVersion, len(migrations))
		}
		fixture1M.path = path
		if _, err := os.Stat(path); err == nil {
			return
		}
		start := time.Now()
		fixture1M.err = buildFixture(path)
		fmt.Fprintf(os.Stderr, "built the %d-event fixture in %v\n", fixtureEvents, time.Since(start).Round(time.Second))
	})
	if fixture1M.err != nil {
		tb.Fatal(fixture1M.err)
	}
	return fixture1M.path
}

// buildFixture bulk-loads the fixture through PutEvents in big batches,
// with a large cache so the index inserts stay in memory.
func buildFixture(path string) error {
	tmp := path + ".tmp"
	os.Remove(tmp)
	s, err := Open(tmp, Options{CacheKiB: 512 << 10})
	if err != nil {
		return err
	}
	g := eventgen.New(1, 5000)
	ctx := context.Background()
	perDay := fixtureEvents / fixtureDays
	const batch = 20_000
	for day := range fixtureDays {
		n := perDay
		if day == fixtureDays-1 {
			n = fixtureEvents - perDay*(fixtureDays-1)
		}
		from := fixtureNow.Add(-time.Duration(day+1) * 24 * time.Hour)
		evs := g.Batch(n, from, 24*time.Hour)
		for i := 0; i < len(evs); i += batch {
			if _, err := s.PutEvents(ctx, evs[i:min(i+batch, len(evs))]); err != nil {
				s.Close()
				return err
			}
		}
	}
	if _, err := s.write.Exec("ANALYZE"); err != nil {
		s.Close()
		return err
	}
	if _, err := s.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		s.Close()
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// BenchmarkPutEvents stores 50-event batches, as one OneLogin page, into
// a file store.
func BenchmarkPutEvents(b *testing.B) {
	const perBatch = 50
	s, err := Open(filepath.Join(b.TempDir(), "put.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	g := eventgen.New(2, 5000)
	// A store already holding some history, as after a back-fill.
	for day := range 10 {
		if _, err := s.PutEvents(ctx, g.Batch(10_000, fixtureNow.Add(-time.Duration(day+2)*24*time.Hour), 24*time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	// Batches are made as the loop needs them, outside the timer.
	var batches [][]model.Event
	for i := 0; b.Loop(); i++ {
		if i == len(batches) {
			b.StopTimer()
			for range max(len(batches), 64) {
				batches = append(batches, g.Batch(perBatch, fixtureNow.Add(time.Duration(len(batches))*time.Minute), time.Minute))
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

// pageCase is one page query the benchmarks time.
type pageCase struct {
	name  string
	query EventQuery
	// after, when set, first fetches query's page and then times the next
	// page (After its last key).
	after bool
	// scan marks a query that reads the whole table (a text that matches
	// almost nothing), which the memory benchmark runs only a few times.
	scan bool
}

func pageCases() []pageCase {
	day := fixtureNow.Add(-24 * time.Hour)
	hot := eventgen.New(1, 5000).Users[0] // the busiest person
	rare := eventgen.New(1, 5000).Users[4000]
	return []pageCase{
		{name: "all", query: EventQuery{Limit: 50}},
		{name: "24h+score50", query: EventQuery{EventFilter: EventFilter{From: day, MinScore: 50}, Limit: 50}},
		{name: "24h+score50/byscore", query: EventQuery{EventFilter: EventFilter{From: day, MinScore: 50}, Sort: ByScore, Limit: 50}},
		{name: "24h+score50/page2", query: EventQuery{EventFilter: EventFilter{From: day, MinScore: 50}, Limit: 50}, after: true},
		{name: "24h+score50/byscore/page2", query: EventQuery{EventFilter: EventFilter{From: day, MinScore: 50}, Sort: ByScore, Limit: 50}, after: true},
		{name: "24h+score50/last", query: EventQuery{EventFilter: EventFilter{From: day, MinScore: 50}, Limit: 50, Last: true}},
		{name: "score90/byscore", query: EventQuery{EventFilter: EventFilter{MinScore: 90}, Sort: ByScore, Limit: 50}},
		{name: "last", query: EventQuery{Limit: 50, Last: true}},
		{name: "user/busy", query: EventQuery{EventFilter: EventFilter{User: hot.Email}, Limit: 50}},
		{name: "user/busy/byscore", query: EventQuery{EventFilter: EventFilter{User: hot.Email}, Sort: ByScore, Limit: 50}},
		{name: "user/rare", query: EventQuery{EventFilter: EventFilter{User: rare.Email}, Limit: 50}},
		{name: "user/name", query: EventQuery{EventFilter: EventFilter{User: strings.ToUpper(rare.Name)}, Limit: 50}},
		{name: "user/id+30d", query: EventQuery{EventFilter: EventFilter{User: rare.ID, From: fixtureNow.Add(-30 * 24 * time.Hour)}, Limit: 50}},
		{name: "ip", query: EventQuery{EventFilter: EventFilter{IP: "203.0.113.77"}, Limit: 50}},
		{name: "ip/24", query: EventQuery{EventFilter: EventFilter{IP: "198.51.100.0/24"}, Limit: 50}},
		{name: "ip/24/byscore", query: EventQuery{EventFilter: EventFilter{IP: "198.51.100.0/24"}, Sort: ByScore, Limit: 50}},
		{name: "ip/24+score90", query: EventQuery{EventFilter: EventFilter{IP: "198.51.100.0/24", MinScore: 90}, Limit: 50}},
		{name: "ip/44v6", query: EventQuery{EventFilter: EventFilter{IP: "2001:db8:30::/44"}, Limit: 50}},
		{name: "type/rare", query: EventQuery{EventFilter: EventFilter{Types: []int{110}}, Limit: 50}},
		{name: "text/name", query: EventQuery{EventFilter: EventFilter{Text: "kowalski"}, Limit: 50}},
		{name: "text/rare-name", query: EventQuery{EventFilter: EventFilter{Text: strings.ToLower(rare.Name)}, Limit: 50}, scan: true},
		{name: "text/reason", query: EventQuery{EventFilter: EventFilter{Text: "impossible travel from lagos"}, Limit: 50}},
		{name: "text/ip", query: EventQuery{EventFilter: EventFilter{Text: "203.0.113.77"}, Limit: 50}},
		{name: "text/none", query: EventQuery{EventFilter: EventFilter{Text: "zq"}, Limit: 50}, scan: true},
		{name: "text+24h", query: EventQuery{EventFilter: EventFilter{Text: "proxy", From: day}, Limit: 50}},
		{name: "vendor/cloudflare+24h", query: EventQuery{EventFilter: EventFilter{Vendor: "cloudflare", From: day}, Limit: 50}},
	}
}

// BenchmarkEventsPage1M times page queries on a 1,000,000-event store
// and reports each case's median and 95th percentile besides the mean.
func BenchmarkEventsPage1M(b *testing.B) {
	path := fixturePath(b)
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
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

// BenchmarkCountEvents1M times the pager's counts on the 1M store.
func BenchmarkCountEvents1M(b *testing.B) {
	path := fixturePath(b)
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	day := fixtureNow.Add(-24 * time.Hour)
	rare := eventgen.New(1, 5000).Users[4000]
	cases := []struct {
		name string
		f    EventFilter
	}{
		{"all", EventFilter{}},
		{"24h", EventFilter{From: day}},
		{"24h+score50", EventFilter{From: day, MinScore: 50}},
		{"score50", EventFilter{MinScore: 50}},
		{"user/rare", EventFilter{User: rare.Email}},
		{"ip/24", EventFilter{IP: "198.51.100.0/24"}},
		{"text/name", EventFilter{Text: "kowalski"}},
		{"text/reason", EventFilter{Text: "impossible travel from lagos"}},
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

// serveChildEnv makes the test binary a child that opens the store it
// names, serves pages and prints its peak RSS: the parent built the
// fixture, so its own peak says nothing about serving.
const serveChildEnv = "RISKTOP_STORE_SERVE_CHILD"

// BenchmarkServeRSS1M reports the peak RSS (VmHWM) of a process that
// opens the 1M store and serves every page case 200 times (whole-table
// scans 3 times), one goroutine a case, plus each case's count.
func BenchmarkServeRSS1M(b *testing.B) {
	path := fixturePath(b)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var peakKiB int
	for b.Loop() {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), serveChildEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		kib, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			b.Fatalf("child said %q", out)
		}
		peakKiB = max(peakKiB, kib)
	}
	b.ReportMetric(float64(peakKiB)/1024, "MB-rss")
}

func serveChild() int {
	s, err := Open(os.Getenv(serveChildEnv), Options{})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer s.Close()
	ctx := context.Background()
	cases := pageCases()
	var wg sync.WaitGroup
	errs := make(chan error, len(cases))
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := c.query
			rounds := 200
			if c.scan {
				rounds = 3
			}
			for range rounds {
				p, err := s.Events(ctx, q)
				if err != nil {
					errs <- err
					return
				}
				if q.Last || !p.HasNext {
					q.After = nil
				} else if c.after {
					q.After = p.LastKey // walk deeper
				}
			}
			if _, err := s.CountEvents(ctx, q.EventFilter); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Println(err)
		return 1
	}
	kib, err := peakRSSKiB()
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println(kib)
	return 0
}

// peakRSSKiB reads VmHWM, the process's peak resident set.
func peakRSSKiB() (int, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
