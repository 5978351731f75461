package notify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// The retry schedule: 5 s doubling to 5 min (or the receiver's
// Retry-After when longer), until a message has been tried MaxAttempts
// times or is MaxAge old, whichever comes first.
const (
	DefaultMaxAttempts = 50 // about four hours at the 5-minute cap
	DefaultMaxAge      = 24 * time.Hour
	firstRetry         = 5 * time.Second
	maxRetry           = 5 * time.Minute
	storeRetry         = 30 * time.Second // after the store failed
	claimBatch         = 20
	markTimeout        = 10 * time.Second
)

// Options configure a Notifier.
type Options struct {
	Store    store.Store
	Channels []Channel
	// MinSeverity is the least severe message that is sent; less severe
	// ones are dropped by Notify (default high).
	MinSeverity model.Level
	MaxAttempts int           // default DefaultMaxAttempts
	MaxAge      time.Duration // default DefaultMaxAge
	Log         *slog.Logger  // default discards

	// Now and NewTimer are the sender's clock (default the real one);
	// tests pass a fake one, so back-off needs no sleeping.
	Now      func() time.Time
	NewTimer func(time.Duration) (<-chan time.Time, func() bool)
	// OnWait, when set (tests), is told each time a channel's sender goes
	// to sleep: for d when timed, until woken when not.
	OnWait func(channel string, d time.Duration, timed bool)
}

// Notifier queues messages for every configured channel and sends them.
// Make one per process: under serve, one for all its sessions.
type Notifier struct {
	o       Options
	wake    map[string]chan struct{}
	running atomic.Bool
}

