package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// HistoryKey is the person a view's history is kept under: the
// normalised email, or vendor:userID when the vendor gave no address (as
// model.Merge keys such a person). RiskHistory takes these keys.
func HistoryKey(u model.UserRisk) string {
	if k := u.Key(); k != "" {
		return k
	}
	return u.LocalKey()
}

// PutUserRisks replaces the vendor's current views in one transaction,
// and appends a history point for each person whose highest level or
// score differs from their last point from this vendor, so polling an
// unchanged population writes no history. A person who drops out of the
// views gets no point: their last one stands.
func (s *SQLite) PutUserRisks(ctx context.Context, vendor string, at time.Time, views []model.UserRisk) error {
	if vendor == "" {
		return errors.New("store: put user risks: no vendor")
	}
	type point struct {
		level model.Level
		score int
	}
	people := map[string]point{}
	var order []string
	for _, v := range views {
		if v.Vendor != "" && v.Vendor != vendor {
			return fmt.Errorf("store: put user risks: a %s view among %s's", v.Vendor, vendor)
		}
		v.Vendor = vendor
		key := HistoryKey(v)
		p, seen := people[key]
		if !seen {
			p = point{score: model.NoScore}
			order = append(order, key)
		}
		p.level = model.Max(p.level, v.Level)
		p.score = max(p.score, v.Score)
		people[key] = p
	}
	atMs := unixMs(at)
	return s.inTx(ctx, "put user risks", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_risks WHERE vendor = ?`, vendor); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO user_risks
			(vendor, user_id, email, name, level, raw_level, score, events, last_seen_ms, reasons, context, at_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, v := range views {
			reasons := "[]"
			if len(v.Reasons) > 0 {
				b, err := json.Marshal(v.Reasons)
				if err != nil {
					return err
				}
				reasons = string(b)
			}
			if _, err := ins.ExecContext(ctx, vendor, v.UserID, v.Email, v.Name, int(v.Level), v.RawLevel,
				v.Score, v.Events, unixMs(v.LastSeen), reasons, v.Context, atMs); err != nil {
				return err
			}
		}
		last, err := tx.PrepareContext(ctx, `SELECT level, score FROM risk_history
			WHERE key = ? AND vendor = ? ORDER BY at_ms DESC, rowid DESC LIMIT 1`)
		if err != nil {
			return err
		}
		defer last.Close()
		add, err := tx.PrepareContext(ctx, `INSERT INTO risk_history (key, vendor, at_ms, level, score) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer add.Close()
		for _, key := range order {
			now := people[key]
			var level, score int
			err := last.QueryRowContext(ctx, key, vendor).Scan(&level, &score)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case model.Level(level) == now.level && score == now.score:
				continue
			}
			if _, err := add.ExecContext(ctx, key, vendor, atMs, int(now.level), now.score); err != nil {
				return err
			}
		}
		return nil
	})
}

// UserRisks returns a vendor's current views ("" for every vendor),
// by vendor and then in the order they were put.
func (s *SQLite) UserRisks(ctx context.Context, vendor string) ([]model.UserRisk, error) {
	query := `SELECT vendor, user_id, email, name, level, raw_level, score, events, last_seen_ms, reasons, context
		FROM user_risks`
	var args []any
	if vendor != "" {
		query += ` WHERE vendor = ?`
		args = append(args, vendor)
	}
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY vendor, rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: user risks: %w", err)
	}
	defer rows.Close()
	var out []model.UserRisk
	for rows.Next() {
		var (
			u       model.UserRisk
			level   int
			lastMs  int64
			reasons string
		)
		if err := rows.Scan(&u.Vendor, &u.UserID, &u.Email, &u.Name, &level, &u.RawLevel, &u.Score, &u.Events,
			&lastMs, &reasons, &u.Context); err != nil {
			return nil, fmt.Errorf("store: user risks: %w", err)
		}
		u.Level = model.Level(level)
		u.LastSeen = timeOfMs(lastMs)
		if reasons != "" && reasons != "[]" {
			if err := json.Unmarshal([]byte(reasons), &u.Reasons); err != nil {
				return nil, fmt.Errorf("store: user risks: reasons of %s/%s: %w", u.Vendor, u.UserID, err)
			}
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: user risks: %w", err)
	}
	return out, nil
}

// RiskHistory returns one person's recorded changes since a time, from
// every vendor, oldest first. key is a HistoryKey.
func (s *SQLite) RiskHistory(ctx context.Context, key string, since time.Time) ([]model.RiskPoint, error) {
	if k := model.NormalizeEmail(key); k != "" {
		key = k
	}
	rows, err := s.read.QueryContext(ctx, `SELECT at_ms, vendor, level, score FROM risk_history
		WHERE key = ? AND at_ms >= ? ORDER BY at_ms, rowid`, key, unixMs(since))
	if err != nil {
		return nil, fmt.Errorf("store: risk history: %w", err)
	}
	defer rows.Close()
	var out []model.RiskPoint
	for rows.Next() {
		var (
			p     model.RiskPoint
			atMs  int64
			level int
		)
		if err := rows.Scan(&atMs, &p.Vendor, &level, &p.Score); err != nil {
			return nil, fmt.Errorf("store: risk history: %w", err)
		}
		p.At = timeOfMs(atMs)
		p.Level = model.Level(level)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: risk history: %w", err)
	}
	return out, nil
}

// sortUserRisks orders views riskiest first, then busiest, then most
// recently seen, then by name.
func sortUserRisks(us []model.UserRisk) {
	slices.SortStableFunc(us, func(a, b model.UserRisk) int {
		switch {
		case a.Level != b.Level:
			return int(b.Level) - int(a.Level)
		case a.Score != b.Score:
			return b.Score - a.Score
		case a.Events != b.Events:
			return b.Events - a.Events
		case !a.LastSeen.Equal(b.LastSeen):
			return b.LastSeen.Compare(a.LastSeen)
		}
		return strings.Compare(a.Name+"\x00"+a.UserID, b.Name+"\x00"+b.UserID)
	})
}
