package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The notification outbox (issue 16, notify): one row per message and
// channel (webhook, syslog), queued in the same write as whatever raised
// the message, claimed and sent by one sender, marked delivered, retried
// or given up on. Claims work as the push outbox's do (claim_session,
// the sessions table, the send lease: see session.go), so a message a
// killed process was sending is sent once more, by one process, and two
// running processes never send the same row.

// deliveriesSchema is the deliveries table; one entry of migrations.
var deliveriesSchema = `
CREATE TABLE deliveries (
	id            INTEGER PRIMARY KEY AUTOINCREMENT, -- the order messages are sent in, per channel
	message_id    TEXT    NOT NULL, -- the message's idempotency key
	channel       TEXT    NOT NULL, -- webhook, syslog
	created_ms    INTEGER NOT NULL,
	payload       TEXT    NOT NULL, -- the message, as the notify package encodes it
	state         TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'delivered', 'failed')),
	attempts      INTEGER NOT NULL,
	next_try_ms   INTEGER NOT NULL,
	last_error    TEXT    NOT NULL,
	done_ms       INTEGER NOT NULL, -- when delivered or given up; 0 before
	claim_session TEXT    NOT NULL,
	claimed_ms    INTEGER NOT NULL,
	UNIQUE (message_id, channel)
);
-- state first: the live rows (queued, sending) are found without reading
-- the delivered ones (bench: 100,000 of them cost 167 ms a claim without).
CREATE INDEX deliveries_due ON deliveries (state, channel, next_try_ms);
`

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	DeliveryQueued    DeliveryState = "queued"
	DeliverySending   DeliveryState = "sending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed" // given up on, with the reason in LastError
)

// DeliveryMessage is one message for EnqueueDeliveries: its idempotency
// key and its encoded form.
type DeliveryMessage struct {
	ID      string
	Payload string
}

// Delivery is one message on its way to one channel.
type Delivery struct {
	ID        int64
	MessageID string
	Channel   string
	Created   time.Time
	Payload   string
	State     DeliveryState
	Attempts  int // claims so far, this one included
	NextTry   time.Time
	LastError string
	Done      time.Time // delivered or given up; zero before
}

const deliveryColumns = `id, message_id, channel, created_ms, payload, state, attempts, next_try_ms, last_error, done_ms`

