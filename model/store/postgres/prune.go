package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model/store"
)

// pruneBatch is how many rows one Prune transaction deletes, so the
// pollers' writes never wait long behind a big prune (as on SQLite).
const pruneBatch = 5000

// Prune deletes what SQLite's Prune deletes (events, history points,
// score readings and health changes older than before, sent pushes and
// finished notifications), in batches of their own transactions. Rows
// another instance's transaction holds are skipped (SKIP LOCKED) and
// left for the next prune; two instances pruning at once delete each
// row once.
func (s *Store) Prune(ctx context.Context, before time.Time) (store.PruneStats, error) {
	var st store.PruneStats
	var health int
	ms := unixMs(before)
	steps := []struct {
		op, query string
		bound     int64
		count     *int
	}{
		{"prune events", `DELETE FROM events WHERE seq IN (
			SELECT seq FROM events WHERE seq < $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)`, store.FirstSeq(before), &st.Events},
		{"prune history", `DELETE FROM risk_history WHERE id IN (
			SELECT id FROM risk_history WHERE at_ms < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, ms, &st.History},
		{"prune scores", `DELETE FROM scores WHERE id IN (
			SELECT id FROM scores WHERE at_ms < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, ms, &st.Scores},
		{"prune outbox", `DELETE FROM outbox WHERE id IN (
			SELECT id FROM outbox WHERE state = 'sent' AND sent_ms < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, ms, &st.Outbox},
		{"prune deliveries", `DELETE FROM deliveries WHERE id IN (
			SELECT id FROM deliveries WHERE state IN ('delivered', 'failed') AND done_ms < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, ms, &st.Deliveries},
		{"prune health changes", `DELETE FROM health_changes WHERE id IN (
			SELECT id FROM health_changes WHERE at_ms < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, ms, &health},
	}
	for _, step := range steps {
		for {
			var n int64
			err := s.inTx(ctx, step.op, func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, step.query, step.bound, pruneBatch)
				n = tag.RowsAffected()
				return err
			})
			if step.count == &st.Events && (n > 0 || err != nil) {
				// The feed's tail may hold what went (on an error too: a
				// commit that failed late may have deleted). Another
				// instance's prune cannot reach it: see EventFeed.
				s.events.tail.Reset()
			}
			if err != nil {
				return st, err
			}
			*step.count += int(n)
			if n < pruneBatch {
				break
			}
		}
	}
	// The hourly rollup outlives the events (store.RollupsOutlive).
	if err := s.inTx(ctx, "prune rollups", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM event_hours WHERE hour < $1`, store.RollupHour(before.Add(-store.RollupsOutlive)))
		return err
	}); err != nil {
		return st, err
	}
	return st, nil
}
