package store

import (
	"context"
	"fmt"
	"time"
)

// SaveView stores v for owner, replacing the view of the same name.
func (s *SQLite) SaveView(ctx context.Context, owner string, v SavedView) error {
	if v.Name == "" {
		return fmt.Errorf("store: save view: no name")
	}
	if v.Saved.IsZero() {
		v.Saved = time.Now()
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO saved_views (owner, name, filter, sort, saved_ms) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (owner, name) DO UPDATE SET filter = excluded.filter, sort = excluded.sort, saved_ms = excluded.saved_ms`,
		owner, v.Name, v.Filter, int(v.Sort), unixMs(v.Saved))
	if err != nil {
		return fmt.Errorf("store: save view %q: %w", v.Name, err)
	}
	return nil
}

// maxSavedViews bounds one owner's list, which completion offers whole.
const maxSavedViews = 1000

// SavedViews lists owner's views by name.
func (s *SQLite) SavedViews(ctx context.Context, owner string) ([]SavedView, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT name, filter, sort, saved_ms FROM saved_views WHERE owner = ? ORDER BY name LIMIT ?`,
		owner, maxSavedViews)
	if err != nil {
		return nil, fmt.Errorf("store: saved views: %w", err)
	}
	defer rows.Close()
	var out []SavedView
	for rows.Next() {
		var (
			v    SavedView
			sort int
			ms   int64
		)
		if err := rows.Scan(&v.Name, &v.Filter, &sort, &ms); err != nil {
			return nil, fmt.Errorf("store: saved views: %w", err)
		}
		v.Sort, v.Saved = Sort(sort), timeOfMs(ms)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: saved views: %w", err)
	}
	return out, nil
}
