package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// querier is a transaction or the read pool.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// liveItems reads every live item of the addresses (EnqueueOnce's rule),
// a few hundred addresses a query (one query per address is ten times
// slower for thousands).
func liveItems(ctx context.Context, q querier, ips []string, nowMs int64, ttl time.Duration) (map[string][]model.OutboxItem, error) {
	live := map[string][]model.OutboxItem{}
	const chunk = 500
	for start := 0; start < len(ips); start += chunk {
		part := ips[start:min(start+chunk, len(ips))]
		args := make([]any, 0, len(part)+3)
		for _, ip := range part {
			args = append(args, ip)
		}
		args = append(args, nowMs, ttl.Milliseconds(), nowMs)
		rows, err := q.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox
			WHERE ip IN (?`+strings.Repeat(", ?", len(part)-1)+`) AND (
				(state IN ('queued', 'sending') AND (expires_ms = 0 OR expires_ms > ?))
				OR (state = 'sent' AND CASE WHEN expires_ms = 0 THEN sent_ms + ? ELSE expires_ms END > ?))`, args...)
		if err != nil {
			return nil, err
		}
		items, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			live[it.IP] = append(live[it.IP], it)
		}
	}
	return live, nil
}

// LivePushes reads, for each address, the items EnqueueOnce would find
// live at now: queued or sending and not expired, or sent and still live
// at Okta (until its expiry, or ttl after it was sent without one). Pick
// the one that covers a push at a level with Covering. The dashboard's
// bulk push reads them in a command to mark, before anything is queued,
// the addresses a push would skip. IPs are in the outbox's one spelling.
func (s *SQLite) LivePushes(ctx context.Context, ips []string, now time.Time, ttl time.Duration) (map[string][]model.OutboxItem, error) {
	if len(ips) == 0 {
		return map[string][]model.OutboxItem{}, nil
	}
	live, err := liveItems(ctx, s.read, ips, unixMs(now), ttl)
	if err != nil {
		return nil, fmt.Errorf("store: live pushes: %w", err)
	}
	return live, nil
}

// LatestPersonPush is the newest item of subject; false when none.
func (s *SQLite) LatestPersonPush(ctx context.Context, subject string) (model.OutboxItem, bool, error) {
	if subject == "" {
		return model.OutboxItem{}, false, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE subject = ? ORDER BY id DESC LIMIT 1`, subject)
	if err != nil {
		return model.OutboxItem{}, false, fmt.Errorf("store: latest person push: %w", err)
	}
	items, err := scanOutbox(rows)
	if err != nil || len(items) == 0 {
		return model.OutboxItem{}, false, err
	}
	return items[0], true, nil
}

// Covering is the item among an address's live items (LivePushes) that
// makes EnqueueOnce skip a push at level, and whether there is one.
func Covering(items []model.OutboxItem, level model.Level) (model.OutboxItem, bool) {
	return liveFor(items, level)
}
