package app

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// The fault suite: every vendor × every fault, on fake time. Each case
// runs the rig healthy, injects the fault, keeps it for faultFor, clears
// it, and waits for the source and the outbox to recover by themselves.

const (
	warmUp   = time.Minute      // the back-fill (1h of history) is done by then
	faultFor = 3 * time.Minute  // how long each fault lasts
	recovery = 15 * time.Minute // the longest a recovery may take (back-off is capped at 10m ±20%)
	// retryAfter is the 429 fault's Retry-After: longer than any client
	// waits in-call (httpx 20s, Okta 65s), so the poller must honour it.
	retryAfter = 2 * time.Minute
	// clientTimeout is httpx's default per-attempt timeout, which the rig keeps.
	clientTimeout = httpx.DefaultTimeout
)

// fault is one way a vendor misbehaves.
type fault struct {
	name string // in test names and the report
	what string // how the simulator is made to do it, for the report
	set  func(r *rig, vendor string)
	heal func(r *rig, vendor string)
	// words the source's health must carry while the fault lasts; nil
	// when the fault must not show at all (a revoked OAuth token is
	// minted again on the spot).
	words func(vendor string) []string
}

func knob(f simkit.Faults) func(*rig, string) {
	return func(r *rig, v string) {
		fs, _ := r.sim.Faults(v)
		fs.Set(f)
	}
}

func healKnobs(r *rig, v string) { knob(simkit.Faults{})(r, v) }

func words(w ...string) func(string) []string { return func(string) []string { return w } }

var faults = []fault{
	{name: "timeout", what: fmt.Sprintf("every answer delayed 2m, past the client's %s timeout", clientTimeout),
		set: knob(simkit.Faults{Latency: 2 * time.Minute}), heal: healKnobs,
		words: words(fmt.Sprintf("timeout: no answer within %s", clientTimeout))},
	{name: "connection-refused", what: "the connection is dropped without an answer",
		set: knob(simkit.Faults{Refuse: true}), heal: healKnobs,
		words: words("network error: the connection was reset before an answer came (connection reset by peer)")},
	{name: "5xx-burst", what: "every request answered 503 Service Unavailable",
		set: knob(simkit.Faults{ErrorRate: 1}), heal: healKnobs,
		words: words("503 Service Unavailable")},
	{name: "429-retry-after", what: fmt.Sprintf("every request answered 429 with Retry-After: %d", int(retryAfter.Seconds())),
		set: knob(simkit.Faults{Throttle: 1 << 30, RetryAfter: retryAfter}), heal: healKnobs,
		words: words("429 Too Many Requests", fmt.Sprintf("(retry in %s)", retryAfter))},
	{name: "429-no-retry-after", what: "every request answered 429 without Retry-After",
		set: knob(simkit.Faults{Throttle: 1 << 30}), heal: healKnobs,
		words: words("429 Too Many Requests")},
	{name: "malformed-json", what: "2xx bodies cut after 40 bytes and spliced with an HTML error page",
		set: knob(simkit.Faults{Malformed: true}), heal: healKnobs,
		words: words("malformed response")},
	{name: "truncated-body", what: "2xx bodies cut in half",
		set: knob(simkit.Faults{Truncate: true}), heal: healKnobs,
		words: words("malformed response", "truncated JSON")},
	{name: "oversize-body", what: fmt.Sprintf("2xx bodies padded to %d KiB, ten times the %d KiB cap", 10*rigMaxBody>>10, rigMaxBody>>10),
		set: knob(simkit.Faults{Oversize: 10 * rigMaxBody}), heal: healKnobs,
		words: words("response too large", fmt.Sprintf("size cap of %d KiB", rigMaxBody>>10))},
	{name: "token-revoked", what: "every token the vendor issued revoked mid-run (Cloudflare: the API token, given back at the end)",
		set: func(r *rig, v string) { r.sim.RevokeTokens(v) },
		heal: func(r *rig, v string) {
			if v == sim.Cloudflare {
				r.sim.Cloudflare.RestoreTokens()
			}
		},
		words: func(v string) []string {
			if v == sim.Cloudflare {
				return []string{"401 Unauthorized"}
			}
			return nil
		}},
	{name: "slow-drip", what: fmt.Sprintf("2xx bodies sent 64 bytes every 20s, so none longer than 64 bytes ends within the %s timeout", clientTimeout),
		set: knob(simkit.Faults{Drip: 20 * time.Second}), heal: healKnobs,
		words: words(fmt.Sprintf("timeout: the answer was still arriving after %s", clientTimeout))},
}

