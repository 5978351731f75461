package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// NextOutboxDue is when ClaimDue will next have something to hand out:
// the earliest NextTry of a queued item, the claim time of an item a gone
// process left sending (due at once), or the end of the lease of one a
// running process (this one or another) is sending. ok is false when
// nothing is queued or sending, so a sender can sleep without a timer.
func (s *SQLite) NextOutboxDue(ctx context.Context) (time.Time, bool, error) {
	gone, err := s.goneClaimers(ctx, s.read)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next outbox due: %w", err)
	}
	args := make([]any, 0, len(gone)+1)
	for _, g := range gone {
		args = append(args, g)
	}
	args = append(args, s.opts.SendLease.Milliseconds())
	var next sql.NullInt64
	err = s.read.QueryRowContext(ctx, `SELECT MIN(CASE
			WHEN state = 'queued' THEN next_try_ms
			WHEN claim_session IN `+inList(len(gone))+` THEN claimed_ms
			ELSE claimed_ms + ? END)
		FROM outbox WHERE state IN ('queued', 'sending')`, args...).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next outbox due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	// An item due at the epoch (never claimed, no next try) is due now:
	// timeOfMs would make it the zero time.
	return time.UnixMilli(next.Int64).UTC(), true, nil
}

// OutboxItems returns the items with the given ids, in that order. An
// unknown id fails the lot with ErrNotFound.
func (s *SQLite) OutboxItems(ctx context.Context, ids []int64) ([]model.OutboxItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	byID := make(map[int64]model.OutboxItem, len(ids))
	// SQLite allows 32,766 parameters; chunks stay well below.
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := s.read.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id IN (?`+
			strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: outbox items: %w", err)
		}
		items, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("store: outbox items: %w", err)
		}
		for _, it := range items {
			byID[it.ID] = it
		}
	}
	out := make([]model.OutboxItem, len(ids))
	for i, id := range ids {
		it, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("store: outbox item %d: %w", id, ErrNotFound)
		}
		out[i] = it
	}
	return out, nil
}
