package cfsim_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/sim/simtest"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

const base = "/cf/client/v4"

type rig struct {
	t     *testing.T
	clock *simkit.ManualClock
	world *simkit.World
	sim   *cfsim.Server
	srv   *httptest.Server
}

func newRig(t *testing.T, opts cfsim.Options) *rig {
	t.Helper()
	clock := simkit.NewManualClock(t0)
	world := simkit.NewWorld(simkit.Options{Seed: 7, Clock: clock, Scenario: true})
	opts.BasePath = base + "/" // a trailing slash is tolerated
	sim := cfsim.New(world, opts)
	return &rig{t: t, clock: clock, world: world, sim: sim, srv: simtest.Serve(t, sim.Handler())}
}

type answer struct {
	simtest.Answer
	env struct {
		Success bool `json:"success"`
		Errors  []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Messages   []json.RawMessage `json:"messages"`
		Result     json.RawMessage   `json:"result"`
		ResultInfo *struct {
			Count      int `json:"count"`
			Page       int `json:"page"`
			PerPage    int `json:"per_page"`
			TotalCount int `json:"total_count"`
		} `json:"result_info"`
	}
}

func (a answer) code() int {
	if len(a.env.Errors) == 0 {
		return 0
	}
	return a.env.Errors[0].Code
}

// call sends one request; path is relative to the account's zt_risk_scoring.
func (r *rig) call(method, path, token string, body any) answer {
	r.t.Helper()
	return r.callURL(method, base+"/accounts/"+cfsim.DefaultAccountID+"/zt_risk_scoring"+path, token, body)
}

func (r *rig) callURL(method, path, token string, body any) answer {
	r.t.Helper()
	var text, auth string
	switch b := body.(type) {
	case nil:
	case string:
		text = b
	default:
		j, _ := json.Marshal(b)
		text = string(j)
	}
	if token != "" {
		auth = "Bearer " + token
	}
	a := answer{Answer: simtest.Do(r.t, method, r.srv.URL+path, text, map[string]string{"Authorization": auth})}
	if err := json.Unmarshal(a.Body, &a.env); err != nil {
		r.t.Fatalf("%s %s: body is not an envelope: %s", method, path, a.Body)
	}
	if a.env.Errors == nil || a.env.Messages == nil {
		r.t.Fatalf("%s %s: errors/messages must be lists: %s", method, path, a.Body)
	}
	if a.env.Success != (a.Status == 200) {
		r.t.Fatalf("%s %s: success %v with status %d", method, path, a.env.Success, a.Status)
	}
	return a
}

