package store

import (
	"cmp"
	"context"
	"sync"

	"github.com/risktop/risktop/model"
)

// AlertCache spares a store's PutAlerts reading and decoding live alerts
// back; SQLite's and PostgreSQL's keep one each. PutAlerts holds it
// (Lock) throughout, and calls Sync once it has read the change counter
// in its write transaction (where no other writer moves it), then Find.
//
// It holds whole alerts this store wrote or read last, as stored (a
// bounded number). Its list, when complete, is every live alert's key,
// id and change sequence number as of seq: every write to an alert takes
// the next number from the counter and sets it on the row, so while the
// counter is at seq nothing changed, and when it moved the rows numbered
// past it are all that changed (an acknowledgement, another process). A
// key not listed then has no live alert, and one whose number matches
// the whole alert kept needs no read. When not complete (too many live
// alerts to list, or a failed transaction), the store checks the stored
// numbers of the whole alerts kept, and reads the rest.
//
// The zero value is empty, with the default bounds.
type AlertCache struct {
	mu       sync.Mutex
	m        map[string]model.Alert
	items    int // evidence items in m
	live     map[string]liveRef
	seq      int64
	complete bool
	// Bounds (0: maxCachedAlerts, maxListedAlerts; a test sets them low).
	maxCached, maxListed int
}

// liveRef is a live alert as listed: its id and change sequence number.
type liveRef struct{ id, seq int64 }

// AlertRef is an alert as an AlertLister reads it for the list.
type AlertRef struct {
	Key     string
	ID, Seq int64
	State   model.AlertState // AlertsChanged's; LiveAlertRefs' are live
}

// AlertRefRows are query results of dedupe, id, seq and state, as
// either store's driver gives them.
type AlertRefRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanAlertRefs yields each row as an AlertRef; the caller closes rows.
func ScanAlertRefs(rows AlertRefRows, yield func(AlertRef)) error {
	for rows.Next() {
		var (
			r     AlertRef
			state string
		)
		if err := rows.Scan(&r.Key, &r.ID, &r.Seq, &state); err != nil {
			return err
		}
		r.State = model.AlertState(state)
		yield(r)
	}
	return rows.Err()
}

// AlertLister reads what Sync needs, in the writer's transaction.
type AlertLister interface {
	// AlertsChanged yields every alert numbered past after, in number
	// order.
	AlertsChanged(ctx context.Context, after int64, yield func(AlertRef)) error
	// LiveAlertCount counts the live alerts.
	LiveAlertCount(ctx context.Context) (int, error)
	// LiveAlertRefs yields every live alert.
	LiveAlertRefs(ctx context.Context, yield func(AlertRef)) error
}

// Bounds: whole alerts kept, and their evidence items (one holds up to
// 1,500; most a few), and live alerts listed.
const (
	maxCachedAlerts = 20_000
	maxCachedItems  = 250_000
	maxListedAlerts = 200_000
)

// Lock and Unlock bracket a PutAlerts.
func (c *AlertCache) Lock()   { c.mu.Lock() }
func (c *AlertCache) Unlock() { c.mu.Unlock() }

// SetBounds keeps at most cached whole alerts and lists live alerts
// only while there are at most listed (-1: never), emptying the cache:
// tests reach the paths a large store takes.
func (c *AlertCache) SetBounds(cached, listed int) {
	c.Lock()
	defer c.Unlock()
	c.maxCached, c.maxListed = cached, listed
	c.Forget()
}

// Listed reports whether the list is complete, and its number.
func (c *AlertCache) Listed() (seq int64, ok bool) { return c.seq, c.complete }

// Keep puts a whole alert as stored in the cache, forgetting about half
// of the alerts kept when full.
func (c *AlertCache) Keep(a model.Alert) {
	if c.m == nil {
		c.m = map[string]model.Alert{}
	}
	c.drop(a.Key)
	if bound := cmp.Or(c.maxCached, maxCachedAlerts); len(c.m) >= bound || c.items+evidenceItems(a) > maxCachedItems {
		n := 0
		for k := range c.m { // in the map's random order
			c.drop(k)
			if n++; n >= (len(c.m)+n+1)/2 {
				break
			}
		}
	}
	c.m[a.Key] = a
	c.items += evidenceItems(a)
}

