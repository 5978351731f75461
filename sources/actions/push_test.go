package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

func TestCheckPush(t *testing.T) {
	svc := &Service{opts: Options{AllowDocumentationRanges: true}} // the simulator's addresses
	for _, c := range []struct {
		req  PushRequest
		want []string // "field: part of the message"
	}{
		{PushRequest{IP: "203.0.113.9", Level: "HIGH"}, nil},
		{PushRequest{IP: " 2001:db8::1 ", Level: "medium", Message: "seen in risktop", Expires: 48 * time.Hour}, nil},
		{PushRequest{IP: "203.0.113.9", Level: "Low", Expires: time.Second}, nil},
		{PushRequest{}, []string{"ip: required", "level: required"}},
		{PushRequest{IP: "203.0.113.300", Level: "HIGH"}, []string{`ip: "203.0.113.300" is not an IPv4 or IPv6 address`}},
		{PushRequest{IP: "fe80::1%eth0", Level: "HIGH"}, []string{"ip: \"fe80::1%eth0\" has a zone"}},
		{PushRequest{IP: "203.0.113.0/24", Level: "HIGH"}, []string{"ip: "}},
		{PushRequest{IP: "203.0.113.9", Level: "severe"}, []string{`level: "SEVERE" is not LOW, MEDIUM or HIGH`}},
		{PushRequest{IP: "203.0.113.9", Level: "HIGH", Message: "bad; chars!"}, []string{"message: characters ';' '!' are not allowed (letters, digits, '.', '_', '-' and space)"}},
		{PushRequest{IP: "203.0.113.9", Level: "HIGH", Message: strings.Repeat("x", 513)}, []string{"message: 513 characters; at most 512"}},
		{PushRequest{IP: "203.0.113.9", Level: "HIGH", Expires: -time.Hour}, []string{"expires: must not be negative"}},
		{PushRequest{IP: "203.0.113.9", Level: "HIGH", Expires: time.Millisecond}, []string{"expires: 1ms would pass before"}},
		// Okta has no upper bound on expiresAt.
		{PushRequest{IP: "203.0.113.9", Level: "HIGH", Expires: 90 * 24 * time.Hour}, nil},
	} {
		got := svc.CheckPush(c.req)
		if len(got) != len(c.want) {
			t.Errorf("%+v: problems %+v, want %v", c.req, got, c.want)
			continue
		}
		for i, p := range got {
			if s := p.Field + ": " + p.Message; !strings.HasPrefix(s, c.want[i]) && !strings.Contains(s, c.want[i]) {
				t.Errorf("%+v: problem %d = %q, want %q", c.req, i, s, c.want[i])
			}
		}
	}
}

func TestQueuePushValidatesAll(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	_, err := e.svc.QueuePush(ctx, who, []PushRequest{
		{IP: "203.0.113.9", Level: "HIGH"},
		{IP: "203.0.113.x", Level: "HIGH"},
		{IP: "198.51.100.1", Level: "urgent", Message: "a;b"},
	})
	var pe *PushError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PushError", err)
	}
	if got := err.Error(); !strings.Contains(got, `#2 ip: "203.0.113.x" is not an IPv4 or IPv6 address`) ||
		!strings.Contains(got, `#3 level: "URGENT" is not LOW, MEDIUM or HIGH`) || !strings.Contains(got, "#3 message:") || strings.Contains(got, "#1") {
		t.Errorf("error text %q", got)
	}
	if len(pe.Problems) != 3 || pe.Problems[0].Index != 1 || pe.Problems[0].IP != "203.0.113.x" || pe.Problems[2].Field != "message" {
		t.Errorf("problems %+v", pe.Problems)
	}
	if all, _ := e.store.Outbox(ctx, "", 10); len(all) != 0 {
		t.Fatalf("queued despite problems: %+v", all)
	}
	got := briefs(e.sameAudit(t))
	want := []brief{{ActionPushIP, ResultRefused, "203.0.113.x", 0}, {ActionPushIP, ResultRefused, "198.51.100.1", 0}}
	if !slices.Equal(got, want) {
		t.Errorf("audit %+v, want %+v", got, want)
	}
	if _, err := e.svc.QueuePush(ctx, who, nil); err == nil {
		t.Error("nothing to push: no error")
	}
}

