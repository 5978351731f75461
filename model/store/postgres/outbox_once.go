package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// maxKeyLocks is how many addresses (or persons) an EnqueueOnce locks one
// by one; a larger batch locks them all at once (lockTargets).
const maxKeyLocks = 64

// EnqueueOnce stores pushes as queued, like Enqueue, except that a push
// (not forced) is skipped when its address already has a live item at
// the same or a higher level (SQLite's rules: see store.SQLite's
// EnqueueOnce). A batch naming an address twice queues it once, and two
// instances pushing the same address at once queue it once: lockTargets
// makes the check and the insert of one address one at a time.
func (s *Store) EnqueueOnce(ctx context.Context, pushes []store.Push, now time.Time, ttl time.Duration) ([]store.Enqueued, error) {
	for i, p := range pushes {
		if m := store.CheckOutboxItem(p.Item); m != "" {
			return nil, fmt.Errorf("store: enqueue once: push %d %s", i, m)
		}
	}
	nowMs := unixMs(now)
	var out []store.Enqueued
	err := s.inTx(ctx, "enqueue once", func(tx pgx.Tx) error {
		out = make([]store.Enqueued, len(pushes))
		var keys, ips, subjects []string
		seen := map[string]bool{}
		for _, p := range pushes {
			k := liveKey(p.Item)
			if seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, k)
			if p.Item.Person() {
				subjects = append(subjects, p.Item.Subject)
			} else {
				ips = append(ips, p.Item.IP)
			}
		}
		if err := lockTargets(ctx, tx, keys); err != nil {
			return err
		}
		live, err := liveItems(ctx, tx, ips, nowMs, ttl)
		if err != nil {
			return err
		}
		if len(subjects) > 0 {
			// A person's sent item does not count (SQLite's rule).
			persons, err := queryOutbox(ctx, tx, `SELECT `+outboxColumns+` FROM outbox
				WHERE subject = ANY($1) AND subject <> '' AND state IN ('queued', 'sending')`, subjects)
			if err != nil {
				return err
			}
			for _, it := range persons {
				live[liveKey(it)] = append(live[liveKey(it)], it)
			}
		}
		// The batch's own items are live for the pushes after them. Their
		// ids come with the insert: until then each has a stand-in above
		// every stored id, in batch order, as the real ones will be (a
		// newer item wins ties in Covering).
		const standIn = int64(1) << 62
		var items []model.OutboxItem
		var at []int // the push of each of items
		for i, p := range pushes {
			k := liveKey(p.Item)
			if best, ok := store.Covering(live[k], p.Item.Level); ok {
				out[i].Live = best
				if !p.Force {
					continue
				}
			}
			it := p.Item
			it.ID, it.State = standIn+int64(len(items)), model.OutboxQueued
			live[k] = append(live[k], it)
			items = append(items, p.Item)
			at = append(at, i)
		}
		ids, err := insertItems(ctx, tx, items, now)
		if err != nil {
			return err
		}
		for j, i := range at {
			out[i].ID = ids[j]
		}
		for i := range out {
			if id := out[i].Live.ID; id >= standIn {
				out[i].Live.ID = ids[id-standIn]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockTargets serialises EnqueueOnce per address (and person) across
// instances: without it two transactions in READ COMMITTED both find no
// live item for an address and both queue it. Each target is a
// transaction advisory lock, taken in one order (of the keys) so that two
// batches cannot deadlock. Locks fill a shared table (64 per connection
// by default), so a batch of more targets than maxKeyLocks takes the
// enqueueOnceLock alone, exclusively; smaller ones take it shared first.
func lockTargets(ctx context.Context, tx pgx.Tx, keys []string) error {
	if len(keys) > maxKeyLocks {
		_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockSpaceOutbox, enqueueOnceLock)
		return err
	}
	hashes := make([]int64, len(keys))
	for i, k := range keys {
		h := fnv.New64a()
		h.Write([]byte("risktop outbox " + k))
		hashes[i] = int64(h.Sum64())
	}
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock_shared($1, $2)`, lockSpaceOutbox, enqueueOnceLock)
	for _, h := range hashes {
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, h)
	}
	return tx.SendBatch(ctx, b).Close()
}

// liveKey is the key of an item's live items in EnqueueOnce: the address,
// or the subject marked as a person's (no address starts with "person:").
func liveKey(it model.OutboxItem) string {
	if it.Person() {
		return "person:" + it.Subject
	}
	return it.IP
}

// liveItems reads every live item of the addresses (EnqueueOnce's rule),
// keyed by address.
func liveItems(ctx context.Context, q querier, ips []string, nowMs int64, ttl time.Duration) (map[string][]model.OutboxItem, error) {
	live := map[string][]model.OutboxItem{}
	if len(ips) == 0 {
		return live, nil
	}
	items, err := queryOutbox(ctx, q, `SELECT `+outboxColumns+` FROM outbox
		WHERE ip = ANY($1) AND (
			(state IN ('queued', 'sending') AND (expires_ms = 0 OR expires_ms > $2))
			OR (state = 'sent' AND CASE WHEN expires_ms = 0 THEN sent_ms + $3 ELSE expires_ms END > $2))`,
		ips, nowMs, ttl.Milliseconds())
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		live[it.IP] = append(live[it.IP], it)
	}
	return live, nil
}

// LatestPersonPush is the newest item of subject; false when none.
func (s *Store) LatestPersonPush(ctx context.Context, subject string) (model.OutboxItem, bool, error) {
	if subject == "" {
		return model.OutboxItem{}, false, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE subject = $1 ORDER BY id DESC LIMIT 1`, subject)
	if err != nil {
		return model.OutboxItem{}, false, fmt.Errorf("store: latest person push: %w", err)
	}
	items, err := scanOutbox(rows)
	if err != nil {
		return model.OutboxItem{}, false, fmt.Errorf("store: latest person push: %w", err)
	}
	if len(items) == 0 {
		return model.OutboxItem{}, false, nil
	}
	return items[0], true, nil
}

// LivePushes reads, for each address, the items EnqueueOnce would find
// live at now: queued or sending and not expired, or sent and still live
// at Okta (until its expiry, or ttl after it was sent without one).
func (s *Store) LivePushes(ctx context.Context, ips []string, now time.Time, ttl time.Duration) (map[string][]model.OutboxItem, error) {
	live, err := liveItems(ctx, s.pool, ips, unixMs(now), ttl)
	if err != nil {
		return nil, fmt.Errorf("store: live pushes: %w", err)
	}
	return live, nil
}