// pushIPs are queued as the fault starts; they must all reach Okta once.
var pushIPs = []string{"203.0.113.77", "198.51.100.9", "2001:db8::42"}

// faultResult is what one case observed, for the assertions and the report.
type faultResult struct {
	vendor, fault string
	health        string        // the health line while the fault lasted ("" : it never failed)
	state         model.State   // the worst state it reached
	failedPolls   int           // consecutive failed polls at most
	requests      int64         // requests the vendor received during the fault
	recovered     time.Duration // from the fault's end to the first good poll (0: never failed)
	pushesSent    time.Duration // from the fault's end until the last push was sent (≤0: before it ended)
	pushPosts     int64         // POSTs of risk events Okta received, faults included
	pushAttempts  int           // the most sender attempts an item took
	missing, dups int           // OneLogin events, store against the simulator
}

func TestFaultSuite(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var results []faultResult
	t.Run("cases", func(t *testing.T) {
		for _, v := range sim.Vendors {
			for _, f := range faults {
				t.Run(v+"/"+f.name, func(t *testing.T) {
					t.Parallel()
					res := runFaultCase(t, v, f)
					mu.Lock()
					results = append(results, res)
					mu.Unlock()
				})
			}
		}
	})
	if t.Failed() || len(results) != len(sim.Vendors)*len(faults) {
		return // a partial or failed run says nothing about the document
	}
	checkReliabilityReport(t, results)
}

func runFaultCase(t *testing.T, vendor string, f fault) faultResult {
	res := faultResult{vendor: vendor, fault: f.name}
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		halt := r.run()
		defer r.close(halt)
		begin := time.Now()

		// A push while healthy, so Okta's token for pushes is minted and
		// the fault meets the push itself.
		time.Sleep(warmUp / 2)
		warm := r.queuePushes(t, "192.0.2.1")
		time.Sleep(warmUp / 2)
		synctest.Wait()
		if items, _ := r.st.OutboxItems(context.Background(), warm); len(items) != 1 || items[0].State != model.OutboxSent {
			t.Fatalf("the warm-up push: %+v", items)
		}
		for _, v := range sim.Vendors {
			if h := r.health(time.Now())[v]; h.State != model.StateOK {
				t.Fatalf("%s before the fault: %+v", v, h)
			}
		}
		if p := r.pollers.Runner.Health()[0].Backfill; p != nil {
			t.Fatalf("back-fill still under way after the warm-up: %+v", p)
		}

		t1 := time.Now()
		fs, _ := r.sim.Faults(vendor)
		before := fs.Requests()
		mintedBefore := r.tokensMinted(vendor)
		postsBefore := r.posts.Load()
		f.set(r, vendor)
		r.pollers.Runner.Refresh(vendor) // the fault bites now, not at the next interval
		time.Sleep(time.Second)
		ids := r.queuePushes(t, pushIPs...)
		time.Sleep(faultFor - time.Second)
		synctest.Wait()
		t2 := time.Now()
		res.requests = fs.Requests() - before
		f.heal(r, vendor)

		// While it lasted: the health named it, the others kept going.
		r.checkHealthDuring(t, &res, f, t1, t2)
		if f.words(vendor) == nil && r.tokensMinted(vendor) <= mintedBefore {
			t.Errorf("no token minted after the revocation")
		}
		for _, o := range sim.Vendors {
			if o != vendor {
				r.checkKeptUpdating(t, o, t1, t2)
			}
		}
		if f.name == "429-retry-after" {
			r.checkRetryAfterHonoured(t, vendor, t1, t2)
		}

		// Recovery by itself: the source polls well again and the outbox
		// empties, with nobody pressing anything.
		deadline := t2.Add(recovery)
		for !r.recovered(vendor, ids) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Second)
			synctest.Wait()
		}
		if !r.recovered(vendor, ids) {
			items, _ := r.st.OutboxItems(context.Background(), ids)
			t.Fatalf("%s not recovered %s after the fault ended: %+v\noutbox: %+v", vendor, recovery, r.health(time.Now())[vendor], items)
		}
		if res.failedPolls > 0 {
			for _, s := range r.healthBetween(vendor, t2, time.Now()) {
				if s.h.State == model.StateOK && s.h.LastSuccess.After(t2) {
					res.recovered = s.at.Sub(t2)
					break
				}
			}
		}
		r.checkPushes(t, &res, vendor, ids, t2, postsBefore)

		// Nothing lost, nothing twice: the store against the simulator.
		halt()
		r.pollOnce(t)
		res.missing, res.dups = r.compareEvents(t, begin)
		r.compareSnapshots(t)
	})
	return res
}

