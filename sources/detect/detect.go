// Package detect runs the detection rules (model/rules) over what the
// pollers store, incrementally, and keeps the alerts in the store. One
// engine runs per process, next to the pollers (under serve: once, not
// once per session); it wakes when the hub says events or user risks were
// stored, and on a slow tick for writes it did not hear of.
//
// What is new is read from the store's feeds (see model/store/feed.go):
// events in the order they were stored, risk-history rows in the order
// appended. The feed positions are stored as cursors in the same
// transaction as the alerts they produced, so a restart resumes exactly:
// nothing alerted twice, nothing missed. On start the windows (the last
// Within of failures per range and people per address, and the open
// incidents) are rebuilt from the events the engine had already seen.
//
// History back-filled late (a first sync of 90 days, a vendor delivering
// hours late) is judged like the rest, by the events' own times, but an
// alert whose newest evidence is older than the horizon (default 1 h
// before now) is stored Backfilled: listed, never notified. A fresh
// finding on a back-filled alert resolves it and starts a new alert (see
// store.PutAlerts), so news never hides in history.
package detect

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/rules"
	"github.com/risktop/risktop/model/store"
)

// Cursor names in the store's cursors table.
const (
	CursorEvents  = "detect/events"  // "<feed number> <newest event time, unix ms>"
	CursorHistory = "detect/history" // "<history row id>"
)

// Defaults.
const (
	DefaultHorizon = time.Hour
	DefaultBatch   = 5000
	DefaultTick    = time.Minute
	// rebuildLimit bounds the events read to rebuild the windows on start.
	rebuildLimit = 500_000
	// maxIncidentReplay bounds how far back an open incident is replayed.
	maxIncidentReplay = 24 * time.Hour
)

// Options build an Engine.
type Options struct {
	Store store.Store
	Hub   *hub.Hub // told of every change (AlertsChanged); nil for none
	Rules []rules.Rule
	// Now is the wall clock, only to judge what is back-filled (default
	// time.Now); rules themselves run on the events' times.
	Now     func() time.Time
	Horizon time.Duration // default DefaultHorizon
	Batch   int           // feed rows read at a time; default DefaultBatch
	Tick    time.Duration // Run's slow tick; default DefaultTick
	Log     *slog.Logger  // default discards
	// VendorName names a vendor in alert titles ("Oracle CASB"); nil:
	// its config key.
	VendorName func(string) string
}

// Engine evaluates the rules over the store's feeds. Once and Run are
// safe to call from several goroutines; one evaluation runs at a time.
type Engine struct {
	o Options

	mu      sync.Mutex
	ev      *rules.Evaluator
	started bool  // windows rebuilt, cursors read
	feed    int64 // events cursor
	headMs  int64 // newest event time seen, unix ms
	hist    int64 // history cursor
}

// New builds an engine; it reads nothing until Once or Run.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Horizon <= 0 {
		o.Horizon = DefaultHorizon
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Engine{o: o}
}

// Result says what one Once did.
type Result struct {
	Events  int           // feed events evaluated
	Changes int           // history rows evaluated
	Alerts  []model.Alert // alerts created or updated, as stored
}

// Once evaluates everything stored since the last call (on the first,
// after rebuilding the windows), in batches, until a batch comes short.
func (e *Engine) Once(ctx context.Context) (Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var res Result
	if !e.started {
		if err := e.start(ctx); err != nil {
			return res, err
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err // a shutdown does not wait for a long catch-up
		}
		evs, err := e.o.Store.EventFeed(ctx, e.feed, e.o.Batch)
		if err != nil {
			return res, err
		}
		chs, err := e.o.Store.HistoryFeed(ctx, e.hist, e.o.Batch)
		if err != nil {
			return res, err
		}
		if len(evs) == 0 && len(chs) == 0 {
			return res, nil
		}
		stored, err := e.apply(ctx, evs, chs)
		if err != nil {
			// The evaluator took the batch but the store did not: start
			// over from the store's cursors next time.
			e.started = false
			return res, err
		}
		res.Events += len(evs)
		res.Changes += len(chs)
		res.Alerts = append(res.Alerts, stored...)
		if len(stored) > 0 && e.o.Hub != nil {
			var seq int64
			for _, a := range stored {
				seq = max(seq, a.Seq)
			}
			e.o.Hub.Publish(hub.AlertsChanged{Seq: seq})
		}
		if len(evs) < e.o.Batch && len(chs) < e.o.Batch {
			// Short reads were the heads: asking again would cost two
			// queries a poll to learn nothing (what came since wakes Run).
			return res, nil
		}
	}
}

