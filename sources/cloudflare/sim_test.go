package cloudflare_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sanitize/hostile"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

const basePath = "/cloudflare/client/v4"

// rig is the simulator on loopback with a manual clock.
type rig struct {
	t     *testing.T
	clock *simkit.ManualClock
	world *simkit.World
	sim   *cfsim.Server
	url   string
	sl    *sleeps
}

func newRig(t *testing.T, opts cfsim.Options) *rig {
	t.Helper()
	clock := simkit.NewManualClock(t0)
	world := simkit.NewWorld(simkit.Options{Seed: 7, Clock: clock, Scenario: true})
	opts.BasePath = basePath
	sim := cfsim.New(world, opts)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return &rig{t: t, clock: clock, world: world, sim: sim, url: srv.URL + basePath, sl: &sleeps{}}
}

// client is a client with the given token; the Sleep recorder means no
// test ever really waits, and Now follows the simulator's clock.
func (r *rig) client(token string, mod ...func(*cloudflare.Config)) *cloudflare.Client {
	r.t.Helper()
	cfg := cloudflare.Config{
		BaseURL:   r.url,
		AccountID: r.sim.AccountID(),
		APIToken:  secret.New(token),
		HTTP:      httpx.Options{Sleep: r.sl.Sleep, Now: r.clock.Now, Timeout: 10 * time.Second},
	}
	for _, m := range mod {
		m(&cfg)
	}
	cl, err := cloudflare.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return cl
}

func (r *rig) requests() int64 { return r.sim.Faults().Requests() }

// person finds the World person behind an Access user id.
func (r *rig) person(userID string) simkit.Person {
	for _, p := range r.world.People() {
		if p.CloudflareID == userID {
			return p
		}
	}
	r.t.Fatalf("no person with id %s", userID)
	return simkit.Person{}
}

var ctx = context.Background()

func TestSummaryAgainstSimulator(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	sum, err := cl.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := r.sim.RiskyUsers()
	if len(want) < 10 {
		t.Fatalf("the simulator has only %d risky users; the scenario should give more", len(want))
	}
	var got []string
	levels := map[cloudflare.Level]int{}
	for _, u := range sum.Users {
		got = append(got, u.UserID)
		level, count, ok := r.sim.UserLevel(u.UserID)
		p := r.person(u.UserID)
		if !ok || string(u.MaxRiskLevel) != level || u.EventCount != count || u.Email != p.Email || u.Name != p.Name() {
			t.Errorf("row %+v; simulator says %s/%d, person %s %q", u, level, count, p.Email, p.Name())
		}
		events := r.sim.UserEvents(u.UserID)
		if last := events[len(events)-1].At; !u.LastEvent.Equal(last) {
			t.Errorf("%s last_event %v, newest event %v", u.UserID, u.LastEvent, last)
		}
		levels[u.MaxRiskLevel]++
	}
	if !slices.Equal(got, want) || sum.TotalCount != len(want) || sum.Incomplete || len(sum.Notes) != 0 {
		t.Fatalf("summary %d users (total %d, notes %q), simulator %d", len(got), sum.TotalCount, sum.Notes, len(want))
	}
	if levels[cloudflare.LevelHigh] == 0 || levels[cloudflare.LevelHigh]+levels[cloudflare.LevelMedium]+levels[cloudflare.LevelLow] != len(got) {
		t.Errorf("levels %v", levels)
	}
	if rl, ok := cl.RateLimit(); !ok || rl.Limit != 1200 || rl.Remaining != 1199 || !rl.Reset.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("rate limit after one call: %+v %v", rl, ok)
	}
}

func TestSummaryPagingAcrossPages(t *testing.T) {
	r := newRig(t, cfsim.Options{SummaryPageSize: 7})
	cl := r.client(cfsim.DefaultToken)
	before := r.requests()
	sum, err := cl.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := r.sim.RiskyUsers()
	pages := (len(want) + 6) / 7
	if pages < 3 {
		t.Fatalf("only %d pages; the test needs several", pages)
	}
	var got []string
	for _, u := range sum.Users {
		got = append(got, u.UserID)
	}
	if !slices.Equal(got, want) || sum.Incomplete || len(sum.Notes) != 0 {
		t.Fatalf("paged summary: %d users, want %d (notes %q)", len(got), len(want), sum.Notes)
	}
	if n := r.requests() - before; n != int64(pages) {
		t.Fatalf("%d requests for %d pages", n, pages)
	}
}

