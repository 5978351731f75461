package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/risktop/risktop/model"
)

// PutScores records one score-insights reading.
func (s *SQLite) PutScores(ctx context.Context, sc model.Scores) error {
	windowS := int64(sc.Window / time.Second)
	if windowS <= 0 {
		return fmt.Errorf("store: put scores: window %v is below a second", sc.Window)
	}
	counts, err := json.Marshal(sc.Counts)
	if err != nil {
		return fmt.Errorf("store: put scores: %w", err)
	}
	return s.inTx(ctx, "put scores", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scores (window_s, from_ms, to_ms, at_ms, counts, total)
			VALUES (?, ?, ?, ?, ?, ?)`, windowS, unixMs(sc.From), unixMs(sc.To), unixMs(sc.At), string(counts), sc.Total)
		return err
	})
}

// LatestScores returns the newest reading for a window.
func (s *SQLite) LatestScores(ctx context.Context, window time.Duration) (model.Scores, error) {
	out, err := s.scores(ctx, `SELECT window_s, from_ms, to_ms, at_ms, counts, total FROM scores
		WHERE window_s = ? ORDER BY at_ms DESC, rowid DESC LIMIT 1`, int64(window/time.Second))
	if err != nil {
		return model.Scores{}, fmt.Errorf("store: latest scores: %w", err)
	}
	if len(out) == 0 {
		return model.Scores{}, fmt.Errorf("store: latest scores for %v: %w", window, ErrNotFound)
	}
	return out[0], nil
}

// ScoresHistory returns a window's readings since a time, oldest first.
func (s *SQLite) ScoresHistory(ctx context.Context, window time.Duration, since time.Time) ([]model.Scores, error) {
	out, err := s.scores(ctx, `SELECT window_s, from_ms, to_ms, at_ms, counts, total FROM scores
		WHERE window_s = ? AND at_ms >= ? ORDER BY at_ms, rowid`, int64(window/time.Second), unixMs(since))
	if err != nil {
		return nil, fmt.Errorf("store: scores history: %w", err)
	}
	return out, nil
}

func (s *SQLite) scores(ctx context.Context, query string, args ...any) ([]model.Scores, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Scores
	for rows.Next() {
		var (
			sc                 model.Scores
			windowS            int64
			fromMs, toMs, atMs int64
			counts             string
		)
		if err := rows.Scan(&windowS, &fromMs, &toMs, &atMs, &counts, &sc.Total); err != nil {
			return nil, err
		}
		sc.Window = time.Duration(windowS) * time.Second
		sc.From, sc.To, sc.At = timeOfMs(fromMs), timeOfMs(toMs), timeOfMs(atMs)
		// Decoding into the array keeps what fits should the buckets change.
		if err := json.Unmarshal([]byte(counts), &sc.Counts); err != nil {
			return nil, fmt.Errorf("counts: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// Cursor returns a named cursor, "" when it was never set.
func (s *SQLite) Cursor(ctx context.Context, name string) (string, error) {
	var v string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: cursor %s: %w", name, err)
	}
	return v, nil
}

// SetCursor stores a named cursor.
func (s *SQLite) SetCursor(ctx context.Context, name, value string) error {
	if name == "" {
		return errors.New("store: set cursor: no name")
	}
	return s.inTx(ctx, "set cursor "+name, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO cursors (name, value, updated_ms) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`,
			name, value, time.Now().UnixMilli())
		return err
	})
}
