package notify_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/notify"
	"github.com/risktop/risktop/sources/notify/notifytest"
	"github.com/risktop/risktop/sources/secret"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func msg(i int) notify.Message {
	return notify.Message{ID: fmt.Sprintf("alert-%d", i), At: t0.Add(time.Duration(i) * time.Second),
		Severity: model.LevelHigh, Title: fmt.Sprintf("alert %d", i), Fields: map[string]string{"rule": "burst"}}
}

func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("alert-%d", i))
	}
	return out
}

type wait struct {
	d     time.Duration
	timed bool
}

// rig runs a Notifier on one channel over a store in memory, with a fake
// clock; waits reports each time the sender goes to sleep.
type rig struct {
	t     *testing.T
	n     *notify.Notifier
	clock *notifytest.Clock
	st    *store.SQLite
	waits chan wait
}

func newRig(t *testing.T, ch notify.Channel) *rig {
	t.Helper()
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clock: notifytest.NewClock(t0), st: st, waits: make(chan wait, 100)}
	r.n = notify.New(notify.Options{Store: st, Channels: []notify.Channel{ch}, MinSeverity: model.LevelHigh,
		Now: r.clock.Now, NewTimer: r.clock.NewTimer,
		OnWait: func(_ string, d time.Duration, timed bool) { r.waits <- wait{d, timed} }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	if w := r.next(); w.timed {
		t.Fatalf("the sender started with a timed wait %v on an empty outbox", w.d)
	}
	return r
}

// next is the sender's next sleep.
func (r *rig) next() wait {
	r.t.Helper()
	select {
	case w := <-r.waits:
		return w
	case <-time.After(30 * time.Second):
		r.t.Fatal("the sender never went to sleep")
	}
	return wait{}
}

func (r *rig) notify(msgs ...notify.Message) {
	r.t.Helper()
	if _, err := r.n.Notify(context.Background(), msgs...); err != nil {
		r.t.Fatal(err)
	}
}

// idle waits until the sender sleeps with nothing due.
func (r *rig) idle() {
	r.t.Helper()
	for {
		if w := r.next(); !w.timed {
			return
		}
	}
}

func (r *rig) rows(state store.DeliveryState) []store.Delivery {
	r.t.Helper()
	ds, err := r.st.Deliveries(context.Background(), state, 100)
	if err != nil {
		r.t.Fatal(err)
	}
	return ds
}

// A webhook answering 503, then 429 with Retry-After, then 200 again:
// every message arrives exactly once, in order, and the back-off follows
// the schedule and the receiver's Retry-After, all on the fake clock.
func TestWebhookDownThenBack(t *testing.T) {
	wh := notifytest.NewWebhook(t)
	const token = "T0001/B0001/SECRETTOKEN"
	ch, err := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(wh.Server.URL + "/services/" + token),
		Headers: map[string]secret.Value{"Authorization": secret.New("Bearer s3cr3t")}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, ch)
	r.notify(msg(1), msg(2), msg(3))
	wh.WaitFor(t, 3)
	r.idle()

	wh.Answer(http.StatusServiceUnavailable, "")
	r.notify(msg(4), msg(5), msg(6))
	if w := r.next(); !w.timed || w.d != 5*time.Second {
		t.Fatalf("after the first 503 the sender waits %+v, want 5s", w)
	}
	wh.Answer(http.StatusTooManyRequests, "30")
	r.clock.Advance(5 * time.Second)
	if w := r.next(); !w.timed || w.d != 30*time.Second {
		t.Fatalf("after a 429 with Retry-After: 30 the sender waits %+v, want 30s", w)
	}
	failing := r.rows(store.DeliveryQueued)
	if len(failing) != 3 || failing[0].LastError != "webhook "+wh.Server.URL+": 429 Too Many Requests" {
		t.Errorf("queued rows %+v", failing)
	}
	wh.Answer(0, "")
	r.clock.Advance(30 * time.Second)
	got := wh.WaitFor(t, 6)
	r.idle()
	if !slices.Equal(got, ids(1, 6)) {
		t.Errorf("received %v, want %v once each, in order", got, ids(1, 6))
	}
	if n := len(r.rows(store.DeliveryDelivered)); n != 6 {
		t.Errorf("%d rows delivered, want 6", n)
	}
	for i, h := range wh.Headers() {
		if h.Get("Idempotency-Key") != got[i] || h.Get("Authorization") != "Bearer s3cr3t" || h.Get("Content-Type") != "application/json" {
			t.Errorf("request %d headers %v", i, h)
		}
	}
	// The URL carries a token: no error, log or description has it.
	for _, d := range r.rows("") {
		if strings.Contains(d.LastError, "SECRET") {
			t.Errorf("a row's error names the URL: %q", d.LastError)
		}
	}
	if strings.Contains(ch.Where(), "SECRET") || strings.Contains(fmt.Sprint(r.n.Channels()), "SECRET") {
		t.Errorf("Where shows the URL: %s", ch.Where())
	}
}