func TestSummaryEndpointIgnoringPagingIsANote(t *testing.T) {
	r := newRig(t, cfsim.Options{SummaryPageSize: 7, SummaryIgnoresPage: true})
	cl := r.client(cfsim.DefaultToken)
	before := r.requests()
	sum, err := cl.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := r.sim.RiskyUsers()
	if len(sum.Users) != 7 || sum.TotalCount != len(all) || !sum.Incomplete || r.requests()-before != 2 {
		t.Fatalf("%d users of %d, incomplete %v, %d requests", len(sum.Users), sum.TotalCount, sum.Incomplete, r.requests()-before)
	}
	notes := strings.Join(sum.Notes, "\n")
	if !strings.Contains(notes, "ignored page=2") || !strings.Contains(notes, "but 7 users came back") {
		t.Fatalf("notes %q", notes)
	}
}

func TestUserDetailAgainstSimulator(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	id := r.sim.RiskyUsers()[0]
	u, err := cl.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	p := r.person(id)
	level, _, _ := r.sim.UserLevel(id)
	events := r.sim.UserEvents(id)
	if u.Email != p.Email || u.Name != p.Name() || string(u.RiskLevel) != level || u.LastResetTime != nil || len(u.Events) != len(events) {
		t.Fatalf("user %+v; want %s %q %s, %d events", u, p.Email, p.Name(), level, len(events))
	}
	for i, e := range u.Events {
		want := events[len(events)-1-i] // newest first
		if e.ID != want.ID || e.Name != want.Name || string(e.RiskLevel) != want.Level || !e.Timestamp.Equal(want.At) {
			t.Errorf("event %d %+v, want %+v", i, e, want)
		}
		raw, _ := json.Marshal(want.Details)
		flat, _ := cloudflare.FlattenDetails(raw)
		if len(e.Details) == 0 || !slices.Equal(e.Details, flat) {
			t.Errorf("event %d details %v, want %v", i, e.Details, flat)
		}
	}
}

func TestResetEndToEnd(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	sum, err := cl.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := sum.Users[0].UserID
	before, err := cl.User(ctx, id)
	if err != nil || len(before.Events) == 0 || before.LastResetTime != nil || before.RiskLevel == "" {
		t.Fatalf("before reset: %+v %v", before, err)
	}
	r.clock.Advance(time.Second)
	resetAt := r.clock.Now()
	if err := cl.Reset(ctx, id); err != nil {
		t.Fatal(err)
	}
	after, err := cl.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range after.Users {
		if u.UserID == id {
			t.Fatalf("reset user still in the summary: %+v", u)
		}
	}
	if len(after.Users) != len(sum.Users)-1 {
		t.Fatalf("summary went from %d to %d users", len(sum.Users), len(after.Users))
	}
	detail, err := cl.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if detail.LastResetTime == nil || !detail.LastResetTime.Equal(resetAt) || len(detail.Events) != 0 || detail.RiskLevel != "" {
		t.Fatalf("after reset: %+v", detail)
	}
	resets := r.sim.Resets()
	if len(resets) != 1 || resets[0].UserID != id || !resets[0].At.Equal(resetAt) || resets[0].Events != sum.Users[0].EventCount {
		t.Fatalf("simulator resets %+v", resets)
	}

	// The user comes back exactly when the World gives them a new signal.
	p := r.person(id)
	for step := 0; step < 12; step++ {
		r.clock.Advance(10 * time.Minute)
		var signals int
		for _, a := range r.world.Between(resetAt, r.clock.Now().Add(time.Nanosecond)) {
			if a.Person == p.Index && r.sim.BehaviorFor(a.Signal) != "" {
				signals++
			}
		}
		now, err := cl.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(now.Events) != signals {
			t.Fatalf("at +%dm: %d events, the World gave %d signals since the reset", (step+1)*10, len(now.Events), signals)
		}
		if !now.LastResetTime.Equal(resetAt) {
			t.Fatalf("last_reset_time moved to %v", now.LastResetTime)
		}
	}
}

