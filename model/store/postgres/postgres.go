// Package postgres is the Store on a PostgreSQL database, for teams:
// several risktop instances on one database share the events, the audit
// log and the outbox. It keeps the SQLite store's tables, columns and
// semantics (times as unix milliseconds, the same JSON columns), so the
// two answer alike: one conformance suite (model/store/storetest) runs
// against both.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

var _ store.Store = (*Store)(nil)

// Options tunes Open. The zero value is what risktop uses.
type Options struct {
	// MaxConns bounds the pool (default 8).
	MaxConns int32
	// SendLease is how long an outbox item may stay sending before
	// ClaimDue hands it out again (default 10m), as on SQLite.
	SendLease time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxConns <= 0 {
		o.MaxConns = 8
	}
	if o.SendLease <= 0 {
		o.SendLease = 10 * time.Minute
	}
	return o
}

// Store is the Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	opts Options
	// session names this store's outbox and delivery claims (see
	// outbox.go), as SQLite's does.
	session string
	// claims holds the session's lock (outbox_claim.go).
	claims claimLock
	// alerts spares PutAlerts reading live alerts back (alerts.go).
	alerts store.AlertCache
	// events caches the users rows PutEvents resolved (events.go).
	events eventCaches

	closeOnce sync.Once
	closeErr  error
}

// Open connects to url (postgres://…), brings the schema up to date and
// returns the store. A wrong URL, a refused connection, a missing
// database or permission is an error that says which, without the
// password.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	o = o.withDefaults()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: %s is not a PostgreSQL URL: %w", Redact(url), errors.Unwrap(err))
	}
	cfg.MaxConns = o.MaxConns
	cfg.ConnConfig.RuntimeParams["application_name"] = "risktop"
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", Redact(url), err)
	}
	s := &Store{pool: pool, opts: o, session: newSession()}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: %s: %w", Redact(url), unreachable(err))
	}
	return s, nil
}

// Redact is url without its password, for messages and logs.
func Redact(url string) string {
	cfg, err := pgconn.ParseConfig(url)
	if err == nil && cfg.Password == "" {
		return url
	}
	if err != nil {
		// Unreadable: whatever stands before the host may hold one.
		if i := strings.Index(url, "@"); i >= 0 {
			if j := strings.Index(url, "://"); j >= 0 && j < i {
				return url[:j+3] + "…" + url[i:]
			}
		}
		return url
	}
	return strings.ReplaceAll(url, cfg.Password, "…")
}

func newSession() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Close closes the pool; a second Close returns the first's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.closeSession()
		s.pool.Close()
	})
	return s.closeErr
}

// Pool is the store's connection pool (the team features: leadership,
// notifications).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// inTx runs fn in one transaction, wrapping errors with op.
func (s *Store) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, fn)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, unreachable(err))
	}
	return nil
}

// errUnreachable marks an error of a database that did not answer (down,
// restarting, or cut off): retried by the callers' own schedules.
var errUnreachable = errors.New("the PostgreSQL database did not answer")

// unreachable says in words that the database did not answer (down,
// restarting, cut off), keeping err; an answer that refuses (a missing
// database, a wrong password) is left as it is.
func unreachable(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%w (%w)", errUnreachable, err)
	}
	return err
}

// IsUnreachable reports whether err says the database did not answer:
// worth trying again later, unlike a refusal.
func IsUnreachable(err error) bool { return errors.Is(err, errUnreachable) }

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

// eventRow is one event of a PutEvents batch as stored, as the rollups
// (addRollups, people.go) read it.
type eventRow struct {
	ev    *model.Event
	ms    int64  // the event's time, unix ms
	seq   int64  // its events.seq
	ipBin []byte // the address as 16 bytes (IPv4 mapped); nil when none
}
