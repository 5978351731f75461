package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// outboxSchema is the outbox area's tables: SQLite's migrations 1, 2, 4
// (audit, outbox, sessions) and 6 (deliveries) in one, with the same
// names. sessions has one column SQLite lacks, lock_key (outbox_claim.go).
const outboxSchema = `
CREATE TABLE audit (
	id            BIGSERIAL PRIMARY KEY, -- never reused; committed in id order (AppendAudits)
	at_ms         BIGINT NOT NULL,
	actor         TEXT   NOT NULL,
	action        TEXT   NOT NULL,
	vendor        TEXT   NOT NULL,
	target        TEXT   NOT NULL,
	result        TEXT   NOT NULL,
	vendor_status BIGINT NOT NULL,
	detail        TEXT   NOT NULL
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
-- Per statement, so that even a change that matches no row is refused.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE TABLE outbox (
	id             BIGSERIAL PRIMARY KEY,
	created_ms     BIGINT NOT NULL,
	ip             TEXT   NOT NULL,
	level          BIGINT NOT NULL,
	message        TEXT   NOT NULL,
	expires_ms     BIGINT NOT NULL,
	actor          TEXT   NOT NULL,
	state          TEXT   NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
	attempts       BIGINT NOT NULL,
	next_try_ms    BIGINT NOT NULL,
	last_error     TEXT   NOT NULL,
	sent_ms        BIGINT NOT NULL,
	claim_session  TEXT   NOT NULL, -- the store that marked it sending
	claimed_ms     BIGINT NOT NULL,
	subject        TEXT   NOT NULL DEFAULT '', -- the person's email; '' for an address
	previous_level BIGINT NOT NULL DEFAULT 0,  -- a person's level Okta was last told (0: none)
	source         TEXT   NOT NULL DEFAULT ''  -- the vendor whose rating a person's level is
);
CREATE INDEX outbox_due ON outbox (state, next_try_ms);
CREATE INDEX outbox_ip ON outbox (ip);
CREATE INDEX outbox_subject ON outbox (subject) WHERE subject <> '';

CREATE TABLE sessions (
	session  TEXT   PRIMARY KEY, -- outbox.claim_session, deliveries.claim_session
	pid      BIGINT NOT NULL,
	host     TEXT   NOT NULL,
	started  TEXT   NOT NULL,    -- '' on PostgreSQL: the lock tells whether it runs
	lock_key BIGINT NOT NULL     -- the advisory lock the session holds while it runs
);
-- lock keys are unique among the sessions (int4: the two-key lock form).
CREATE SEQUENCE sessions_lock_seq AS integer CYCLE;

CREATE TABLE deliveries (
	id            BIGSERIAL PRIMARY KEY, -- the order messages are sent in, per channel
	message_id    TEXT   NOT NULL, -- the message's idempotency key
	channel       TEXT   NOT NULL, -- webhook, syslog
	created_ms    BIGINT NOT NULL,
	payload       TEXT   NOT NULL, -- the message, as the notify package encodes it
	state         TEXT   NOT NULL CHECK (state IN ('queued', 'sending', 'delivered', 'failed')),
	attempts      BIGINT NOT NULL,
	next_try_ms   BIGINT NOT NULL,
	last_error    TEXT   NOT NULL,
	done_ms       BIGINT NOT NULL, -- when delivered or given up; 0 before
	claim_session TEXT   NOT NULL,
	claimed_ms    BIGINT NOT NULL,
	UNIQUE (message_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (state, channel, next_try_ms);
`

// The advisory locks of this area use the two-key form, (lockSpace,
// key), so they cannot meet another area's one-key locks.
const (
	// lockSpaceOutbox holds the locks below.
	lockSpaceOutbox = 0x6f757462 // "outb"
	// auditLock serialises AppendAudits, deliveriesLock EnqueueDeliveries
	// (see there); enqueueOnceLock is EnqueueOnce's (outbox_once.go).
	auditLock       = 1
	deliveriesLock  = 2
	enqueueOnceLock = 3
)

