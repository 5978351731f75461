package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/risktop/risktop/model"
)

// maxRateSteps bounds EventRate's answer, so a bad step cannot ask for
// gigabytes of zeros.
const maxRateSteps = 100_000

// EventRate counts the events matching f in each step from from to to;
// the last step may be partial. f's own time window narrows it further.
func (s *SQLite) EventRate(ctx context.Context, f EventFilter, from, to time.Time, step time.Duration) ([]int, error) {
	stepMs := step.Milliseconds()
	if stepMs <= 0 {
		return nil, fmt.Errorf("store: event rate: step %v is below 1ms", step)
	}
	if !to.After(from) {
		return nil, fmt.Errorf("store: event rate: window %v–%v is empty", from, to)
	}
	fromMs, toMs := from.UnixMilli(), to.UnixMilli()
	steps := (toMs - fromMs + stepMs - 1) / stepMs
	if steps > maxRateSteps {
		return nil, fmt.Errorf("store: event rate: %d steps, at most %d", steps, maxRateSteps)
	}
	counts := make([]int, steps)
	if !f.From.IsZero() && f.From.After(from) {
		from = f.From
	}
	if !f.To.IsZero() && f.To.Before(to) {
		to = f.To
	}
	if !to.After(from) {
		return counts, nil
	}
	f.From, f.To = from, to
	p, err := s.plan(ctx, f, ByTime, forAll)
	if err != nil {
		return nil, fmt.Errorf("store: event rate: %w", err)
	}
	if p.none {
		return counts, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT ((e.seq >> `+seqBits+`) - ?) / ?, count(*) `+p.from()+p.w.sql()+` GROUP BY 1`,
		append([]any{fromMs, stepMs}, p.w.args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: event rate: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var n int
		if err := rows.Scan(&i, &n); err != nil {
			return nil, fmt.Errorf("store: event rate: %w", err)
		}
		if i >= 0 && i < steps {
			counts[i] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: event rate: %w", err)
	}
	return counts, nil
}

// seqBits is seqShift for SQL text.
const seqBits = "20"

// personOf names one person within the events of users u, for counting
// distinct people: the email, else the vendor's id, else the name.
const personOf = `CASE WHEN u.user_key != '' THEN 'k' || u.user_key
	WHEN u.user_id != '' THEN 'i' || u.vendor || ':' || u.user_id
	ELSE 'n' || u.user_fold END`

// TopIPs ranks the addresses seen since a time: highest score first, then
// most events, then most recently seen.
func (s *SQLite) TopIPs(ctx context.Context, since time.Time, limit int) ([]model.IPRisk, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT e.ip, max(e.score), count(*), count(DISTINCT `+personOf+`), max(e.seq) >> `+seqBits+`
		FROM events e LEFT JOIN users u ON u.uid = e.uid
		WHERE e.seq >= ? AND e.ip != ''
		GROUP BY e.ip
		ORDER BY 2 DESC, 3 DESC, 5 DESC, e.ip
		LIMIT ?`, firstSeq(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: top IPs: %w", err)
	}
	defer rows.Close()
	var out []model.IPRisk
	for rows.Next() {
		var r model.IPRisk
		var last int64
		if err := rows.Scan(&r.IP, &r.MaxScore, &r.Events, &r.Users, &last); err != nil {
			return nil, fmt.Errorf("store: top IPs: %w", err)
		}
		r.Level = model.LevelOfScore(r.MaxScore)
		r.LastSeen = time.UnixMilli(last).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: top IPs: %w", err)
	}
	return out, nil
}

// EventUsers folds a vendor's events since a time into one view per user,
// riskiest first. A user is their vendor id, else their email, else their
// name; the name and email shown are the latest non-empty ones.
func (s *SQLite) EventUsers(ctx context.Context, vendor string, since time.Time) ([]model.UserRisk, error) {
	if vendor == "" {
		return nil, errors.New("store: event users: no vendor")
	}
	// max(zero-padded seq || text) is the newest non-empty text of a
	// group, in the same single pass as the other aggregates.
	rows, err := s.read.QueryContext(ctx, `
		SELECT max(u.user_id),
			substr(max(CASE WHEN u.user_name != '' THEN printf('%020d', e.seq) || u.user_name END), 21),
			substr(max(CASE WHEN u.user_key != '' THEN printf('%020d', e.seq) || u.user_key END), 21),
			max(e.score), max(e.level), count(*), max(e.seq) >> `+seqBits+`
		FROM events e JOIN users u ON u.uid = e.uid
		WHERE e.vendor = ? AND e.seq >= ?
		GROUP BY CASE WHEN u.user_id != '' THEN 'i' || u.user_id
			WHEN u.user_key != '' THEN 'k' || u.user_key
			ELSE 'n' || u.user_fold END`, vendor, firstSeq(since))
	if err != nil {
		return nil, fmt.Errorf("store: event users: %w", err)
	}
	defer rows.Close()
	var out []model.UserRisk
	for rows.Next() {
		var (
			u          model.UserRisk
			name, key  sql.NullString
			level      int
			lastSeenMs int64
		)
		if err := rows.Scan(&u.UserID, &name, &key, &u.Score, &level, &u.Events, &lastSeenMs); err != nil {
			return nil, fmt.Errorf("store: event users: %w", err)
		}
		u.Vendor, u.Name, u.Email = vendor, name.String, key.String
		u.Level = model.Max(model.Level(level), model.LevelOfScore(u.Score))
		u.RawLevel = u.Level.String()
		u.LastSeen = time.UnixMilli(lastSeenMs).UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: event users: %w", err)
	}
	sortUserRisks(out)
	return out, nil
}
