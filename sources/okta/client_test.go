package okta

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

func TestPushOAuthCachesTokenAndReauthenticates(t *testing.T) {
	e := newEnv(t, nil)
	c := e.oauthClient(t, func(cfg *Config) { cfg.RequestsPerMinute = 30 })
	ctx := context.Background()

	for i := 0; i < 3; i++ {
		if err := c.Push(ctx, oneEvent(e.clock.Now())); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	if n := e.sim.TokensMinted(); n != 1 {
		t.Fatalf("token minted %d times across 3 pushes, want 1 (cached)", n)
	}

	// Past the token's life (3600 s, less the skew) a new one is minted
	// before the request, so no 401 is spent.
	e.clock.Advance(time.Hour)
	before := e.sim.EventRequests()
	if err := c.Push(ctx, oneEvent(e.clock.Now())); err != nil {
		t.Fatalf("push after expiry: %v", err)
	}
	if n := e.sim.TokensMinted(); n != 2 {
		t.Fatalf("after expiry minted %d, want 2", n)
	}
	if got := e.sim.EventRequests() - before; got != 1 {
		t.Fatalf("push after expiry took %d requests, want 1", got)
	}

	// Revoked mid-run: the 401 drops the token, a new one is minted and the
	// same push succeeds.
	e.sim.RevokeTokens()
	before = e.sim.EventRequests()
	if err := c.Push(ctx, oneEvent(e.clock.Now())); err != nil {
		t.Fatalf("push after revoke: %v", err)
	}
	if n := e.sim.TokensMinted(); n != 3 {
		t.Fatalf("after revoke minted %d, want 3", n)
	}
	if got := e.sim.EventRequests() - before; got != 2 {
		t.Fatalf("push after revoke took %d requests, want 2 (401, then 202)", got)
	}

	pushed := e.sim.Pushed()
	if len(pushed) != 5 {
		t.Fatalf("sim recorded %d subjects, want 5", len(pushed))
	}
	p := pushed[0]
	if p.Auth != "OAuth" || p.ClientID != oktasim.DefaultClientID || p.IP != "203.0.113.9" || p.Level != "HIGH" ||
		p.Message != "credential stuffing" || !p.Timestamp.Equal(t0) || !p.ExpiresAt.Equal(t0.Add(time.Hour)) || !p.InAttackNet {
		t.Fatalf("recorded %+v", p)
	}
	if len(e.sleeps.All()) != 0 {
		t.Fatalf("slept %v with a budget of 30", e.sleeps.All())
	}
}

func TestPushSSWS(t *testing.T) {
	e := newEnv(t, nil)
	c := e.sswsClient(t, nil)
	events := []RiskEvent{
		{Timestamp: t0, Subjects: []RiskSubject{{IP: "198.51.100.4", RiskLevel: Medium}, {IP: "2001:db8::7", RiskLevel: Low, Message: "none"}}},
		{Timestamp: t0, ExpiresAt: t0.Add(2 * time.Hour), Subjects: []RiskSubject{{IP: "203.0.113.50", RiskLevel: High}}},
	}
	if err := c.Push(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	pushed := e.sim.Pushed()
	if len(pushed) != 3 || e.sim.TokensMinted() != 0 {
		t.Fatalf("pushed %d, minted %d", len(pushed), e.sim.TokensMinted())
	}
	for _, p := range pushed {
		if p.Auth != "SSWS" || p.ClientID != "" {
			t.Fatalf("recorded %+v", p)
		}
	}
	if !pushed[0].ExpiresAt.IsZero() || !pushed[2].ExpiresAt.Equal(t0.Add(2*time.Hour)) || pushed[1].Message != "none" {
		t.Fatalf("recorded %+v", pushed)
	}
	rl, ok := c.RateLimit()
	if !ok || rl.Limit != 30 || rl.Remaining != 29 || !rl.Reset.Equal(t0.Add(time.Minute)) {
		t.Fatalf("rate limit %+v %v", rl, ok)
	}
}

// Another sender spent Okta's window; our push meets 429 E0000047, waits
// exactly until X-Rate-Limit-Reset (no Retry-After is sent) and succeeds.
func TestRateLimited429WaitsUntilReset(t *testing.T) {
	e := newEnv(t, func(o *oktasim.Options) { o.RateLimit = 3 })
	other := e.sswsClient(t, nil)
	for i := 0; i < 3; i++ {
		if err := other.Push(context.Background(), oneEvent(t0)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(15 * time.Second)
	c := e.oauthClient(t, nil)
	if err := c.Push(context.Background(), oneEvent(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if w := e.sleeps.All(); !slices.Equal(w, []time.Duration{45 * time.Second}) {
		t.Fatalf("waits %v, want [45s] (reset at t0+60s, now t0+15s)", w)
	}
	if e.sim.Accepted() != 4 || e.sim.EventRequests() != 5 {
		t.Fatalf("accepted %d of %d requests", e.sim.Accepted(), e.sim.EventRequests())
	}
}

func TestThrottleFaultHonoursRetryAfter(t *testing.T) {
	e := newEnv(t, nil)
	c := e.sswsClient(t, nil)
	e.sim.Faults().Set(faults429(7 * time.Second))
	if err := c.Push(context.Background(), oneEvent(t0)); err != nil {
		t.Fatal(err)
	}
	if w := e.sleeps.All(); !slices.Equal(w, []time.Duration{7 * time.Second}) {
		t.Fatalf("waits %v, want [7s]", w)
	}
	if len(e.sim.Pushed()) != 1 {
		t.Fatal("not recorded")
	}

	// Without Retry-After, the wait comes from X-Rate-Limit-Reset.
	e.sim.Faults().Set(faults429(0))
	if err := c.Push(context.Background(), oneEvent(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if w := e.sleeps.All(); len(w) != 2 || w[1] != time.Minute {
		t.Fatalf("waits %v, want the second to be 1m from the reset header", w)
	}
}

func TestBudget(t *testing.T) {
	e := newEnv(t, nil)
	c := e.sswsClient(t, nil) // the guide's 3 a minute
	ctx := context.Background()
	if n := c.Available(); n != 3 {
		t.Fatalf("available %d, want 3", n)
	}
	for i := 0; i < 3; i++ {
		if err := c.Push(ctx, oneEvent(e.clock.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Available(); n != 0 {
		t.Fatalf("available after 3 pushes: %d", n)
	}
	if len(e.sleeps.All()) != 0 {
		t.Fatalf("slept within the burst: %v", e.sleeps.All())
	}
	// The fourth waits for one slot: a minute / 3.
	if err := c.Push(ctx, oneEvent(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if w := e.sleeps.All(); !slices.Equal(w, []time.Duration{20 * time.Second}) {
		t.Fatalf("waits %v, want [20s]", w)
	}

	// A deadline the budget cannot meet fails at once, and nothing is sent.
	sent := e.sim.EventRequests()
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := c.Push(dctx, oneEvent(e.clock.Now()))
	var be *BudgetError
	if !errors.As(err, &be) || be.RetryIn != 20*time.Second || be.PerMinute != 3 || !strings.Contains(be.Error(), "3 requests a minute is spent") {
		t.Fatalf("err %v, want a *BudgetError with RetryIn 20s", err)
	}
	if e.sim.EventRequests() != sent || len(e.sleeps.All()) != 1 {
		t.Fatalf("a budget failure sent %d requests / slept %v", e.sim.EventRequests()-sent, e.sleeps.All())
	}

	// A canceled context ends the wait with its own error.
	cctx, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := c.Push(cctx, oneEvent(e.clock.Now())); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	if e.sim.EventRequests() != sent {
		t.Fatal("a canceled push was sent")
	}
}

// When Okta's own window is spent (X-Rate-Limit-Remaining 0), the budget
// waits for its reset rather than spending a request on a 429.
func TestBudgetHonoursServerRemaining(t *testing.T) {
	e := newEnv(t, func(o *oktasim.Options) { o.RateLimit = 2 })
	c := e.sswsClient(t, func(cfg *Config) { cfg.RequestsPerMinute = 30 })
	for i := 0; i < 2; i++ {
		if err := c.Push(context.Background(), oneEvent(t0)); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Available(); n != 0 {
		t.Fatalf("available %d though Okta says 0 remain", n)
	}
	e.clock.Advance(10 * time.Second)
	if err := c.Push(context.Background(), oneEvent(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if w := e.sleeps.All(); !slices.Equal(w, []time.Duration{50 * time.Second}) {
		t.Fatalf("waits %v, want [50s]", w)
	}
	if e.sim.EventRequests() != 3 || e.sim.Accepted() != 3 {
		t.Fatalf("%d requests, %d accepted: a 429 was spent", e.sim.EventRequests(), e.sim.Accepted())
	}
}

func TestMessageSpaceFallback(t *testing.T) {
	e := newEnv(t, func(o *oktasim.Options) { o.StrictMessage = true })
	c := e.oauthClient(t, nil)
	msg := "Detected Attack tooling and suspicious activity"
	events := oneEvent(t0, RiskSubject{IP: "203.0.113.7", RiskLevel: High, Message: msg}, RiskSubject{IP: "203.0.113.8", RiskLevel: Low})
	if err := c.Push(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if e.sim.EventRequests() != 2 || !c.SpacesRefused() {
		t.Fatalf("%d requests, SpacesRefused %v; want 2 and true", e.sim.EventRequests(), c.SpacesRefused())
	}
	if got := e.sim.Pushed()[0].Message; got != "Detected_Attack_tooling_and_suspicious_activity" {
		t.Fatalf("message sent as %q", got)
	}
	if events[0].Subjects[0].Message != msg {
		t.Fatal("Push changed the caller's events")
	}
	// Remembered: the next push goes with underscores at once.
	if err := c.Push(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if e.sim.EventRequests() != 3 {
		t.Fatalf("second push took %d requests", e.sim.EventRequests()-2)
	}

	// A lenient org keeps the spaces.
	e2 := newEnv(t, nil)
	c2 := e2.sswsClient(t, nil)
	if err := c2.Push(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if got := e2.sim.Pushed()[0].Message; got != msg || e2.sim.EventRequests() != 1 || c2.SpacesRefused() {
		t.Fatalf("lenient org: %q after %d requests", got, e2.sim.EventRequests())
	}
}

func TestBlamesMessage(t *testing.T) {
	wrap := func(ae *APIError) error {
		return &httpx.Error{Vendor: "okta", Op: "POST " + eventsPath, Kind: httpx.KindStatus, Status: ae.Status, Err: ae}
	}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"cause names message", wrap(&APIError{Status: 400, Code: CodeValidation, Causes: []string{"riskEvents[0].subjects[0].message: may contain only …"}}), true},
		{"summary names message", wrap(&APIError{Status: 400, Code: CodeValidation, Summary: "Api validation failed: message"}), true},
		{"other field", wrap(&APIError{Status: 400, Code: CodeValidation, Causes: []string{"riskEvents[0].subjects[0].ip: invalid"}}), false},
		{"not a 400", wrap(&APIError{Status: 403, Summary: "message"}), false},
		{"not an API error", errors.New("message"), false},
	}
	for _, tc := range cases {
		if got := blamesMessage(tc.err); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	// No spaces, nothing to fall back to: the 400 is returned after one try.
	if hasSpaces([]RiskEvent{{Subjects: []RiskSubject{{Message: "a_b"}}}}) {
		t.Error("hasSpaces on a_b")
	}
}

func TestProvidersAndAttribution(t *testing.T) {
	e := newEnv(t, func(o *oktasim.Options) { o.ProviderAction = "log_only" })
	c := e.oauthClient(t, nil)
	ps, err := c.Providers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("%d providers", len(ps))
	}
	def := ps[0]
	if def.Name != "Default " || def.ClientID != "null" || def.Action != ActionLogOnly || !strings.HasPrefix(def.ID, "rkp") ||
		def.Created.IsZero() || def.LastUpdated.IsZero() {
		t.Fatalf("default provider %+v", def)
	}
	if ps[1].Name != "risktop" || ps[1].ClientID != oktasim.DefaultClientID {
		t.Fatalf("risktop provider %+v", ps[1])
	}
	a, err := c.CheckProvider(context.Background())
	if err != nil || a.State != LogOnly || a.Provider == nil || a.Provider.ID != ps[1].ID || !strings.Contains(a.Detail, "enforce_and_log") {
		t.Fatalf("attribution %+v, %v", a, err)
	}
	// Providers need their own scope, so their token is a second one; a
	// push then mints the events token.
	if e.sim.TokensMinted() != 1 {
		t.Fatalf("minted %d", e.sim.TokensMinted())
	}
	if err := c.Push(context.Background(), oneEvent(t0)); err != nil {
		t.Fatal(err)
	}
	if e.sim.TokensMinted() != 2 {
		t.Fatalf("minted %d after a push, want a separate events token", e.sim.TokensMinted())
	}

	enforced := newEnv(t, nil)
	a, err = enforced.oauthClient(t, nil).CheckProvider(context.Background())
	if err != nil || a.State != Enforced || !a.OK() {
		t.Fatalf("enforced: %+v %v", a, err)
	}
	unreg := newEnv(t, func(o *oktasim.Options) { o.Unregistered = true })
	a, err = unreg.sswsClient(t, nil).CheckProvider(context.Background())
	if err != nil || a.State != NoClientID {
		t.Fatalf("ssws: %+v %v", a, err)
	}
	a, err = unreg.oauthClient(t, nil).CheckProvider(context.Background())
	if err != nil || a.State != NotRegistered || !strings.Contains(a.Detail, "Default") {
		t.Fatalf("unregistered: %+v %v", a, err)
	}
}

func faults429(retryAfter time.Duration) simkit.Faults {
	return simkit.Faults{Throttle: 1, RetryAfter: retryAfter}
}
