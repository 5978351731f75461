package oktasim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/sim/simtest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var jtiSeq atomic.Int64

var (
	keysOnce sync.Once
	keyA     *rsa.PrivateKey // registered
	keyB     *rsa.PrivateKey // an impostor
	keysErr  error
)

func keys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		if keyA, _, keysErr = GenerateKey(); keysErr == nil {
			keyB, _, keysErr = GenerateKey()
		}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keyA, keyB
}

type fixture struct {
	clock *simkit.ManualClock
	sim   *Server
	srv   *httptest.Server
	base  string // org URL as the client sees it
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	a, _ := keys(t)
	clock := simkit.NewManualClock(t0)
	world := simkit.NewWorld(simkit.Options{Seed: 3, People: 10, History: time.Hour, Clock: clock})
	opts := Options{BasePath: "/okta/", ClientID: DefaultClientID, PublicKey: &a.PublicKey, KeyID: DefaultKeyID}
	if mod != nil {
		mod(&opts)
	}
	sim := New(world, opts)
	srv := simtest.Serve(t, sim.Handler())
	return &fixture{clock: clock, sim: sim, srv: srv, base: srv.URL + "/okta"}
}

// assertion signs claims the way a correct client would, after mod.
func (f *fixture) assertion(t *testing.T, key *rsa.PrivateKey, mod func(jwt.MapClaims, map[string]any)) string {
	t.Helper()
	now := f.clock.Now()
	claims := jwt.MapClaims{
		"iss": DefaultClientID, "sub": DefaultClientID, "aud": f.base + "/oauth2/v1/token",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "jti-" + strconv.FormatInt(jtiSeq.Add(1), 10),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = DefaultKeyID
	if mod != nil {
		mod(claims, tok.Header)
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) tokenForm(assertion, scope string) url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "scope": {scope},
		"client_assertion_type": {jwtBearer}, "client_assertion": {assertion},
	}
}

type answer = simtest.Answer

func do(t *testing.T, method, u, contentType, auth string, body string) answer {
	t.Helper()
	return simtest.Do(t, method, u, body, map[string]string{"Content-Type": contentType, "Authorization": auth})
}

func (f *fixture) token(t *testing.T, form url.Values) answer {
	return do(t, "POST", f.base+"/oauth2/v1/token", "application/x-www-form-urlencoded", "", form.Encode())
}

func (f *fixture) bearer(t *testing.T, scope string) string {
	t.Helper()
	a, _ := keys(t)
	ans := f.token(t, f.tokenForm(f.assertion(t, a, nil), scope))
	if ans.Status != 200 {
		t.Fatalf("token: %d %s", ans.Status, ans.Body)
	}
	return "Bearer " + ans.JSON(t)["access_token"].(string)
}

func (f *fixture) push(t *testing.T, auth, body string) answer {
	return do(t, "POST", f.base+"/api/v1/risk/events/ip", "application/json", auth, body)
}

const ssws = "SSWS " + DefaultAPIToken

func okBody(now time.Time) string {
	return `[{"timestamp":"` + now.Format(timeLayout) + `","expiresAt":"` + now.Add(time.Hour).Format(timeLayout) +
		`","subjects":[{"ip":"203.0.113.5","riskLevel":"HIGH","message":"Detected Attack tooling"},{"ip":"2001:db8::5","riskLevel":"LOW"}]}]`
}

