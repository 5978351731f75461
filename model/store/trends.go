package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/risktop/risktop/model"
)

// TrendQuery asks for event counts per Step (a whole number of hours)
// over [From, To), and the same span before From in total. From and To
// are rounded down to whole hours (in UTC).
type TrendQuery struct {
	From, To time.Time
	Step     time.Duration
	Vendor   string // "" for every vendor
}

// maxTrendSteps bounds one trend (90 days by the hour is 2,160).
const maxTrendSteps = 5000

// RollupsOutlive is how long the hourly rollup outlives the events Prune
// deletes: the longest trend's span (90 days), so the window before a
// 90-day trend is still counted. Its rows are counts, no one's data.
const RollupsOutlive = 90 * 24 * time.Hour

// EarliestHourQuery is the hour since which every vendor's events are
// stored: the latest of their first hours (a vendor back-filling, or new
// to the config, has counted only from its own). It walks the vendors on
// event_hours_vendor, a lookup each, instead of grouping every row.
const EarliestHourQuery = `WITH RECURSIVE v(vendor) AS (
		SELECT min(vendor) FROM event_hours
		UNION ALL SELECT (SELECT min(vendor) FROM event_hours WHERE vendor > v.vendor) FROM v WHERE v.vendor IS NOT NULL)
	SELECT max((SELECT min(hour) FROM event_hours h WHERE h.vendor = v.vendor)) FROM v WHERE v.vendor IS NOT NULL`

// RollupHour is t's hour as event_hours numbers it.
func RollupHour(t time.Time) int64 { return t.Unix() / 3600 }

// Trends reads the hourly rollup (event_hours), never the events: a
// window of 90 days and the 90 before it is at most 4,320 hours a vendor
// and bucket.
func (s *SQLite) Trends(ctx context.Context, q TrendQuery) (model.Trend, error) {
	step := q.Step
	if step < time.Hour || step%time.Hour != 0 {
		return model.Trend{}, fmt.Errorf("store: trends: step %v is not a whole number of hours", step)
	}
	from, to := q.From.UTC().Truncate(time.Hour), q.To.UTC().Truncate(time.Hour)
	steps := int(to.Sub(from) / step)
	if steps <= 0 || steps > maxTrendSteps {
		return model.Trend{}, fmt.Errorf("store: trends: %d steps of %v from %v to %v (1–%d)", steps, step, q.From, q.To, maxTrendSteps)
	}
	to = from.Add(time.Duration(steps) * step)
	span := to.Sub(from)
	tr := model.Trend{From: from, To: to, Step: step, Counts: make([][model.Unscored + 1]int, steps)}
	start, hoursPerStep := RollupHour(from), int64(step/time.Hour)
	// Summed by step in SQL: a few hundred rows come back, not every
	// hour's (4,320 hours of 90 days and the 90 before, a row a vendor and
	// bucket). Step -1 is the window before.
	query := `SELECT CASE WHEN hour < ?1 THEN -1 ELSE (hour - ?1) / ?2 END AS step,
		sum(n0), sum(n1), sum(n2), sum(n3), sum(n4), sum(nx)
		FROM event_hours WHERE hour >= ?3 AND hour < ?4`
	args := []any{start, hoursPerStep, RollupHour(from.Add(-span)), RollupHour(to)}
	if q.Vendor != "" {
		query += ` AND vendor = ?5`
		args = append(args, q.Vendor)
	}
	rows, err := s.read.QueryContext(ctx, query+` GROUP BY step`, args...)
	if err != nil {
		return model.Trend{}, fmt.Errorf("store: trends: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st int64
			n  [model.Unscored + 1]int
		)
		if err := rows.Scan(&st, &n[0], &n[1], &n[2], &n[3], &n[4], &n[model.Unscored]); err != nil {
			return model.Trend{}, fmt.Errorf("store: trends: %w", err)
		}
		into := &tr.Previous
		if st >= 0 {
			into = &tr.Counts[st]
		}
		for b, c := range n {
			into[b] += c
			if st >= 0 {
				tr.Total[b] += c
			}
		}
	}
	if err := rows.Err(); err != nil {
		return model.Trend{}, fmt.Errorf("store: trends: %w", err)
	}
	earliest, args := EarliestHourQuery, nil
	if q.Vendor != "" {
		earliest, args = `SELECT min(hour) FROM event_hours WHERE vendor = ?`, []any{q.Vendor}
	}
	var first sql.NullInt64
	if err := s.read.QueryRowContext(ctx, earliest, args...).Scan(&first); err != nil {
		return model.Trend{}, fmt.Errorf("store: trends: %w", err)
	}
	if first.Valid {
		tr.Earliest = time.Unix(first.Int64*3600, 0).UTC()
	}
	return tr, nil
}
