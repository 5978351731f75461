package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
)

// Outbox and delivery claims name the store session that made them
// (Store.session), as on SQLite. There, whether the claimer still runs is
// asked of the OS (its pid); here claimers run on other hosts, so
// PostgreSQL tells: a session holds an advisory lock, (lockSpaceSessions,
// its lock_key), on a connection of its own from its first claim to
// Close. A process killed, or cut off from the database, loses its
// connection and the lock with it: its claims are taken over at once.
// A running session's claims wait for the send lease (Options.SendLease).

// lockSpaceSessions holds the sessions' locks.
const lockSpaceSessions = 0x73657373 // "sess"

// liveSessions is a WITH query of the sessions whose lock is held: whose
// store runs. The lock_key is unique among sessions (a sequence) and the
// database narrows pg_locks to this one (tests share a server).
var liveSessions = `live AS MATERIALIZED (
	SELECT s.session FROM sessions s JOIN pg_locks l ON l.objid::bigint = s.lock_key
	WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
		AND l.classid = ` + strconv.Itoa(lockSpaceSessions) + `
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`

// claimGone is true for a row claimed by another session that does not
// run; $1 is this session.
const claimGone = `(claim_session <> $1 AND claim_session NOT IN (SELECT session FROM live))`

// claimLock is the connection that holds this store's session lock.
type claimLock struct {
	mu     sync.Mutex
	conn   *pgx.Conn // nil before the first claim, and after Close
	key    int64     // sessions.lock_key; 0 before the first claim
	closed bool      // by Close: no new connection
}

// lockTimeout bounds the session lock's statements. They run on a
// context of their own: pgx closes a connection whose query is cancelled,
// and a caller's cancelled claim must not drop the lock.
const lockTimeout = 10 * time.Second

// holdSession makes sure this store's session lock is held before a
// claim, taking it on a new connection the first time, or when the
// connection was lost (the database restarted: the claims made before may
// have been taken over meanwhile, as a crashed process's are), and
// records the session, committed before any claim names it: a claimer
// that sees a claim then sees its session (goneClaimers).
func (s *Store) holdSession() error {
	c := &s.claims
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("the store is closed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	if c.conn != nil {
		if c.conn.Ping(ctx) == nil {
			return nil
		}
		c.conn.Close(ctx)
		c.conn = nil
	}
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("session lock: %w", err)
	}
	if err := c.lock(ctx, conn); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("session lock: %w", err)
	}
	host, _ := os.Hostname()
	if _, err := conn.Exec(ctx, `INSERT INTO sessions (session, pid, host, started, lock_key) VALUES ($1, $2, $3, '', $4)
		ON CONFLICT (session) DO UPDATE SET lock_key = excluded.lock_key`, s.session, os.Getpid(), host, c.key); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("session record: %w", err)
	}
	c.conn = conn
	return nil
}

// lock takes the session lock on conn: the same key again after a lost
// connection, a new one if another session holds it (the sequence
// wrapped around).
func (c *claimLock) lock(ctx context.Context, conn *pgx.Conn) error {
	for {
		if c.key == 0 {
			if err := conn.QueryRow(ctx, `SELECT nextval('sessions_lock_seq')`).Scan(&c.key); err != nil {
				return err
			}
		}
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2::int)`, lockSpaceSessions, c.key).Scan(&ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		c.key = 0
	}
}

// goneClaimers lists the other sessions with rows of table (outbox,
// deliveries) sending whose lock is not held (or that were never
// recorded), so their claims may be taken at once. It is its own
// statement, before the claim's: a claim that commits while the claim's
// statement waits for its row is rechecked against this list, fixed
// before that claim was seen, and so never counts as gone.
func (s *Store) goneClaimers(ctx context.Context, tx pgx.Tx, table string) ([]string, error) {
	rows, err := tx.Query(ctx, `WITH `+liveSessions+`
		SELECT DISTINCT claim_session FROM `+table+` WHERE state = 'sending' AND `+claimGone, s.session)
	if err != nil {
		return nil, err
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if gone == nil {
		gone = []string{} // = ANY(NULL) would be NULL, not false
	}
	return gone, err
}

// closeSession ends this store's session, on Close: its record goes
// (unless some of its claims are still sending: as for a gone process,
// the record stays until another claimer takes them over; see
// forgetGoneSessions) and the lock with the connection, so what it left
// sending is taken over at once. Errors are not worth failing Close for:
// a record left behind is a gone session's, and the lock ends with the
// connection anyway.
func (s *Store) closeSession() error {
	c := &s.claims
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	_, _ = c.conn.Exec(ctx, `DELETE FROM sessions WHERE session = $1 AND NOT EXISTS
		(SELECT 1 FROM outbox WHERE state = 'sending' AND claim_session = $1) AND NOT EXISTS
		(SELECT 1 FROM deliveries WHERE state = 'sending' AND claim_session = $1)`, s.session)
	// Unlocked before the connection goes: its backend ends (and drops
	// the lock) only some time after Close returns.
	_, _ = c.conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`)
	_ = c.conn.Close(ctx)
	c.conn = nil
	return nil
}