func TestTokenEndpoint(t *testing.T) {
	a, b := keys(t)
	cases := []struct {
		name   string
		form   func(f *fixture) url.Values
		status int
		code   string
		desc   string
	}{
		{"valid", func(f *fixture) url.Values { return f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents) }, 200, "", ""},
		{"two scopes", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents+" "+ScopeProvidersRead)
		}, 200, "", ""},
		{"wrong key", func(f *fixture) url.Values { return f.tokenForm(f.assertion(t, b, nil), ScopeRiskEvents) }, 401, "invalid_client", "signature"},
		{"HS256", func(f *fixture) url.Values {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": DefaultClientID, "sub": DefaultClientID,
				"aud": f.base + "/oauth2/v1/token", "exp": t0.Add(time.Minute).Unix(), "iat": t0.Unix(), "jti": "h"})
			s, _ := tok.SignedString([]byte("shared"))
			return f.tokenForm(s, ScopeRiskEvents)
		}, 401, "invalid_client", "invalid"},
		{"unknown kid", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "other" }), ScopeRiskEvents)
		}, 401, "invalid_client", "signature"},
		{"aud of another org", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "https://acme.okta.com/oauth2/v1/token" }), ScopeRiskEvents)
		}, 401, "invalid_client", "audience"},
		{"aud without the base path", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = f.srv.URL + "/oauth2/v1/token" }), ScopeRiskEvents)
		}, 401, "invalid_client", "audience"},
		{"aud of the default server", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { c["aud"] = f.base + "/oauth2/default/v1/token" }), ScopeRiskEvents)
		}, 401, "invalid_client", "audience"},
		{"iss of another client", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "0oaother" }), ScopeRiskEvents)
		}, 401, "invalid_client", "iss and sub"},
		{"sub differs", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { c["sub"] = "someone" }), ScopeRiskEvents)
		}, 401, "invalid_client", "iss and sub"},
		{"expired", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { c["exp"] = t0.Add(-time.Second).Unix() }), ScopeRiskEvents)
		}, 401, "invalid_client", "expired"},
		{"no exp", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { delete(c, "exp") }), ScopeRiskEvents)
		}, 401, "invalid_client", "exp"},
		{"exp too far", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { c["exp"] = t0.Add(2 * time.Hour).Unix() }), ScopeRiskEvents)
		}, 401, "invalid_client", "too far"},
		{"no jti", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, func(c jwt.MapClaims, _ map[string]any) { delete(c, "jti") }), ScopeRiskEvents)
		}, 401, "invalid_client", "jti"},
		{"wrong grant", func(f *fixture) url.Values {
			v := f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents)
			v.Set("grant_type", "password")
			return v
		}, 400, "unsupported_grant_type", "client_credentials"},
		{"wrong assertion type", func(f *fixture) url.Values {
			v := f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents)
			v.Set("client_assertion_type", "urn:other")
			return v
		}, 401, "invalid_client", ""},
		{"client_id disagrees", func(f *fixture) url.Values {
			v := f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents)
			v.Set("client_id", "0oaother")
			return v
		}, 401, "invalid_client", "client_id"},
		{"no scope", func(f *fixture) url.Values { return f.tokenForm(f.assertion(t, a, nil), "") }, 400, "invalid_scope", "'scope' must be provided"},
		{"scope not granted", func(f *fixture) url.Values {
			return f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents+" "+ScopeProvidersManage)
		}, 400, "invalid_scope", ScopeProvidersManage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ans := f.token(t, tc.form(f))
			if ans.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", ans.Status, tc.status, ans.Body)
			}
			m := ans.JSON(t)
			if ans.Header.Get("Cache-Control") != "no-store" {
				t.Fatal("token answers must not be cached")
			}
			if tc.status == 200 {
				if m["token_type"] != "Bearer" || m["expires_in"] != 3600.0 || m["access_token"] == "" || f.sim.TokensMinted() != 1 {
					t.Fatalf("token %v", m)
				}
				return
			}
			if m["error"] != tc.code || !strings.Contains(m["error_description"].(string), tc.desc) || f.sim.TokensMinted() != 0 {
				t.Fatalf("error %v", m)
			}
		})
	}
}

func TestTokenEndpointMisc(t *testing.T) {
	a, _ := keys(t)
	f := newFixture(t, func(o *Options) { o.TokenTTL = 10 * time.Minute })
	as := f.assertion(t, a, nil)
	if ans := f.token(t, f.tokenForm(as, ScopeRiskEvents)); ans.Status != 200 || ans.JSON(t)["expires_in"] != 600.0 {
		t.Fatalf("%d %s", ans.Status, ans.Body)
	}
	if ans := f.token(t, f.tokenForm(as, ScopeRiskEvents)); ans.Status != 401 || !strings.Contains(string(ans.Body), "already been used") {
		t.Fatalf("replayed assertion: %d %s", ans.Status, ans.Body)
	}
	if ans := do(t, "GET", f.base+"/oauth2/v1/token", "", "", ""); ans.Status != 405 {
		t.Fatalf("GET: %d", ans.Status)
	}
	if ans := do(t, "POST", f.base+"/oauth2/v1/token", "application/json", "", "{}"); ans.Status != 400 {
		t.Fatalf("JSON body: %d", ans.Status)
	}

	// The token lives TokenTTL on the sim's clock.
	bearer := f.bearer(t, ScopeRiskEvents)
	if ans := f.push(t, bearer, okBody(f.clock.Now())); ans.Status != 202 {
		t.Fatalf("%d %s", ans.Status, ans.Body)
	}
	f.clock.Advance(10 * time.Minute)
	if ans := f.push(t, bearer, okBody(f.clock.Now())); ans.Status != 401 {
		t.Fatalf("expired token: %d", ans.Status)
	}

	// No registered app: every assertion is refused.
	bare := newFixture(t, func(o *Options) { o.ClientID, o.PublicKey = "", nil })
	if ans := bare.token(t, bare.tokenForm(bare.assertion(t, a, nil), ScopeRiskEvents)); ans.Status != 401 {
		t.Fatalf("unregistered app: %d", ans.Status)
	}
}

