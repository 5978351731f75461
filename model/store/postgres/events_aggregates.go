package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// maxRateSteps bounds EventRate's answer, as on SQLite.
const maxRateSteps = 100_000

// EventRate counts the events matching f in each step from from to to;
// the last step may be partial. f's own time window narrows it further.
func (s *Store) EventRate(ctx context.Context, f store.EventFilter, from, to time.Time, step time.Duration) ([]int, error) {
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
	p, err := s.plan(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("store: event rate: %w", err)
	}
	if p.none {
		return counts, nil
	}
	bucket := "((e.seq >> 20) - " + p.arg(fromMs) + "::bigint) / " + p.arg(stepMs) + "::bigint"
	rows, err := s.pool.Query(ctx, `SELECT `+bucket+`, count(*) FROM events e`+p.where()+` GROUP BY 1`, p.args...)
	if err != nil {
		return nil, fmt.Errorf("store: event rate: %w", err)
	}
	var (
		i int64
		n int
	)
	_, err = pgx.ForEachRow(rows, []any{&i, &n}, func() error {
		if i >= 0 && i < steps {
			counts[i] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: event rate: %w", err)
	}
	return counts, nil
}

// personOf names one person within the events of users u, for counting
// distinct people: the email, else the vendor's id, else the name.
const personOf = `CASE WHEN u.user_key != '' THEN 'k' || u.user_key
	WHEN u.user_id != '' THEN 'i' || u.vendor || ':' || u.user_id
	ELSE 'n' || u.user_fold END`

// TopIPs ranks the addresses seen since a time: highest score first, then
// most events, then most recently seen, then the address (bytewise, as
// SQLite compares).
func (s *Store) TopIPs(ctx context.Context, since time.Time, limit int) ([]model.IPRisk, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT e.ip, max(e.score), count(*), count(DISTINCT `+personOf+`), max(e.seq) >> 20
		FROM events e LEFT JOIN users u ON u.uid = e.uid
		WHERE e.seq >= $1 AND e.ip != ''
		GROUP BY e.ip
		ORDER BY 2 DESC, 3 DESC, 5 DESC, e.ip COLLATE "C"
		LIMIT $2`, store.FirstSeq(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: top IPs: %w", err)
	}
	var (
		out  []model.IPRisk
		r    model.IPRisk
		last int64
	)
	_, err = pgx.ForEachRow(rows, []any{&r.IP, &r.MaxScore, &r.Events, &r.Users, &last}, func() error {
		r.Level = model.LevelOfScore(r.MaxScore)
		r.LastSeen = time.UnixMilli(last).UTC()
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: top IPs: %w", err)
	}
	return out, nil
}

// DistinctIPs returns the distinct addresses of the events matching f,
// riskiest first (highest score seen, then the address), up to limit, and
// how many match in all; a limit of 0 or less only counts. Only values
// that parse as addresses count (ip_bin is set), in their normal form.
func (s *Store) DistinctIPs(ctx context.Context, f store.EventFilter, limit int) ([]string, int, error) {
	p, err := s.plan(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
	}
	if p.none {
		return nil, 0, nil
	}
	p.terms = append(p.terms, "e.ip_bin IS NOT NULL")
	if limit <= 0 {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT e.ip_bin) FROM events e`+p.where(), p.args...).Scan(&n); err != nil {
			return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
		}
		return nil, n, nil
	}
	// One ip_bin is one normalised ip, so min(e.ip) is it. count(*) OVER
	// () runs over the groups: the distinct addresses, before the LIMIT.
	rows, err := s.pool.Query(ctx, `SELECT min(e.ip), max(e.score) AS top, count(*) OVER () FROM events e`+p.where()+
		` GROUP BY e.ip_bin ORDER BY top DESC, e.ip_bin LIMIT `+p.arg(limit), p.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
	}
	var (
		ips   []string
		ip    string
		top   int
		total int
	)
	_, err = pgx.ForEachRow(rows, []any{&ip, &top, &total}, func() error {
		ips = append(ips, ip)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
	}
	return ips, total, nil
}

// newestText is the newest non-empty value of a text column within a
// group, in the same single pass as the other aggregates: the max of the
// seq, as 16 hex digits ordered as the signed seq is, and the text.
func newestText(col string) string {
	return `substr(max(CASE WHEN ` + col + ` != '' THEN
		lpad(to_hex(e.seq # (-9223372036854775807 - 1)), 16, '0') || ` + col + ` END COLLATE "C"), 17)`
}

// EventUsers folds a vendor's events since a time into one view per user,
// riskiest first. A user is their vendor id, else their email, else their
// name; the name and email shown are the latest non-empty ones.
func (s *Store) EventUsers(ctx context.Context, vendor string, since time.Time) ([]model.UserRisk, error) {
	if vendor == "" {
		return nil, errors.New("store: event users: no vendor")
	}
	rows, err := s.pool.Query(ctx, `
		SELECT max(u.user_id COLLATE "C"), `+newestText("u.user_name")+`, `+newestText("u.user_key")+`,
			max(e.score), max(e.level), count(*), max(e.seq) >> 20
		FROM events e JOIN users u ON u.uid = e.uid
		WHERE e.vendor = $1 AND e.seq >= $2
		GROUP BY CASE WHEN u.user_id != '' THEN 'i' || u.user_id
			WHEN u.user_key != '' THEN 'k' || u.user_key
			ELSE 'n' || u.user_fold END`, vendor, store.FirstSeq(since))
	if err != nil {
		return nil, fmt.Errorf("store: event users: %w", err)
	}
	var (
		out        []model.UserRisk
		u          model.UserRisk
		name, key  *string
		level      int
		lastSeenMs int64
	)
	_, err = pgx.ForEachRow(rows, []any{&u.UserID, &name, &key, &u.Score, &level, &u.Events, &lastSeenMs}, func() error {
		v := u
		v.Vendor = vendor
		if name != nil {
			v.Name = *name
		}
		if key != nil {
			v.Email = *key
		}
		v.Level = model.Max(model.Level(level), model.LevelOfScore(v.Score))
		v.RawLevel = v.Level.String()
		v.LastSeen = time.UnixMilli(lastSeenMs).UTC()
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: event users: %w", err)
	}
	sortEventUsers(out)
	return out, nil
}

// sortEventUsers orders views riskiest first, as SQLite's sortUserRisks.
func sortEventUsers(us []model.UserRisk) {
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