func TestPushEndToEnd(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startSender(t)
	e.idle(t) // nothing queued: it sleeps without a timer
	ids := e.queue(t,
		PushRequest{IP: "203.0.113.9", Level: "medium", Message: "credential stuffing"},
		PushRequest{IP: "2001:DB8::7", Level: "low", Expires: 2 * time.Hour},
		PushRequest{IP: "203.0.113.9", Level: "HIGH", Message: "seen by risktop"}, // same IP, higher
	)
	items := e.wait(t, ids)
	for _, it := range items {
		if it.State != model.OutboxSent || it.Attempts != 1 || !it.SentAt.Equal(t0) || it.Actor != string(who) {
			t.Errorf("item %+v", it)
		}
	}
	if items[1].IP != "2001:db8::7" || !items[1].ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("item %+v: want the canonical address and an expiry 2h on", items[1])
	}
	pushed := e.sim.Okta.Pushed()
	got := map[string]string{}
	for _, p := range pushed {
		got[p.IP] = p.Level + " " + p.Message + " " + p.ExpiresAt.Format(time.RFC3339)
	}
	want := map[string]string{
		"203.0.113.9": "HIGH seen by risktop 0001-01-01T00:00:00Z",
		"2001:db8::7": "LOW  " + t0.Add(2*time.Hour).Format(time.RFC3339),
	}
	if len(pushed) != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Okta received %v (%d subjects), want %v", got, len(pushed), want)
	}
	if n := e.sim.Okta.EventRequests(); n != 1 {
		t.Errorf("%d requests for 3 pushes, want 1", n)
	}
	e.idle(t) // done: no timer left running

	es := e.sameAudit(t)
	wantAudit := []brief{
		{ActionPushIP, ResultQueued, "203.0.113.9", 0},
		{ActionPushIP, ResultQueued, "2001:db8::7", 0},
		{ActionPushIP, ResultQueued, "203.0.113.9", 0},
	}
	if !slices.Equal(briefs(es[:3]), wantAudit) {
		t.Fatalf("queued audit %+v", briefs(es))
	}
	sent := map[string]int{}
	for _, x := range es[3:] {
		if x.Action != ActionPushIP || x.Result != ResultSent || x.VendorStatus != 202 || x.Actor != string(who) {
			t.Errorf("entry %+v", x)
		}
		sent[x.Target]++
	}
	if len(es) != 6 || sent["203.0.113.9"] != 2 || sent["2001:db8::7"] != 1 {
		t.Errorf("sent entries %v", sent)
	}
	if d := es[0].Detail; !strings.Contains(d, fmt.Sprintf("outbox #%d", ids[0])) || !strings.Contains(d, `level MEDIUM, message "credential stuffing"`) {
		t.Errorf("queued detail %q", d)
	}
	if d := es[1].Detail; !strings.Contains(d, "expires in 2h0m0s") {
		t.Errorf("queued detail %q", d)
	}
}

// With the guide's budget of 3 requests a minute, 45 IPs leave in one
// request, not 45.
func TestPushBatchesWithinBudget(t *testing.T) {
	e := newEnv(t, envOptions{rpm: 3})
	var reqs []PushRequest
	for i := range 45 {
		reqs = append(reqs, PushRequest{IP: fmt.Sprintf("198.51.100.%d", i+1), Level: []string{"LOW", "MEDIUM", "HIGH"}[i%3]})
	}
	ids := e.queue(t, reqs...)
	e.startSender(t)
	for _, it := range e.wait(t, ids) {
		if it.State != model.OutboxSent {
			t.Fatalf("item %+v", it)
		}
	}
	if n := e.sim.Okta.EventRequests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if n := len(e.sim.Okta.Pushed()); n != 45 {
		t.Errorf("Okta received %d subjects, want 45", n)
	}
	if w := e.waits.All(); len(w) != 0 {
		t.Errorf("waited %v with budget to spare", w)
	}
}

