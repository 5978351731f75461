package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model/store"
)

// The notification outbox (issue 16, notify; SQLite's deliveries.go):
// one row per message and channel, claimed as the push outbox is
// (outbox_claim.go). A channel's rows go in id order.

const deliveryColumns = `id, message_id, channel, created_ms, payload, state, attempts, next_try_ms, last_error, done_ms`

// lockSpaceChannels holds ClaimDeliveries' lock of each channel.
const lockSpaceChannels = 0x6368616e // "chan"

// EnqueueDeliveries queues every message for every channel, due at now,
// in one transaction, in the order given. A (message, channel) already
// stored, in whatever state, is left as it is. It returns how many rows
// it queued.
//
// The enqueues of all instances take one lock until they commit, so the
// ids (the order a channel's rows are sent in) commit in order: were a
// row with id 11 visible while one with id 10 is not yet, a claimer
// would send 11 first. The lock also keeps two instances queueing the
// same messages in different orders from deadlocking on the unique key.
func (s *Store) EnqueueDeliveries(ctx context.Context, msgs []store.DeliveryMessage, channels []string, now time.Time) (int, error) {
	ids, payloads := make([]string, len(msgs)), make([]string, len(msgs))
	for i, m := range msgs {
		if m.ID == "" {
			return 0, fmt.Errorf("store: enqueue deliveries: message %d has no id", i)
		}
		ids[i], payloads[i] = m.ID, m.Payload
	}
	if len(msgs) == 0 || len(channels) == 0 {
		return 0, nil
	}
	var queued int
	err := s.inTx(ctx, "enqueue deliveries", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockSpaceOutbox, deliveriesLock); err != nil {
			return err
		}
		ms := unixMs(now)
		tag, err := tx.Exec(ctx, `INSERT INTO deliveries
			(message_id, channel, created_ms, payload, state, attempts, next_try_ms, last_error, done_ms, claim_session, claimed_ms)
			SELECT m.id, c.ch, $4, m.payload, 'queued', 0, $4, '', 0, '', 0
			FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS m(id, payload, n)
				CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS c(ch, k)
			ORDER BY m.n, c.k
			ON CONFLICT (message_id, channel) DO NOTHING`, ids, payloads, channels, ms)
		queued = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, err
	}
	return queued, nil
}

