package store

import (
	"context"
	"fmt"
	"time"

	"github.com/risktop/risktop/model"
)

// Rise is one person's level going up in one vendor (issue 16: the Users
// list marks who is rising).
type Rise struct {
	Key    string // HistoryKey: the normalised email, or vendor:user id
	Vendor string
	At     time.Time
	From   model.Level
	To     model.Level
}

// Rises lists the level rises recorded since a time, newest first, at
// most limit. A vendor's first reading of someone is no rise. The history
// is appended in poll order, so the walk goes back from the newest row and
// stops at the first one older than since: it reads what is recent only.
func (s *SQLite) Rises(ctx context.Context, since time.Time, limit int) ([]Rise, error) {
	if limit <= 0 || limit > MaxPageSize*10 {
		limit = MaxPageSize * 10
	}
	rows, err := s.read.QueryContext(ctx, `SELECT h.key, h.vendor, h.at_ms, h.level,
		(SELECT p.level FROM risk_history p WHERE p.key = h.key AND p.vendor = h.vendor AND p.rowid < h.rowid
			ORDER BY p.at_ms DESC, p.rowid DESC LIMIT 1)
		FROM risk_history h ORDER BY h.rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: rises: %w", err)
	}
	defer rows.Close()
	sinceMs := unixMs(since)
	var out []Rise
	for rows.Next() && len(out) < limit {
		var (
			r     Rise
			atMs  int64
			level int
			prev  *int64
		)
		if err := rows.Scan(&r.Key, &r.Vendor, &atMs, &level, &prev); err != nil {
			return nil, fmt.Errorf("store: rises: %w", err)
		}
		if atMs < sinceMs {
			break
		}
		if prev == nil || model.Level(level) <= model.Level(*prev) {
			continue
		}
		r.At, r.From, r.To = timeOfMs(atMs), model.Level(*prev), model.Level(level)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rises: %w", err)
	}
	return out, nil
}