func TestEventsAuthorization(t *testing.T) {
	f := newFixture(t, nil)
	body := okBody(t0)

	ans := f.push(t, ssws, body)
	if ans.Status != 202 || len(ans.Body) != 0 {
		t.Fatalf("SSWS: %d %q", ans.Status, ans.Body)
	}
	events := f.bearer(t, ScopeRiskEvents)
	if ans := f.push(t, events, body); ans.Status != 202 {
		t.Fatalf("bearer: %d %s", ans.Status, ans.Body)
	}
	readOnly := f.bearer(t, ScopeProvidersRead)
	ans = f.push(t, readOnly, body)
	if m := ans.JSON(t); ans.Status != 403 || m["errorCode"] != "E0000006" || !strings.Contains(ans.Header.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Fatalf("no scope: %d %v", ans.Status, m)
	}
	for name, auth := range map[string]string{
		"garbage bearer": "Bearer nope", "wrong SSWS": "SSWS nope", "none": "", "basic": "Basic dXNlcjpwYXNz",
		"SSWS as bearer": "Bearer " + DefaultAPIToken, "bearer as SSWS": "SSWS " + strings.TrimPrefix(events, "Bearer "),
	} {
		ans := f.push(t, auth, body)
		if m := ans.JSON(t); ans.Status != 401 || m["errorCode"] != "E0000004" || m["errorSummary"] != "Authentication failed" {
			t.Fatalf("%s: %d %v", name, ans.Status, m)
		}
	}
	f.sim.RevokeTokens()
	if ans := f.push(t, events, body); ans.Status != 401 || !strings.Contains(ans.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("revoked: %d", ans.Status)
	}

	got := f.sim.Pushed()
	if len(got) != 4 || got[0].Auth != "SSWS" || got[2].Auth != "OAuth" || got[2].ClientID != DefaultClientID {
		t.Fatalf("pushed %+v", got)
	}
	want := Pushed{IP: "203.0.113.5", Level: "HIGH", Message: "Detected Attack tooling", Timestamp: t0, ExpiresAt: t0.Add(time.Hour),
		Received: t0, Auth: "SSWS", InAttackNet: true}
	if got[0] != want || got[1].InAttackNet || got[1].Message != "" {
		t.Fatalf("recorded %+v", got[:2])
	}
	got[0].IP = "changed"
	if f.sim.Pushed()[0].IP != "203.0.113.5" {
		t.Fatal("Pushed returned the sim's own slice")
	}
	if f.sim.Accepted() != 2 || f.sim.EventRequests() != 10 {
		t.Fatalf("accepted %d of %d", f.sim.Accepted(), f.sim.EventRequests())
	}
}

