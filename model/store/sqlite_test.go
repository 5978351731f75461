package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
)

func TestOpenCreatesPrivateFileWithSchema(t *testing.T) {
	s, path := openFile(t)
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode(), err, want)
		}
	}
	var version int
	var mode string
	if err := s.read.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Errorf("user_version = %d, %v; want %d", version, err, len(migrations))
	}
	if err := s.read.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	// Readers cannot write.
	if _, err := s.read.Exec(`INSERT INTO cursors (name, value, updated_ms) VALUES ('x', 'y', 0)`); err == nil {
		t.Error("a reader connection wrote")
	}
}

// Data survives closing and opening the file again, twice over.
func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	ctx := context.Background()
	g := eventgen.New(9, 20)
	evs := g.Batch(200, fixtureNow.Add(-time.Hour), time.Hour)
	for round := range 3 {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("open %d: %v", round, err)
		}
		if round == 0 {
			put(t, s, evs)
			if err := s.SetCursor(ctx, "head", "42"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AppendAudit(ctx, model.AuditEntry{Action: "push-ip", Result: "ok"}); err != nil {
				t.Fatal(err)
			}
		}
		if n := put(t, s, evs); n != 0 {
			t.Errorf("round %d: re-put inserted %d", round, n)
		}
		n, _ := s.CountEvents(ctx, EventFilter{})
		cur, _ := s.Cursor(ctx, "head")
		audit, _ := s.Audit(ctx, 0, 10)
		if n != 200 || cur != "42" || len(audit) != 1 {
			t.Errorf("round %d: %d events, cursor %q, %d audit entries", round, n, cur, len(audit))
		}
		// The user filter works from a cold cache too.
		if p, err := s.Events(ctx, EventQuery{EventFilter: EventFilter{User: evs[0].UserKey}}); err != nil || len(p.Events) == 0 {
			t.Errorf("round %d: user filter: %v, %d events", round, err, len(p.Events))
		}
		if err := s.Close(); err != nil {
			t.Errorf("close %d: %v", round, err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "schema version 99, newer than this risktop knows") {
		t.Fatalf("err = %v", err)
	}
}

// A migration that fails leaves the database as it was.
func TestFailedMigrationRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	steps := append(slices.Clone(migrations), `CREATE TABLE later (x); CREATE TABLE events (y);`)
	if err := migrate(context.Background(), db, steps); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migrate to schema %d", len(steps))) {
		t.Fatalf("err = %v", err)
	}
	var version, tables int
	db.QueryRow("PRAGMA user_version").Scan(&version)
	db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'later'`).Scan(&tables)
	if version != len(migrations) || tables != 0 {
		t.Errorf("after a failed migration: version %d, table later %d", version, tables)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("", Options{}); err == nil {
		t.Error("empty path: no error")
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("not a directory"), 0o600)
	if _, err := Open(filepath.Join(file, "risktop.db"), Options{}); err == nil || !strings.HasPrefix(err.Error(), "store: cannot create "+file) {
		t.Errorf("path under a file: %v", err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("not sqlite ", 100)), 0o600)
	if _, err := Open(garbage, Options{}); err == nil || !strings.Contains(err.Error(), garbage+" is not a risktop store") {
		t.Errorf("garbage file: %v", err)
	}
}

// The poller writes while the UI reads: both proceed, and readers see
// whole batches.
func TestConcurrentReadersAndWriter(t *testing.T) {
	s, _ := openFile(t)
	ctx := context.Background()
	g := eventgen.New(11, 50)
	var batches [][]model.Event
	for i := range 40 {
		batches = append(batches, g.Batch(50, fixtureNow.Add(time.Duration(i)*time.Minute), time.Minute))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, b := range batches {
			if _, err := s.PutEvents(ctx, b); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 50 {
				n, err := s.CountEvents(ctx, EventFilter{})
				if err != nil || n%50 != 0 {
					t.Errorf("count %d, %v: saw part of a batch", n, err)
					return
				}
				if _, err := s.Events(ctx, EventQuery{Limit: 20}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCloseTwice(t *testing.T) {
	s, _ := openFile(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A closed store fails instead of panicking.
	ctx := context.Background()
	if _, err := s.PutEvents(ctx, eventgen.New(1, 1).Batch(1, fixtureNow, time.Second)); err == nil {
		t.Error("put on a closed store: no error")
	}
	if _, err := s.Events(ctx, EventQuery{}); err == nil {
		t.Error("page on a closed store: no error")
	}
}