// ClaimDeliveries marks as sending, in one transaction, up to limit of a
// channel's rows that are due, oldest first, and returns them; each
// claim counts an attempt. Due are queued rows whose next try has come,
// and sending rows whose claimer is gone or whose lease ran out. None is
// claimed while an older row of the channel is waiting (queued for
// later, or being sent by a running session).
//
// That rule needs one claimer of a channel at a time: two at once would
// each skip the rows the other locked (SKIP LOCKED) and take the ones
// after them, sending a channel's messages out of order. So a claim
// takes the channel's lock until it commits; the next one then sees the
// rows claimed. SKIP LOCKED still keeps it from waiting on a row a mark
// is finishing.
func (s *Store) ClaimDeliveries(ctx context.Context, channel string, now time.Time, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	if err := s.holdSession(); err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	nowMs := unixMs(now)
	var out []store.Delivery
	err := s.inTx(ctx, "claim deliveries", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockSpaceChannels, channel); err != nil {
			return err
		}
		gone, err := s.goneClaimers(ctx, tx, "deliveries")
		if err != nil {
			return err
		}
		due := `((state = 'queued' AND next_try_ms <= $2) OR (state = 'sending' AND (claimed_ms <= $3 OR claim_session = ANY($6))))`
		rows, err := tx.Query(ctx, `WITH due AS MATERIALIZED (
				SELECT id FROM deliveries
				WHERE channel = $4 AND state IN ('queued', 'sending') AND `+due+`
					AND id < (SELECT coalesce(min(id), 9223372036854775807) FROM deliveries
						WHERE channel = $4 AND state IN ('queued', 'sending') AND NOT `+due+`)
				ORDER BY id LIMIT $5
				FOR UPDATE OF deliveries SKIP LOCKED)
			UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1, claim_session = $1, claimed_ms = $2
			FROM due WHERE d.id = due.id
			RETURNING d.id, d.message_id, d.channel, d.created_ms, d.payload, d.state, d.attempts,
				d.next_try_ms, d.last_error, d.done_ms`,
			s.session, nowMs, nowMs-s.opts.SendLease.Milliseconds(), channel, limit, gone)
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
	slices.SortFunc(out, func(a, b store.Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// MarkDelivered records that a row reached its channel.
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	return s.updateDelivery(ctx, "mark delivered", id,
		`UPDATE deliveries SET state = 'delivered', done_ms = $2, last_error = '' WHERE id = $1`, unixMs(at))
}

// MarkDeliveryRetry puts a row back in the queue for next, noting why
// the last attempt failed.
func (s *Store) MarkDeliveryRetry(ctx context.Context, id int64, errText string, next time.Time) error {
	return s.updateDelivery(ctx, "mark delivery retry", id,
		`UPDATE deliveries SET state = 'queued', last_error = $2, next_try_ms = $3 WHERE id = $1 AND state <> 'delivered'`,
		errText, unixMs(next))
}

// MarkDeliveryFailed gives up on a row, with the reason.
func (s *Store) MarkDeliveryFailed(ctx context.Context, id int64, reason string, at time.Time) error {
	return s.updateDelivery(ctx, "mark delivery failed", id,
		`UPDATE deliveries SET state = 'failed', last_error = $2, done_ms = $3 WHERE id = $1 AND state <> 'delivered'`,
		reason, unixMs(at))
}

// ReleaseDeliveries puts claimed rows that were not tried back in the
// queue as they were: due at their next try, the claim's attempt not
// counted.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, "release deliveries", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE deliveries SET state = 'queued', attempts = greatest(attempts - 1, 0)
			WHERE id = ANY($1) AND state = 'sending'`, ids)
		return err
	})
}

// updateDelivery runs update (whose $1 is the id); an unknown id is
// ErrNotFound.
func (s *Store) updateDelivery(ctx context.Context, op string, id int64, update string, args ...any) error {
	return s.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, update, append([]any{id}, args...)...); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = $1)`, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("delivery %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// NextDeliveryDue is when ClaimDeliveries will next have something of
// the channel to hand out: when its oldest live row is due (the ones
// after it wait for it): a queued row at its next try, one a gone
// session left sending at once, one a running session is sending at its
// lease's end. ok is false when nothing is queued or sending.
func (s *Store) NextDeliveryDue(ctx context.Context, channel string) (time.Time, bool, error) {
	var next int64
	err := s.pool.QueryRow(ctx, `WITH `+liveSessions+`
		SELECT CASE
			WHEN state = 'queued' THEN next_try_ms
			WHEN `+claimGone+` THEN claimed_ms
			ELSE claimed_ms + $2 END
		FROM deliveries WHERE channel = $3 AND state IN ('queued', 'sending')
		ORDER BY id LIMIT 1`, s.session, s.opts.SendLease.Milliseconds(), channel).Scan(&next)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("store: next delivery due: %w", err)
	}
	return time.UnixMilli(next).UTC(), true, nil
}

// Deliveries lists rows oldest first, in one state ("" for all).
func (s *Store) Deliveries(ctx context.Context, state store.DeliveryState, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT ` + deliveryColumns + ` FROM deliveries`
	args := []any{limit}
	if state != "" {
		query += ` WHERE state = $2`
		args = append(args, string(state))
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY id LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}

func scanDeliveries(rows pgx.Rows) ([]store.Delivery, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Delivery, error) {
		var (
			d                         store.Delivery
			state                     string
			createdMs, nextMs, doneMs int64
		)
		if err := row.Scan(&d.ID, &d.MessageID, &d.Channel, &createdMs, &d.Payload, &state, &d.Attempts,
			&nextMs, &d.LastError, &doneMs); err != nil {
			return d, err
		}
		d.State = store.DeliveryState(state)
		d.Created, d.NextTry, d.Done = timeOfMs(createdMs), timeOfMs(nextMs), timeOfMs(doneMs)
		return d, nil
	})
}