func TestEventsValidation(t *testing.T) {
	f := newFixture(t, nil)
	long := strings.Repeat("a", 513)
	body := `[
	 {"timestamp":"2026-03-02 09:00:00","subjects":[]},
	 {"timestamp":"2026-03-02T09:00:00.000Z","expiresAt":"2026-03-02T09:00:00.000Z",
	  "subjects":[{"ip":"1.2.3","riskLevel":"high"},{"riskLevel":"LOW","message":"` + long + `"},{"ip":"fe80::1%eth0","message":"a:b"}]},
	 {"expiresAt":"2026-03-02T08:00:00.000Z","subjects":[{"ip":"192.0.2.1","riskLevel":"LOW"}]}
	]`
	ans := f.push(t, ssws, body)
	var e errorBody
	if err := json.Unmarshal(ans.Body, &e); err != nil || ans.Status != 400 || e.ErrorCode != "E0000001" || e.ErrorLink != "E0000001" {
		t.Fatalf("%d %s", ans.Status, ans.Body)
	}
	var causes []string
	for _, c := range e.ErrorCauses {
		causes = append(causes, c.ErrorSummary)
	}
	want := []string{
		"riskEvents[0].timestamp: must be an ISO 8601 time like yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
		"riskEvents[0].subjects: must contain between 1 and 50 subjects, not 0",
		"riskEvents[1].expiresAt: must be after timestamp",
		"riskEvents[1].subjects[0].ip: must be a valid IPv4 or IPv6 address",
		"riskEvents[1].subjects[0].riskLevel: must be one of LOW, MEDIUM, HIGH",
		"riskEvents[1].subjects[1].ip: is required",
		"riskEvents[1].subjects[1].message: must be at most 512 characters",
		"riskEvents[1].subjects[2].ip: must be a valid IPv4 or IPv6 address",
		"riskEvents[1].subjects[2].riskLevel: is required",
		"riskEvents[1].subjects[2].message: may contain only letters, digits, '.', '_', '-' and space",
		"riskEvents[2].expiresAt: must be in the future",
	}
	if strings.Join(causes, "\n") != strings.Join(want, "\n") || e.ErrorSummary != "Api validation failed: timestamp" {
		t.Fatalf("summary %q causes\n%s", e.ErrorSummary, strings.Join(causes, "\n"))
	}
	if len(f.sim.Pushed()) != 0 {
		t.Fatal("a refused request was recorded")
	}

	many := "[" + strings.TrimSuffix(strings.Repeat(`{"subjects":[{"ip":"192.0.2.1","riskLevel":"LOW"}]},`, 21), ",") + "]"
	if ans := f.push(t, ssws, many); ans.Status != 400 || !strings.Contains(string(ans.Body), "between 1 and 20 events, not 21") {
		t.Fatalf("21 events: %d %s", ans.Status, ans.Body)
	}
	twenty := "[" + strings.TrimSuffix(strings.Repeat(`{"subjects":[{"ip":"192.0.2.1","riskLevel":"LOW"}]},`, 20), ",") + "]"
	if ans := f.push(t, ssws, twenty); ans.Status != 202 {
		t.Fatalf("20 events: %d %s", ans.Status, ans.Body)
	}
	subjects := func(n int) string {
		return `[{"subjects":[` + strings.TrimSuffix(strings.Repeat(`{"ip":"192.0.2.1","riskLevel":"LOW"},`, n), ",") + `]}]`
	}
	if ans := f.push(t, ssws, subjects(50)); ans.Status != 202 {
		t.Fatalf("50 subjects: %d", ans.Status)
	}
	if ans := f.push(t, ssws, subjects(51)); ans.Status != 400 {
		t.Fatalf("51 subjects: %d", ans.Status)
	}
	for name, b := range map[string]string{
		"object": `{"subjects":[]}`, "number level": `[{"subjects":[{"ip":"192.0.2.1","riskLevel":3}]}]`,
		"truncated": `[{"subjects":[`, "empty": ``,
	} {
		if ans := f.push(t, ssws, b); ans.Status != 400 || ans.JSON(t)["errorCode"] != "E0000003" {
			t.Fatalf("%s: %d %s", name, ans.Status, ans.Body)
		}
	}
	if ans := f.push(t, ssws, "[]"); ans.Status != 400 || ans.JSON(t)["errorCode"] != "E0000001" {
		t.Fatalf("no events: %d", ans.Status)
	}
	if ans := do(t, "POST", f.base+"/api/v1/risk/events/ip", "text/plain", ssws, okBody(t0)); ans.Status != 415 {
		t.Fatalf("text/plain: %d", ans.Status)
	}
	if ans := do(t, "GET", f.base+"/api/v1/risk/events/ip", "", ssws, ""); ans.Status != 405 {
		t.Fatalf("GET: %d", ans.Status)
	}

	// The docs' own example, spaces and all.
	seed, err := os.ReadFile("../../okta/testdata/request_example.json")
	if err != nil {
		t.Fatal(err)
	}
	if ans := f.push(t, ssws, string(seed)); ans.Status != 202 {
		t.Fatalf("seed example: %d %s", ans.Status, ans.Body)
	}
	strict := newFixture(t, func(o *Options) { o.StrictMessage = true })
	ans = strict.push(t, ssws, string(seed))
	if ans.Status != 400 || !strings.Contains(string(ans.Body), "riskEvents[0].subjects[1].message: may contain only letters, digits, '.', '_' and '-'") {
		t.Fatalf("strict: %d %s", ans.Status, ans.Body)
	}
}

func TestEventsRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit = 3 })
	reset := strconv.FormatInt(t0.Add(time.Minute).Unix(), 10)
	for i := 2; i >= 0; i-- {
		ans := f.push(t, ssws, okBody(t0))
		h := ans.Header
		if ans.Status != 202 || h.Get("X-Rate-Limit-Limit") != "3" || h.Get("X-Rate-Limit-Remaining") != strconv.Itoa(i) || h.Get("X-Rate-Limit-Reset") != reset {
			t.Fatalf("%d: %d %v", i, ans.Status, h)
		}
	}
	ans := f.push(t, ssws, okBody(t0))
	if ans.Status != 429 || ans.Header.Get("X-Rate-Limit-Remaining") != "0" || ans.Header.Get("X-Rate-Limit-Reset") != reset || ans.Header.Get("Retry-After") != "" {
		t.Fatalf("over: %d %v", ans.Status, ans.Header)
	}
	// vendors.md §4.5's body, but for the errorId.
	m := ans.JSON(t)
	id, _ := m["errorId"].(string)
	if !strings.HasPrefix(id, "oae") || len(id) != 20 {
		t.Fatalf("errorId %q", id)
	}
	m["errorId"] = "oae…"
	got, _ := json.Marshal(m)
	want := `{"errorCauses":[],"errorCode":"E0000047","errorId":"oae…","errorLink":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}`
	if string(got) != want {
		t.Fatalf("429 body %s", got)
	}
	f.clock.Advance(time.Minute)
	if ans := f.push(t, ssws, okBody(f.clock.Now())); ans.Status != 202 || ans.Header.Get("X-Rate-Limit-Remaining") != "2" {
		t.Fatalf("next window: %d", ans.Status)
	}
}

func TestProviders(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ProviderAction = "log_only" })
	ans := do(t, "GET", f.base+"/api/v1/risk/providers", "", ssws, "")
	var ps []providerJSON
	if err := json.Unmarshal(ans.Body, &ps); err != nil || ans.Status != 200 || len(ps) != 2 {
		t.Fatalf("%d %s", ans.Status, ans.Body)
	}
	def, mine := ps[0], ps[1]
	if def.Name != "Default " || def.ClientID != "null" || def.Action != "log_only" || !strings.HasPrefix(def.ID, "rkp") {
		t.Fatalf("default %+v", def)
	}
	if mine.Name != "risktop" || mine.ClientID != DefaultClientID || mine.Action != "log_only" {
		t.Fatalf("mine %+v", mine)
	}
	self := def.Links["self"].(map[string]any)
	if self["href"] != f.base+"/api/v1/risk/providers/"+def.ID {
		t.Fatalf("self link %v", self)
	}
	if _, err := time.Parse(timeLayout, def.Created); err != nil || ans.Header.Get("X-Rate-Limit-Limit") != "100" {
		t.Fatalf("created %q, headers %v", def.Created, ans.Header)
	}

	if ans := do(t, "GET", f.base+"/api/v1/risk/providers", "", f.bearer(t, ScopeProvidersRead), ""); ans.Status != 200 {
		t.Fatalf("bearer read: %d", ans.Status)
	}
	if ans := do(t, "GET", f.base+"/api/v1/risk/providers", "", f.bearer(t, ScopeRiskEvents), ""); ans.Status != 403 {
		t.Fatalf("bearer without read scope: %d", ans.Status)
	}
	if ans := do(t, "POST", f.base+"/api/v1/risk/providers", "application/json", ssws, "{}"); ans.Status != 405 {
		t.Fatalf("POST: %d", ans.Status)
	}

	for name, mod := range map[string]func(*Options){
		"no app":       func(o *Options) { o.ClientID = "" },
		"unregistered": func(o *Options) { o.Unregistered = true },
	} {
		g := newFixture(t, mod)
		ans := do(t, "GET", g.base+"/api/v1/risk/providers", "", ssws, "")
		var ps []providerJSON
		json.Unmarshal(ans.Body, &ps)
		if len(ps) != 1 || ps[0].ClientID != "null" {
			t.Fatalf("%s: %s", name, ans.Body)
		}
	}
	// The same seed names things the same way.
	g := newFixture(t, func(o *Options) { o.ProviderAction = "log_only" })
	var again []providerJSON
	json.Unmarshal(do(t, "GET", g.base+"/api/v1/risk/providers", "", ssws, "").Body, &again)
	if again[0].ID != def.ID || again[1].ID != mine.ID {
		t.Fatal("provider ids are not deterministic")
	}
}