// A 4xx other than 429 fails that message for good, with the status in
// words, and the next ones still go.
func TestWebhookClientErrorFailsForGood(t *testing.T) {
	wh := notifytest.NewWebhook(t)
	ch, err := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(wh.Server.URL + "/x/TOKEN"), Format: notify.FormatSlack})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, ch)
	wh.AnswerBody(http.StatusNotFound, "", "no_service\x1b[2J")
	r.notify(msg(1))
	r.idle()
	failed := r.rows(store.DeliveryFailed)
	if len(failed) != 1 || failed[0].LastError != "webhook "+wh.Server.URL+": 404 Not Found (no_service)" {
		t.Fatalf("failed rows %+v", failed)
	}
	wh.Answer(0, "")
	r.notify(msg(2))
	if got := wh.WaitFor(t, 1); !slices.Equal(got, ids(2, 2)) {
		t.Errorf("received %v", got)
	}
	r.idle()
	if !strings.HasPrefix(wh.Raw()[0], `{"text":"[HIGH] alert 2","blocks":[`) {
		t.Errorf("slack body %s", wh.Raw()[0])
	}
}

// A message is retried until MaxAttempts, then given up on with the
// reason; the messages behind it go on.
func TestGiveUpAfterMaxAttempts(t *testing.T) {
	wh := notifytest.NewWebhook(t)
	ch, _ := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(wh.Server.URL)})
	st, _ := store.Open(":memory:", store.Options{})
	defer st.Close()
	clock := notifytest.NewClock(t0)
	waits := make(chan wait, 100)
	n := notify.New(notify.Options{Store: st, Channels: []notify.Channel{ch}, MaxAttempts: 3,
		Now: clock.Now, NewTimer: clock.NewTimer, OnWait: func(_ string, d time.Duration, timed bool) { waits <- wait{d, timed} }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	<-waits
	wh.Answer(http.StatusBadGateway, "")
	if _, err := n.Notify(ctx, msg(1), msg(2)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []time.Duration{5 * time.Second, 10 * time.Second} {
		w := <-waits
		if !w.timed || w.d != want {
			t.Fatalf("wait %+v, want %v", w, want)
		}
		clock.Advance(w.d)
	}
	// The third attempt fails too: alert-1 is given up on; alert-2 is next.
	if w := <-waits; !w.timed || w.d != 5*time.Second {
		t.Fatalf("after giving up on alert-1, wait %+v, want alert-2's first back-off", w)
	}
	failed, _ := st.Deliveries(ctx, store.DeliveryFailed, 10)
	if len(failed) != 1 || failed[0].MessageID != "alert-1" || failed[0].LastError != "gave up after 3 attempts: webhook "+wh.Server.URL+": 502 Bad Gateway" {
		t.Errorf("failed %+v", failed)
	}
}

// A TCP collector that goes down (listener and connection closed) and
// comes back on the same address: nothing lost, nothing twice, in order.
func TestSyslogTCPDownThenBack(t *testing.T) {
	col := notifytest.NewSyslog(t, "tcp")
	ch, err := notify.NewSyslog(notify.SyslogOptions{Address: col.Address(), Facility: notify.DefaultFacility, Hostname: "jump-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	r := newRig(t, ch)
	r.notify(msg(1), msg(2))
	col.WaitFor(t, 2)
	r.idle()

	col.Down()
	r.notify(msg(3), msg(4), msg(5))
	for _, want := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second} {
		w := r.next()
		if !w.timed || w.d != want {
			t.Fatalf("with the collector down the sender waits %+v, want %v", w, want)
		}
		if want == 20*time.Second {
			if err := col.Up(); err != nil {
				t.Fatal(err)
			}
		}
		r.clock.Advance(w.d)
	}
	got := col.WaitFor(t, 5)
	r.idle()
	if !slices.Equal(got, ids(1, 5)) {
		t.Errorf("received %v, want %v once each, in order", got, ids(1, 5))
	}
	for _, line := range col.Raw() {
		if !strings.HasPrefix(line, "<131>1 ") || !strings.Contains(line, " jump-1 risktop ") {
			t.Errorf("line %q", line)
		}
	}
}

// Over TLS (RFC 5425) the collector's certificate is checked, and the
// frames are the same as over TCP.
func TestSyslogTLS(t *testing.T) {
	col := notifytest.NewSyslog(t, "tls")
	ch, err := notify.NewSyslog(notify.SyslogOptions{Address: col.Address(), TLS: &tls.Config{RootCAs: col.Roots}})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	r := newRig(t, ch)
	r.notify(msg(1), msg(2))
	if got := col.WaitFor(t, 2); !slices.Equal(got, ids(1, 2)) {
		t.Errorf("received %v", got)
	}
	r.idle()

	// A collector whose certificate is not trusted is not sent to.
	untrusted, err := notify.NewSyslog(notify.SyslogOptions{Address: col.Address()})
	if err != nil {
		t.Fatal(err)
	}
	err = untrusted.Send(context.Background(), msg(3))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted collector: %v", err)
	}
}

func TestSyslogUDP(t *testing.T) {
	col := notifytest.NewSyslog(t, "udp")
	ch, err := notify.NewSyslog(notify.SyslogOptions{Address: col.Address(), Facility: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	r := newRig(t, ch)
	m := msg(1)
	m.Severity = model.LevelCritical
	m.Text = strings.Repeat("x", 5000)
	r.notify(m, msg(2))
	got := col.WaitFor(t, 2)
	r.idle()
	if !slices.Equal(got, ids(1, 2)) {
		t.Errorf("received %v", got)
	}
	raw := col.Raw()
	if !strings.HasPrefix(raw[0], "<162>1 ") || len(raw[0]) > 2048 {
		t.Errorf("datagram of %d bytes: %.60q", len(raw[0]), raw[0])
	}
}

// Below MinSeverity nothing is queued; the same message twice is queued
// once.
func TestNotifyFiltersAndDedupes(t *testing.T) {
	wh := notifytest.NewWebhook(t)
	ch, _ := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(wh.Server.URL)})
	r := newRig(t, ch)
	low := msg(9)
	low.Severity = model.LevelMedium
	n, err := r.n.Notify(context.Background(), low, msg(1), msg(1))
	if err != nil || n != 1 {
		t.Fatalf("queued %d, %v; want 1", n, err)
	}
	wh.WaitFor(t, 1)
	r.idle()
	if n, _ := r.n.Notify(context.Background(), msg(1)); n != 0 {
		t.Errorf("a delivered message was queued again")
	}
	if _, err := r.n.Notify(context.Background(), notify.Message{Severity: model.LevelCritical, Title: "no id"}); err == nil {
		t.Error("a message without an id was queued")
	}
}

func TestNewSyslogChecksTheAddress(t *testing.T) {
	for _, a := range []string{"127.0.0.1:514", "http://127.0.0.1:514", "tcp://127.0.0.1", "udp://"} {
		if _, err := notify.NewSyslog(notify.SyslogOptions{Address: a}); err == nil {
			t.Errorf("%q accepted", a)
		}
	}
}

// A process killed between sending a message and marking it: the next
// process sends it once more (nothing lost), with the same id and
// Idempotency-Key, so the receiver can drop the duplicate; every other
// message arrives once.
func TestCrashBetweenSendAndMark(t *testing.T) {
	wh := notifytest.NewWebhook(t)
	ch, _ := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(wh.Server.URL)})
	path := filepath.Join(t.TempDir(), "risktop.db")
	ctx := context.Background()

	// The first process queues two alerts, claims the first, sends it,
	// and is killed before marking it.
	crashed, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n1 := notify.New(notify.Options{Store: crashed, Channels: []notify.Channel{ch}})
	if _, err := n1.Notify(ctx, msg(1), msg(2)); err != nil {
		t.Fatal(err)
	}
	claimed, err := crashed.ClaimDeliveries(ctx, "webhook", time.Now(), 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	if err := ch.Send(ctx, msg(1)); err != nil {
		t.Fatal(err)
	}
	// Killed: Close takes its session record away, as a dead pid would
	// (the store's own tests cover the pid check).
	crashed.Close()

	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n2 := notify.New(notify.Options{Store: st, Channels: []notify.Channel{ch}})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { n2.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	got := wh.WaitFor(t, 3)
	if want := []string{"alert-1", "alert-1", "alert-2"}; !slices.Equal(got, want) {
		t.Errorf("received %v, want %v (alert-1 again, for the receiver to drop)", got, want)
	}
	keys := map[string]int{}
	for _, h := range wh.Headers() {
		keys[h.Get("Idempotency-Key")]++
	}
	if keys["alert-1"] != 2 || keys["alert-2"] != 1 {
		t.Errorf("Idempotency-Keys %v", keys)
	}
}

// A webhook that is down holds back only its own channel: syslog gets
// every message meanwhile, and the webhook gets them all once it is back.
func TestChannelsAreIndependent(t *testing.T) {
	wh := notifytest.NewWebhook(t)
	col := notifytest.NewSyslog(t, "tcp")
	hook, _ := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(wh.Server.URL)})
	sys, _ := notify.NewSyslog(notify.SyslogOptions{Address: col.Address()})
	defer sys.Close()
	st, _ := store.Open(":memory:", store.Options{})
	defer st.Close()
	clock := notifytest.NewClock(t0)
	hookWaits := make(chan wait, 100)
	n := notify.New(notify.Options{Store: st, Channels: []notify.Channel{hook, sys}, Now: clock.Now, NewTimer: clock.NewTimer,
		OnWait: func(ch string, d time.Duration, timed bool) {
			if ch == "webhook" {
				hookWaits <- wait{d, timed}
			}
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	<-hookWaits
	wh.Answer(http.StatusServiceUnavailable, "")
	if _, err := n.Notify(ctx, msg(1), msg(2), msg(3)); err != nil {
		t.Fatal(err)
	}
	if got := col.WaitFor(t, 3); !slices.Equal(got, ids(1, 3)) {
		t.Errorf("syslog got %v while the webhook was down", got)
	}
	w := <-hookWaits
	if !w.timed || len(wh.IDs()) != 0 {
		t.Fatalf("webhook wait %+v, received %v", w, wh.IDs())
	}
	wh.Answer(0, "")
	clock.Advance(w.d)
	if got := wh.WaitFor(t, 3); !slices.Equal(got, ids(1, 3)) {
		t.Errorf("webhook got %v", got)
	}
}
