package detect

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
)

// TestMain stops the shared PostgreSQL server, when a benchmark started
// one: else it outlives the test binary.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgBenchDirEnv names a directory to keep the benchmark server and its
// fixture in between runs (built when missing), as model/store/postgres's
// benchmarks do; otherwise the fixture is built on the test binary's
// throwaway server each run.
const pgBenchDirEnv = "RISKTOP_PG_BENCH_DIR"

// pgBenchVersion names the kept fixture: bump it when the generator or
// the fixture changes. A schema change needs no bump: Open migrates each
// run's copy (untimed).
const pgBenchVersion = 1

// pgBenchServer is the kept server (pgBenchDirEnv's): started for each
// benchmark, stopped (not removed) when it ends.
var pgBenchServer *pgtest.Server

// BenchmarkPollOf1000PG is BenchmarkPollOf1000 on PostgreSQL: the same
// fixture (stored through PutEvents), the same polls and figures. The
// first run with RISKTOP_PG_BENCH_DIR set builds the fixture (minutes);
// later runs copy it.
func BenchmarkPollOf1000PG(b *testing.B) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, pgBenchURL(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// No checkpoint: the server's checkpointer and WAL writer work apart
	// from the engine's commits.
	benchPolls(b, st, nil)
}

// pgBenchURL is a database holding the fixture, the benchmark's own (it
// writes to it).
func pgBenchURL(b *testing.B) string {
	b.Helper()
	dir := os.Getenv(pgBenchDirEnv)
	if dir == "" {
		url := pgtest.NewDatabase(b)
		buildPGBenchStore(b, url)
		return url
	}
	if pgBenchServer == nil {
		srv, err := pgtest.StartIn(dir)
		if err != nil {
			b.Fatal(err)
		}
		pgBenchServer = srv
	} else if err := pgBenchServer.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pgBenchServer.Stop() })
	return copyPGBenchFixture(b, pgBenchServer)
}

// copyPGBenchFixture builds the kept fixture on srv when missing and
// returns a fresh copy of it, dropped when the benchmark ends.
func copyPGBenchFixture(b *testing.B, srv *pgtest.Server) string {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	exec := func(sql string) {
		if _, err := admin.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	fixture := fmt.Sprintf("risktop_detect_poll_v%d", pgBenchVersion)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, fixture).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		// Built under another name and renamed when done, so a run cut
		// short leaves no half-built fixture behind that name.
		tmp := fixture + "_tmp"
		exec(`DROP DATABASE IF EXISTS ` + tmp)
		exec(`CREATE DATABASE ` + tmp)
		buildPGBenchStore(b, srv.URL(tmp))
		exec(`ALTER DATABASE ` + tmp + ` RENAME TO ` + fixture)
	}
	// One name: a run cut short leaves its copy for the next to drop.
	run := fixture + "_run"
	start := time.Now()
	exec(`DROP DATABASE IF EXISTS ` + run + ` WITH (FORCE)`)
	exec(`CREATE DATABASE ` + run + ` TEMPLATE ` + fixture)
	fmt.Fprintf(os.Stderr, "copied the PostgreSQL fixture in %v\n", time.Since(start).Round(time.Millisecond))
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, srv.URL("postgres")); err == nil {
			conn.Exec(ctx, `DROP DATABASE IF EXISTS `+run+` WITH (FORCE)`)
			conn.Close(ctx)
		}
	})
	return srv.URL(run)
}

// buildPGBenchStore fills the empty database at url with the fixture,
// through PutEvents as buildBenchStore does.
func buildPGBenchStore(b *testing.B, url string) {
	start := time.Now()
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	fillBenchStore(b, st)
	// As autovacuum would soon; done once here, copies inherit the
	// statistics and the visibility map.
	if _, err := st.Pool().Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil { // a template takes no connections
		b.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "built the %d-event PostgreSQL store in %v\n", benchEvents, time.Since(start).Round(time.Second))
}