func TestFaultsAndMisc(t *testing.T) {
	f := newFixture(t, nil)
	f.sim.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 5 * time.Second})
	ans := f.push(t, ssws, okBody(t0))
	if ans.Status != 429 || ans.JSON(t)["errorCode"] != "E0000047" || ans.Header.Get("Retry-After") != "5" ||
		ans.Header.Get("X-Rate-Limit-Reset") != strconv.FormatInt(t0.Add(5*time.Second).Unix(), 10) {
		t.Fatalf("injected 429: %d %v %s", ans.Status, ans.Header, ans.Body)
	}
	f.sim.Faults().Set(simkit.Faults{FailNext: 1})
	if ans := f.push(t, ssws, okBody(t0)); ans.Status != 503 || ans.JSON(t)["errorCode"] != "E0000009" {
		t.Fatalf("injected 503: %d %s", ans.Status, ans.Body)
	}
	if f.sim.EventRequests() != 0 {
		t.Fatal("injected faults counted as event requests")
	}
	if ans := do(t, "GET", f.base+"/api/v1/users", "", ssws, ""); ans.Status != 404 || ans.JSON(t)["errorCode"] != "E0000007" {
		t.Fatalf("unknown path: %d", ans.Status)
	}

	f.sim.Faults().Set(simkit.Faults{Hostile: true})
	ans = f.push(t, "SSWS wrong", okBody(t0))
	sum := ans.JSON(t)["errorSummary"].(string)
	if sanitize.Valid(sum) || !strings.Contains(sum, "Authentication failed") {
		t.Fatalf("hostile summary %q", sum)
	}
	var ps []providerJSON
	json.Unmarshal(do(t, "GET", f.base+"/api/v1/risk/providers", "", ssws, "").Body, &ps)
	if sanitize.Valid(ps[1].Name) || !strings.Contains(ps[1].Name, "risktop") {
		t.Fatalf("hostile name %q", ps[1].Name)
	}
}

func TestGenerateKey(t *testing.T) {
	key, pemBytes, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("PEM %q", pemBytes)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil || !parsed.(*rsa.PrivateKey).Equal(key) || key.N.BitLen() != 2048 {
		t.Fatalf("parsed %v %v", err, key.N.BitLen())
	}
}

// Each provider's self link allows GET, so GET on it answers; the
// reference's examples' time form is there on request.
func TestProviderByIDAndTimeForms(t *testing.T) {
	f := newFixture(t, nil)
	var ps []providerJSON
	if err := json.Unmarshal(do(t, "GET", f.base+"/api/v1/risk/providers", "", ssws, "").Body, &ps); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		href := p.Links["self"].(map[string]any)["href"].(string)
		ans := do(t, "GET", href, "", ssws, "")
		var one providerJSON
		if err := json.Unmarshal(ans.Body, &one); err != nil || ans.Status != 200 || one.ID != p.ID || one.Name != p.Name || one.Created != p.Created {
			t.Fatalf("GET %s: %d %s", href, ans.Status, ans.Body)
		}
		if ans := do(t, "GET", href, "", f.bearer(t, ScopeProvidersRead), ""); ans.Status != 200 {
			t.Fatalf("GET %s with a bearer: %d", href, ans.Status)
		}
	}
	if ans := do(t, "GET", f.base+"/api/v1/risk/providers/rkpNOPE", "", ssws, ""); ans.Status != 404 || !strings.Contains(string(ans.Body), "E0000007") {
		t.Fatalf("unknown id: %d %s", ans.Status, ans.Body)
	}
	if ans := do(t, "GET", f.base+"/api/v1/risk/providers/"+ps[0].ID, "", "", ""); ans.Status != 401 {
		t.Fatalf("no credential: %d", ans.Status)
	}

	f.sim.SetProviderTimes(ProviderTimesExample)
	var ex []providerJSON
	json.Unmarshal(do(t, "GET", f.base+"/api/v1/risk/providers", "", ssws, "").Body, &ex)
	for i, p := range ex {
		c, err := time.Parse("2006-01-02 15:04:05", p.Created)
		r, _ := time.Parse(timeLayout, ps[i].Created)
		if err != nil || !c.Equal(r) || strings.ContainsAny(p.LastUpdated, "TZ") {
			t.Fatalf("example form: %q / %q (was %q)", p.Created, p.LastUpdated, ps[i].Created)
		}
	}
	g := newFixture(t, func(o *Options) { o.ProviderTimes = ProviderTimesExample })
	json.Unmarshal(do(t, "GET", g.base+"/api/v1/risk/providers/"+ps[0].ID, "", ssws, "").Body, &ex[0])
	if _, err := time.Parse("2006-01-02 15:04:05", ex[0].Created); err != nil {
		t.Fatalf("option: %q", ex[0].Created)
	}
}