func TestBehaviorsReadModifyWrite(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	got, err := cl.Behaviors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	simB := r.sim.Behaviors()
	if len(got) != len(simB) || len(got) < 3 {
		t.Fatalf("%d behaviors, simulator has %d", len(got), len(simB))
	}
	for i, b := range got {
		s := simB[i]
		if b.Key != s.Key || b.Name != s.Name || b.Description != s.Description || b.Enabled != s.Enabled || string(b.RiskLevel) != s.Level {
			t.Errorf("behavior %+v, simulator %+v", b, s)
		}
	}

	before := r.requests()
	out, err := cl.UpdateBehaviors(ctx, map[string]cloudflare.BehaviorChange{
		"high_dlp":   {Enabled: new(false)},
		"imp_travel": {RiskLevel: cloudflare.LevelMedium},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.requests()-before != 2 {
		t.Fatalf("read-modify-write took %d requests", r.requests()-before)
	}
	after := r.sim.Behaviors()
	for i, s := range after {
		old := simB[i]
		want := old
		switch s.Key {
		case "high_dlp":
			want.Enabled = false
		case "imp_travel":
			want.Level = "medium"
		}
		if s != want {
			t.Errorf("after update %+v, want %+v", s, want)
		}
		if o := out[s.Key]; o.Enabled != s.Enabled || string(o.RiskLevel) != s.Level {
			t.Errorf("PUT answer for %s: %+v", s.Key, o)
		}
	}
	if len(out) != len(after) {
		t.Errorf("PUT answer has %d keys, want %d", len(out), len(after))
	}

	// The simulator, like the real API (per Terraform), refuses a partial map.
	_, err = cl.PutBehaviors(ctx, map[string]cloudflare.BehaviorSetting{"imp_travel": {Enabled: true, RiskLevel: cloudflare.LevelHigh}})
	var apiErr *cloudflare.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || !strings.Contains(err.Error(), "missing: crowdstrike_low_zta") ||
		!strings.Contains(err.Error(), "high_dlp") {
		t.Fatalf("partial PUT: %v", err)
	}
	if s := r.sim.Behaviors(); !slices.Equal(s, after) {
		t.Fatal("a rejected PUT changed the behaviors")
	}

	// Bad levels and unknown keys never leave the client.
	before = r.requests()
	if _, err := cl.PutBehaviors(ctx, map[string]cloudflare.BehaviorSetting{"imp_travel": {Enabled: true, RiskLevel: "critical"}}); err == nil {
		t.Fatal("PUT with level critical accepted")
	}
	if _, err := cl.UpdateBehaviors(ctx, map[string]cloudflare.BehaviorChange{"imp_travel": {RiskLevel: "High"}}); err == nil {
		t.Fatal("change to level High accepted")
	}
	if r.requests() != before {
		t.Fatal("an invalid level was sent")
	}
	_, err = cl.UpdateBehaviors(ctx, map[string]cloudflare.BehaviorChange{"no_such_behavior": {Enabled: new(true)}})
	if err == nil || !strings.Contains(err.Error(), "no behavior no_such_behavior") || !strings.Contains(err.Error(), "imp_travel") {
		t.Fatalf("unknown key: %v", err)
	}
	if r.requests()-before != 1 {
		t.Fatalf("unknown key cost %d requests; want only the read", r.requests()-before)
	}
}

func TestIntegrationsCRUD(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	list, err := cl.Integrations(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("fresh list %v %v", list, err)
	}
	const ref = "0e8c5e4b-1f2a-4b3c-8d9e-0f1a2b3c4d5e"
	created, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://tenant.okta.com", ReferenceID: ref})
	if err != nil {
		t.Fatal(err)
	}
	if len(created.ID) != 36 || created.AccountTag != r.sim.AccountID() || !created.Active || !created.CreatedAt.Equal(t0) ||
		created.IntegrationType != "Okta" || created.ReferenceID != ref || created.TenantURL != "https://tenant.okta.com" ||
		created.WellKnownURL != "/.well-known/sse-configuration/"+created.ID+"/" {
		t.Fatalf("created %+v", created)
	}
	got, err := cl.Integration(ctx, created.ID)
	if err != nil || !equalIntegration(*got, *created) {
		t.Fatalf("get %+v %v", got, err)
	}
	byRef, err := cl.IntegrationByReference(ctx, ref)
	if err != nil || !equalIntegration(*byRef, *created) {
		t.Fatalf("by reference %+v %v", byRef, err)
	}
	second, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://other.okta.com"})
	if err != nil {
		t.Fatal(err)
	}
	list, err = cl.Integrations(ctx)
	if err != nil || len(list) != 2 || list[0].ID != created.ID || list[1].ID != second.ID {
		t.Fatalf("list %+v %v", list, err)
	}

	updated, err := cl.UpdateIntegration(ctx, created.ID, cloudflare.IntegrationUpdate{Active: false, TenantURL: "https://new.okta.com", ReferenceID: "ref-2"})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Active || updated.TenantURL != "https://new.okta.com" || updated.ReferenceID != "ref-2" || updated.ID != created.ID {
		t.Fatalf("updated %+v", updated)
	}
	if s := r.sim.Integrations(); s[0].Active || s[0].TenantURL != "https://new.okta.com" || s[0].ReferenceID != "ref-2" {
		t.Fatalf("simulator after update %+v", s[0])
	}
	if _, err := cl.IntegrationByReference(ctx, ref); httpx.StatusOf(err) != 404 {
		t.Fatalf("old reference still found: %v", err)
	}

	if err := cl.DeleteIntegration(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = cl.Integration(ctx, created.ID)
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != 404 || !strings.Contains(he.Hint, "list the integrations") {
		t.Fatalf("deleted integration: %v", err)
	}
	if err := cl.DeleteIntegration(ctx, created.ID); httpx.StatusOf(err) != 404 {
		t.Fatalf("second delete: %v", err)
	}
	if s := r.sim.Integrations(); len(s) != 1 || s[0].ID != second.ID {
		t.Fatalf("simulator after delete %+v", s)
	}

	// The API knows only Okta; a duplicate reference id is refused.
	_, err = cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{IntegrationType: "Azure", TenantURL: "https://x.example"})
	var apiErr *cloudflare.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || !apiErr.Has(1000) {
		t.Fatalf("non-Okta create: %v", err)
	}
	if _, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://y.okta.com", ReferenceID: "ref-x"}); err != nil {
		t.Fatal(err)
	}
	before := r.requests()
	if _, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://z.okta.com", ReferenceID: "ref-x"}); httpx.StatusOf(err) != 409 {
		t.Fatalf("duplicate reference: %v", err)
	}
	if _, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "tenant.okta.com"}); err == nil {
		t.Fatal("relative tenant URL accepted")
	}
	if r.requests()-before != 1 {
		t.Fatal("a relative tenant URL was sent")
	}
}

