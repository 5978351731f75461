package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The PostgreSQL server restarts while OneLogin is polled into it: the
// polls that meet the dead database fail in words on the source's health
// ("store: …"), none of it crashes, the polls go on once it is back, and
// the store then equals the simulator: nothing lost, nothing twice.
func TestDatabaseRestartMidRun(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, srv.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := sim.New(sim.Options{World: simkit.Options{Seed: 11, People: 8, History: 30 * time.Minute, EventsPerMinute: 120}})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(s.Handler())
	defer web.Close()
	client, err := onelogin.New(onelogin.Config{BaseURL: sim.EndpointsAt(web.URL).OneLogin, ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret)})
	if err != nil {
		t.Fatal(err)
	}
	bus := hub.New()
	sub := bus.Subscribe()
	src := onelogin.NewSource(client, st, bus, onelogin.SourceOptions{Backfill: 20 * time.Minute, BackfillPace: time.Millisecond})
	r := poll.NewRunner(bus, poll.Spec{Source: src, Interval: time.Second})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	var last model.Health
	waitHealth := func(what string, ok func(model.Health) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-sub.Ready():
				for _, m := range sub.Take() {
					if h, isHealth := m.(hub.HealthMsg); isHealth && h.Source == src.Name() {
						last = h.Health
					}
				}
				if ok(last) {
					return
				}
			case <-time.After(200 * time.Millisecond):
			}
		}
		t.Fatalf("%s: the last health was %+v", what, last)
	}
	backfilled := func() bool {
		var p model.Progress
		raw, err := st.Cursor(ctx, onelogin.CursorBackfill)
		return err == nil && raw != "" && json.Unmarshal([]byte(raw), &p) == nil && p.Done
	}
	waitHealth("the back-fill", func(h model.Health) bool { return h.State == model.StateOK && backfilled() })

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	waitHealth("a poll against the stopped database", func(h model.Health) bool {
		return h.State != model.StateOK && strings.Contains(h.LastError, "store: put events: the PostgreSQL database did not answer")
	})
	t.Logf("while the database was down the health said: %s", last.LastError)
	restarted := time.Now()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	r.Refresh("")
	waitHealth("a poll after the restart", func(h model.Health) bool {
		return h.State == model.StateOK && h.LastSuccess.After(restarted)
	})

	// Every event of the window up to the head cursor is stored once.
	var bf model.Progress
	var head onelogin.HeadCursor
	raw, _ := st.Cursor(ctx, onelogin.CursorBackfill)
	json.Unmarshal([]byte(raw), &bf)
	raw, _ = st.Cursor(ctx, onelogin.CursorHead)
	json.Unmarshal([]byte(raw), &head)
	// OneLogin's since is exclusive and whole seconds (olsim/events.go): the
	// window starts at the second after the back-fill's From.
	from := bf.From.Truncate(time.Second).Add(time.Second)
	want := map[string]bool{}
	for _, a := range s.World.Between(from, head.Time.Add(time.Millisecond)) {
		if !a.Time.Before(head.Time) && olsim.EventID(a) > head.ID {
			continue // the next poll's
		}
		want[fmt.Sprint(olsim.EventID(a))] = true
	}
	got := storedIDs(t, st, "onelogin")
	missing, extra, dup := diffIDs(got, want)
	if missing+extra+dup > 0 || len(want) == 0 {
		t.Fatalf("store against simulator: %d missing, %d unexpected, %d duplicated (of %d)", missing, extra, dup, len(want))
	}
	t.Logf("store equals the simulator: %d events", len(want))
	var _ store.Store = st
}
