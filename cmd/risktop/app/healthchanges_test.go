package app

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
)

// logged is a slog handler that hands each record's message on.
type logged chan string

func (l logged) Enabled(context.Context, slog.Level) bool      { return true }
func (l logged) Handle(_ context.Context, r slog.Record) error { l <- r.Message; return nil }
func (l logged) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l logged) WithGroup(string) slog.Handler                 { return l }

// TestHealthChangesStored: logHealth stores a source's change of state
// (ok → failing) for the Changes panel, but not a start (starting → ok).
func TestHealthChangesStored(t *testing.T) {
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus := hub.New()
	lines := make(logged, 10)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { logHealth(ctx, bus, st, slog.New(lines)) })
	defer func() { cancel(); wg.Wait() }()
	start := time.Now().Add(-time.Minute)
	publish := func(s model.State, errText string) {
		bus.Publish(hub.HealthMsg{Health: model.Health{Source: "okta", State: s, LastError: errText}})
		<-lines // logged after it was stored
	}
	changes := func() model.Changes {
		ch, err := st.Changes(ctx, store.ChangesQuery{Since: start, Until: time.Now().Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	publish(model.StateStarting, "")
	publish(model.StateOK, "")
	if ch := changes(); len(ch.Health) != 0 {
		t.Fatalf("a start is stored as a change: %+v", ch.Health)
	}
	publish(model.StateFailing, "401 Unauthorized")
	ch := changes()
	if len(ch.Health) != 1 || ch.Health[0].From != model.StateOK || ch.Health[0].To != model.StateFailing || ch.Health[0].Error != "401 Unauthorized" {
		t.Fatalf("health changes %+v", ch.Health)
	}
}