func (r *rig) tokensMinted(vendor string) int {
	switch vendor {
	case sim.OneLogin:
		return r.sim.OneLogin.TokensMinted()
	case sim.CASB:
		return r.sim.CASB.TokensMinted()
	case sim.Okta:
		return r.sim.Okta.TokensMinted()
	}
	return 0
}

func (r *rig) queuePushes(t *testing.T, ips ...string) []int64 {
	t.Helper()
	var reqs []actions.PushRequest
	for _, ip := range ips {
		reqs = append(reqs, actions.PushRequest{IP: ip, Level: "HIGH", Message: "fault suite"})
	}
	outs, err := r.svc.QueuePush(context.Background(), "os:suite@rig", reqs)
	if err != nil {
		t.Fatal(err)
	}
	return actions.OutboxIDs(outs)
}

// errorID strips what differs between runs from a vendor's error text.
var errorID = regexp.MustCompile(`\[errorId [^\]]*\]`)

func (r *rig) checkHealthDuring(t *testing.T, res *faultResult, f fault, t1, t2 time.Time) {
	t.Helper()
	want := f.words(res.vendor)
	res.state = model.StateOK
	for _, s := range r.healthBetween(res.vendor, t1, t2) {
		h := s.h
		if h.Failures == 0 {
			continue
		}
		if want == nil {
			t.Errorf("the fault showed: %+v", h)
			return
		}
		res.failedPolls = max(res.failedPolls, h.Failures)
		res.health = errorID.ReplaceAllString(h.LastError, "[errorId …]")
		if h.State == model.StateFailing || res.state == model.StateOK {
			res.state = h.State
		}
		for _, w := range want {
			if !strings.Contains(h.LastError, w) {
				t.Errorf("health line %q does not say %q", h.LastError, w)
			}
		}
		if !strings.HasPrefix(h.LastError, res.vendor+": ") {
			t.Errorf("health line %q does not start with the vendor", h.LastError)
		}
	}
	if want != nil && res.failedPolls == 0 {
		t.Errorf("the fault never showed in %s's health", res.vendor)
	}
}

// checkKeptUpdating: a source other than the faulty one never failed
// during the fault, and polled well within it when its interval allows.
func (r *rig) checkKeptUpdating(t *testing.T, source string, t1, t2 time.Time) {
	t.Helper()
	polled := false
	for _, s := range r.healthBetween(source, t1, t2) {
		if s.h.Failures > 0 || s.h.State != model.StateOK {
			t.Errorf("%s suffered: %+v", source, s.h)
		}
		polled = polled || s.h.LastSuccess.After(t1)
	}
	if !polled && source != sim.Okta { // Okta checks its provider every 15 minutes
		t.Errorf("%s did not poll during the fault", source)
	}
}

// checkRetryAfterHonoured: after a 429 with Retry-After no request to the
// same endpoint comes sooner than it asked.
func (r *rig) checkRetryAfterHonoured(t *testing.T, vendor string, t1, t2 time.Time) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	gaps := 0
	for endpoint, ats := range r.reqs {
		if _, path, _ := strings.Cut(endpoint, " "); !strings.HasPrefix(path, "/"+vendor+"/") {
			continue
		}
		var last time.Time
		for _, at := range ats {
			if at.Before(t1) || !at.Before(t2) {
				continue
			}
			// Requests of one poll come at the same instant of fake time.
			if !last.IsZero() && at.After(last) {
				gaps++
				if at.Sub(last) < retryAfter {
					t.Errorf("%s %s after a 429 that asked for %s", endpoint, at.Sub(last), retryAfter)
				}
			}
			last = at
		}
	}
	if gaps == 0 {
		t.Errorf("no request to %s came after a 429 during the fault: Retry-After went untested", vendor)
	}
}