// forgetGoneSessions drops the records of gone sessions once nothing
// they claimed is left sending, in the push outbox or the deliveries:
// both claimers (ClaimDue, ClaimDeliveries) call it.
func (s *Store) forgetGoneSessions(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `WITH `+liveSessions+`
		DELETE FROM sessions s WHERE s.session <> $1 AND s.session NOT IN (SELECT session FROM live)
			AND NOT EXISTS (SELECT 1 FROM deliveries WHERE state = 'sending' AND claim_session = s.session)
			AND NOT EXISTS (SELECT 1 FROM outbox WHERE state = 'sending' AND claim_session = s.session)`, s.session)
	return err
}

// ClaimDue marks as sending, in one transaction, up to limit items that
// are due: queued ones whose NextTry has come, and sending ones whose
// claimer is gone (its session lock is not held) or that were claimed
// longer than Options.SendLease ago. Each claim counts an attempt. Rows
// are locked FOR UPDATE SKIP LOCKED: instances claiming at once each get
// other items, and an item another claimed meanwhile is rechecked once
// that claim commits and found not due (its claimer runs: goneClaimers),
// so each goes out once.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, limit int) ([]model.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	if err := s.holdSession(); err != nil {
		return nil, fmt.Errorf("store: claim due: %w", err)
	}
	nowMs := unixMs(now)
	var out []model.OutboxItem
	err := s.inTx(ctx, "claim due", func(tx pgx.Tx) error {
		gone, err := s.goneClaimers(ctx, tx, "outbox")
		if err != nil {
			return err
		}
		out, err = queryOutbox(ctx, tx, `WITH due AS MATERIALIZED (
				SELECT id FROM outbox
				WHERE (state = 'queued' AND next_try_ms <= $2)
					OR (state = 'sending' AND (claimed_ms <= $3 OR claim_session = ANY($5)))
				ORDER BY next_try_ms, id LIMIT $4
				FOR UPDATE OF outbox SKIP LOCKED)
			UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, claim_session = $1, claimed_ms = $2
			FROM due WHERE o.id = due.id
			RETURNING o.id, o.created_ms, o.ip, o.level, o.message, o.expires_ms, o.actor, o.state, o.attempts,
				o.next_try_ms, o.last_error, o.sent_ms, o.subject, o.previous_level, o.source`,
			s.session, nowMs, nowMs-s.opts.SendLease.Milliseconds(), limit, gone)
		if err != nil {
			return err
		}
		// Beyond limit, some of a gone session's items may be left
		// sending: its record stays until they are not.
		return s.forgetGoneSessions(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b model.OutboxItem) int {
		if c := a.NextTry.Compare(b.NextTry); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// NextOutboxDue is when ClaimDue will next have something to hand out:
// the earliest NextTry of a queued item, the claim time of an item a gone
// session left sending (due at once), or the end of the lease of one a
// running session (this one or another) is sending. ok is false when
// nothing is queued or sending.
func (s *Store) NextOutboxDue(ctx context.Context) (time.Time, bool, error) {
	var next *int64
	err := s.pool.QueryRow(ctx, `WITH `+liveSessions+`
		SELECT MIN(CASE
			WHEN state = 'queued' THEN next_try_ms
			WHEN `+claimGone+` THEN claimed_ms
			ELSE claimed_ms + $2 END)
		FROM outbox WHERE state IN ('queued', 'sending')`, s.session, s.opts.SendLease.Milliseconds()).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next outbox due: %w", err)
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	// An item due at the epoch is due now: timeOfMs would make it the
	// zero time.
	return time.UnixMilli(*next).UTC(), true, nil
}