func equalIntegration(a, b cloudflare.Integration) bool {
	return a.ID == b.ID && a.AccountTag == b.AccountTag && a.Active == b.Active && a.CreatedAt.Equal(b.CreatedAt) &&
		a.IntegrationType == b.IntegrationType && a.ReferenceID == b.ReferenceID && a.TenantURL == b.TenantURL &&
		a.WellKnownURL == b.WellKnownURL
}

func TestPathIDsAreEscaped(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	// Unescaped, "x/reset" would reach the reset route (and get 405 for a
	// GET); escaped, it is one unknown user id.
	_, err := cl.User(ctx, "x/reset")
	var apiErr *cloudflare.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || !strings.Contains(err.Error(), "User not found") {
		t.Fatalf("user x/reset: %v", err)
	}
	if _, err := cl.IntegrationByReference(ctx, "a/b?c#d"); httpx.StatusOf(err) != 404 {
		t.Fatalf("reference a/b?c#d: %v", err)
	}
	before := r.requests()
	for _, bad := range []string{"", ".", ".."} {
		if err := cl.Reset(ctx, bad); err == nil {
			t.Errorf("reset %q accepted", bad)
		}
		if _, err := cl.Integration(ctx, bad); err == nil {
			t.Errorf("integration %q accepted", bad)
		}
	}
	if r.requests() != before {
		t.Fatal("an invalid id was sent")
	}
}