// New makes a Notifier. With no channels, Notify drops everything and
// Run returns at once.
func New(o Options) *Notifier {
	if o.MinSeverity == model.LevelUnknown {
		o.MinSeverity = model.LevelHigh
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewTimer == nil {
		o.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	n := &Notifier{o: o, wake: map[string]chan struct{}{}}
	for _, c := range o.Channels {
		n.wake[c.Name()] = make(chan struct{}, 1)
	}
	return n
}

// MinSeverity is the least severe message Notify sends (notify.min_severity),
// for whoever raises alerts to apply to the terminal's notes too.
func (n *Notifier) MinSeverity() model.Level { return n.o.MinSeverity }

// Channels names where messages go (scheme://host each), for a log line.
func (n *Notifier) Channels() []string {
	out := make([]string, len(n.o.Channels))
	for i, c := range n.o.Channels {
		out[i] = c.Name() + " " + c.Where()
	}
	return out
}

// Notify queues the messages at or above MinSeverity, cleaned (see
// Message.Clean), for every channel, in one transaction, and wakes the
// senders. A message already queued (by ID) is not queued again. It
// returns how many deliveries it queued.
func (n *Notifier) Notify(ctx context.Context, msgs ...Message) (int, error) {
	if len(n.o.Channels) == 0 {
		return 0, nil
	}
	var rows []store.DeliveryMessage
	for _, m := range msgs {
		if m.Severity < n.o.MinSeverity {
			continue
		}
		m = m.Clean()
		if m.ID == "" {
			return 0, fmt.Errorf("notify: a message has no id (its title: %q)", m.Title)
		}
		if m.At.IsZero() {
			m.At = n.o.Now().UTC().Truncate(time.Millisecond)
		}
		p, err := encode(m)
		if err != nil {
			return 0, fmt.Errorf("notify: %w", err)
		}
		rows = append(rows, store.DeliveryMessage{ID: m.ID, Payload: p})
	}
	if len(rows) == 0 {
		return 0, nil
	}
	names := make([]string, len(n.o.Channels))
	for i, c := range n.o.Channels {
		names[i] = c.Name()
	}
	queued, err := n.o.Store.EnqueueDeliveries(ctx, rows, names, n.o.Now())
	if err != nil {
		return 0, fmt.Errorf("notify: %w", err)
	}
	n.Wake()
	return queued, nil
}

// Wake makes every waiting sender look at the outbox now.
func (n *Notifier) Wake() {
	for _, w := range n.wake {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Run sends until ctx ends, one goroutine per channel, so a receiver
// that is down delays only its own messages. It returns once they all
// have; at once when another Run of this Notifier is going.
func (n *Notifier) Run(ctx context.Context) {
	if !n.running.CompareAndSwap(false, true) {
		n.o.Log.Warn("notification sender already running")
		return
	}
	defer n.running.Store(false)
	var wg sync.WaitGroup
	for _, c := range n.o.Channels {
		wg.Go(func() { n.runChannel(ctx, c) })
	}
	wg.Wait()
}

func (n *Notifier) runChannel(ctx context.Context, c Channel) {
	spun := false
	for ctx.Err() == nil {
		claimed, err := n.batch(ctx, c)
		if claimed > 0 && err == nil {
			spun = false
			continue // more may be due
		}
		wait, timed := time.Duration(0), false
		if err == nil {
			var next time.Time
			var ok bool
			next, ok, err = n.o.Store.NextDeliveryDue(ctx, c.Name())
			if err == nil && ok {
				wait, timed = next.Sub(n.o.Now()), true
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			n.o.Log.Error("notification sender: store", "channel", c.Name(), "err", err, "retry_in", storeRetry)
			wait, timed = storeRetry, true
		}
		if timed && wait <= 0 {
			// Due now yet nothing claimed (the clock moved between the
			// two reads): look once more, then pause rather than spin.
			if !spun {
				spun = true
				continue
			}
			wait = time.Second
		}
		spun = false
		n.sleep(ctx, c.Name(), wait, timed)
	}
}

func (n *Notifier) sleep(ctx context.Context, channel string, d time.Duration, timed bool) {
	var fire <-chan time.Time
	if timed {
		c, stop := n.o.NewTimer(d)
		defer stop()
		fire = c
	}
	if n.o.OnWait != nil {
		n.o.OnWait(channel, d, timed) // after the timer exists, so a test may move the clock past it
	}
	select {
	case <-ctx.Done():
	case <-n.wake[channel]:
	case <-fire:
	}
}

// batch claims the channel's due rows and sends them in order, marking
// each before sending the next. At the first failure worth retrying it
// stops: that row waits for its retry and the rest go back unsent, so
// the order holds. It returns how many rows it claimed.
func (n *Notifier) batch(ctx context.Context, c Channel) (int, error) {
	ds, err := n.o.Store.ClaimDeliveries(ctx, c.Name(), n.o.Now(), claimBatch)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	// Outcomes are written even as risktop stops: the send happened.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	log := n.o.Log.With("channel", c.Name(), "to", c.Where())
	for i, d := range ds {
		if ctx.Err() != nil {
			n.release(wctx, log, ds[i:])
			return len(ds), nil
		}
		m, err := decode(d.Payload)
		if err != nil {
			n.mark(log, d, n.o.Store.MarkDeliveryFailed(wctx, d.ID, "unreadable in the outbox: "+err.Error(), n.o.Now()))
			continue
		}
		err = c.Send(ctx, m)
		now := n.o.Now()
		if err == nil {
			n.mark(log, d, n.o.Store.MarkDelivered(wctx, d.ID, now))
			log.Debug("notification delivered", "id", d.MessageID, "attempt", d.Attempts)
			continue
		}
		retry, after := retryable(err)
		switch {
		case ctx.Err() != nil:
			// Stopped mid-send: whether it arrived is unknown; the next
			// sender sends it again at once, and the receiver can drop it
			// by its id.
			n.mark(log, d, n.o.Store.MarkDeliveryRetry(wctx, d.ID, "interrupted: risktop stopped mid-send", now))
			n.release(wctx, log, ds[i+1:])
			return len(ds), nil
		case !retry:
			log.Warn("notification failed for good", "id", d.MessageID, "err", err.Error())
			n.mark(log, d, n.o.Store.MarkDeliveryFailed(wctx, d.ID, err.Error(), now))
			continue
		case d.Attempts >= n.o.MaxAttempts:
			why := fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, err)
			log.Warn("notification given up", "id", d.MessageID, "err", why)
			n.mark(log, d, n.o.Store.MarkDeliveryFailed(wctx, d.ID, why, now))
			continue
		case now.Sub(d.Created) >= n.o.MaxAge:
			why := fmt.Sprintf("gave up after %s undelivered: %s", n.o.MaxAge, err)
			log.Warn("notification given up", "id", d.MessageID, "err", why)
			n.mark(log, d, n.o.Store.MarkDeliveryFailed(wctx, d.ID, why, now))
			continue
		}
		next := now.Add(max(backoff(d.Attempts), after))
		log.Info("notification not delivered; will retry", "id", d.MessageID, "attempt", d.Attempts,
			"err", err.Error(), "next_try", next.UTC().Format(time.RFC3339))
		n.mark(log, d, n.o.Store.MarkDeliveryRetry(wctx, d.ID, err.Error(), next))
		n.release(wctx, log, ds[i+1:])
		return len(ds), nil
	}
	return len(ds), nil
}

func (n *Notifier) mark(log *slog.Logger, d store.Delivery, err error) {
	if err != nil {
		// The row stays sending: after the lease (or this process's end)
		// it is sent again, which the receiver can drop by its id.
		log.Error("notification sender: mark", "id", d.MessageID, "err", err)
	}
}

func (n *Notifier) release(ctx context.Context, log *slog.Logger, ds []store.Delivery) {
	if len(ds) == 0 {
		return
	}
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	if err := n.o.Store.ReleaseDeliveries(ctx, ids); err != nil {
		log.Error("notification sender: release", "err", err)
	}
}

// backoff is the wait after the attempt-th failed send.
func backoff(attempt int) time.Duration {
	d := firstRetry
	for i := 1; i < attempt && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}
