package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// Score snapshots, cursors, saved views and preferences: SQLite's
// snapshots.go, views.go and prefs.go. Every write is one upsert or
// insert, atomic under concurrent writers on its own.

// PutScores records one score-insights reading.
func (s *Store) PutScores(ctx context.Context, sc model.Scores) error {
	windowS := int64(sc.Window / time.Second)
	if windowS <= 0 {
		return fmt.Errorf("store: put scores: window %v is below a second", sc.Window)
	}
	counts, err := json.Marshal(sc.Counts)
	if err != nil {
		return fmt.Errorf("store: put scores: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO scores (window_s, from_ms, to_ms, at_ms, counts, total)
		VALUES ($1, $2, $3, $4, $5, $6)`, windowS, unixMs(sc.From), unixMs(sc.To), unixMs(sc.At), string(counts), int64(sc.Total))
	if err != nil {
		return fmt.Errorf("store: put scores: %w", err)
	}
	return nil
}

// LatestScores returns the newest reading for a window.
func (s *Store) LatestScores(ctx context.Context, window time.Duration) (model.Scores, error) {
	out, err := s.scores(ctx, `SELECT window_s, from_ms, to_ms, at_ms, counts, total FROM scores
		WHERE window_s = $1 ORDER BY at_ms DESC, id DESC LIMIT 1`, int64(window/time.Second))
	if err != nil {
		return model.Scores{}, fmt.Errorf("store: latest scores: %w", err)
	}
	if len(out) == 0 {
		return model.Scores{}, fmt.Errorf("store: latest scores for %v: %w", window, store.ErrNotFound)
	}
	return out[0], nil
}

// ScoresHistory returns a window's readings since a time, oldest first.
func (s *Store) ScoresHistory(ctx context.Context, window time.Duration, since time.Time) ([]model.Scores, error) {
	out, err := s.scores(ctx, `SELECT window_s, from_ms, to_ms, at_ms, counts, total FROM scores
		WHERE window_s = $1 AND at_ms >= $2 ORDER BY at_ms, id`, int64(window/time.Second), unixMs(since))
	if err != nil {
		return nil, fmt.Errorf("store: scores history: %w", err)
	}
	return out, nil
}

func (s *Store) scores(ctx context.Context, query string, args ...any) ([]model.Scores, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var (
		out                []model.Scores
		windowS, total     int64
		fromMs, toMs, atMs int64
		counts             string
	)
	_, err = pgx.ForEachRow(rows, []any{&windowS, &fromMs, &toMs, &atMs, &counts, &total}, func() error {
		sc := model.Scores{Window: time.Duration(windowS) * time.Second, Total: int(total),
			From: timeOfMs(fromMs), To: timeOfMs(toMs), At: timeOfMs(atMs)}
		// Decoding into the array keeps what fits should the buckets change.
		if err := json.Unmarshal([]byte(counts), &sc.Counts); err != nil {
			return fmt.Errorf("counts: %w", err)
		}
		out = append(out, sc)
		return nil
	})
	return out, err
}

// Cursor returns a named cursor, "" when it was never set.
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM cursors WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: cursor %s: %w", name, err)
	}
	return v, nil
}

// SetCursor stores a named cursor. The alerts area's PutAlerts writes
// cursors with the same upsert in its own transaction.
func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	if name == "" {
		return errors.New("store: set cursor: no name")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO cursors (name, value, updated_ms) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`,
		name, value, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: set cursor %s: %w", name, err)
	}
	return nil
}

// SaveView stores v for owner, replacing the view of the same name.
func (s *Store) SaveView(ctx context.Context, owner string, v store.SavedView) error {
	if v.Name == "" {
		return fmt.Errorf("store: save view: no name")
	}
	if v.Saved.IsZero() {
		v.Saved = time.Now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO saved_views (owner, name, filter, sort, saved_ms) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (owner, name) DO UPDATE SET filter = excluded.filter, sort = excluded.sort, saved_ms = excluded.saved_ms`,
		owner, v.Name, v.Filter, int64(v.Sort), unixMs(v.Saved))
	if err != nil {
		return fmt.Errorf("store: save view %q: %w", v.Name, err)
	}
	return nil
}

// maxSavedViews bounds one owner's list, which completion offers whole
// (SQLite's bound).
const maxSavedViews = 1000

// SavedViews lists owner's views by name (bytewise, as SQLite).
func (s *Store) SavedViews(ctx context.Context, owner string) ([]store.SavedView, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, filter, sort, saved_ms FROM saved_views WHERE owner = $1
		ORDER BY name COLLATE "C" LIMIT $2`, owner, maxSavedViews)
	if err != nil {
		return nil, fmt.Errorf("store: saved views: %w", err)
	}
	var (
		out      []store.SavedView
		v        store.SavedView
		sort, ms int64
	)
	_, err = pgx.ForEachRow(rows, []any{&v.Name, &v.Filter, &sort, &ms}, func() error {
		v.Sort, v.Saved = store.Sort(sort), timeOfMs(ms)
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: saved views: %w", err)
	}
	return out, nil
}

// maxPrefValue bounds a preference's value: settings are words, not
// files (SQLite's bound).
const maxPrefValue = 1024

// Pref is owner's setting name; "" and false when it was never set.
func (s *Store) Pref(ctx context.Context, owner, name string) (string, bool, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM prefs WHERE owner = $1 AND name = $2`, owner, name).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("store: pref %q: %w", name, err)
	}
	return v, true, nil
}

// SetPref stores owner's setting name, replacing what it was.
func (s *Store) SetPref(ctx context.Context, owner, name, value string, at time.Time) error {
	if name == "" {
		return fmt.Errorf("store: set pref: no name")
	}
	if len(value) > maxPrefValue {
		return fmt.Errorf("store: set pref %q: %d bytes, more than %d", name, len(value), maxPrefValue)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO prefs (owner, name, value, updated_ms) VALUES ($1, $2, $3, $4)
		ON CONFLICT (owner, name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`,
		owner, name, value, unixMs(at))
	if err != nil {
		return fmt.Errorf("store: set pref %q: %w", name, err)
	}
	return nil
}