// apply evaluates one batch and stores its findings with the new cursors.
func (e *Engine) apply(ctx context.Context, evs []store.FeedEvent, chs []store.LevelChange) ([]model.Alert, error) {
	feed, headMs, hist := e.feed, e.headMs, e.hist
	events := make([]*model.Event, len(evs))
	for i := range evs {
		events[i] = &evs[i].Event
		feed = max(feed, evs[i].Feed)
		headMs = max(headMs, evs[i].Time.UnixMilli())
	}
	changes := make([]rules.LevelChange, len(chs))
	for i, c := range chs {
		changes[i] = rules.LevelChange{Key: c.Key, Vendor: c.Vendor, At: c.At, Level: c.Level, Previous: c.Previous, First: c.First}
		hist = max(hist, c.ID)
	}
	findings := append(e.ev.EventsOf(events), e.ev.Changes(changes)...)
	e.ev.Expire()
	now := e.o.Now()
	old := now.Add(-e.o.Horizon)
	for i := range findings {
		findings[i].Backfilled = findings[i].LastSeen.Before(old)
	}
	cursors := map[string]string{
		CursorEvents:  strconv.FormatInt(feed, 10) + " " + strconv.FormatInt(headMs, 10),
		CursorHistory: strconv.FormatInt(hist, 10),
	}
	stored, err := e.o.Store.PutAlerts(ctx, now, findings, rules.Merge, cursors)
	if err != nil {
		return nil, err
	}
	e.feed, e.headMs, e.hist = feed, headMs, hist
	return stored, nil
}

// start reads the cursors and rebuilds the windows from the events
// already evaluated, and each person's levels from the history seen.
func (e *Engine) start(ctx context.Context) error {
	e.ev = rules.New(e.o.Rules)
	e.ev.SetVendorNames(e.o.VendorName)
	var err error
	if e.feed, e.headMs, err = e.eventsCursor(ctx); err != nil {
		return err
	}
	h, err := e.o.Store.Cursor(ctx, CursorHistory)
	if err != nil {
		return err
	}
	e.hist = 0
	if h != "" {
		if e.hist, err = strconv.ParseInt(h, 10, 64); err != nil {
			return fmt.Errorf("detect: cursor %s is %q: %w", CursorHistory, h, err)
		}
	}
	if e.hist > 0 {
		levels, err := e.o.Store.LatestLevels(ctx, e.hist)
		if err != nil {
			return err
		}
		e.ev.SeedLevels(levels)
	}
	if e.feed > 0 && e.ev.MaxWithin() > 0 {
		if err := e.rebuild(ctx); err != nil {
			return err
		}
	}
	e.started = true
	return nil
}

func (e *Engine) eventsCursor(ctx context.Context) (feed, headMs int64, err error) {
	v, err := e.o.Store.Cursor(ctx, CursorEvents)
	if err != nil || v == "" {
		return 0, 0, err
	}
	f, h, ok := strings.Cut(v, " ")
	feed, err1 := strconv.ParseInt(f, 10, 64)
	headMs, err2 := strconv.ParseInt(h, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("detect: cursor %s is %q, not \"<feed> <ms>\"", CursorEvents, v)
	}
	return feed, headMs, nil
}

// rebuild replays the events already evaluated within the longest
// window of the newest (and back to the start of any incident still
// open) through the evaluator, dropping what it finds: those findings
// are in the store already.
func (e *Engine) rebuild(ctx context.Context) error {
	head := time.UnixMilli(e.headMs).UTC()
	from := head.Add(-e.ev.MaxWithin())
	live, err := e.o.Store.LiveAlerts(ctx, nil)
	if err != nil {
		return err
	}
	for _, a := range live {
		in := a.Incident
		if in == nil || in.To.Before(head.Add(-maxIncidentReplay)) || in.To.Before(head.Add(-e.ev.MaxWithin())) {
			continue
		}
		if in.From.Before(from) {
			from = in.From
		}
	}
	from = later(from, head.Add(-maxIncidentReplay))
	evs, err := e.o.Store.FeedEventsFrom(ctx, from, e.feed, rebuildLimit)
	if err != nil {
		return err
	}
	events := make([]*model.Event, len(evs))
	for i := range evs {
		events[i] = &evs[i].Event
	}
	e.ev.EventsOf(events)
	e.ev.Expire()
	e.o.Log.Info("detections: windows rebuilt", "events", len(events), "from", from, "feed", e.feed)
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Run evaluates on every announcement of stored events or user risks,
// and on a slow tick, until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	var sub *hub.Subscription
	var ready <-chan struct{}
	if e.o.Hub != nil {
		sub = e.o.Hub.Subscribe()
		defer sub.Close()
		ready = sub.Ready()
	}
	t := time.NewTicker(e.o.Tick)
	defer t.Stop()
	for {
		e.runOnce(ctx)
		for wake := false; !wake; {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				wake = true
			case <-ready:
				for _, m := range sub.Take() {
					switch m.(type) {
					case hub.EventsMsg, hub.UsersMsg:
						wake = true
					}
				}
			}
		}
	}
}

func (e *Engine) runOnce(ctx context.Context) {
	res, err := e.Once(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		e.o.Log.Error("detections", "err", err)
	case len(res.Alerts) > 0:
		e.o.Log.Info("detections", "events", res.Events, "changes", res.Changes, "alerts", len(res.Alerts))
	}
}
