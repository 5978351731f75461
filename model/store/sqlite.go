package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options tunes Open. The zero value is what risktop uses.
type Options struct {
	// Readers is how many connections serve reads at once (default:
	// GOMAXPROCS, at least 2). Writes always go through one connection.
	Readers int
	// BusyTimeout is how long a statement waits for a lock held by another
	// process on the same file (default 5s).
	BusyTimeout time.Duration
	// CacheKiB is each connection's page cache (default 8 MiB). The cache
	// is most of the store's memory: (Readers+1) × CacheKiB at worst.
	CacheKiB int
	// SendLease is how long an outbox item may stay sending before
	// ClaimDue hands it out again (default 10m; see ClaimDue).
	SendLease time.Duration
}

func (o Options) withDefaults() Options {
	if o.Readers <= 0 {
		o.Readers = max(runtime.GOMAXPROCS(0), 2)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.CacheKiB <= 0 {
		o.CacheKiB = 8 << 10
	}
	if o.SendLease <= 0 {
		o.SendLease = 10 * time.Minute
	}
	return o
}

// SQLite is the Store on one SQLite file (or in memory).
//
// A file store has two pools: one connection for writes, so write
// transactions queue in Go instead of failing with SQLITE_BUSY, and
// several query-only connections for reads, which WAL lets run alongside
// the writer (the poller writes while the UI reads). An in-memory store
// is private to its connection, so it has a single connection for both.
type SQLite struct {
	write *sql.DB
	read  *sql.DB
	opts  Options
	// session tells this store's outbox claims from those of an earlier
	// process, whose items left sending were interrupted by a crash.
	session   string
	uids      uidCache
	feedUsers feedUsers     // the detection feed's users, by uid (feed.go)
	feedTail  FeedTail      // the events PutEvents inserted last (feedtail.go)
	alerts    AlertCache    // the live alerts last written (alerts_cache.go)
	prepared  preparedStmts // statements prepared once on the writer (alerts.go)
	// readStmts are the engine's feed queries, prepared once on the
	// readers (each prepares on a connection the first time it runs
	// there): preparing them every poll was most of their cost.
	readStmts preparedStmts
	// checkpointer copies the WAL into the database file in the
	// background (see checkpointLoop); nil in memory.
	checkpointer *sql.DB
	stop, done   chan struct{}
	pruneBatch   int
	closeOnce    sync.Once
	closeErr     error
}

// Checkpointing: the writer leaves it to a background connection, which
// takes it (and its fsyncs) off the ingest path; it was about 40% of
// PutEvents' time. walBackstopPages (64 MiB of WAL) makes the writer
// checkpoint itself should the background fall behind.
const (
	checkpointEvery  = time.Second
	walBackstopPages = 16384
)

var _ Store = (*SQLite)(nil)

// Open opens (creating it when needed) the store at path, or a private
// in-memory store for ":memory:". A new file's directory is created 0700
// and the file 0600: it holds user names, addresses and the audit log.
func Open(path string, opts Options) (*SQLite, error) {
	opts = opts.withDefaults()
	s := &SQLite{opts: opts, session: newSession(), pruneBatch: defaultPruneBatch}
	busy := strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)
	cache := strconv.Itoa(-opts.CacheKiB)
	if path == ":memory:" {
		db, err := sql.Open("sqlite", "file::memory:?"+url.Values{
			"_pragma": {"foreign_keys(1)", "cache_size(" + cache + ")"},
		}.Encode())
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.write, s.read = db, db
	} else {
		if path == "" {
			return nil, errors.New("store: open: no path")
		}
		if err := createPrivate(path); err != nil {
			return nil, fmt.Errorf("store: cannot create %s: %w", path, err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		// The writer takes the lock at BEGIN (_txlock=immediate), so a
		// transaction never fails half-way when upgrading from read to write.
		s.write, err = sql.Open("sqlite", uri+"?"+url.Values{
			"_txlock": {"immediate"},
			"_pragma": {
				"busy_timeout(" + busy + ")", "journal_mode(WAL)", "synchronous(NORMAL)",
				"foreign_keys(1)", "cache_size(" + cache + ")",
				"wal_autocheckpoint(" + strconv.Itoa(walBackstopPages) + ")",
			},
		}.Encode())
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		s.write.SetMaxOpenConns(1)
		s.write.SetConnMaxIdleTime(0)
		s.read, err = sql.Open("sqlite", uri+"?"+url.Values{
			"_pragma": {
				"busy_timeout(" + busy + ")", "query_only(1)", "cache_size(" + cache + ")",
			},
		}.Encode())
		if err != nil {
			s.write.Close()
			return nil, fmt.Errorf("store: open: %w", err)
		}
		s.read.SetMaxOpenConns(opts.Readers)
		s.read.SetMaxIdleConns(opts.Readers)
		s.checkpointer, err = sql.Open("sqlite", uri+"?"+url.Values{
			"_pragma": {"busy_timeout(" + busy + ")", "cache_size(-256)"},
		}.Encode())
		if err != nil {
			s.write.Close()
			s.read.Close()
			return nil, fmt.Errorf("store: open: %w", err)
		}
		s.checkpointer.SetMaxOpenConns(1)
	}
	ctx := context.Background()
	if err := migrate(ctx, s.write, migrations); err != nil {
		s.Close()
		return nil, openError(path, err)
	}
	// Refresh planner statistics that are missing or stale; cheap when
	// nothing changed (https://sqlite.org/pragma.html#pragma_optimize).
	if _, err := s.write.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: optimize: %w", path, err)
	}
	if s.checkpointer != nil {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.checkpointLoop()
	}
	return s, nil
}

// openError says in words why the file at path cannot be the store.
func openError(path string, err error) error {
	var se interface{ Code() int }
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqliteNotADB:
			return fmt.Errorf("store: %s is not a risktop store (it is not an SQLite database): name another file with store:, or move it aside for a new store: %w", path, err)
		case sqliteCorrupt:
			return fmt.Errorf("store: %s is damaged (cut short or overwritten): move it aside, keeping it if its audit log or outbox matter, and risktop starts a new store and polls the vendors again: %w", path, err)
		}
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// SQLite's primary result codes (https://sqlite.org/rescode.html).
const (
	sqliteCorrupt = 11
	sqliteNotADB  = 26
)

// checkpointLoop runs passive checkpoints, which never wait for readers
// or the writer, until Close.
func (s *SQLite) checkpointLoop() {
	defer close(s.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			// A failed checkpoint is retried next tick, and the writer's
			// backstop bounds the WAL meanwhile.
			_, _ = s.checkpointer.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// createPrivate makes path's directory (0700) and an empty file (0600)
// when they do not exist, so SQLite never creates them world-readable.
// SQLite gives its -wal and -shm files the database file's mode.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func newSession() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}

// Close refreshes the planner's statistics and closes the store. Calls
// after the first return its result; methods called after Close fail.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *SQLite) close() error {
	if s.stop != nil {
		close(s.stop)
		<-s.done
	}
	// Its claims are free for another process now; this one sends no more.
	_, _ = s.write.Exec(`DELETE FROM sessions WHERE session = ?`, s.session)
	// A missed ANALYZE is not worth failing a close for.
	_, _ = s.write.Exec("PRAGMA optimize")
	var errs []error
	if s.checkpointer != nil {
		errs = append(errs, s.checkpointer.Close())
	}
	if s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	s.prepared.close()
	s.readStmts.close()
	errs = append(errs, s.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// inTx runs fn in one write transaction, wrapping errors with op.
func (s *SQLite) inTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

// unixMs stores a time as unix milliseconds; the zero time is 0.
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// timeOfMs is unixMs's inverse, in UTC.
func timeOfMs(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