// A 429 the client can wait out inside the push (Retry-After under its
// limit) leaves exactly one sent item and one subject at Okta.
func TestThrottledThenAccepted(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.faults(t, sim.Okta, simkit.Faults{Throttle: 1, RetryAfter: 30 * time.Second})
	e.startSender(t)
	ids := e.queue(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"})
	items := e.wait(t, ids)
	if it := items[0]; it.State != model.OutboxSent || it.Attempts != 1 {
		t.Fatalf("item %+v", it)
	}
	if sent, _ := e.store.Outbox(context.Background(), model.OutboxSent, 10); len(sent) != 1 {
		t.Errorf("%d sent items, want 1", len(sent))
	}
	if p := e.sim.Okta.Pushed(); len(p) != 1 || p[0].IP != "203.0.113.9" {
		t.Errorf("Okta received %+v", p)
	}
	if n := e.requests(t, sim.Okta); n != 2 {
		t.Errorf("%d requests reached Okta, want 2 (429, then 202)", n)
	}
	if w := e.waits.All(); !slices.Contains(w, 30*time.Second) {
		t.Errorf("waits %v lack the 30s Retry-After", w)
	}
}

// A Retry-After longer than the client waits inside a push sends the item
// back to the queue until then; it then leaves once.
func TestLongRetryAfterRequeues(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.faults(t, sim.Okta, simkit.Faults{Throttle: 1, RetryAfter: 2 * time.Minute})
	e.startSender(t)
	e.idle(t)
	ids := e.queue(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"})
	w := e.nextWait(t)
	if !w.timed || w.d != 2*time.Minute {
		t.Fatalf("sender sleeps %+v, want the 2m Retry-After", w)
	}
	items, _ := e.store.OutboxItems(context.Background(), ids)
	if it := items[0]; it.State != model.OutboxQueued || !it.NextTry.Equal(t0.Add(2*time.Minute)) || !strings.Contains(it.LastError, "429") {
		t.Fatalf("item %+v", it)
	}
	e.clock.Advance(w.d)
	items = e.wait(t, ids)
	if it := items[0]; it.State != model.OutboxSent || it.Attempts != 2 {
		t.Fatalf("item %+v", it)
	}
	if p := e.sim.Okta.Pushed(); len(p) != 1 {
		t.Errorf("Okta received %d subjects, want 1", len(p))
	}
	got := briefs(e.sameAudit(t))
	want := []brief{{ActionPushIP, ResultQueued, "203.0.113.9", 0}, {ActionPushIP, ResultRetry, "203.0.113.9", 429}, {ActionPushIP, ResultSent, "203.0.113.9", 202}}
	if !slices.Equal(got, want) {
		t.Errorf("audit %+v, want %+v", got, want)
	}
}

// A 400 is Okta refusing the payload: failed at once, with Okta's words.
// The simulator's clock runs two hours ahead of risktop's, so an expiry an
// hour away has passed by the time Okta reads it.
func TestRejectedFailsAtOnce(t *testing.T) {
	e := newEnv(t, envOptions{simAhead: 2 * time.Hour})
	e.startSender(t)
	e.idle(t)
	ids := e.queue(t, PushRequest{IP: "203.0.113.9", Level: "HIGH", Expires: time.Hour})
	it := e.wait(t, ids)[0]
	if it.State != model.OutboxFailed || it.Attempts != 1 || !it.NextTry.IsZero() ||
		!strings.Contains(it.LastError, "400 Bad Request") || !strings.Contains(it.LastError, "E0000001") ||
		!strings.Contains(it.LastError, "expiresAt: must be in the future") {
		t.Fatalf("item %+v", it)
	}
	if w := e.nextWait(t); w.timed {
		t.Errorf("a failed push left a timer: %+v", w)
	}
	es := e.sameAudit(t)
	if got := briefs(es); !slices.Equal(got, []brief{{ActionPushIP, ResultQueued, "203.0.113.9", 0}, {ActionPushIP, ResultFailed, "203.0.113.9", 400}}) {
		t.Fatalf("audit %+v", got)
	}
	if !strings.Contains(es[1].Detail, "E0000001") {
		t.Errorf("failed entry detail %q", es[1].Detail)
	}
	if n := e.sim.Okta.EventRequests(); n != 1 {
		t.Errorf("%d requests, want 1 (no retry)", n)
	}
}

// 5xx answers are retried: the client's own attempts, then the sender's
// back-off, then it is sent.
func TestServerErrorRetriedThenSent(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.faults(t, sim.Okta, simkit.Faults{FailNext: 4}) // every attempt of the first push
	e.startSender(t)
	e.idle(t)
	ids := e.queue(t, PushRequest{IP: "198.51.100.20", Level: "MEDIUM"})
	w := e.nextWait(t)
	if !w.timed || w.d <= firstRetry-time.Millisecond || w.d > firstRetry {
		t.Fatalf("sender sleeps %+v, want the first back-off of %s", w, firstRetry)
	}
	e.clock.Advance(w.d)
	it := e.wait(t, ids)[0]
	if it.State != model.OutboxSent || it.Attempts != 2 {
		t.Fatalf("item %+v", it)
	}
	got := briefs(e.sameAudit(t))
	want := []brief{{ActionPushIP, ResultQueued, "198.51.100.20", 0}, {ActionPushIP, ResultRetry, "198.51.100.20", 503}, {ActionPushIP, ResultSent, "198.51.100.20", 202}}
	if !slices.Equal(got, want) {
		t.Errorf("audit %+v, want %+v", got, want)
	}
}

// A push that keeps failing backs off 10 s doubling to 10 min and gives up
// after MaxPushAttempts; the operator's retry sends it, a drop ends one.
func TestGiveUpThenRetryAndDrop(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.faults(t, sim.Okta, simkit.Faults{FailNext: 4 * MaxPushAttempts})
	e.startSender(t)
	e.idle(t)
	ids := e.queue(t, PushRequest{IP: "198.51.100.30", Level: "HIGH"}, PushRequest{IP: "198.51.100.31", Level: "LOW", Expires: 30 * 24 * time.Hour})
	var backoffs []time.Duration
	for range MaxPushAttempts - 1 {
		w := e.nextWait(t)
		if !w.timed {
			t.Fatalf("sender sleeps untimed with a retry queued")
		}
		backoffs = append(backoffs, w.d.Round(time.Second))
		e.clock.Advance(w.d)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 320 * time.Second, 600 * time.Second}
	if !slices.Equal(backoffs, want) {
		t.Errorf("back-offs %v, want %v", backoffs, want)
	}
	items := e.wait(t, ids)
	for _, it := range items {
		if it.State != model.OutboxFailed || it.Attempts != MaxPushAttempts || !strings.Contains(it.LastError, "gave up after 8 attempts") ||
			!strings.Contains(it.LastError, "503") {
			t.Fatalf("item %+v", it)
		}
	}
	e.idle(t)

	// Drop one, retry the other (Okta is healthy again).
	if err := e.svc.DropPush(ctx, who, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RetryPush(ctx, who, ids[0]); err != nil {
		t.Fatal(err)
	}
	items = e.wait(t, ids)
	if items[0].State != model.OutboxSent || items[1].State != model.OutboxDropped {
		t.Fatalf("after retry and drop: %+v", items)
	}
	if p := e.sim.Okta.Pushed(); len(p) != 1 || p[0].IP != "198.51.100.30" {
		t.Errorf("Okta received %+v", p)
	}
	// A sent item can be neither retried nor dropped.
	if err := e.svc.RetryPush(ctx, who, ids[0]); err == nil || !strings.Contains(err.Error(), "is sent, not failed") {
		t.Errorf("retry of a sent item: %v", err)
	}
	if err := e.svc.DropPush(ctx, who, ids[0]); err == nil {
		t.Error("drop of a sent item: no error")
	}

	var tail []brief
	for _, x := range e.sameAudit(t) {
		if x.Result != ResultRetry && x.Result != ResultQueued {
			tail = append(tail, brief{x.Action, x.Result, x.Target, x.VendorStatus})
		}
	}
	wantTail := []brief{
		{ActionPushIP, ResultFailed, "198.51.100.30", 503}, {ActionPushIP, ResultFailed, "198.51.100.31", 503},
		{ActionDropPush, ResultOK, "198.51.100.31", 0}, {ActionRetryPush, ResultOK, "198.51.100.30", 0},
		{ActionPushIP, ResultSent, "198.51.100.30", 202},
		{ActionRetryPush, ResultFailed, "198.51.100.30", 0}, {ActionDropPush, ResultFailed, "198.51.100.30", 0},
	}
	if !slices.Equal(tail, wantTail) {
		t.Errorf("audit (without queued and retry) %+v\nwant %+v", tail, wantTail)
	}
}

// An expiry that passes while the item waits in the queue fails it
// without a request.
func TestExpiredInQueue(t *testing.T) {
	e := newEnv(t, envOptions{})
	ids := e.queue(t, PushRequest{IP: "198.51.100.40", Level: "HIGH", Expires: time.Minute})
	e.clock.Advance(2 * time.Minute)
	e.startSender(t)
	it := e.wait(t, ids)[0]
	if it.State != model.OutboxFailed || !strings.Contains(it.LastError, "before it could be sent") {
		t.Fatalf("item %+v", it)
	}
	if n := e.requests(t, sim.Okta); n != 0 {
		t.Errorf("%d requests for an expired push", n)
	}
}

func TestWaitPushes(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	ids := e.queue(t, PushRequest{IP: "198.51.100.50", Level: "HIGH"}, PushRequest{IP: "198.51.100.51", Level: "LOW"})

	// Nothing sends: it waits until ctx ends and says how things stand.
	short, cancel := context.WithCancel(ctx)
	cancel()
	items, err := e.svc.WaitPushes(short, ids)
	if !errors.Is(err, context.Canceled) || len(items) != 2 || items[0].State != model.OutboxQueued {
		t.Fatalf("canceled wait: %+v, %v", items, err)
	}
	if _, err := e.svc.WaitPushes(ctx, []int64{ids[0], 9999}); err == nil {
		t.Error("unknown id: no error")
	}

	// Another process settles them (a second service on the same store
	// file stands in for it): the slow re-check notices.
	other, err := e.store.ClaimDue(ctx, t0, 10)
	if err != nil || len(other) != 2 {
		t.Fatalf("claim: %v %v", other, err)
	}
	done := make(chan []model.OutboxItem)
	go func() {
		items, err := e.svc.WaitPushes(ctx, ids)
		if err != nil {
			t.Error(err)
		}
		done <- items
	}()
	if err := e.store.MarkSent(ctx, ids[:1], t0); err != nil {
		t.Fatal(err)
	}
	if err := e.store.MarkFailed(ctx, ids[1:], "okta: 403", time.Time{}); err != nil {
		t.Fatal(err)
	}
	select {
	case items := <-done:
		if items[0].State != model.OutboxSent || items[1].State != model.OutboxFailed || items[1].LastError != "okta: 403" {
			t.Fatalf("items %+v", items)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitPushes did not notice a change made elsewhere")
	}
	// Done already: at once.
	if items, err := e.svc.WaitPushes(ctx, ids); err != nil || len(items) != 2 {
		t.Fatalf("settled wait: %+v %v", items, err)
	}
}

// One loop per store: a second Run of the same service returns at once.
func TestOneSenderPerService(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.startSender(t)
	e.idle(t)
	done := make(chan struct{})
	go func() {
		e.svc.NewSender().Run(context.Background())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a second sender kept running")
	}
}

// A garbled or oversized answer is the path failing, not Okta refusing:
// the push goes back to the queue (the fault suite found it failed for
// good when Okta's token endpoint answered an HTML error page).
func TestGarbledAnswerIsRetried(t *testing.T) {
	for _, k := range []httpx.Kind{httpx.KindDecode, httpx.KindTooLarge, httpx.KindTimeout, httpx.KindNetwork} {
		if retry, _ := retryable(&httpx.Error{Vendor: "okta", Op: "POST /oauth2/v1/token", Kind: k}); !retry {
			t.Errorf("%s is not retried", k)
		}
	}
	if retry, _ := retryable(&httpx.Error{Vendor: "okta", Kind: httpx.KindStatus, Status: 400}); retry {
		t.Error("a 400 is retried")
	}
}
