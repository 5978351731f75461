package store

import (
	"context"
	"database/sql"
	"time"
)

// DefaultRetention is how long risktop keeps events, history and
// snapshots: the vendors' own 90-day window.
const DefaultRetention = 90 * 24 * time.Hour

// defaultPruneBatch is how many rows one Prune transaction deletes, so
// the poller's writes never wait long behind a big prune.
const defaultPruneBatch = 5000

// Prune deletes events, history points and score snapshots older than
// before, sent outbox items whose push is older than before, and
// notifications delivered or given up on before then. The
// audit log and unsent items are kept. It deletes in batches, each its
// own transaction, and stops early when ctx ends (what was deleted stays
// deleted and is counted).
func (s *SQLite) Prune(ctx context.Context, before time.Time) (PruneStats, error) {
	var st PruneStats
	var health int // health changes (issue 16), not reported
	defer func() {
		if st.Events > 0 {
			s.feedTail.Reset() // it may hold what went
		}
	}()
	ms := unixMs(before)
	steps := []struct {
		op, query string
		bound     int64
		count     *int
	}{
		{"prune events", `DELETE FROM events WHERE seq IN (
			SELECT seq FROM events WHERE seq < ? ORDER BY seq LIMIT ?)`, firstSeq(before), &st.Events},
		{"prune history", `DELETE FROM risk_history WHERE rowid IN (
			SELECT rowid FROM risk_history WHERE at_ms < ? LIMIT ?)`, ms, &st.History},
		{"prune scores", `DELETE FROM scores WHERE rowid IN (
			SELECT rowid FROM scores WHERE at_ms < ? LIMIT ?)`, ms, &st.Scores},
		{"prune outbox", `DELETE FROM outbox WHERE id IN (
			SELECT id FROM outbox WHERE state = 'sent' AND sent_ms < ? LIMIT ?)`, ms, &st.Outbox},
		// Failed ones too: nothing requeues a notification, and the reason
		// is in the log.
		{"prune deliveries", `DELETE FROM deliveries WHERE id IN (
			SELECT id FROM deliveries WHERE state IN ('delivered', 'failed') AND done_ms < ? LIMIT ?)`, ms, &st.Deliveries},
		{"prune health changes", `DELETE FROM health_changes WHERE rowid IN (
			SELECT rowid FROM health_changes WHERE at_ms < ? LIMIT ?)`, ms, &health},
	}
	for _, step := range steps {
		for {
			var n int64
			err := s.inTx(ctx, step.op, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, step.query, step.bound, s.pruneBatch)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return st, err
			}
			*step.count += int(n)
			if n < int64(s.pruneBatch) {
				break
			}
		}
	}
	// The hourly rollup outlives the events (RollupsOutlive): a day of
	// hours at most goes a prune.
	if err := s.inTx(ctx, "prune rollups", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM event_hours WHERE hour < ?`, RollupHour(before.Add(-RollupsOutlive)))
		return err
	}); err != nil {
		return st, err
	}
	// A big delete changes the planner's picture; this is cheap when it
	// does not.
	if st.Events > 0 {
		_, _ = s.write.ExecContext(ctx, "PRAGMA optimize")
	}
	return st, nil
}

// PruneEvery prunes what is older than retention now and then every
// interval until ctx ends, passing each result to report (which may be
// nil). It is for the process that owns the store; scheduling is the
// caller's, so tests and one-shot commands can call Prune directly.
func PruneEvery(ctx context.Context, s Store, interval, retention time.Duration, report func(PruneStats, error)) {
	if interval <= 0 || retention <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		st, err := s.Prune(ctx, time.Now().Add(-retention))
		if report != nil && ctx.Err() == nil {
			report(st, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