// EnqueueDeliveries queues every message for every channel, due at now,
// in one transaction, in the order given. A (message, channel) already
// stored, in whatever state, is left as it is, so enqueueing a message
// twice (two processes raising the same alert, a retry after a crash)
// sends it once. It returns how many rows it queued.
func (s *SQLite) EnqueueDeliveries(ctx context.Context, msgs []DeliveryMessage, channels []string, now time.Time) (int, error) {
	for i, m := range msgs {
		if m.ID == "" {
			return 0, fmt.Errorf("store: enqueue deliveries: message %d has no id", i)
		}
	}
	queued := 0
	err := s.inTx(ctx, "enqueue deliveries", func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO deliveries
			(message_id, channel, created_ms, payload, state, attempts, next_try_ms, last_error, done_ms, claim_session, claimed_ms)
			VALUES (?, ?, ?, ?, 'queued', 0, ?, '', 0, '', 0)
			ON CONFLICT (message_id, channel) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		ms := unixMs(now)
		for _, m := range msgs {
			for _, ch := range channels {
				res, err := ins.ExecContext(ctx, m.ID, ch, ms, m.Payload, ms)
				if err != nil {
					return err
				}
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				queued += int(n)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return queued, nil
}

// ClaimDeliveries marks as sending, in one write transaction, up to
// limit of a channel's rows that are due, oldest first, and returns
// them; each claim counts an attempt. Due are queued rows whose next try
// has come, and sending rows whose claimer is gone (killed mid-send) or
// whose lease (Options.SendLease) ran out. A channel's rows go in order:
// none is claimed while an older row of the channel is waiting (queued
// for later, or being sent by a running process), so a receiver that was
// down gets the messages in the order they were raised.
func (s *SQLite) ClaimDeliveries(ctx context.Context, channel string, now time.Time, limit int) ([]Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	nowMs := unixMs(now)
	var out []Delivery
	err := s.inTx(ctx, "claim deliveries", func(tx *sql.Tx) error {
		gone, err := s.goneClaimersIn(ctx, tx, "deliveries")
		if err != nil {
			return err
		}
		if err := s.recordSession(ctx, tx); err != nil {
			return err
		}
		// due is a row this claim may take; the first row of the channel
		// that is live but not due bounds what may be taken. (IN (NULL)
		// is NULL, not false: ifnull makes NOT due true for a live claim.)
		due := `ifnull((state = 'queued' AND next_try_ms <= ?) OR
			(state = 'sending' AND (claim_session IN ` + inList(len(gone)) + ` OR claimed_ms <= ?)), 0)`
		dueArgs := []any{nowMs}
		for _, g := range gone {
			dueArgs = append(dueArgs, g)
		}
		dueArgs = append(dueArgs, nowMs-s.opts.SendLease.Milliseconds())
		args := []any{s.session, nowMs, channel}
		args = append(args, dueArgs...)
		args = append(args, channel)
		args = append(args, dueArgs...)
		args = append(args, limit)
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries
			SET state = 'sending', attempts = attempts + 1, claim_session = ?, claimed_ms = ?
			WHERE id IN (
				SELECT id FROM deliveries
				WHERE state IN ('queued', 'sending') AND channel = ? AND `+due+`
					-- + keeps the planner on deliveries_due: walking the
					-- rowids below the bound would read every delivered row
					AND +id < (SELECT ifnull(min(id), 9223372036854775807) FROM deliveries
						WHERE channel = ? AND state IN ('queued', 'sending') AND NOT `+due+`)
				ORDER BY id LIMIT ?)
			RETURNING `+deliveryColumns, args...)
		if err != nil {
			return err
		}
		if out, err = scanDeliveries(rows); err != nil {
			return err
		}
		// As ClaimDue does (a process that only notifies has no ClaimDue
		// to do it).
		return s.forgetGoneSessions(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// MarkDelivered records that a row reached its channel.
func (s *SQLite) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	return s.updateDelivery(ctx, "mark delivered", id,
		`UPDATE deliveries SET state = 'delivered', done_ms = ?, last_error = '' WHERE id = ?`, unixMs(at))
}

// MarkDeliveryRetry puts a row back in the queue for next, noting why
// the last attempt failed.
func (s *SQLite) MarkDeliveryRetry(ctx context.Context, id int64, errText string, next time.Time) error {
	return s.updateDelivery(ctx, "mark delivery retry", id,
		`UPDATE deliveries SET state = 'queued', last_error = ?, next_try_ms = ? WHERE id = ? AND state != 'delivered'`,
		errText, unixMs(next))
}

// MarkDeliveryFailed gives up on a row, with the reason.
func (s *SQLite) MarkDeliveryFailed(ctx context.Context, id int64, reason string, at time.Time) error {
	return s.updateDelivery(ctx, "mark delivery failed", id,
		`UPDATE deliveries SET state = 'failed', last_error = ?, done_ms = ? WHERE id = ? AND state != 'delivered'`,
		reason, unixMs(at))
}

// ReleaseDeliveries puts claimed rows that were not tried (the sender
// stopped, or an older row of their channel failed first) back in the
// queue as they were: due at their next try, the claim's attempt not
// counted.
func (s *SQLite) ReleaseDeliveries(ctx context.Context, ids []int64) error {
	return s.inTx(ctx, "release deliveries", func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'queued', attempts = max(attempts - 1, 0)
				WHERE id = ? AND state = 'sending'`, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// updateDelivery runs update (whose last parameter is the id); an
// unknown id is ErrNotFound.
func (s *SQLite) updateDelivery(ctx context.Context, op string, id int64, update string, args ...any) error {
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, update, append(args, id)...); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("delivery %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// NextDeliveryDue is when ClaimDeliveries will next have something of
// the channel to hand out: when its oldest live row is due (rows go in
// order, so the ones after it wait for it): a queued row at its next
// try, one a gone process left sending at once, one a running process
// is sending at its lease's end. ok is false when nothing is queued or
// sending.
func (s *SQLite) NextDeliveryDue(ctx context.Context, channel string) (time.Time, bool, error) {
	gone, err := s.goneClaimersIn(ctx, s.read, "deliveries")
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next delivery due: %w", err)
	}
	args := make([]any, 0, len(gone)+2)
	for _, g := range gone {
		args = append(args, g)
	}
	args = append(args, s.opts.SendLease.Milliseconds(), channel)
	var next int64
	err = s.read.QueryRowContext(ctx, `SELECT CASE
			WHEN state = 'queued' THEN next_try_ms
			WHEN claim_session IN `+inList(len(gone))+` THEN claimed_ms
			ELSE claimed_ms + ? END
		FROM deliveries WHERE id = (SELECT min(id) FROM deliveries
			WHERE channel = ? AND state IN ('queued', 'sending'))`, args...).Scan(&next)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("store: next delivery due: %w", err)
	}
	return time.UnixMilli(next).UTC(), true, nil
}

// Deliveries lists rows oldest first, in one state ("" for all).
func (s *SQLite) Deliveries(ctx context.Context, state DeliveryState, limit int) ([]Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT ` + deliveryColumns + ` FROM deliveries`
	var args []any
	if state != "" {
		query += ` WHERE state = ?`
		args = append(args, string(state))
	}
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}

func scanDeliveries(rows *sql.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var (
			d                         Delivery
			state                     string
			createdMs, nextMs, doneMs int64
		)
		if err := rows.Scan(&d.ID, &d.MessageID, &d.Channel, &createdMs, &d.Payload, &state, &d.Attempts,
			&nextMs, &d.LastError, &doneMs); err != nil {
			return nil, err
		}
		d.State = DeliveryState(state)
		d.Created, d.NextTry, d.Done = timeOfMs(createdMs), timeOfMs(nextMs), timeOfMs(doneMs)
		out = append(out, d)
	}
	return out, rows.Err()
}
