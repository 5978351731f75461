package store

import (
	"context"
	"database/sql"
	"errors"
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
// stops at the first one older than since: it reads what is recent only,
// and looks up one earlier level per person and vendor (the rest are the
// rows before them in the window).
func (s *SQLite) Rises(ctx context.Context, since time.Time, limit int) ([]Rise, error) {
	if limit <= 0 || limit > MaxPageSize*10 {
		limit = MaxPageSize * 10
	}
	type row struct {
		id          int64
		key, vendor string
		atMs        int64
		level       model.Level
	}
	rows, err := s.read.QueryContext(ctx, `SELECT rowid, key, vendor, at_ms, level FROM risk_history ORDER BY rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: rises: %w", err)
	}
	sinceMs := unixMs(since)
	var window []row // newest first
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.key, &r.vendor, &r.atMs, &r.level); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: rises: %w", err)
		}
		if r.atMs < sinceMs {
			break
		}
		window = append(window, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rises: %w", err)
	}
	// Each row's previous level: the next older row of the same person and
	// vendor in the window, else one lookup before the window.
	type pv struct{ key, vendor string }
	older := map[pv]int{} // the oldest row seen so far of each, walking newest first
	prev := make([]*model.Level, len(window))
	for i, r := range window {
		k := pv{r.key, r.vendor}
		if j, ok := older[k]; ok {
			l := r.level
			prev[j] = &l
		}
		older[k] = i
	}
	before, err := s.read.PrepareContext(ctx, `SELECT level FROM risk_history WHERE key = ? AND vendor = ? AND rowid < ?
		ORDER BY at_ms DESC, rowid DESC LIMIT 1`)
	if err != nil {
		return nil, fmt.Errorf("store: rises: %w", err)
	}
	defer before.Close()
	var out []Rise
	for i, r := range window {
		if len(out) >= limit {
			break
		}
		if prev[i] == nil {
			if older[pv{r.key, r.vendor}] != i {
				continue // not the oldest in the window, yet nothing older in it: cannot happen
			}
			var l int
			switch err := before.QueryRowContext(ctx, r.key, r.vendor, r.id).Scan(&l); {
			case err == nil:
				pl := model.Level(l)
				prev[i] = &pl
			case errors.Is(err, sql.ErrNoRows):
				continue // the vendor's first reading of them
			default:
				return nil, fmt.Errorf("store: rises: %w", err)
			}
		}
		if r.level > *prev[i] {
			out = append(out, Rise{Key: r.key, Vendor: r.vendor, At: timeOfMs(r.atMs), From: *prev[i], To: r.level})
		}
	}
	return out, nil
}
