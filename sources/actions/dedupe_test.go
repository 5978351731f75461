package actions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// outcomes queues reqs and returns what became of each.
func (e *env) outcomes(t *testing.T, reqs ...PushRequest) []PushOutcome {
	t.Helper()
	outs, err := e.svc.QueuePush(context.Background(), who, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(reqs) {
		t.Fatalf("%d outcomes for %d requests", len(outs), len(reqs))
	}
	return outs
}

// A push is not queued again while the same address is queued, sending,
// or sent and live at Okta at the same or a higher level; each skip says
// why, names the item, and is audited.
func TestPushSkipsWhatIsLive(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()

	first := e.outcomes(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"}, PushRequest{IP: "198.51.100.7", Level: "MEDIUM", Expires: 2 * time.Hour})
	for _, o := range first {
		if !o.Queued || o.ID == 0 || o.Live.ID != 0 {
			t.Fatalf("first push: %+v", o)
		}
	}
	// Queued: skipped, at the same level or a lower one, in any spelling.
	again := e.outcomes(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"}, PushRequest{IP: "::ffff:203.0.113.9", Level: "low"})
	for _, o := range again {
		if o.Queued || o.ID != first[0].ID || o.Live.State != model.OutboxQueued || o.IP != "203.0.113.9" {
			t.Errorf("re-push of a queued address: %+v", o)
		}
		if r := o.Reason(); r != fmt.Sprintf("already queued (outbox #%d)", first[0].ID) {
			t.Errorf("reason %q", r)
		}
	}
	// Sending: skipped.
	if _, err := e.store.ClaimDue(ctx, t0, 10); err != nil {
		t.Fatal(err)
	}
	if o := e.outcomes(t, PushRequest{IP: "203.0.113.9", Level: "MEDIUM"})[0]; o.Queued || o.Live.State != model.OutboxSending ||
		o.Reason() != fmt.Sprintf("already being sent (outbox #%d)", first[0].ID) {
		t.Errorf("re-push of a sending address: %+v, %q", o, o.Reason())
	}
	// Sent: skipped while live (24 h without an expiry, else until it).
	e.clock.Advance(4 * time.Minute)
	if err := e.store.MarkSent(ctx, []int64{first[0].ID, first[1].ID}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	sent := e.outcomes(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"}, PushRequest{IP: "198.51.100.7", Level: "LOW"})
	if o := sent[0]; o.Queued || o.Live.State != model.OutboxSent || !o.LiveUntil.Equal(t0.Add(4*time.Minute+DefaultPushLife)) ||
		o.Reason() != fmt.Sprintf("already sent at HIGH at 09:04 UTC (outbox #%d), live until 09:04 UTC tomorrow", first[0].ID) {
		t.Errorf("re-push of a sent address: %+v, %q", o, o.Reason())
	}
	if o := sent[1]; o.Queued || !o.LiveUntil.Equal(t0.Add(2*time.Hour)) ||
		o.Reason() != fmt.Sprintf("already sent at MEDIUM at 09:04 UTC (outbox #%d), live until 11:00 UTC", first[1].ID) {
		t.Errorf("re-push of an address sent with an expiry: %+v, %q", o, o.Reason())
	}
	// Past an expiry: queued again (MEDIUM expired at 11:00).
	e.clock.Advance(time.Hour)
	if o := e.outcomes(t, PushRequest{IP: "198.51.100.7", Level: "LOW"})[0]; !o.Queued {
		t.Errorf("LOW after the MEDIUM sent expired: %+v", o)
	}
	// A higher level than is queued or was sent: queued.
	if o := e.outcomes(t, PushRequest{IP: "198.51.100.7", Level: "HIGH"})[0]; !o.Queued {
		t.Errorf("HIGH after LOW was queued: %+v", o)
	}
	// 24 h after a push without an expiry was sent, Okta has forgotten it.
	if o := e.outcomes(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"})[0]; o.Queued {
		t.Errorf("2 h after it was sent: %+v", o)
	}
	e.clock.Advance(DefaultPushLife)
	if o := e.outcomes(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"})[0]; !o.Queued {
		t.Errorf("24 h after it was sent: %+v", o)
	}

	var skipped []string
	for _, x := range e.sameAudit(t) {
		if x.Result == ResultSkipped {
			skipped = append(skipped, x.Target+": "+x.Detail)
		}
	}
	want := []string{
		fmt.Sprintf("203.0.113.9: already queued (outbox #%d); level HIGH", first[0].ID),
		fmt.Sprintf("203.0.113.9: already queued (outbox #%d); level LOW", first[0].ID),
		fmt.Sprintf("203.0.113.9: already being sent (outbox #%d); level MEDIUM", first[0].ID),
		fmt.Sprintf("203.0.113.9: already sent at HIGH at 09:04 UTC (outbox #%d), live until 09:04 UTC tomorrow; level HIGH", first[0].ID),
		fmt.Sprintf("198.51.100.7: already sent at MEDIUM at 09:04 UTC (outbox #%d), live until 11:00 UTC; level LOW", first[1].ID),
	}
	if len(skipped) < len(want) || !slices.Equal(skipped[:len(want)], want) {
		t.Errorf("skipped audit entries:\n%s\nwant\n%s", strings.Join(skipped, "\n"), strings.Join(want, "\n"))
	}
}

// Failed and dropped pushes do not count; Force queues anyway and the
// audit says what it overrode.
func TestPushFailedDroppedAndForce(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	first := e.outcomes(t, PushRequest{IP: "203.0.113.20", Level: "HIGH"}, PushRequest{IP: "203.0.113.21", Level: "HIGH"},
		PushRequest{IP: "203.0.113.22", Level: "HIGH"})
	if err := e.store.MarkFailed(ctx, []int64{first[0].ID}, "400 Bad Request", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DropPush(ctx, who, first[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.store.MarkSent(ctx, []int64{first[2].ID}, t0); err != nil {
		t.Fatal(err)
	}
	outs := e.outcomes(t, PushRequest{IP: "203.0.113.20", Level: "HIGH"}, PushRequest{IP: "203.0.113.21", Level: "HIGH"},
		PushRequest{IP: "203.0.113.22", Level: "HIGH", Force: true})
	for i, o := range outs {
		if !o.Queued || o.ID == 0 || o.ID == first[i].ID {
			t.Errorf("push %d: %+v, want queued anew", i, o)
		}
	}
	if o := outs[2]; o.Live.ID != first[2].ID {
		t.Errorf("forced push names %+v, want the sent #%d", o.Live, first[2].ID)
	}
	es := e.sameAudit(t)
	last := es[len(es)-1]
	if last.Result != ResultQueued || last.Target != "203.0.113.22" ||
		!strings.Contains(last.Detail, fmt.Sprintf("forced: already sent at HIGH at 09:00 UTC (outbox #%d)", first[2].ID)) {
		t.Errorf("forced push's audit %+v", last)
	}
}

// Pushes of one address from many dashboards (goroutines on one service)
// at once queue it once; every other one is skipped for that item.
func TestPushConcurrentQueuesOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	const n = 12
	outs := make([]PushOutcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, err := e.svc.QueuePush(context.Background(), who, []PushRequest{{IP: "198.51.100.99", Level: "HIGH"}})
			if err != nil {
				t.Error(err)
				return
			}
			outs[i] = o[0]
		})
	}
	wg.Wait()
	var queued []int64
	for _, o := range outs {
		if o.Queued {
			queued = append(queued, o.ID)
		}
	}
	if len(queued) != 1 {
		t.Fatalf("queued %d times: %+v", len(queued), outs)
	}
	for _, o := range outs {
		if !o.Queued && o.Live.ID != queued[0] {
			t.Errorf("skipped for #%d, want #%d", o.Live.ID, queued[0])
		}
	}
	if all, _ := e.store.Outbox(context.Background(), "", 100); len(all) != 1 {
		t.Errorf("%d items in the outbox", len(all))
	}
}

// A re-run after the sender sent everything queues nothing and sends
// nothing: Okta gets each address once.
func TestPushRerunSendsNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startSender(t)
	reqs := []PushRequest{{IP: "203.0.113.30", Level: "HIGH"}, {IP: "203.0.113.31", Level: "HIGH"}}
	first := e.outcomes(t, reqs...)
	e.wait(t, OutboxIDs(first))
	e.idle(t)
	again := e.outcomes(t, reqs...)
	for _, o := range again {
		if o.Queued || o.Pending() || o.Live.State != model.OutboxSent {
			t.Errorf("re-run: %+v", o)
		}
	}
	if p := e.sim.Okta.Pushed(); len(p) != 2 {
		t.Errorf("Okta received %d subjects, want 2", len(p))
	}
	if n := e.sim.Okta.EventRequests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
