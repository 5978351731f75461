package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

const outboxColumns = `id, created_ms, ip, level, message, expires_ms, actor, state, attempts,
	next_try_ms, last_error, sent_ms, subject, previous_level, source`

// checkItem says what makes it unfit for the outbox ("" when nothing):
// an item is an address (IP) or a person (Subject), exactly one.
func checkItem(it model.OutboxItem) string {
	switch {
	case it.IP == "" && it.Subject == "":
		return "has no IP and no subject"
	case it.IP != "" && it.Subject != "":
		return "has both an IP and a subject (an item is an address or a person)"
	}
	return ""
}

// Enqueue stores pushes as queued, due at their NextTry (zero: now), and
// returns their ids in order.
func (s *SQLite) Enqueue(ctx context.Context, items []model.OutboxItem) ([]int64, error) {
	now := time.Now()
	for i, it := range items {
		if m := checkItem(it); m != "" {
			return nil, fmt.Errorf("store: enqueue: item %d %s", i, m)
		}
	}
	ids := make([]int64, 0, len(items))
	err := s.inTx(ctx, "enqueue", func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, insertOutbox)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, it := range items {
			id, err := insertItem(ctx, ins, it, now)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

const insertOutbox = `INSERT INTO outbox
	(created_ms, ip, level, message, expires_ms, actor, state, attempts, next_try_ms,
	 last_error, sent_ms, claim_session, claimed_ms, subject, previous_level, source)
	VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, '', 0, '', 0, ?, ?, ?)`

// insertItem queues it with ins (insertOutbox), created at now unless it
// says when, due at its NextTry (zero: when created).
func insertItem(ctx context.Context, ins *sql.Stmt, it model.OutboxItem, now time.Time) (int64, error) {
	created, next := it.Created, it.NextTry
	if created.IsZero() {
		created = now
	}
	if next.IsZero() {
		next = created
	}
	res, err := ins.ExecContext(ctx, unixMs(created), it.IP, int(it.Level), it.Message,
		unixMs(it.ExpiresAt), it.Actor, unixMs(next), it.Subject, int(it.Previous), it.Source)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Push is one item for EnqueueOnce.
type Push struct {
	Item model.OutboxItem
	// Force queues the item even when a live item covers its address
	// (or person).
	Force bool
}

// Enqueued is what EnqueueOnce did with one Push.
type Enqueued struct {
	ID int64 // the item queued; 0 when skipped
	// Live is the item that covers the address (ID 0 when none): queued,
	// sending or sent. A skipped push always has one; a forced one may.
	Live model.OutboxItem
}

// Skipped reports whether the push was not queued because of Live.
func (e Enqueued) Skipped() bool { return e.ID == 0 }

// EnqueueOnce stores pushes as queued, like Enqueue, except that a push
// (not forced) is skipped when its address already has a live item at the
// same or a higher level: one queued or sending whose expiry has not
// passed at now, or one sent and still live at Okta: until its ExpiresAt,
// or until ttl after it was sent when it has none. Failed and dropped
// items do not count. A person's push (Subject set) is skipped the same
// way for an item of the same subject queued or sending at the same or a
// higher level; a sent one does not count (Okta keeps a person's level
// until told another, and telling it again is the operator's call).
// Everything happens in one write transaction, so two callers (two
// processes) pushing the same address at once queue it once; a batch
// naming an address twice queues it once too. The IP must be in one
// spelling per address (the caller's canonical form), the subject in one
// spelling per person (subjects are compared as stored).
func (s *SQLite) EnqueueOnce(ctx context.Context, pushes []Push, now time.Time, ttl time.Duration) ([]Enqueued, error) {
	for i, p := range pushes {
		if m := checkItem(p.Item); m != "" {
			return nil, fmt.Errorf("store: enqueue once: push %d %s", i, m)
		}
	}
	nowMs := unixMs(now)
	out := make([]Enqueued, len(pushes))
	err := s.inTx(ctx, "enqueue once", func(tx *sql.Tx) error {
		// Every live item of the addresses and persons, a few hundred a
		// query (one query per push is ten times slower for thousands).
		var ips, subjects []string
		seen := map[string]bool{}
		for _, p := range pushes {
			k := liveKey(p.Item)
			if seen[k] {
				continue
			}
			seen[k] = true
			if p.Item.Person() {
				subjects = append(subjects, p.Item.Subject)
			} else {
				ips = append(ips, p.Item.IP)
			}
		}
		live, err := liveItems(ctx, tx, ips, nowMs, ttl)
		if err != nil {
			return err
		}
		persons, err := livePersons(ctx, tx, subjects)
		if err != nil {
			return err
		}
		for k, v := range persons {
			live[k] = v
		}
		ins, err := tx.PrepareContext(ctx, insertOutbox)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i, p := range pushes {
			k := liveKey(p.Item)
			if best, ok := liveFor(live[k], p.Item.Level); ok {
				out[i].Live = best
				if !p.Force {
					continue
				}
			}
			id, err := insertItem(ctx, ins, p.Item, now)
			if err != nil {
				return err
			}
			out[i].ID = id
			it := p.Item
			it.ID, it.State = id, model.OutboxQueued
			live[k] = append(live[k], it) // the batch names it again
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// liveKey is the key of an item's live items in EnqueueOnce: the address,
// or the subject marked as a person's (no address starts with "person:").
func liveKey(it model.OutboxItem) string {
	if it.Person() {
		return "person:" + it.Subject
	}
	return it.IP
}

// livePersons reads the queued and sending items of the subjects, keyed
// by liveKey.
func livePersons(ctx context.Context, q querier, subjects []string) (map[string][]model.OutboxItem, error) {
	live := map[string][]model.OutboxItem{}
	const chunk = 500
	for start := 0; start < len(subjects); start += chunk {
		part := subjects[start:min(start+chunk, len(subjects))]
		args := make([]any, len(part))
		for i, sub := range part {
			args[i] = sub
		}
		rows, err := q.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox
			WHERE subject IN (?`+strings.Repeat(", ?", len(part)-1)+`) AND subject != ''
				AND state IN ('queued', 'sending')`, args...)
		if err != nil {
			return nil, err
		}
		items, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			live[liveKey(it)] = append(live[liveKey(it)], it)
		}
	}
	return live, nil
}

// liveFor picks, among an address's live items, one that covers a push at
// level: at that level or higher; preferably one already sent (nothing
// left to wait for), then one being sent, then a queued one; the newest.
func liveFor(items []model.OutboxItem, level model.Level) (model.OutboxItem, bool) {
	rank := map[model.OutboxState]int{model.OutboxSent: 0, model.OutboxSending: 1, model.OutboxQueued: 2}
	var best model.OutboxItem
	found := false
	for _, it := range items {
		if it.Level < level {
			continue
		}
		if !found || rank[it.State] < rank[best.State] || rank[it.State] == rank[best.State] && it.ID > best.ID {
			best, found = it, true
		}
	}
	return best, found
}

// ClaimDue marks as sending, in one write transaction, up to limit items
// that are due: queued ones whose NextTry has come, and sending ones that
// were claimed by a process that is gone (killed mid-send: see
// session.go) or longer than Options.SendLease ago (a send that hung).
// Each claim counts an attempt. Items claimed by a running process,
// this one included, are not handed out again within the lease, so a
// killed process's items are sent once more, by one process.
func (s *SQLite) ClaimDue(ctx context.Context, now time.Time, limit int) ([]model.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	nowMs := unixMs(now)
	var out []model.OutboxItem
	err := s.inTx(ctx, "claim due", func(tx *sql.Tx) error {
		gone, err := s.goneClaimers(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.recordSession(ctx, tx); err != nil {
			return err
		}
		args := []any{s.session, nowMs, nowMs}
		for _, g := range gone {
			args = append(args, g)
		}
		args = append(args, nowMs-s.opts.SendLease.Milliseconds(), limit)
		rows, err := tx.QueryContext(ctx, `UPDATE outbox
			SET state = 'sending', attempts = attempts + 1, claim_session = ?, claimed_ms = ?
			WHERE id IN (
				SELECT id FROM outbox
				WHERE (state = 'queued' AND next_try_ms <= ?)
					OR (state = 'sending' AND (claim_session IN `+inList(len(gone))+` OR claimed_ms <= ?))
				ORDER BY next_try_ms, id LIMIT ?)
			RETURNING `+outboxColumns, args...)
		if err != nil {
			return err
		}
		if out, err = scanOutbox(rows); err != nil {
			return err
		}
		// Beyond limit, some of a gone process's items may be left
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
		return int(a.ID - b.ID)
	})
	return out, nil
}

// MarkSent records that items were pushed. It applies whatever their
// state, since the push happened even if an operator dropped the item
// meanwhile.
func (s *SQLite) MarkSent(ctx context.Context, ids []int64, at time.Time) error {
	return s.updateItems(ctx, "mark sent", ids,
		`UPDATE outbox SET state = 'sent', sent_ms = ?, last_error = '' WHERE id = ?`, unixMs(at))
}

// MarkFailed records a failed push: with a non-zero nextTry the items go
// back to the queue for then, with a zero one they stop as failed (until
// Requeue). Items no longer queued or sending (dropped, sent) keep their
// state and only note the error.
func (s *SQLite) MarkFailed(ctx context.Context, ids []int64, errText string, nextTry time.Time) error {
	state := model.OutboxQueued
	if nextTry.IsZero() {
		state = model.OutboxFailed
	}
	return s.updateItems(ctx, "mark failed", ids,
		`UPDATE outbox SET last_error = ?,
			state = CASE WHEN state IN ('queued', 'sending') THEN ? ELSE state END,
			next_try_ms = CASE WHEN state IN ('queued', 'sending') THEN ? ELSE next_try_ms END
		WHERE id = ?`, errText, string(state), unixMs(nextTry))
}

// updateItems runs update (whose last parameter is the id) for each id in
// one transaction; an unknown id fails the lot.
func (s *SQLite) updateItems(ctx context.Context, op string, ids []int64, update string, args ...any) error {
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, update)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			res, err := st.ExecContext(ctx, append(args, id)...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
			}
		}
		return nil
	})
}

// Requeue puts a failed item back in the queue, due at at.
func (s *SQLite) Requeue(ctx context.Context, id int64, at time.Time) error {
	return s.moveItem(ctx, "requeue", id, []model.OutboxState{model.OutboxFailed},
		`UPDATE outbox SET state = 'queued', next_try_ms = ? WHERE id = ?`, unixMs(at))
}

// Drop gives up on an item that is not sent yet.
func (s *SQLite) Drop(ctx context.Context, id int64) error {
	return s.moveItem(ctx, "drop", id,
		[]model.OutboxState{model.OutboxQueued, model.OutboxSending, model.OutboxFailed},
		`UPDATE outbox SET state = 'dropped' WHERE id = ?`)
}

// moveItem runs update (whose last parameter is the id) when the item is
// in one of the states from.
func (s *SQLite) moveItem(ctx context.Context, op string, id int64, from []model.OutboxState, update string, args ...any) error {
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM outbox WHERE id = ?`, id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
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
		_, err = tx.ExecContext(ctx, update, append(args, id)...)
		return err
	})
}

// Outbox lists items newest first, in one state ("" for all).
func (s *SQLite) Outbox(ctx context.Context, state model.OutboxState, limit int) ([]model.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT ` + outboxColumns + ` FROM outbox`
	var args []any
	if state != "" {
		query += ` WHERE state = ?`
		args = append(args, string(state))
	}
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	out, err := scanOutbox(rows)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	return out, nil
}

func scanOutbox(rows *sql.Rows) ([]model.OutboxItem, error) {
	defer rows.Close()
	var out []model.OutboxItem
	for rows.Next() {
		var (
			it                                      model.OutboxItem
			level, previous                         int
			state                                   string
			createdMs, expiresMs, nextTryMs, sentMs int64
		)
		if err := rows.Scan(&it.ID, &createdMs, &it.IP, &level, &it.Message, &expiresMs, &it.Actor, &state,
			&it.Attempts, &nextTryMs, &it.LastError, &sentMs, &it.Subject, &previous, &it.Source); err != nil {
			return nil, err
		}
		it.Level, it.Previous = model.Level(level), model.Level(previous)
		it.State = model.OutboxState(state)
		it.Created, it.ExpiresAt = timeOfMs(createdMs), timeOfMs(expiresMs)
		it.NextTry, it.SentAt = timeOfMs(nextTryMs), timeOfMs(sentMs)
		out = append(out, it)
	}
	return out, rows.Err()
}