// drop forgets the whole alert of key.
func (c *AlertCache) drop(key string) {
	if a, ok := c.m[key]; ok {
		delete(c.m, key)
		c.items -= evidenceItems(a)
	}
}

func evidenceItems(a model.Alert) int {
	return len(a.Evidence.Events) + len(a.Evidence.People) + len(a.Evidence.Addresses)
}

// Put records a committed transaction's writes; the counter then stands
// at seq.
func (c *AlertCache) Put(as map[string]model.Alert, seq int64) {
	for k, a := range as {
		if a.Live() {
			c.Keep(a)
			if c.complete {
				c.live[k] = liveRef{a.ID, a.Seq}
			}
			continue
		}
		c.drop(k)
		if c.complete && c.live[k].id == a.ID {
			delete(c.live, k)
		}
	}
	c.seq = seq
}

// Forget empties the cache (a transaction failed: what it holds is
// unsure).
func (c *AlertCache) Forget() { c.m, c.items, c.live, c.complete, c.seq = nil, 0, nil, false, 0 }

// Sync brings the list to the stored counter n: the rows changed since,
// when complete; else all live alerts, when there are few enough to
// list.
func (c *AlertCache) Sync(ctx context.Context, n int64, l AlertLister) error {
	if c.complete && c.seq == n {
		return nil
	}
	if c.complete && n < c.seq {
		c.complete, c.live = false, nil // the counter went back: not the data listed
	}
	var (
		count int
		err   error
	)
	if c.complete {
		err := l.AlertsChanged(ctx, c.seq, func(r AlertRef) {
			switch {
			case r.State != model.AlertResolved:
				c.live[r.Key] = liveRef{r.ID, r.Seq}
			case c.live[r.Key].id == r.ID:
				delete(c.live, r.Key)
			}
		})
		if err != nil {
			return err
		}
		// Rows are only deleted resolved (PruneAlerts), and resolving takes
		// a number, so a listed alert that went is among the changes,
		// unless it was resolved and deleted in between: the count finds
		// that.
		if count, err = l.LiveAlertCount(ctx); err != nil {
			return err
		}
		if count == len(c.live) {
			c.seq = n
			return nil
		}
		c.complete, c.live = false, nil
	} else if count, err = l.LiveAlertCount(ctx); err != nil {
		return err
	}
	if count > cmp.Or(c.maxListed, maxListedAlerts) {
		return nil
	}
	live := make(map[string]liveRef, count)
	if err := l.LiveAlertRefs(ctx, func(r AlertRef) { live[r.Key] = liveRef{r.ID, r.Seq} }); err != nil {
		return err
	}
	c.live, c.seq, c.complete = live, n, true
	return nil
}

// AlertsFound is what Find knows of a batch's keys.
type AlertsFound struct {
	// Live are live alerts kept whole and current, by key.
	Live map[string]model.Alert
	// Check, when the list is not complete, are the alerts kept whole of
	// the other keys: current only if their stored number is still theirs.
	Check []model.Alert
	// Read are the keys whose live alert is to be read: listed (with its
	// ID) and not kept current, or (ID 0) neither kept nor listed. A key
	// in none of the three has no live alert.
	Read []AlertRef
}

// Find sorts the live alerts of the findings' keys (after Sync) into
// those known and those to check or read.
func (c *AlertCache) Find(findings []model.Alert) AlertsFound {
	f := AlertsFound{Live: make(map[string]model.Alert, len(findings))}
	seen := make(map[string]bool, len(findings))
	for _, finding := range findings {
		k := finding.Key
		if seen[k] {
			continue
		}
		seen[k] = true
		a, kept := c.m[k]
		if !c.complete {
			if kept {
				f.Check = append(f.Check, a)
			} else {
				f.Read = append(f.Read, AlertRef{Key: k})
			}
			continue
		}
		ref, ok := c.live[k]
		switch {
		case !ok: // no live alert
		case kept && a.ID == ref.id && a.Seq == ref.seq:
			f.Live[k] = a
		default:
			f.Read = append(f.Read, AlertRef{Key: k, ID: ref.id, Seq: ref.seq})
		}
	}
	return f
}