// recovered: the source's last poll worked (after failing, a success
// resets the count) and no push is waiting.
func (r *rig) recovered(vendor string, ids []int64) bool {
	if h := r.health(time.Now())[vendor]; h.State != model.StateOK || h.Failures > 0 {
		return false
	}
	items, err := r.st.OutboxItems(context.Background(), ids)
	if err != nil {
		return false
	}
	for _, it := range items {
		if it.State != model.OutboxSent {
			return false
		}
	}
	return true
}

// checkPushes: every queued IP reached Okta exactly once, within the
// sender's retry policy, and nothing is left in the outbox.
func (r *rig) checkPushes(t *testing.T, res *faultResult, vendor string, ids []int64, t2 time.Time, postsBefore int64) {
	t.Helper()
	items, err := r.st.OutboxItems(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	var lastSent time.Time
	for _, it := range items {
		if it.State != model.OutboxSent {
			t.Errorf("push %s: %s (%s)", it.IP, it.State, it.LastError)
		}
		res.pushAttempts = max(res.pushAttempts, it.Attempts)
		if it.SentAt.After(lastSent) {
			lastSent = it.SentAt
		}
	}
	res.pushesSent = lastSent.Sub(t2)
	got := map[string]int{}
	for _, p := range r.sim.Okta.Pushed() {
		got[p.IP]++
	}
	for _, ip := range pushIPs {
		if n := got[netip.MustParseAddr(ip).String()]; n != 1 {
			t.Errorf("Okta received %s %d times", ip, n)
		}
	}
	res.pushPosts = r.posts.Load() - postsBefore
	// One POST carries the three IPs; each sender attempt is one Push,
	// which httpx may try DefaultMaxAttempts times.
	if res.pushAttempts > actions.MaxPushAttempts || res.pushPosts > int64(res.pushAttempts*httpx.DefaultMaxAttempts) {
		t.Errorf("%d POSTs over %d attempts: more than the retry policy allows", res.pushPosts, res.pushAttempts)
	}
	if vendor != sim.Okta && (res.pushPosts != 1 || res.pushAttempts != 1 || res.pushesSent > 0) {
		t.Errorf("pushes suffered from %s's fault: %d POSTs, %d attempts, sent %s after it ended", vendor, res.pushPosts, res.pushAttempts, res.pushesSent)
	}
}

// compareEvents holds every OneLogin event the store has against the
// simulator's record of the back-fill window up to now.
func (r *rig) compareEvents(t *testing.T, begin time.Time) (missing, dups int) {
	t.Helper()
	got := storedIDs(t, r.st, "onelogin")
	want := map[string]bool{}
	for _, a := range r.sim.World.Between(begin.Add(-rigBackfill), time.Now().Add(time.Millisecond)) {
		want[fmt.Sprint(olsim.EventID(a))] = true
	}
	missing, extra, dups := diffIDs(got, want)
	if missing+extra+dups > 0 {
		t.Errorf("OneLogin events, store against simulator: %d missing, %d unexpected, %d duplicated (of %d)", missing, extra, dups, len(want))
	}
	return missing, dups
}

// compareSnapshots: CASB's and Cloudflare's stored user risks are what
// the vendors report now.
func (r *rig) compareSnapshots(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	rep, err := r.pollers.Client("casb").(*casb.Client).UserRiskReport(ctx, casb.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, row := range rep.Rows {
		v := casb.MapUserRisk(row)
		want = append(want, v.Email+"/"+v.Context+"/"+v.Level.String())
	}
	r.sameViews(t, "casb", want, func(v model.UserRisk) string { return v.Email + "/" + v.Context + "/" + v.Level.String() })
	sum, err := r.pollers.Clients.Cloudflare.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = want[:0]
	for _, u := range sum.Users {
		want = append(want, u.UserID+"/"+cloudflare.LevelOf(string(u.MaxRiskLevel)).String())
	}
	r.sameViews(t, "cloudflare", want, func(v model.UserRisk) string { return v.UserID + "/" + v.Level.String() })
}

func (r *rig) sameViews(t *testing.T, vendor string, want []string, key func(model.UserRisk) string) {
	t.Helper()
	views, err := r.st.UserRisks(context.Background(), vendor)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range views {
		got = append(got, key(v))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("%s: the store holds %d views, the vendor reports %d, or they differ", vendor, len(got), len(want))
	}
}