// Okta's Go SDK sends event times as Go marshals a time.Time (RFC 3339, up
// to nine fractional digits or none), and the form of its token request in
// the query string with an empty body (okta-sdk-golang v5.0.2
// okta/client.go); the simulator takes what Okta takes.
func TestAcceptsWhatTheSDKSends(t *testing.T) {
	f := newFixture(t, nil)
	for _, ts := range []string{
		"2026-03-02T09:00:00Z", "2026-03-02T09:00:00.1Z", "2026-03-02T09:00:00.123456Z",
		"2026-03-02T09:00:00.123456789Z", "2026-03-02T10:00:00.5+01:00",
	} {
		exp := "2026-03-02T10:00:00.987654321Z"
		body := `[{"timestamp":"` + ts + `","expiresAt":"` + exp + `","subjects":[{"ip":"192.0.2.7","riskLevel":"HIGH"}]}]`
		if ans := f.push(t, ssws, body); ans.Status != 202 {
			t.Fatalf("timestamp %s: %d %s", ts, ans.Status, ans.Body)
		}
		got := f.sim.Pushed()
		p := got[len(got)-1]
		want, _ := time.Parse(time.RFC3339Nano, ts)
		if !p.Timestamp.Equal(want) || p.ExpiresAt.Nanosecond() != 987654321 {
			t.Fatalf("%s recorded as %s / %s", ts, p.Timestamp, p.ExpiresAt)
		}
	}

	a, _ := keys(t)
	// The SDK's request: the form in the query, an empty body, the form
	// content type all the same.
	q := f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents)
	ans := do(t, "POST", f.base+"/oauth2/v1/token?"+q.Encode(), "application/x-www-form-urlencoded", "", "")
	if ans.Status != 200 || ans.JSON(t)["access_token"] == "" {
		t.Fatalf("form in the query: %d %s", ans.Status, ans.Body)
	}
	tok := "Bearer " + ans.JSON(t)["access_token"].(string)
	if ans := f.push(t, tok, okBody(f.clock.Now())); ans.Status != 202 {
		t.Fatalf("push with the query-minted token: %d %s", ans.Status, ans.Body)
	}
	// ... and with no content type at all.
	q = f.tokenForm(f.assertion(t, a, nil), ScopeRiskEvents)
	if ans := do(t, "POST", f.base+"/oauth2/v1/token?"+q.Encode(), "", "", ""); ans.Status != 200 {
		t.Fatalf("form in the query, no content type: %d %s", ans.Status, ans.Body)
	}
	// The query's checks are the body's: a replayed assertion is refused.
	as := f.assertion(t, a, nil)
	q = f.tokenForm(as, ScopeRiskEvents)
	if ans := do(t, "POST", f.base+"/oauth2/v1/token?"+q.Encode(), "", "", ""); ans.Status != 200 {
		t.Fatalf("first: %d", ans.Status)
	}
	if ans := do(t, "POST", f.base+"/oauth2/v1/token?"+q.Encode(), "", "", ""); ans.Status != 401 || ans.JSON(t)["error"] != "invalid_client" {
		t.Fatalf("replayed in the query: %d %s", ans.Status, ans.Body)
	}
	// A body that is not a form is still refused.
	if ans := do(t, "POST", f.base+"/oauth2/v1/token", "application/json", "", `{"grant_type":"client_credentials"}`); ans.Status != 400 || ans.JSON(t)["error"] != "invalid_request" {
		t.Fatalf("JSON body: %d %s", ans.Status, ans.Body)
	}
}
