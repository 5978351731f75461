package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
)

// The feeds let the detection engine read what is new in the order it was
// stored. An event's seq is time ordered, so an event fetched late (a
// back-fill, a vendor that delivers late) gets a seq below events stored
// before it, and "seq > cursor" would miss it; PutEvents therefore numbers
// each inserted event in events.feed from the event_feed counter, in the
// same transaction. Events stored before the feed existed have no number.
// risk_history is append-only in insertion order, so its rowid serves.

// FeedEvent is an event with its feed number. It carries what the rules
// read: vendor, id, time, type name, user, address and score (not the
// level, app, reasons or fields: Event has them).
type FeedEvent struct {
	Feed int64 // 0 for events stored before the feed existed
	model.Event
}

// feedSelect reads what queryFeed scans. Users come from feedUsers, not
// a join: a users row never changes, and a poll's events name few people.
const feedSelect = `SELECT e.seq, coalesce(e.feed, 0), e.vendor, e.id, e.type_name, coalesce(e.uid, 0), e.ip, e.score
	FROM events e`

// feedUsers remembers users rows by uid for the feed.
type feedUsers struct {
	mu sync.Mutex
	m  map[int64]identity
}

func (s *SQLite) queryFeed(ctx context.Context, op, query string, args ...any) ([]FeedEvent, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	defer rows.Close()
	var (
		out  []FeedEvent
		uids []int64
	)
	for rows.Next() {
		var (
			e   FeedEvent
			seq int64
			uid int64
		)
		if err := rows.Scan(&seq, &e.Feed, &e.Vendor, &e.ID, &e.TypeName, &uid, &e.IP, &e.Score); err != nil {
			return nil, fmt.Errorf("store: %s: %w", op, err)
		}
		e.Time = time.UnixMilli(seq >> seqShift).UTC()
		out = append(out, e)
		uids = append(uids, uid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	rows.Close()
	users, err := s.usersOf(ctx, uids)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	for i, uid := range uids {
		if u, ok := users[uid]; ok {
			out[i].UserID, out[i].UserName, out[i].UserKey = u.userID, u.name, u.key
		}
	}
	return out, nil
}

// usersOf returns the users rows of uids (0: none), from feedUsers or
// the table.
func (s *SQLite) usersOf(ctx context.Context, uids []int64) (map[int64]identity, error) {
	out := map[int64]identity{}
	var missing []any
	s.feedUsers.mu.Lock()
	for _, uid := range uids {
		if uid == 0 {
			continue
		}
		if u, ok := s.feedUsers.m[uid]; ok {
			out[uid] = u
		} else if _, asked := out[uid]; !asked {
			out[uid] = identity{}
			missing = append(missing, uid)
		}
	}
	s.feedUsers.mu.Unlock()
	for len(missing) > 0 {
		chunk := missing[:min(len(missing), 500)]
		missing = missing[len(chunk):]
		rows, err := s.read.QueryContext(ctx, `SELECT uid, vendor, user_id, user_name, user_key FROM users
			WHERE uid IN (`+marks(len(chunk))+`)`, chunk...)
		if err != nil {
			return nil, err
		}
		found := map[int64]identity{}
		for rows.Next() {
			var (
				uid int64
				u   identity
			)
			if err := rows.Scan(&uid, &u.vendor, &u.userID, &u.name, &u.key); err != nil {
				rows.Close()
				return nil, err
			}
			found[uid] = u
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		s.feedUsers.mu.Lock()
		if s.feedUsers.m == nil || len(s.feedUsers.m)+len(found) > maxCachedUIDs {
			s.feedUsers.m = make(map[int64]identity, len(found))
		}
		for uid, u := range found {
			s.feedUsers.m[uid] = u
			out[uid] = u
		}
		s.feedUsers.mu.Unlock()
	}
	return out, nil
}

// EventFeed returns up to limit events stored after feed number after, in
// the order they were stored: from the feed's tail in memory when it holds
// after+1, else from the table.
func (s *SQLite) EventFeed(ctx context.Context, after int64, limit int) ([]FeedEvent, error) {
	if evs := s.feedTail.Read(after, limit); len(evs) > 0 {
		return evs, nil
	}
	return s.queryFeed(ctx, "event feed", feedSelect+` WHERE e.feed > ? ORDER BY e.feed LIMIT ?`, after, limit)
}

// FeedHead is the newest feed number (0 when nothing was stored since the
// feed existed).
func (s *SQLite) FeedHead(ctx context.Context) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT n FROM counters WHERE name = 'event_feed'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: feed head: %w", err)
	}
	return n, nil
}

// FeedEventsFrom returns up to limit events at or after from that were
// stored at or before feed number upTo (or before the feed existed), in
// time order: what a reader at upTo had already seen of a window.
func (s *SQLite) FeedEventsFrom(ctx context.Context, from time.Time, upTo int64, limit int) ([]FeedEvent, error) {
	return s.queryFeed(ctx, "feed events from", feedSelect+` WHERE e.seq >= ? AND (e.feed IS NULL OR e.feed <= ?)
		ORDER BY e.seq LIMIT ?`, firstSeq(from), upTo, limit)
}

// LevelChange is one row of a person's risk history with the level before
// it from the same vendor.
type LevelChange struct {
	ID       int64  // its place in the history, in insertion order
	Key      string // HistoryKey: the normalised email, or vendor:user id
	Vendor   string
	At       time.Time // when the poll saw it
	Level    model.Level
	Score    int
	Previous model.Level // LevelUnknown with First
	First    bool        // the vendor's first reading of the person
}

const qHistoryFeed = `SELECT h.rowid, h.key, h.vendor, h.at_ms, h.level, h.score,
	(SELECT p.level FROM risk_history p WHERE p.key = h.key AND p.vendor = h.vendor AND p.rowid < h.rowid
		ORDER BY p.at_ms DESC, p.rowid DESC LIMIT 1)
	FROM risk_history h WHERE h.rowid > ? ORDER BY h.rowid LIMIT ?`

// HistoryFeed returns up to limit history rows after id after, in the
// order they were appended, each with the level before it.
func (s *SQLite) HistoryFeed(ctx context.Context, after int64, limit int) ([]LevelChange, error) {
	q, err := s.readStmts.one(ctx, s.read, qHistoryFeed)
	if err != nil {
		return nil, fmt.Errorf("store: history feed: %w", err)
	}
	rows, err := q.QueryContext(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: history feed: %w", err)
	}
	defer rows.Close()
	var out []LevelChange
	for rows.Next() {
		var (
			c     LevelChange
			atMs  int64
			level int
			prev  sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &c.Key, &c.Vendor, &atMs, &level, &c.Score, &prev); err != nil {
			return nil, fmt.Errorf("store: history feed: %w", err)
		}
		c.At, c.Level = timeOfMs(atMs), model.Level(level)
		c.Previous, c.First = model.Level(prev.Int64), !prev.Valid
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: history feed: %w", err)
	}
	return out, nil
}

// HistoryHead is the id of the newest history row (0 when none).
func (s *SQLite) HistoryHead(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT max(rowid) FROM risk_history`).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: history head: %w", err)
	}
	return n.Int64, nil
}

// LatestLevels is each person's latest level in each vendor (person key →
// vendor → level) among the history rows up to id upTo.
func (s *SQLite) LatestLevels(ctx context.Context, upTo int64) (map[string]map[string]model.Level, error) {
	// SQLite takes the bare column (level) from the row holding max(rowid).
	rows, err := s.read.QueryContext(ctx, `SELECT key, vendor, level, max(rowid) FROM risk_history
		WHERE rowid <= ? GROUP BY key, vendor`, upTo)
	if err != nil {
		return nil, fmt.Errorf("store: latest levels: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]model.Level{}
	for rows.Next() {
		var (
			key, vendor string
			level       int
			id          int64
		)
		if err := rows.Scan(&key, &vendor, &level, &id); err != nil {
			return nil, fmt.Errorf("store: latest levels: %w", err)
		}
		if out[key] == nil {
			out[key] = map[string]model.Level{}
		}
		out[key][vendor] = model.Level(level)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: latest levels: %w", err)
	}
	return out, nil
}