// TestErrorBodies covers each error the API (and the simulator) answers
// with: the typed error, the status, Cloudflare's code in the text and the
// hint a person can act on.
func TestErrorBodies(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	id := r.sim.RiskyUsers()[0]
	full, noPII, noWrite := r.client(cfsim.DefaultToken), r.client(cfsim.DefaultTokenNoPII), r.client(cfsim.DefaultTokenNoWrite)
	wrongAccount := r.client(cfsim.DefaultToken, func(c *cloudflare.Config) { c.AccountID = "00000000000000000000000000000000" })
	badAccount := r.client(cfsim.DefaultToken, func(c *cloudflare.Config) { c.AccountID = "not-an-account" })
	stranger := r.client("some-other-token")
	cases := []struct {
		name   string
		call   func() error
		status int
		code   int
		hint   string
	}{
		{"user detail without PII Read", func() error { _, err := noPII.User(ctx, id); return err }, 403, 10000, "lacks 'Zero Trust: PII Read'"},
		{"reset without Write", func() error { return noWrite.Reset(ctx, id) }, 403, 10000, "lacks 'Zero Trust Write'"},
		{"behaviors PUT without Write", func() error {
			_, err := noWrite.UpdateBehaviors(ctx, map[string]cloudflare.BehaviorChange{"imp_travel": {Enabled: new(true)}})
			return err
		}, 403, 10000, "lacks 'Zero Trust Write'"},
		{"integration create without Write", func() error {
			_, err := noWrite.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://t.okta.com"})
			return err
		}, 403, 10000, "lacks 'Zero Trust Write'"},
		{"another account", func() error { _, err := wrongAccount.Summary(ctx); return err }, 403, 10000, "Enterprise-only"},
		{"malformed account", func() error { _, err := badAccount.Summary(ctx); return err }, 404, 7003, "check Config.AccountID"},
		{"unknown token", func() error { _, err := stranger.Summary(ctx); return err }, 401, 10000, "invalid, expired or revoked"},
		{"unknown user", func() error { _, err := full.User(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff"); return err }, 404, 1004, "from the summary"},
		{"reset unknown user", func() error { return full.Reset(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff") }, 404, 1004, "from the summary"},
		{"unknown integration", func() error { _, err := full.Integration(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff"); return err }, 404, 1004, "list the integrations"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := r.requests()
			err := c.call()
			var he *httpx.Error
			var apiErr *cloudflare.APIError
			if !errors.As(err, &he) || !errors.As(err, &apiErr) {
				t.Fatalf("%T %v", err, err)
			}
			if he.Status != c.status || apiErr.Status != c.status || !apiErr.Has(c.code) || he.Kind != httpx.KindStatus {
				t.Fatalf("status %d code %v, want %d/%d: %v", he.Status, apiErr.Errors, c.status, c.code, err)
			}
			if !strings.Contains(he.Hint, c.hint) || !strings.Contains(err.Error(), c.hint) {
				t.Fatalf("hint %q, want %q", he.Hint, c.hint)
			}
			if !strings.Contains(err.Error(), "error ") || !sanitize.Valid(err.Error()) {
				t.Fatalf("error text %q", err)
			}
			// The restricted-token cases read first for UpdateBehaviors.
			if n := r.requests() - before; n > 2 {
				t.Fatalf("%d requests: a client error was retried", n)
			}
		})
	}
	// The restricted tokens still read what they may.
	if _, err := noPII.Summary(ctx); err != nil {
		t.Errorf("summary without PII Read: %v", err)
	}
	if _, err := noWrite.User(ctx, id); err != nil {
		t.Errorf("user detail without Write: %v", err)
	}
	if _, err := noPII.Behaviors(ctx); err != nil {
		t.Errorf("behaviors without PII Read: %v", err)
	}
	if err := noPII.Reset(ctx, id); err != nil {
		t.Errorf("reset without PII Read: %v", err)
	}
}

func TestRevokedTokenIsFinal(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	if _, err := cl.Summary(ctx); err != nil {
		t.Fatal(err)
	}
	r.sim.RevokeTokens()
	before := r.requests()
	_, err := cl.Summary(ctx)
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != 401 || !strings.Contains(he.Hint, "invalid, expired or revoked") {
		t.Fatalf("after revocation: %v", err)
	}
	// An API token is static: there is nothing to mint, so no second try.
	if n := r.requests() - before; n != 1 || he.Attempts != 1 {
		t.Fatalf("%d requests, %d attempts", n, he.Attempts)
	}
	if len(r.sl.All()) != 0 {
		t.Fatalf("slept %v", r.sl.All())
	}
}

func TestThrottledThenSuccess(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	r.sim.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 3 * time.Second})
	before := r.requests()
	sum, err := cl.Summary(ctx)
	if err != nil || len(sum.Users) == 0 {
		t.Fatalf("%v %v", sum, err)
	}
	if w := r.sl.All(); len(w) != 1 || w[0] != 3*time.Second {
		t.Fatalf("waits %v, want [3s]", w)
	}
	if r.requests()-before != 2 {
		t.Fatalf("%d requests", r.requests()-before)
	}
}

func TestServiceUnavailableRetriedWithBackoff(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	r.sim.Faults().Set(simkit.Faults{FailNext: 2})
	if _, err := cl.Behaviors(ctx); err != nil {
		t.Fatal(err)
	}
	if w := r.sl.All(); len(w) != 2 || w[0] <= 0 || w[1] <= 0 {
		t.Fatalf("waits %v", w)
	}
	// Creating is not retried: a lost answer could mean a duplicate.
	r.sim.Faults().Set(simkit.Faults{FailNext: 1})
	_, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://t.okta.com"})
	var apiErr *cloudflare.APIError
	if httpx.StatusOf(err) != 503 || !errors.As(err, &apiErr) || len(r.sim.Integrations()) != 0 {
		t.Fatalf("create under 503: %v", err)
	}
}

// TestRateLimitBlockIsReturnedNotSlept runs the simulator's real limit:
// once the budget is spent Cloudflare blocks every call for 5 minutes,
// which the client hands back to the poller instead of sleeping through.
func TestRateLimitBlockIsReturnedNotSlept(t *testing.T) {
	r := newRig(t, cfsim.Options{RateLimit: 3})
	cl := r.client(cfsim.DefaultToken)
	for i := range 3 {
		if _, err := cl.Behaviors(ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if rl, _ := cl.RateLimit(); rl.Remaining != 0 || rl.Limit != 3 {
		t.Fatalf("rate limit %+v", rl)
	}
	before := r.requests()
	_, err := cl.Summary(ctx)
	var he *httpx.Error
	var apiErr *cloudflare.APIError
	if !errors.As(err, &he) || he.Kind != httpx.KindRateLimited || he.RetryAfter != 5*time.Minute ||
		!errors.As(err, &apiErr) || !apiErr.Has(cloudflare.CodeRateLimited) {
		t.Fatalf("over the limit: %v", err)
	}
	if !strings.Contains(he.Hint, "1,200 requests / 5 min") || !strings.Contains(he.Hint, "ALL calls") {
		t.Fatalf("hint %q", he.Hint)
	}
	if w := r.sl.All(); len(w) != 0 || r.requests()-before != 1 {
		t.Fatalf("slept %v over %d requests; a 5-minute block must be returned", w, r.requests()-before)
	}
	// Every endpoint is blocked, whatever it is, until the block ends.
	r.clock.Advance(4*time.Minute + 59*time.Second)
	if _, err := cl.User(ctx, r.sim.RiskyUsers()[0]); httpx.StatusOf(err) != 429 || httpx.RetryAfterOf(err) != time.Second {
		t.Fatalf("user detail during the block: %v", err)
	}
	r.clock.Advance(time.Second)
	if _, err := cl.Integrations(ctx); err != nil {
		t.Fatalf("after the block: %v", err)
	}
	if rl, _ := cl.RateLimit(); rl.Remaining != 2 || !rl.Reset.Equal(r.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("fresh window %+v", rl)
	}
}

func TestMalformedTruncatedAndOversizeBodies(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	small := r.client(cfsim.DefaultToken, func(c *cloudflare.Config) { c.HTTP.MaxBody = 4096 })
	cases := []struct {
		name   string
		faults simkit.Faults
		cl     *cloudflare.Client
		kind   httpx.Kind
		want   string
	}{
		{"malformed", simkit.Faults{Malformed: true}, cl, httpx.KindDecode, "invalid JSON"},
		{"truncated", simkit.Faults{Truncate: true}, cl, httpx.KindDecode, "truncated"},
		{"oversize", simkit.Faults{Oversize: 1 << 20}, small, httpx.KindTooLarge, "size cap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r.sim.Faults().Set(c.faults)
			defer r.sim.Faults().Set(simkit.Faults{})
			calls := map[string]func() error{
				"summary":      func() error { _, err := c.cl.Summary(ctx); return err },
				"user":         func() error { _, err := c.cl.User(ctx, r.sim.RiskyUsers()[0]); return err },
				"behaviors":    func() error { _, err := c.cl.Behaviors(ctx); return err },
				"integrations": func() error { _, err := c.cl.Integrations(ctx); return err },
			}
			for name, call := range calls {
				err := call()
				if httpx.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: kind %v: %v", name, httpx.KindOf(err), err)
				}
			}
		})
	}
}

// readable checks a returned string is clean and still shows clean. The
// corpus's 100,000-character entry pushes the text past the cap; then the
// value must at least be cut rather than passed whole.
func readable(t *testing.T, what, got, clean string) {
	t.Helper()
	if !sanitize.Valid(got) {
		t.Errorf("%s: %q is not clean", what, got)
	}
	if strings.Contains(got, clean) {
		return
	}
	// (an error holds the cut value inside its text, so not at the end)
	if strings.HasPrefix(simkit.HostileText(clean), strings.Repeat("A", 1000)) && strings.Contains(got, sanitize.Ellipsis) {
		return
	}
	t.Errorf("%s: %q lost its text %q", what, got, clean)
}

func TestHostileTextIsSanitizedEverywhere(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	cleanInt, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://tenant.okta.com", ReferenceID: "ref-1"})
	if err != nil {
		t.Fatal(err)
	}
	r.sim.Faults().Set(simkit.Faults{Hostile: true})
	changed := 0
	note := func(got, clean string) {
		if got != clean {
			changed++
		}
	}

	sum, err := cl.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range sum.Users {
		p := r.person(u.UserID)
		readable(t, "summary name", u.Name, p.Name())
		note(u.Name, p.Name())
		if u.Email != p.Email {
			t.Errorf("email %q changed from %q", u.Email, p.Email)
		}
	}
	for _, id := range r.sim.RiskyUsers()[:5] {
		u, err := cl.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		readable(t, "user name", u.Name, r.person(id).Name())
		events := r.sim.UserEvents(id)
		for i, e := range u.Events {
			want := events[len(events)-1-i]
			readable(t, "event name", e.Name, want.Name)
			note(e.Name, want.Name)
			raw, _ := json.Marshal(want.Details)
			flat, _ := cloudflare.FlattenDetails(raw)
			if len(flat) != len(e.Details) {
				t.Fatalf("details %v vs %v", e.Details, flat)
			}
			for j, d := range e.Details {
				if d.Key != flat[j].Key {
					t.Fatalf("detail key %q, want %q", d.Key, flat[j].Key)
				}
				readable(t, "detail "+d.Key, d.Value, flat[j].Value)
				note(d.Value, flat[j].Value)
			}
		}
	}
	bs, err := cl.Behaviors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bs {
		s := r.sim.Behaviors()[i]
		readable(t, "behavior name", b.Name, s.Name)
		readable(t, "behavior description", b.Description, s.Description)
		note(b.Name, s.Name)
	}
	// Read-modify-write still sends the keys back intact under hostile text.
	if _, err := cl.UpdateBehaviors(ctx, map[string]cloudflare.BehaviorChange{"high_dlp": {Enabled: new(false)}}); err != nil {
		t.Fatal(err)
	}
	in, err := cl.Integration(ctx, cleanInt.ID)
	if err != nil {
		t.Fatal(err)
	}
	readable(t, "tenant URL", in.TenantURL, "https://tenant.okta.com")
	note(in.TenantURL, "https://tenant.okta.com")
	_, err = cl.User(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff")
	if err == nil {
		t.Fatal("unknown user found")
	}
	readable(t, "error", err.Error(), "User not found")
	if changed < 10 {
		t.Fatalf("only %d fields came back altered; the hostile knob did not reach them", changed)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	r := newRig(t, cfsim.Options{RateLimit: 2})
	const wrong = "wrong-token-4f3a9c1d7e"
	tokens := []string{cfsim.DefaultToken, cfsim.DefaultTokenNoPII, cfsim.DefaultTokenNoWrite, wrong}
	var errs []error
	_, err := r.client(wrong).Summary(ctx)
	errs = append(errs, err)
	_, err = r.client(cfsim.DefaultTokenNoPII).User(ctx, r.sim.RiskyUsers()[0])
	errs = append(errs, err)
	errs = append(errs, r.client(cfsim.DefaultTokenNoWrite).Reset(ctx, r.sim.RiskyUsers()[0]))
	full := r.client(cfsim.DefaultToken)
	for range 3 {
		_, err = full.Summary(ctx)
	}
	errs = append(errs, err)
	r.sim.Faults().Set(simkit.Faults{Malformed: true})
	_, err = r.client(cfsim.DefaultTokenNoWrite).Behaviors(ctx)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d did not fail", i)
		}
		for _, tok := range tokens {
			if strings.Contains(err.Error(), tok) || strings.Contains(strings.ToLower(err.Error()), "bearer") {
				t.Fatalf("call %d error shows a credential: %v", i, err)
			}
		}
	}
}

func TestDeterministicAcrossRuns(t *testing.T) {
	run := func() []cloudflare.SummaryUser {
		r := newRig(t, cfsim.Options{})
		r.clock.Advance(30 * time.Minute)
		sum, err := r.client(cfsim.DefaultToken).Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sum.Users
	}
	a, b := run(), run()
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("two runs differ: %d vs %d users", len(a), len(b))
	}
	// And the live scenario adds users as time passes.
	r := newRig(t, cfsim.Options{})
	n0 := len(r.sim.RiskyUsers())
	r.clock.Advance(30 * time.Minute)
	if len(a) <= n0 {
		t.Fatalf("no new risky users after 30 minutes of scenario (%d → %d)", n0, len(a))
	}
	ids := make([]string, len(a))
	for i, u := range a {
		ids[i] = u.UserID
	}
	sort.Strings(ids)
	if len(slices.Compact(ids)) != len(a) {
		t.Fatal("duplicate users in the summary")
	}
}

// Every endpoint the client reads, under the hostile knob: every string in
// every result is clean (not only the fields the knob reaches), the tenant
// URLs of the list still read, and so do the errors of every kind of call.
func TestHostileEveryEndpointEveryString(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	cl := r.client(cfsim.DefaultToken)
	for i, tenant := range []string{"https://a.okta.com", "https://b.okta.com"} {
		if _, err := cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: tenant, ReferenceID: "ref-" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	r.sim.Faults().Set(simkit.Faults{Hostile: true})
	results := map[string]any{}
	must := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		results[name] = v
	}
	sum, err := cl.Summary(ctx)
	must("summary", sum, err)
	for _, id := range r.sim.RiskyUsers() {
		u, err := cl.User(ctx, id)
		must("user "+id, u, err)
	}
	bs, err := cl.Behaviors(ctx)
	must("behaviors", bs, err)
	set, err := cl.UpdateBehaviors(ctx, map[string]cloudflare.BehaviorChange{bs[0].Key: {Enabled: new(!bs[0].Enabled)}})
	must("update behaviors", set, err)
	ins, err := cl.Integrations(ctx)
	must("integrations", ins, err)
	if len(ins) != 2 {
		t.Fatalf("%d integrations", len(ins))
	}
	for _, in := range ins {
		readable(t, "listed tenant URL", in.TenantURL, map[string]string{"ref-a": "https://a.okta.com", "ref-b": "https://b.okta.com"}[in.ReferenceID])
	}
	one, err := cl.IntegrationByReference(ctx, "ref-a")
	must("integration by reference", one, err)
	up, err := cl.UpdateIntegration(ctx, ins[0].ID, cloudflare.IntegrationUpdate{Active: true, TenantURL: "https://c.okta.com"})
	must("update integration", up, err)
	readable(t, "updated tenant URL", up.TenantURL, "https://c.okta.com")
	n := 0
	for name, v := range results {
		n += hostile.AssertClean(t, name, v)
	}
	if n < 100 {
		t.Fatalf("only %d strings checked", n)
	}

	// Errors from each kind of call carry the vendor's hostile message.
	errs := map[string]error{}
	_, errs["user"] = cl.User(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff")
	_, errs["integration"] = cl.Integration(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff")
	errs["delete"] = cl.DeleteIntegration(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff")
	errs["reset"] = cl.Reset(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff")
	_, errs["summary, wrong token"] = r.client("wrong-token").Summary(ctx)
	r.sim.Faults().Set(simkit.Faults{Hostile: true, FailNext: 20})
	_, errs["behaviors, 503"] = cl.Behaviors(ctx)
	for name, err := range errs {
		if err == nil || !sanitize.Valid(err.Error()) {
			t.Errorf("%s: error %q", name, err)
		}
	}
}
