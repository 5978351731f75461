package oktasim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
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
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
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

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	return m
}

func do(t *testing.T, method, u, contentType, auth string, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func (f *fixture) token(t *testing.T, form url.Values) answer {
	return do(t, "POST", f.base+"/oauth2/v1/token", "application/x-www-form-urlencoded", "", form.Encode())
}

func (f *fixture) bearer(t *testing.T, scope string) string {
	t.Helper()
	a, _ := keys(t)
	ans := f.token(t, f.tokenForm(f.assertion(t, a, nil), scope))
	if ans.status != 200 {
		t.Fatalf("token: %d %s", ans.status, ans.body)
	}
	return "Bearer " + ans.json(t)["access_token"].(string)
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
			if ans.status != tc.status {
				t.Fatalf("status %d, want %d: %s", ans.status, tc.status, ans.body)
			}
			m := ans.json(t)
			if ans.header.Get("Cache-Control") != "no-store" {
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
	if ans := f.token(t, f.tokenForm(as, ScopeRiskEvents)); ans.status != 200 || ans.json(t)["expires_in"] != 600.0 {
		t.Fatalf("%d %s", ans.status, ans.body)
	}
	if ans := f.token(t, f.tokenForm(as, ScopeRiskEvents)); ans.status != 401 || !strings.Contains(string(ans.body), "already been used") {
		t.Fatalf("replayed assertion: %d %s", ans.status, ans.body)
	}
	if ans := do(t, "GET", f.base+"/oauth2/v1/token", "", "", ""); ans.status != 405 {
		t.Fatalf("GET: %d", ans.status)
	}
	if ans := do(t, "POST", f.base+"/oauth2/v1/token", "application/json", "", "{}"); ans.status != 400 {
		t.Fatalf("JSON body: %d", ans.status)
	}

	// The token lives TokenTTL on the sim's clock.
	bearer := f.bearer(t, ScopeRiskEvents)
	if ans := f.push(t, bearer, okBody(f.clock.Now())); ans.status != 202 {
		t.Fatalf("%d %s", ans.status, ans.body)
	}
	f.clock.Advance(10 * time.Minute)
	if ans := f.push(t, bearer, okBody(f.clock.Now())); ans.status != 401 {
		t.Fatalf("expired token: %d", ans.status)
	}

	// No registered app: every assertion is refused.
	bare := newFixture(t, func(o *Options) { o.ClientID, o.PublicKey = "", nil })
	if ans := bare.token(t, bare.tokenForm(bare.assertion(t, a, nil), ScopeRiskEvents)); ans.status != 401 {
		t.Fatalf("unregistered app: %d", ans.status)
	}
}

func TestEventsAuthorization(t *testing.T) {
	f := newFixture(t, nil)
	body := okBody(t0)

	ans := f.push(t, ssws, body)
	if ans.status != 202 || len(ans.body) != 0 {
		t.Fatalf("SSWS: %d %q", ans.status, ans.body)
	}
	events := f.bearer(t, ScopeRiskEvents)
	if ans := f.push(t, events, body); ans.status != 202 {
		t.Fatalf("bearer: %d %s", ans.status, ans.body)
	}
	readOnly := f.bearer(t, ScopeProvidersRead)
	ans = f.push(t, readOnly, body)
	if m := ans.json(t); ans.status != 403 || m["errorCode"] != "E0000006" || !strings.Contains(ans.header.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Fatalf("no scope: %d %v", ans.status, m)
	}
	for name, auth := range map[string]string{
		"garbage bearer": "Bearer nope", "wrong SSWS": "SSWS nope", "none": "", "basic": "Basic dXNlcjpwYXNz",
		"SSWS as bearer": "Bearer " + DefaultAPIToken, "bearer as SSWS": "SSWS " + strings.TrimPrefix(events, "Bearer "),
	} {
		ans := f.push(t, auth, body)
		if m := ans.json(t); ans.status != 401 || m["errorCode"] != "E0000004" || m["errorSummary"] != "Authentication failed" {
			t.Fatalf("%s: %d %v", name, ans.status, m)
		}
	}
	f.sim.RevokeTokens()
	if ans := f.push(t, events, body); ans.status != 401 || !strings.Contains(ans.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("revoked: %d", ans.status)
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
	 {"timestamp":"2026-03-02T09:00:00Z","subjects":[]},
	 {"timestamp":"2026-03-02T09:00:00.000Z","expiresAt":"2026-03-02T09:00:00.000Z",
	  "subjects":[{"ip":"1.2.3","riskLevel":"high"},{"riskLevel":"LOW","message":"` + long + `"},{"ip":"fe80::1%eth0","message":"a:b"}]},
	 {"expiresAt":"2026-03-02T08:00:00.000Z","subjects":[{"ip":"192.0.2.1","riskLevel":"LOW"}]}
	]`
	ans := f.push(t, ssws, body)
	var e errorBody
	if err := json.Unmarshal(ans.body, &e); err != nil || ans.status != 400 || e.ErrorCode != "E0000001" || e.ErrorLink != "E0000001" {
		t.Fatalf("%d %s", ans.status, ans.body)
	}
	var causes []string
	for _, c := range e.ErrorCauses {
		causes = append(causes, c.ErrorSummary)
	}
	want := []string{
		"riskEvents[0].timestamp: must be a UTC time formatted yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
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
	if ans := f.push(t, ssws, many); ans.status != 400 || !strings.Contains(string(ans.body), "between 1 and 20 events, not 21") {
		t.Fatalf("21 events: %d %s", ans.status, ans.body)
	}
	twenty := "[" + strings.TrimSuffix(strings.Repeat(`{"subjects":[{"ip":"192.0.2.1","riskLevel":"LOW"}]},`, 20), ",") + "]"
	if ans := f.push(t, ssws, twenty); ans.status != 202 {
		t.Fatalf("20 events: %d %s", ans.status, ans.body)
	}
	subjects := func(n int) string {
		return `[{"subjects":[` + strings.TrimSuffix(strings.Repeat(`{"ip":"192.0.2.1","riskLevel":"LOW"},`, n), ",") + `]}]`
	}
	if ans := f.push(t, ssws, subjects(50)); ans.status != 202 {
		t.Fatalf("50 subjects: %d", ans.status)
	}
	if ans := f.push(t, ssws, subjects(51)); ans.status != 400 {
		t.Fatalf("51 subjects: %d", ans.status)
	}
	for name, b := range map[string]string{
		"object": `{"subjects":[]}`, "number level": `[{"subjects":[{"ip":"192.0.2.1","riskLevel":3}]}]`,
		"truncated": `[{"subjects":[`, "empty": ``,
	} {
		if ans := f.push(t, ssws, b); ans.status != 400 || ans.json(t)["errorCode"] != "E0000003" {
			t.Fatalf("%s: %d %s", name, ans.status, ans.body)
		}
	}
	if ans := f.push(t, ssws, "[]"); ans.status != 400 || ans.json(t)["errorCode"] != "E0000001" {
		t.Fatalf("no events: %d", ans.status)
	}
	if ans := do(t, "POST", f.base+"/api/v1/risk/events/ip", "text/plain", ssws, okBody(t0)); ans.status != 415 {
		t.Fatalf("text/plain: %d", ans.status)
	}
	if ans := do(t, "GET", f.base+"/api/v1/risk/events/ip", "", ssws, ""); ans.status != 405 {
		t.Fatalf("GET: %d", ans.status)
	}

	// The docs' own example, spaces and all.
	seed, err := os.ReadFile("../../okta/testdata/request_example.json")
	if err != nil {
		t.Fatal(err)
	}
	if ans := f.push(t, ssws, string(seed)); ans.status != 202 {
		t.Fatalf("seed example: %d %s", ans.status, ans.body)
	}
	strict := newFixture(t, func(o *Options) { o.StrictMessage = true })
	ans = strict.push(t, ssws, string(seed))
	if ans.status != 400 || !strings.Contains(string(ans.body), "riskEvents[0].subjects[1].message: may contain only letters, digits, '.', '_' and '-'") {
		t.Fatalf("strict: %d %s", ans.status, ans.body)
	}
}

func TestEventsRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit = 3 })
	reset := strconv.FormatInt(t0.Add(time.Minute).Unix(), 10)
	for i := 2; i >= 0; i-- {
		ans := f.push(t, ssws, okBody(t0))
		h := ans.header
		if ans.status != 202 || h.Get("X-Rate-Limit-Limit") != "3" || h.Get("X-Rate-Limit-Remaining") != strconv.Itoa(i) || h.Get("X-Rate-Limit-Reset") != reset {
			t.Fatalf("%d: %d %v", i, ans.status, h)
		}
	}
	ans := f.push(t, ssws, okBody(t0))
	if ans.status != 429 || ans.header.Get("X-Rate-Limit-Remaining") != "0" || ans.header.Get("X-Rate-Limit-Reset") != reset || ans.header.Get("Retry-After") != "" {
		t.Fatalf("over: %d %v", ans.status, ans.header)
	}
	// vendors.md §4.5's body, but for the errorId.
	m := ans.json(t)
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
	if ans := f.push(t, ssws, okBody(f.clock.Now())); ans.status != 202 || ans.header.Get("X-Rate-Limit-Remaining") != "2" {
		t.Fatalf("next window: %d", ans.status)
	}
}

func TestProviders(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ProviderAction = "log_only" })
	ans := do(t, "GET", f.base+"/api/v1/risk/providers", "", ssws, "")
	var ps []providerJSON
	if err := json.Unmarshal(ans.body, &ps); err != nil || ans.status != 200 || len(ps) != 2 {
		t.Fatalf("%d %s", ans.status, ans.body)
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
	if _, err := time.Parse(timeLayout, def.Created); err != nil || ans.header.Get("X-Rate-Limit-Limit") != "100" {
		t.Fatalf("created %q, headers %v", def.Created, ans.header)
	}

	if ans := do(t, "GET", f.base+"/api/v1/risk/providers", "", f.bearer(t, ScopeProvidersRead), ""); ans.status != 200 {
		t.Fatalf("bearer read: %d", ans.status)
	}
	if ans := do(t, "GET", f.base+"/api/v1/risk/providers", "", f.bearer(t, ScopeRiskEvents), ""); ans.status != 403 {
		t.Fatalf("bearer without read scope: %d", ans.status)
	}
	if ans := do(t, "POST", f.base+"/api/v1/risk/providers", "application/json", ssws, "{}"); ans.status != 405 {
		t.Fatalf("POST: %d", ans.status)
	}

	for name, mod := range map[string]func(*Options){
		"no app":       func(o *Options) { o.ClientID = "" },
		"unregistered": func(o *Options) { o.Unregistered = true },
	} {
		g := newFixture(t, mod)
		ans := do(t, "GET", g.base+"/api/v1/risk/providers", "", ssws, "")
		var ps []providerJSON
		json.Unmarshal(ans.body, &ps)
		if len(ps) != 1 || ps[0].ClientID != "null" {
			t.Fatalf("%s: %s", name, ans.body)
		}
	}
	// The same seed names things the same way.
	g := newFixture(t, func(o *Options) { o.ProviderAction = "log_only" })
	var again []providerJSON
	json.Unmarshal(do(t, "GET", g.base+"/api/v1/risk/providers", "", ssws, "").body, &again)
	if again[0].ID != def.ID || again[1].ID != mine.ID {
		t.Fatal("provider ids are not deterministic")
	}
}

func TestFaultsAndMisc(t *testing.T) {
	f := newFixture(t, nil)
	f.sim.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 5 * time.Second})
	ans := f.push(t, ssws, okBody(t0))
	if ans.status != 429 || ans.json(t)["errorCode"] != "E0000047" || ans.header.Get("Retry-After") != "5" ||
		ans.header.Get("X-Rate-Limit-Reset") != strconv.FormatInt(t0.Add(5*time.Second).Unix(), 10) {
		t.Fatalf("injected 429: %d %v %s", ans.status, ans.header, ans.body)
	}
	f.sim.Faults().Set(simkit.Faults{FailNext: 1})
	if ans := f.push(t, ssws, okBody(t0)); ans.status != 503 || ans.json(t)["errorCode"] != "E0000009" {
		t.Fatalf("injected 503: %d %s", ans.status, ans.body)
	}
	if f.sim.EventRequests() != 0 {
		t.Fatal("injected faults counted as event requests")
	}
	if ans := do(t, "GET", f.base+"/api/v1/users", "", ssws, ""); ans.status != 404 || ans.json(t)["errorCode"] != "E0000007" {
		t.Fatalf("unknown path: %d", ans.status)
	}

	f.sim.Faults().Set(simkit.Faults{Hostile: true})
	ans = f.push(t, "SSWS wrong", okBody(t0))
	sum := ans.json(t)["errorSummary"].(string)
	if sanitize.Valid(sum) || !strings.Contains(sum, "Authentication failed") {
		t.Fatalf("hostile summary %q", sum)
	}
	var ps []providerJSON
	json.Unmarshal(do(t, "GET", f.base+"/api/v1/risk/providers", "", ssws, "").body, &ps)
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