// AppendAudit adds an entry (At defaults to now) and returns its id. The
// table refuses UPDATE, DELETE and TRUNCATE (triggers), and Prune leaves
// it alone.
func (s *Store) AppendAudit(ctx context.Context, e model.AuditEntry) (int64, error) {
	ids, err := s.AppendAudits(ctx, []model.AuditEntry{e})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AppendAudits adds entries in order, in one transaction (all or none),
// and returns their ids.
//
// Ids follow commit order: the appends of all instances take one lock
// before the sequence hands out their ids and hold it until commit. A
// BIGSERIAL alone may commit id 11 before id 10; a reader would then list
// 11 and page on below it (Audit(beforeID)), or note 11 as the newest
// seen, and never see 10. Appends are operator actions, rare enough to
// go one at a time.
func (s *Store) AppendAudits(ctx context.Context, es []model.AuditEntry) ([]int64, error) {
	for _, e := range es {
		if e.Action == "" {
			return nil, errors.New("store: append audit: no action")
		}
	}
	if len(es) == 0 {
		return []int64{}, nil
	}
	now := time.Now()
	var (
		at, status                                     = make([]int64, len(es)), make([]int64, len(es))
		actor, action, vendor, target, result, details = make([]string, len(es)), make([]string, len(es)),
			make([]string, len(es)), make([]string, len(es)), make([]string, len(es)), make([]string, len(es))
	)
	for i, e := range es {
		if e.At.IsZero() {
			e.At = now
		}
		at[i], status[i] = unixMs(e.At), int64(e.VendorStatus)
		actor[i], action[i], vendor[i], target[i], result[i], details[i] = e.Actor, e.Action, e.Vendor, e.Target, e.Result, e.Detail
	}
	var ids []int64
	err := s.inTx(ctx, "append audit", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockSpaceOutbox, auditLock); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO audit (at_ms, actor, action, vendor, target, result, vendor_status, detail)
			SELECT a, ac, act, v, tg, r, st, d
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])
				WITH ORDINALITY AS t(a, ac, act, v, tg, r, st, d, n)
			ORDER BY n
			RETURNING id`, at, actor, action, vendor, target, result, status, details)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return nil, err
	}
	// The rows take their ids in the order of n (one sequence, one
	// statement); RETURNING does not promise that order.
	slices.Sort(ids)
	return ids, nil
}

// Audit lists entries newest first (by id, the order they were
// committed), before an id (0: from the newest).
func (s *Store) Audit(ctx context.Context, beforeID int64, limit int) ([]model.AuditEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT id, at_ms, actor, action, vendor, target, result, vendor_status, detail FROM audit`
	args := []any{}
	if beforeID > 0 {
		query += ` WHERE id < $2`
		args = append(args, beforeID)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY id DESC LIMIT $1`, append([]any{limit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (model.AuditEntry, error) {
		var (
			e    model.AuditEntry
			atMs int64
		)
		err := row.Scan(&e.ID, &atMs, &e.Actor, &e.Action, &e.Vendor, &e.Target, &e.Result, &e.VendorStatus, &e.Detail)
		e.At = timeOfMs(atMs)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	return out, nil
}

const outboxColumns = `id, created_ms, ip, level, message, expires_ms, actor, state, attempts,
	next_try_ms, last_error, sent_ms, subject, previous_level, source`

// Enqueue stores pushes as queued, due at their NextTry (zero: now), and
// returns their ids in order.
func (s *Store) Enqueue(ctx context.Context, items []model.OutboxItem) ([]int64, error) {
	now := time.Now()
	for i, it := range items {
		if m := store.CheckOutboxItem(it); m != "" {
			return nil, fmt.Errorf("store: enqueue: item %d %s", i, m)
		}
	}
	var ids []int64
	err := s.inTx(ctx, "enqueue", func(tx pgx.Tx) error {
		var err error
		ids, err = insertItems(ctx, tx, items, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// insertItems queues items in one statement, each created at now unless
// it says when, due at its NextTry (zero: when created), and returns
// their ids in order.
func insertItems(ctx context.Context, tx pgx.Tx, items []model.OutboxItem, now time.Time) ([]int64, error) {
	if len(items) == 0 {
		return []int64{}, nil
	}
	n := len(items)
	var (
		created, level, expires, next, previous = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		ip, message, actor, subject, source     = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	)
	for i, it := range items {
		c, nt := it.Created, it.NextTry
		if c.IsZero() {
			c = now
		}
		if nt.IsZero() {
			nt = c
		}
		created[i], next[i], expires[i] = unixMs(c), unixMs(nt), unixMs(it.ExpiresAt)
		level[i], previous[i] = int64(it.Level), int64(it.Previous)
		ip[i], message[i], actor[i], subject[i], source[i] = it.IP, it.Message, it.Actor, it.Subject, it.Source
	}
	rows, err := tx.Query(ctx, `INSERT INTO outbox
		(created_ms, ip, level, message, expires_ms, actor, state, attempts, next_try_ms,
		 last_error, sent_ms, claim_session, claimed_ms, subject, previous_level, source)
		SELECT c, i, l, m, e, a, 'queued', 0, nt, '', 0, '', 0, sub, p, src
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[],
			$7::bigint[], $8::text[], $9::bigint[], $10::text[])
			WITH ORDINALITY AS t(c, i, l, m, e, a, nt, sub, p, src, n)
		ORDER BY n
		RETURNING id`, created, ip, level, message, expires, actor, next, subject, previous, source)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	// The rows take their ids in the order of n; RETURNING does not
	// promise that order.
	slices.Sort(ids)
	return ids, nil
}

// MarkSent records that items were pushed. It applies whatever their
// state, since the push happened even if an operator dropped the item
// meanwhile.
func (s *Store) MarkSent(ctx context.Context, ids []int64, at time.Time) error {
	return s.updateItems(ctx, "mark sent", ids,
		`UPDATE outbox SET state = 'sent', sent_ms = $2, last_error = '' WHERE id = ANY($1) RETURNING id`, unixMs(at))
}

// MarkFailed records a failed push: with a non-zero nextTry the items go
// back to the queue for then, with a zero one they stop as failed (until
// Requeue). Items no longer queued or sending (dropped, sent) keep their
// state and only note the error.
func (s *Store) MarkFailed(ctx context.Context, ids []int64, errText string, nextTry time.Time) error {
	state := model.OutboxQueued
	if nextTry.IsZero() {
		state = model.OutboxFailed
	}
	return s.updateItems(ctx, "mark failed", ids,
		`UPDATE outbox SET last_error = $2,
			state = CASE WHEN state IN ('queued', 'sending') THEN $3 ELSE state END,
			next_try_ms = CASE WHEN state IN ('queued', 'sending') THEN $4 ELSE next_try_ms END
		WHERE id = ANY($1) RETURNING id`, errText, string(state), unixMs(nextTry))
}

// updateItems runs update (whose $1 is the ids, and which returns the
// ids it changed) in one transaction; an unknown id fails the lot.
func (s *Store) updateItems(ctx context.Context, op string, ids []int64, update string, args ...any) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, op, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, update, append([]any{ids}, args...)...)
		if err != nil {
			return err
		}
		changed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !slices.Contains(changed, id) {
				return fmt.Errorf("outbox item %d: %w", id, store.ErrNotFound)
			}
		}
		return nil
	})
}

// Requeue puts a failed item back in the queue, due at at.
func (s *Store) Requeue(ctx context.Context, id int64, at time.Time) error {
	return s.moveItem(ctx, "requeue", id, []model.OutboxState{model.OutboxFailed},
		`UPDATE outbox SET state = 'queued', next_try_ms = $2 WHERE id = $1`, unixMs(at))
}

// Drop gives up on an item that is not sent yet.
func (s *Store) Drop(ctx context.Context, id int64) error {
	return s.moveItem(ctx, "drop", id,
		[]model.OutboxState{model.OutboxQueued, model.OutboxSending, model.OutboxFailed},
		`UPDATE outbox SET state = 'dropped' WHERE id = $1`)
}

// moveItem runs update (whose $1 is the id) when the item is in one of
// the states from. The row is locked from the check to the update: a
// MarkSent of another instance in between would otherwise have a sent
// item dropped.
func (s *Store) moveItem(ctx context.Context, op string, id int64, from []model.OutboxState, update string, args ...any) error {
	return s.inTx(ctx, op, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM outbox WHERE id = $1 FOR UPDATE`, id).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("outbox item %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !slices.Contains(from, model.OutboxState(state)) {
			names := make([]string, len(from))
			for i, f := range from {
				names[i] = string(f)
			}
			return fmt.Errorf("outbox item %d is %s, not %s", id, state, strings.Join(names, " or "))
		}
		_, err = tx.Exec(ctx, update, append([]any{id}, args...)...)
		return err
	})
}