type summaryUser struct {
	UserID       string `json:"user_id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	EventCount   int    `json:"event_count"`
	LastEvent    string `json:"last_event"`
	MaxRiskLevel string `json:"max_risk_level"`
}

func (r *rig) summary() []summaryUser {
	r.t.Helper()
	a := r.call("GET", "/summary", cfsim.DefaultToken, nil)
	var res struct{ Users []summaryUser }
	if a.Status != 200 || json.Unmarshal(a.env.Result, &res) != nil {
		r.t.Fatalf("summary %d %s", a.Status, a.Body)
	}
	return res.Users
}

var levelRank = map[string]int{"": 0, "low": 1, "medium": 2, "high": 3}

// TestEventsFollowTheWorld recomputes every user's risk from the World's
// activity (all behaviors enabled from the start) and checks the summary.
func TestEventsFollowTheWorld(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	r.clock.Advance(25 * time.Minute) // through the first live attack
	levels := map[string]string{}
	for _, b := range r.sim.Behaviors() {
		levels[b.Key] = b.Level
	}
	type want struct {
		count int
		rank  int
		last  time.Time
	}
	expect := map[string]*want{}
	for _, a := range r.world.Between(r.world.Start(), r.clock.Now().Add(time.Nanosecond)) {
		key := r.sim.BehaviorFor(a.Signal)
		if key == "" {
			continue
		}
		id := r.world.People()[a.Person].CloudflareID
		w := expect[id]
		if w == nil {
			w = &want{}
			expect[id] = w
		}
		w.count++
		w.rank = max(w.rank, levelRank[levels[key]])
		w.last = a.Time
	}
	users := r.summary()
	if len(users) != len(expect) || len(users) < 20 {
		t.Fatalf("summary has %d users, the World implies %d", len(users), len(expect))
	}
	for i, u := range users {
		w := expect[u.UserID]
		if w == nil {
			t.Fatalf("%s is in the summary without signals", u.UserID)
		}
		if u.EventCount != w.count || levelRank[u.MaxRiskLevel] != w.rank || u.LastEvent != w.last.UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("%s: %+v, want %d events, rank %d, last %v", u.UserID, u, w.count, w.rank, w.last)
		}
		if i > 0 && levelRank[users[i-1].MaxRiskLevel] < levelRank[u.MaxRiskLevel] {
			t.Errorf("summary not ordered by level at %d", i)
		}
	}
}

func TestDisablingStopsNewDetectionsAndKeepsOld(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	travelBefore := countBehavior(r, "imp_travel", time.Time{}, r.clock.Now().Add(time.Nanosecond))
	if travelBefore == 0 {
		t.Fatal("no imp_travel events in the history")
	}
	disabledAt := r.clock.Now()
	put := r.behaviorsMap()
	put["imp_travel"] = map[string]any{"enabled": false, "risk_level": "high"}
	if a := r.call("PUT", "/behaviors", cfsim.DefaultToken, map[string]any{"behaviors": put}); a.Status != 200 {
		t.Fatalf("PUT %d %s", a.Status, a.Body)
	}
	r.clock.Advance(25 * time.Minute)
	if n := worldSignals(r, simkit.SignalTravel, disabledAt, r.clock.Now()); n == 0 {
		t.Fatal("the World gave no travel signals while disabled; the test proves nothing")
	}
	if n := countBehavior(r, "imp_travel", disabledAt, r.clock.Now().Add(time.Nanosecond)); n != 0 {
		t.Fatalf("%d imp_travel events while disabled", n)
	}
	if n := countBehavior(r, "imp_travel", time.Time{}, disabledAt.Add(time.Nanosecond)); n != travelBefore {
		t.Fatalf("old detections went from %d to %d", travelBefore, n)
	}

	// Enabled again at a lower level: new hits carry the new level.
	enabledAt := r.clock.Now()
	put["imp_travel"] = map[string]any{"enabled": true, "risk_level": "low"}
	if a := r.call("PUT", "/behaviors", cfsim.DefaultToken, map[string]any{"behaviors": put}); a.Status != 200 {
		t.Fatalf("PUT %d %s", a.Status, a.Body)
	}
	r.clock.Advance(25 * time.Minute)
	want := worldSignals(r, simkit.SignalTravel, enabledAt, r.clock.Now())
	got, low := 0, 0
	for _, id := range allUsers(r) {
		for _, e := range r.sim.UserEvents(id) {
			if e.Behavior == "imp_travel" && !e.At.Before(enabledAt) {
				got++
				if e.Level == "low" {
					low++
				}
			}
		}
	}
	if want == 0 || got != want || low != got {
		t.Fatalf("after re-enabling: %d events (%d low), the World gave %d signals", got, low, want)
	}
}

func (r *rig) behaviorsMap() map[string]any {
	a := r.call("GET", "/behaviors", cfsim.DefaultToken, nil)
	var res struct {
		Behaviors map[string]struct {
			Name, Description string
			Enabled           bool
			RiskLevel         string `json:"risk_level"`
		}
	}
	if err := json.Unmarshal(a.env.Result, &res); err != nil {
		r.t.Fatal(err)
	}
	out := map[string]any{}
	for k, b := range res.Behaviors {
		if b.Name == "" || b.Description == "" {
			r.t.Fatalf("behavior %s lacks name or description", k)
		}
		out[k] = map[string]any{"enabled": b.Enabled, "risk_level": b.RiskLevel}
	}
	return out
}

func allUsers(r *rig) []string {
	var ids []string
	for _, p := range r.world.People() {
		ids = append(ids, p.CloudflareID)
	}
	return ids
}

func countBehavior(r *rig, key string, from, to time.Time) int {
	n := 0
	for _, id := range allUsers(r) {
		for _, e := range r.sim.UserEvents(id) {
			if e.Behavior == key && !e.At.Before(from) && e.At.Before(to) {
				n++
			}
		}
	}
	return n
}

func worldSignals(r *rig, sig simkit.Signal, from, to time.Time) int {
	n := 0
	for _, a := range r.world.Between(from, to.Add(time.Nanosecond)) {
		if a.Signal == sig && a.Time.After(from) {
			n++
		}
	}
	return n
}

func TestRealDefaultsAndDisabledOption(t *testing.T) {
	r := newRig(t, cfsim.Options{AllDisabled: true})
	r.clock.Advance(25 * time.Minute)
	if users := r.summary(); len(users) != 0 {
		t.Fatalf("all behaviors disabled, yet %d users have risk", len(users))
	}
	for _, b := range r.sim.Behaviors() {
		if b.Enabled {
			t.Fatalf("%s enabled", b.Key)
		}
	}

	r = newRig(t, cfsim.Options{Disabled: []string{"high_dlp"}})
	r.clock.Advance(25 * time.Minute)
	if n := countBehavior(r, "high_dlp", time.Time{}, r.clock.Now().Add(time.Nanosecond)); n != 0 {
		t.Fatalf("%d high_dlp events while disabled", n)
	}
	if countBehavior(r, "imp_travel", time.Time{}, r.clock.Now().Add(time.Nanosecond)) == 0 {
		t.Fatal("imp_travel should still fire")
	}
}

func TestBehaviorsPutValidation(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	before := r.sim.Behaviors()
	full := r.behaviorsMap()
	partial := map[string]any{"imp_travel": full["imp_travel"], "high_dlp": full["high_dlp"]}
	withUnknown := clone(full)
	withUnknown["made_up"] = map[string]any{"enabled": true, "risk_level": "low"}
	badLevel := clone(full)
	badLevel["high_dlp"] = map[string]any{"enabled": true, "risk_level": "critical"}
	noEnabled := clone(full)
	noEnabled["high_dlp"] = map[string]any{"risk_level": "low"}
	cases := []struct {
		name string
		body any
		want string
	}{
		{"partial map", map[string]any{"behaviors": partial}, "missing: crowdstrike_low_zta, crowdstrike_medium_zta, high_risk_domain, malicious_file, sentinelone_threat, suspicious_domain"},
		{"unknown key", map[string]any{"behaviors": withUnknown}, "unknown behaviors: made_up"},
		{"bad level", map[string]any{"behaviors": badLevel}, "required for: high_dlp"},
		{"no enabled", map[string]any{"behaviors": noEnabled}, "required for: high_dlp"},
		{"no behaviors", map[string]any{}, "behaviors is required"},
		{"not JSON", "{", "Malformed JSON"},
	}
	for _, c := range cases {
		a := r.call("PUT", "/behaviors", cfsim.DefaultToken, c.body)
		if a.Status != 400 || a.code() != 1000 || !strings.Contains(a.env.Errors[0].Message, c.want) {
			t.Errorf("%s: %d %s", c.name, a.Status, a.Body)
		}
	}
	if !slices.Equal(r.sim.Behaviors(), before) {
		t.Fatal("a rejected PUT changed the behaviors")
	}
	a := r.call("PUT", "/behaviors", cfsim.DefaultToken, map[string]any{"behaviors": full})
	var res struct {
		Behaviors map[string]map[string]any
	}
	json.Unmarshal(a.env.Result, &res)
	if a.Status != 200 || len(res.Behaviors) != len(before) || len(res.Behaviors["imp_travel"]) != 2 {
		t.Fatalf("full PUT: %d %s", a.Status, a.Body)
	}
}

func clone(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestPermissions(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	id := r.sim.RiskyUsers()[0]
	full := r.behaviorsMap()
	okta := map[string]any{"integration_type": "Okta", "tenant_url": "https://t.okta.com"}
	endpoints := []struct {
		method, path string
		body         any
		need         string // "", "pii", "write"
	}{
		{"GET", "/summary", nil, ""},
		{"GET", "/" + id, nil, "pii"},
		{"GET", "/behaviors", nil, ""},
		{"PUT", "/behaviors", map[string]any{"behaviors": full}, "write"},
		{"GET", "/integrations", nil, ""},
		{"POST", "/integrations", okta, "write"},
		{"GET", "/integrations/reference_id/none", nil, ""},
		{"PUT", "/integrations/none", map[string]any{"active": true, "tenant_url": "https://t.okta.com"}, "write"},
		{"DELETE", "/integrations/none", nil, "write"},
		{"POST", "/" + id + "/reset", nil, "write"},
	}
	tokens := []struct {
		token    string
		pii, wrt bool
	}{
		{cfsim.DefaultTokenNoPII, false, true},
		{cfsim.DefaultTokenNoWrite, true, false},
		{cfsim.DefaultToken, true, true},
	}
	for _, tk := range tokens {
		for _, ep := range endpoints {
			a := r.call(ep.method, ep.path, tk.token, ep.body)
			denied := ep.need == "pii" && !tk.pii || ep.need == "write" && !tk.wrt
			switch {
			case denied && (a.Status != 403 || a.code() != 10000):
				t.Errorf("%s %s with %s: %d, want 403", ep.method, ep.path, tk.token, a.Status)
			case !denied && (a.Status == 403 || a.Status == 401):
				t.Errorf("%s %s with %s: %d %s", ep.method, ep.path, tk.token, a.Status, a.Body)
			}
		}
	}
	if a := r.call("GET", "/summary", "nope", nil); a.Status != 401 || a.code() != 10000 || a.Header.Get("Ratelimit") != "" {
		t.Errorf("unknown token: %d %v", a.Status, a.Header)
	}
	if a := r.call("GET", "/summary", "", nil); a.Status != 401 {
		t.Errorf("no token: %d", a.Status)
	}
	r.sim.RevokeTokens()
	for _, tk := range tokens {
		if a := r.call("GET", "/summary", tk.token, nil); a.Status != 401 {
			t.Errorf("revoked %s: %d", tk.token, a.Status)
		}
	}
	r.sim.RestoreTokens()
	if a := r.call("GET", "/summary", cfsim.DefaultToken, nil); a.Status != 200 {
		t.Errorf("restored token: %d", a.Status)
	}
}

func TestAccountsAndRoutes(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	tok := cfsim.DefaultToken
	cases := []struct {
		method, path string
		status, code int
	}{
		{"GET", base + "/accounts/0123456789abcdef0123456789abcdef/zt_risk_scoring/summary", 403, 10000},
		{"GET", base + "/accounts/not-an-account/zt_risk_scoring/summary", 404, 7003},
		{"GET", base + "/accounts/" + cfsim.DefaultAccountID + "/zt_risk_scoring/no/such/route", 404, 7000},
		{"GET", base + "/accounts/" + cfsim.DefaultAccountID + "/other_product/summary", 404, 7000},
		{"GET", "/elsewhere/accounts/" + cfsim.DefaultAccountID + "/zt_risk_scoring/summary", 404, 7000},
		{"POST", base + "/accounts/" + cfsim.DefaultAccountID + "/zt_risk_scoring/summary", 405, 10405},
		{"GET", base + "/accounts/" + cfsim.DefaultAccountID + "/zt_risk_scoring/someone/reset", 405, 10405},
		{"GET", base + "/accounts/" + cfsim.DefaultAccountID + "/zt_risk_scoring/some%2Fone", 404, 1004},
	}
	for _, c := range cases {
		a := r.callURL(c.method, c.path, tok, nil)
		if a.Status != c.status || a.code() != c.code {
			t.Errorf("%s %s: %d/%d, want %d/%d (%s)", c.method, c.path, a.Status, a.code(), c.status, c.code, a.Body)
		}
	}
}

func TestEnvelopes(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	a := r.call("GET", "/summary", cfsim.DefaultToken, nil)
	n := len(r.sim.RiskyUsers())
	if ri := a.env.ResultInfo; ri == nil || ri.Count != n || ri.TotalCount != n || ri.Page != 1 || ri.PerPage != n {
		t.Errorf("summary result_info %+v, %d users", a.env.ResultInfo, n)
	}
	id := r.sim.RiskyUsers()[0]
	a = r.call("GET", "/"+id, cfsim.DefaultToken, nil)
	var user map[string]json.RawMessage
	json.Unmarshal(a.env.Result, &user)
	for _, k := range []string{"email", "name", "risk_level", "last_reset_time", "events"} {
		if _, ok := user[k]; !ok {
			t.Errorf("user detail lacks %s: %s", k, a.Body)
		}
	}
	if string(user["last_reset_time"]) != "null" || a.env.ResultInfo == nil {
		t.Errorf("never-reset user: %s", a.Body)
	}
	a = r.call("POST", "/"+id+"/reset", cfsim.DefaultToken, nil)
	if a.Status != 200 || string(a.env.Result) != "null" {
		t.Errorf("reset: %d %s", a.Status, a.Body)
	}
	a = r.call("GET", "/"+id, cfsim.DefaultToken, nil)
	user = nil
	json.Unmarshal(a.env.Result, &user)
	if _, has := user["risk_level"]; has || string(user["events"]) != "[]" || string(user["last_reset_time"]) == "null" {
		t.Errorf("after reset: %s", a.Body)
	}
	if lv, n, ok := r.sim.UserLevel(id); !ok || lv != "" || n != 0 || !r.sim.LastReset(id).Equal(t0) {
		t.Errorf("simulator after reset: %q %d %v", lv, n, r.sim.LastReset(id))
	}
	a = r.call("GET", "/integrations", cfsim.DefaultToken, nil)
	if a.env.ResultInfo != nil || string(a.env.Result) != "[]" {
		t.Errorf("integrations list: %s", a.Body)
	}
}

func TestIntegrationsInMemory(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	tok := cfsim.DefaultToken
	a := r.call("POST", "/integrations", tok, map[string]any{"integration_type": "Okta", "tenant_url": "https://t.okta.com", "reference_id": "r1"})
	var in struct {
		ID           string `json:"id"`
		AccountTag   string `json:"account_tag"`
		Active       bool   `json:"active"`
		CreatedAt    string `json:"created_at"`
		WellKnownURL string `json:"well_known_url"`
	}
	json.Unmarshal(a.env.Result, &in)
	if a.Status != 200 || len(in.ID) != 36 || in.ID[14] != '4' || in.AccountTag != cfsim.DefaultAccountID || !in.Active ||
		in.CreatedAt != "2026-11-21T12:00:00Z" || in.WellKnownURL != "/.well-known/sse-configuration/"+in.ID+"/" {
		t.Fatalf("create: %s", a.Body)
	}
	for _, c := range []struct {
		body any
		want int
	}{
		{map[string]any{"integration_type": "Azure", "tenant_url": "https://t.example"}, 400},
		{map[string]any{"integration_type": "Okta", "tenant_url": "t.okta.com"}, 400},
		{map[string]any{"integration_type": "Okta", "tenant_url": "https://u.okta.com", "reference_id": "r1"}, 409},
	} {
		if a := r.call("POST", "/integrations", tok, c.body); a.Status != c.want {
			t.Errorf("create %v: %d", c.body, a.Status)
		}
	}
	if a := r.call("PUT", "/integrations/"+in.ID, tok, map[string]any{"tenant_url": "https://t.okta.com"}); a.Status != 400 {
		t.Errorf("update without active: %d", a.Status)
	}
	// Omitting reference_id on update keeps it.
	if a := r.call("PUT", "/integrations/"+in.ID, tok, map[string]any{"active": false, "tenant_url": "https://v.okta.com"}); a.Status != 200 {
		t.Fatalf("update: %s", a.Body)
	}
	if got := r.sim.Integrations(); len(got) != 1 || got[0].ReferenceID != "r1" || got[0].Active || got[0].TenantURL != "https://v.okta.com" {
		t.Fatalf("after update %+v", got)
	}
	if a := r.call("GET", "/integrations/reference_id/r1", tok, nil); a.Status != 200 || !strings.Contains(string(a.Body), in.ID) {
		t.Fatalf("by reference: %s", a.Body)
	}
	if a := r.call("DELETE", "/integrations/"+in.ID, tok, nil); a.Status != 200 || string(a.env.Result) != "null" {
		t.Fatalf("delete: %s", a.Body)
	}
	if len(r.sim.Integrations()) != 0 {
		t.Fatal("not deleted")
	}
}

func TestRateLimitWindowAndBlock(t *testing.T) {
	r := newRig(t, cfsim.Options{RateLimit: 5})
	tok := cfsim.DefaultToken
	for i := 1; i <= 5; i++ {
		a := r.call("GET", "/behaviors", tok, nil)
		if a.Status != 200 {
			t.Fatalf("call %d: %d", i, a.Status)
		}
		want := fmt.Sprintf(`"default";r=%d;t=%d`, 5-i, 300-10*(i-1))
		if got := a.Header.Get("Ratelimit"); got != want || a.Header.Get("Ratelimit-Policy") != `"default";q=5;w=300` {
			t.Fatalf("call %d: Ratelimit %q, Policy %q", i, got, a.Header.Get("Ratelimit-Policy"))
		}
		r.clock.Advance(10 * time.Second)
	}
	// The sixth call goes over: 429, and ALL calls are blocked for 5 minutes
	// from now, even though the window itself would reset sooner.
	a := r.call("GET", "/summary", tok, nil)
	if a.Status != 429 || a.code() != 971 || a.Header.Get("Retry-After") != "300" || a.Header.Get("Ratelimit") != `"default";r=0;t=300` {
		t.Fatalf("over the limit: %d %v %s", a.Status, a.Header, a.Body)
	}
	r.clock.Advance(250 * time.Second) // the window (started 50 s ago + 300 s) has reset by now
	for _, p := range []string{"/summary", "/behaviors", "/integrations", "/" + r.sim.RiskyUsers()[0]} {
		if a := r.call("GET", p, tok, nil); a.Status != 429 || a.Header.Get("Retry-After") != "50" {
			t.Fatalf("%s during the block: %d Retry-After %q", p, a.Status, a.Header.Get("Retry-After"))
		}
	}
	// The budget is per token (the real one is per user).
	if a := r.call("GET", "/summary", cfsim.DefaultTokenNoWrite, nil); a.Status != 200 {
		t.Fatalf("another token during the block: %d", a.Status)
	}
	r.clock.Advance(50 * time.Second)
	if a := r.call("GET", "/summary", tok, nil); a.Status != 200 || a.Header.Get("Ratelimit") != `"default";r=4;t=300` {
		t.Fatalf("after the block: %d %q", a.Status, a.Header.Get("Ratelimit"))
	}
}

func TestInjectedFaultsUseTheEnvelope(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	r.sim.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 2 * time.Second, FailNext: 1})
	a := r.call("GET", "/summary", cfsim.DefaultToken, nil)
	if a.Status != 429 || a.code() != 971 || a.Header.Get("Retry-After") != "2" {
		t.Fatalf("injected 429: %d %v %s", a.Status, a.Header, a.Body)
	}
	a = r.call("GET", "/summary", cfsim.DefaultToken, nil)
	if a.Status != 503 || a.code() == 0 {
		t.Fatalf("injected 503: %d %s", a.Status, a.Body)
	}
}

func TestHostileReachesTextFieldsOnly(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	r.call("POST", "/integrations", cfsim.DefaultToken, map[string]any{"integration_type": "Okta", "tenant_url": "https://t.okta.com", "reference_id": "r1"})
	r.sim.Faults().Set(simkit.Faults{Hostile: true})
	users := r.summary()
	hostile := 0
	for _, u := range users {
		p := r.world.People()
		var person simkit.Person
		for _, x := range p {
			if x.CloudflareID == u.UserID {
				person = x
			}
		}
		if u.Name != wire(simkit.HostileText(person.Name())) || u.Email != person.Email {
			t.Fatalf("row %+v for %s", u, person.Email)
		}
		hostile++
	}
	a := r.call("GET", "/"+users[0].UserID, cfsim.DefaultToken, nil)
	events := r.sim.UserEvents(users[0].UserID)
	last := events[len(events)-1]
	if !strings.Contains(string(a.Body), mustJSON(simkit.HostileText(last.Name))) || !strings.Contains(string(a.Body), last.ID) {
		t.Errorf("event name not hostile or id altered: %s", a.Body)
	}
	for _, v := range last.Details {
		if s, ok := v.(string); ok && !strings.Contains(string(a.Body), mustJSON(simkit.HostileText(s))) {
			t.Errorf("detail %q not hostile in %s", s, a.Body)
		}
	}
	a = r.call("GET", "/behaviors", cfsim.DefaultToken, nil)
	for _, b := range r.sim.Behaviors() {
		if !strings.Contains(string(a.Body), mustJSON(simkit.HostileText(b.Name))) || !strings.Contains(string(a.Body), mustJSON(simkit.HostileText(b.Description))) ||
			!strings.Contains(string(a.Body), `"`+b.Key+`":`) {
			t.Errorf("behavior %s: %s", b.Key, a.Body)
		}
	}
	a = r.call("GET", "/integrations/reference_id/r1", cfsim.DefaultToken, nil)
	if !strings.Contains(string(a.Body), mustJSON(simkit.HostileText("https://t.okta.com"))) {
		t.Errorf("tenant_url: %s", a.Body)
	}
	a = r.call("GET", "/integrations/none", cfsim.DefaultToken, nil)
	if a.env.Errors[0].Message != wire(simkit.HostileText("Integration not found")) {
		t.Errorf("error message: %s", a.Body)
	}
	if hostile == 0 {
		t.Fatal("no rows")
	}
}

// wire is s as it survives JSON: invalid UTF-8 becomes U+FFFD.
func wire(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func TestDeterministic(t *testing.T) {
	get := func() (string, string) {
		r := newRig(t, cfsim.Options{})
		r.clock.Advance(15 * time.Minute)
		s := r.call("GET", "/summary", cfsim.DefaultToken, nil)
		u := r.call("GET", "/"+r.sim.RiskyUsers()[0], cfsim.DefaultToken, nil)
		i := r.call("POST", "/integrations", cfsim.DefaultToken, map[string]any{"integration_type": "Okta", "tenant_url": "https://t.okta.com"})
		return string(s.Body) + string(u.Body), string(i.Body)
	}
	a1, b1 := get()
	a2, b2 := get()
	if a1 != a2 || b1 != b2 {
		t.Fatal("two runs with the same seed and clock differ")
	}
}

func TestEventsKeptPerUserAreBounded(t *testing.T) {
	r := newRig(t, cfsim.Options{MaxEventsPerUser: 1})
	users := r.summary()
	var many summaryUser
	for _, u := range users {
		if u.EventCount > 1 {
			many = u
			break
		}
	}
	if many.UserID == "" {
		t.Fatal("no user with several events")
	}
	a := r.call("GET", "/"+many.UserID, cfsim.DefaultToken, nil)
	var res struct{ Events []struct{ Timestamp string } }
	json.Unmarshal(a.env.Result, &res)
	if len(res.Events) != 1 || res.Events[0].Timestamp != many.LastEvent {
		t.Fatalf("kept %d events (%v) for a user with %d", len(res.Events), res.Events, many.EventCount)
	}
}
