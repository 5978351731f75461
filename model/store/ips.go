package store

import (
	"context"
	"fmt"
)

// DistinctIPs returns the distinct addresses of the events matching f,
// riskiest first (highest score seen, then the address), up to limit, and
// how many distinct addresses match in all. Only values that parse as IPv4
// or IPv6 addresses count, in their normalised form, so every address
// returned can be pushed as is. A limit of 0 or less only counts.
//
// The dashboard's bulk push reads them in a command: it shows the count
// before anything is queued.
func (s *SQLite) DistinctIPs(ctx context.Context, f EventFilter, limit int) ([]string, int, error) {
	p, err := s.plan(ctx, f, ByTime, forAll)
	if err != nil {
		return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
	}
	if p.none {
		return nil, 0, nil
	}
	p.w.add("e.ip_bin IS NOT NULL")
	if limit <= 0 {
		var n int
		err := s.read.QueryRowContext(ctx, `SELECT count(DISTINCT e.ip_bin) `+p.from()+p.w.sql(), p.w.args...).Scan(&n)
		if err != nil {
			return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
		}
		return nil, n, nil
	}
	// count(*) OVER () runs over the groups: the number of distinct
	// addresses, before the LIMIT.
	rows, err := s.read.QueryContext(ctx, `SELECT e.ip, max(e.score) AS top, count(*) OVER () `+p.from()+p.w.sql()+
		` GROUP BY e.ip_bin ORDER BY top DESC, e.ip_bin LIMIT ?`, append(p.w.args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
	}
	defer rows.Close()
	var (
		ips   []string
		total int
	)
	for rows.Next() {
		var ip string
		var top int
		if err := rows.Scan(&ip, &top, &total); err != nil {
			return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
		}
		ips = append(ips, ip)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: distinct IPs: %w", err)
	}
	return ips, total, nil
}