// Outbox lists items newest first, in one state ("" for all).
func (s *Store) Outbox(ctx context.Context, state model.OutboxState, limit int) ([]model.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT ` + outboxColumns + ` FROM outbox`
	args := []any{limit}
	if state != "" {
		query += ` WHERE state = $2`
		args = append(args, string(state))
	}
	out, err := queryOutbox(ctx, s.pool, query+` ORDER BY id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	return out, nil
}

// OutboxItems returns the items with the given ids, in that order. An
// unknown id fails the lot with ErrNotFound.
func (s *Store) OutboxItems(ctx context.Context, ids []int64) ([]model.OutboxItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	items, err := queryOutbox(ctx, s.pool, `SELECT `+outboxColumns+` FROM outbox WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: outbox items: %w", err)
	}
	byID := make(map[int64]model.OutboxItem, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	out := make([]model.OutboxItem, len(ids))
	for i, id := range ids {
		it, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("store: outbox item %d: %w", id, store.ErrNotFound)
		}
		out[i] = it
	}
	return out, nil
}

// querier is the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryOutbox runs a query of outboxColumns.
func queryOutbox(ctx context.Context, q querier, query string, args ...any) ([]model.OutboxItem, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanOutbox(rows)
}

func scanOutbox(rows pgx.Rows) ([]model.OutboxItem, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (model.OutboxItem, error) {
		var (
			it                                      model.OutboxItem
			level, previous                         int
			state                                   string
			createdMs, expiresMs, nextTryMs, sentMs int64
		)
		if err := row.Scan(&it.ID, &createdMs, &it.IP, &level, &it.Message, &expiresMs, &it.Actor, &state,
			&it.Attempts, &nextTryMs, &it.LastError, &sentMs, &it.Subject, &previous, &it.Source); err != nil {
			return it, err
		}
		it.Level, it.Previous = model.Level(level), model.Level(previous)
		it.State = model.OutboxState(state)
		it.Created, it.ExpiresAt = timeOfMs(createdMs), timeOfMs(expiresMs)
		it.NextTry, it.SentAt = timeOfMs(nextTryMs), timeOfMs(sentMs)
		return it, nil
	})
}
