package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model/store"
)

// The feed reads events in the order they were stored: events.feed, from
// the event_feed counter, which PutEvents takes in commit order (see its
// comment), so a reader at "after N" never skips a row that commits
// later. Events stored before the feed existed (a copied SQLite store)
// have no number.

// feedSelect reads what queryFeed scans: what the rules read (not the
// level, app, reasons or fields), as on SQLite.
const feedSelect = `SELECT e.seq, coalesce(e.feed, 0), e.vendor, e.id, e.type_name,
	coalesce(u.user_id, ''), coalesce(u.user_name, ''), coalesce(u.user_key, ''), e.ip, e.score
	FROM events e LEFT JOIN users u ON u.uid = e.uid`

func (s *Store) queryFeed(ctx context.Context, op, query string, args ...any) ([]store.FeedEvent, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	var (
		out []store.FeedEvent
		e   store.FeedEvent
		seq int64
	)
	_, err = pgx.ForEachRow(rows, []any{&seq, &e.Feed, &e.Vendor, &e.ID, &e.TypeName, &e.UserID, &e.UserName, &e.UserKey, &e.IP, &e.Score},
		func() error {
			e.Time = time.UnixMilli(seq >> store.SeqShift).UTC()
			out = append(out, e)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return out, nil
}

// EventFeed returns up to limit events stored after feed number after, in
// the order they were stored: from the feed's tail in memory when it holds
// after+1 (store.FeedTail), else from the table. Numbers another instance
// took are never in the tail, so a read that reaches them goes to the
// table. Another instance's prune does not empty the tail: it may still
// serve an event just pruned, as a read just before the prune would
// have (it holds only this store's newest batches, and a prune takes
// events past the retention, which only a back-fill stores late).
func (s *Store) EventFeed(ctx context.Context, after int64, limit int) ([]store.FeedEvent, error) {
	if evs := s.events.tail.Read(after, limit); len(evs) > 0 {
		return evs, nil
	}
	return s.queryFeed(ctx, "event feed", feedSelect+` WHERE e.feed > $1 ORDER BY e.feed LIMIT $2`, after, sqlLimit(limit))
}

// FeedHead is the newest feed number (0 when nothing was stored).
func (s *Store) FeedHead(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT n FROM counters WHERE name = 'event_feed'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: feed head: %w", err)
	}
	return n, nil
}

// FeedEventsFrom returns up to limit events at or after from that were
// stored at or before feed number upTo (or before the feed existed), in
// time order: what a reader at upTo had already seen of a window.
func (s *Store) FeedEventsFrom(ctx context.Context, from time.Time, upTo int64, limit int) ([]store.FeedEvent, error) {
	return s.queryFeed(ctx, "feed events from", feedSelect+` WHERE e.seq >= $1 AND (e.feed IS NULL OR e.feed <= $2)
		ORDER BY e.seq LIMIT $3`, store.FirstSeq(from), upTo, sqlLimit(limit))
}

// sqlLimit is a LIMIT argument meaning what SQLite makes of limit: a
// negative one is no limit (NULL).
func sqlLimit(limit int) *int {
	if limit < 0 {
		return nil
	}
	return &limit
}
