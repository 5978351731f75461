package olsim

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/sim/simtest"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type rig struct {
	clock *simkit.ManualClock
	world *simkit.World
	sim   *Server
	srv   *httptest.Server
}

func newRig(t *testing.T, opts Options) *rig {
	t.Helper()
	r := &rig{clock: simkit.NewManualClock(t0)}
	r.world = simkit.NewWorld(simkit.Options{Seed: 7, Clock: r.clock, Scenario: true, History: 12 * time.Hour})
	opts.BasePath = "/onelogin"
	r.sim = New(r.world, opts)
	r.srv = simtest.Serve(t, r.sim.Handler())
	return r
}

type answer struct{ simtest.Answer }

// envelope returns the v1 status envelope's code and message.
func (a answer) envelope(t *testing.T) (int, string) {
	t.Helper()
	st, _ := a.JSON(t)["status"].(map[string]any)
	code, _ := st["code"].(float64)
	msg, _ := st["message"].(string)
	return int(code), msg
}

func (r *rig) do(t *testing.T, method, path, auth, ctype, body string) answer {
	t.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = r.srv.URL + path
	}
	return answer{simtest.Do(t, method, target, body, map[string]string{"Authorization": auth, "Content-Type": ctype})}
}

const grant = `{"grant_type":"client_credentials"}`

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func (r *rig) token(t *testing.T) string {
	t.Helper()
	a := r.do(t, "POST", "/onelogin/auth/oauth2/v2/token", basic(DefaultClientID, DefaultClientSecret), "application/json", grant)
	tok, _ := a.JSON(t)["access_token"].(string)
	if a.Status != 200 || tok == "" {
		t.Fatalf("token: %d %s", a.Status, a.Body)
	}
	return tok
}

func (r *rig) get(t *testing.T, pathQuery string) answer {
	t.Helper()
	return r.do(t, "GET", pathQuery, "Bearer "+r.token(t), "", "")
}

func TestTokenForms(t *testing.T) {
	r := newRig(t, Options{})
	path := "/onelogin/auth/oauth2/v2/token"
	forms := []struct{ name, auth, ctype, body string }{
		{"client_id header + JSON", "client_id:" + DefaultClientID + ", client_secret:" + DefaultClientSecret, "application/json", grant},
		{"form body", "", "application/x-www-form-urlencoded",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}.Encode()},
		{"Basic + JSON", basic(DefaultClientID, DefaultClientSecret), "application/json", grant},
	}
	var first string
	for _, f := range forms {
		a := r.do(t, "POST", path, f.auth, f.ctype, f.body)
		m := a.JSON(t)
		tok, _ := m["access_token"].(string)
		if a.Status != 200 || tok == "" || m["token_type"] != "bearer" || m["expires_in"] != 36000.0 || m["account_id"] != float64(DefaultAccountID) {
			t.Fatalf("%s: %d %s", f.name, a.Status, a.Body)
		}
		if _, wrapped := m["status"]; wrapped {
			t.Errorf("%s: the v2 token response is flat", f.name)
		}
		if first == "" {
			first = tok
		} else if tok != first {
			t.Errorf("%s: a different token for the same credentials", f.name)
		}
	}
	r.clock.Advance(time.Hour)
	if m := r.do(t, "POST", path, forms[2].auth, forms[2].ctype, forms[2].body).JSON(t); m["access_token"] != first || m["expires_in"] != 32400.0 {
		t.Errorf("an hour later: %v", m)
	}
	if r.sim.TokensMinted() != 1 {
		t.Errorf("%d minted", r.sim.TokensMinted())
	}
	r.clock.Advance(9 * time.Hour)
	if m := r.do(t, "POST", path, forms[2].auth, forms[2].ctype, forms[2].body).JSON(t); m["access_token"] == first {
		t.Error("the expired token came back")
	}

	bad := []struct {
		name, auth, ctype, body string
		status                  int
		msg                     string
	}{
		{"wrong secret", basic(DefaultClientID, "nope"), "application/json", grant, 401, MsgAuthFailure},
		{"wrong id", "client_id:x, client_secret:" + DefaultClientSecret, "application/json", grant, 401, MsgAuthFailure},
		{"no credentials", "", "application/json", grant, 400, MsgAuthHeader},
		{"bearer instead of credentials", "Bearer abc", "application/json", grant, 400, MsgAuthHeader},
		{"bad base64", "Basic !!!", "application/json", grant, 400, MsgAuthHeader},
		{"wrong grant", basic(DefaultClientID, DefaultClientSecret), "application/json", `{"grant_type":"password"}`, 400, "grant_type must be client_credentials"},
		{"not JSON", basic(DefaultClientID, DefaultClientSecret), "application/json", `grant_type=client_credentials`, 400, "Malformed JSON body"},
	}
	for _, b := range bad {
		a := r.do(t, "POST", path, b.auth, b.ctype, b.body)
		if code, msg := a.envelope(t); a.Status != b.status || code != b.status || msg != b.msg {
			t.Errorf("%s: %d %s", b.name, a.Status, a.Body)
		}
	}
}

func TestResourceAuth(t *testing.T) {
	r := newRig(t, Options{})
	tok := r.token(t)
	path := "/onelogin/api/2/risk/scores"
	for _, c := range []struct {
		auth   string
		status int
		msg    string
	}{
		{"Bearer " + tok, 200, ""},
		{"bearer " + tok, 200, ""},
		{"bearer:" + tok, 200, ""},
		{"Bearer:" + tok, 200, ""},
		{"", 400, MsgAuthHeader},
		{"Token " + tok, 400, MsgAuthHeader},
		{"Bearer ", 400, MsgAuthHeader},
		{"Bearer nope", 401, MsgAuthFailure},
		{"bearer:nope", 401, MsgAuthFailure},
	} {
		a := r.do(t, "GET", path, c.auth, "", "")
		if a.Status != c.status {
			t.Errorf("%q: %d %s", c.auth, a.Status, a.Body)
		} else if c.msg != "" {
			if code, msg := a.envelope(t); code != c.status || msg != c.msg {
				t.Errorf("%q: %s", c.auth, a.Body)
			}
		}
	}
	r.sim.RevokeTokens()
	if a := r.do(t, "GET", path, "Bearer "+tok, "", ""); a.Status != 401 {
		t.Errorf("revoked token: %d", a.Status)
	}
	tok = r.token(t)
	r.clock.Advance(DefaultTokenTTL)
	if a := r.do(t, "GET", path, "Bearer "+tok, "", ""); a.Status != 401 {
		t.Errorf("expired token: %d", a.Status)
	}

	r.sim.SetLegacyBearerOnly(true)
	tok = r.token(t)
	if a := r.do(t, "GET", path, "Bearer "+tok, "", ""); a.Status != 400 {
		t.Errorf("legacy-only took Bearer: %d", a.Status)
	}
	if a := r.do(t, "GET", path, "bearer:"+tok, "", ""); a.Status != 200 {
		t.Errorf("legacy-only refused bearer: %d", a.Status)
	}
	forms := map[string]int{}
	for _, s := range r.sim.Log() {
		forms[s.Auth]++
	}
	// "Bearer " with no token counts as another form.
	if want := map[string]int{AuthBasic: 3, AuthBearer: 6, AuthLegacy: 4, AuthNone: 1, AuthOther: 2}; !maps.Equal(forms, want) {
		t.Errorf("forms seen %v", forms)
	}
}

func TestOwnerDeletedAndNoRoute(t *testing.T) {
	r := newRig(t, Options{})
	tok := r.token(t)
	for _, c := range []struct{ method, path string }{
		{"POST", "/onelogin/api/1/events"},
		{"GET", "/onelogin/auth/oauth2/v2/token"},
		{"GET", "/onelogin/api/1/nothing"},
		{"GET", "/api/1/events"}, // outside BasePath
	} {
		a := r.do(t, c.method, c.path, "Bearer "+tok, "", "")
		if code, msg := a.envelope(t); a.Status != 404 || code != 404 || msg != MsgNoRoute {
			t.Errorf("%s %s: %d %s", c.method, c.path, a.Status, a.Body)
		}
	}
	r.sim.SetOwnerDeleted(true)
	for _, p := range []string{"/onelogin/auth/oauth2/v2/token", "/onelogin/api/1/events", "/onelogin/auth/rate_limit"} {
		a := r.do(t, "POST", p, basic(DefaultClientID, DefaultClientSecret), "application/json", grant)
		if code, _ := a.envelope(t); a.Status != 500 || code != 500 {
			t.Errorf("%s: %d %s", p, a.Status, a.Body)
		}
	}
}

type eventsPage struct {
	Pagination struct {
		BeforeCursor *string `json:"before_cursor"`
		AfterCursor  *string `json:"after_cursor"`
		PreviousLink *string `json:"previous_link"`
		NextLink     *string `json:"next_link"`
	} `json:"pagination"`
	Data []map[string]any `json:"data"`
}

func (a answer) page(t *testing.T) eventsPage {
	t.Helper()
	var p eventsPage
	if a.Status != 200 {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
	if err := json.Unmarshal(a.Body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(p eventsPage) []int64 {
	var out []int64
	for _, e := range p.Data {
		out = append(out, int64(e["id"].(float64)))
	}
	return out
}

func TestEventsPagingBothWays(t *testing.T) {
	r := newRig(t, Options{})
	// A raw "+" (as in the documented example) reads as a space: still ascending.
	p1 := r.get(t, "/onelogin/api/1/events?sort=+id&limit=7&event_type_id=5,6").page(t)
	if len(p1.Data) != 7 || !slices.IsSorted(ids(p1)) || p1.Pagination.BeforeCursor != nil || p1.Pagination.NextLink == nil {
		t.Fatalf("page 1: %v %+v", ids(p1), p1.Pagination)
	}
	next, _ := url.Parse(*p1.Pagination.NextLink)
	if next.Host != strings.TrimPrefix(r.srv.URL, "http://") || next.Path != "/onelogin/api/1/events" ||
		next.Query().Get("after_cursor") != *p1.Pagination.AfterCursor || len(next.Query()) != 1 {
		t.Fatalf("next_link %s", next)
	}
	p2 := r.get(t, next.String()).page(t)
	p3 := r.get(t, *p2.Pagination.NextLink).page(t)
	for _, p := range []eventsPage{p2, p3} {
		if len(p.Data) != 7 || p.Pagination.PreviousLink == nil {
			t.Fatalf("page: %v %+v", ids(p), p.Pagination)
		}
		for _, e := range p.Data {
			if ty := e["event_type_id"].(float64); ty != 5 && ty != 6 {
				t.Fatalf("the cursor lost the type filter: %v", e)
			}
		}
	}
	all := slices.Concat(ids(p1), ids(p2), ids(p3))
	if !slices.IsSorted(all) || slices.Compact(slices.Clone(all))[20] != all[20] {
		t.Fatalf("pages overlap or go backwards: %v", all)
	}
	if back := r.get(t, *p3.Pagination.PreviousLink).page(t); !slices.Equal(ids(back), ids(p2)) {
		t.Errorf("previous of page 3 = %v, want %v", ids(back), ids(p2))
	}
	if back := r.get(t, *p2.Pagination.PreviousLink).page(t); !slices.Equal(ids(back), ids(p1)) || back.Pagination.PreviousLink != nil {
		t.Errorf("previous of page 2 = %v (%+v), want %v", ids(back), back.Pagination, ids(p1))
	}

	// Newest first by default; limit above 50 is cut to 50.
	d := r.get(t, "/onelogin/api/1/events?limit=80").page(t)
	if len(d.Data) != MaxPageSize || !slices.IsSortedFunc(ids(d), func(a, b int64) int { return int(b - a) }) ||
		ids(d)[0] != EventIDBase+r.world.LastSeq() {
		t.Errorf("default page: %d events from %d", len(d.Data), ids(d)[0])
	}
	// The last page has no cursor.
	last := r.get(t, "/onelogin/api/1/events?id="+strconv.FormatInt(ids(d)[3], 10)).page(t)
	if len(last.Data) != 1 || last.Pagination.AfterCursor != nil || last.Pagination.NextLink != nil {
		t.Errorf("single event page %+v", last.Pagination)
	}
	for _, q := range []string{"limit=0", "limit=x", "sort=created_at", "since=yesterday", "event_type_id=5,x", "user_id=me", "after_cursor=garbage"} {
		a := r.get(t, "/onelogin/api/1/events?"+q)
		if code, _ := a.envelope(t); a.Status != 400 || code != 400 {
			t.Errorf("%s: %d %s", q, a.Status, a.Body)
		}
	}
}

func TestEventFieldsAndProjection(t *testing.T) {
	r := newRig(t, Options{})
	d := r.get(t, "/onelogin/api/1/events?event_type_id=5&limit=50").page(t)
	sample := []string{"id", "created_at", "account_id", "user_id", "event_type_id", "notes", "ipaddr", "actor_user_id",
		"assuming_acting_user_id", "role_id", "app_id", "group_id", "otp_device_id", "policy_id", "actor_system",
		"custom_message", "role_name", "app_name", "group_name", "actor_user_name", "user_name", "policy_name",
		"otp_device_name", "operation_name", "directory_sync_run_id", "directory_id", "resolution", "client_id",
		"resource_type_id", "error_description", "proxy_ip", "risk_score", "risk_reasons", "risk_cookie_id", "browser_fingerprint"}
	for _, e := range d.Data {
		for _, k := range sample {
			if _, ok := e[k]; !ok {
				t.Fatalf("event lacks %s", k)
			}
		}
		if len(e) != len(sample) || e["risk_score"] == nil {
			t.Fatalf("login event %v", e)
		}
		if _, err := time.Parse(timeFormat, e["created_at"].(string)); err != nil {
			t.Fatal(err)
		}
	}
	p := r.get(t, "/onelogin/api/1/events?fields=created_at,user_id,nope&limit=3").page(t)
	for _, e := range p.Data {
		if len(e) != 3 || e["id"] == nil || e["created_at"] == nil || e["user_id"] == nil {
			t.Errorf("projected %v", e)
		}
	}
	// Filters the simulated events never carry match nothing.
	for _, q := range []string{"client_id=abc", "directory_id=4", "resolution=1", "user_id=1"} {
		if p := r.get(t, "/onelogin/api/1/events?"+q).page(t); len(p.Data) != 0 {
			t.Errorf("%s matched %d", q, len(p.Data))
		}
	}
	// created_at matches to the second.
	e := d.Data[10]
	at := e["created_at"].(string)
	p = r.get(t, "/onelogin/api/1/events?created_at="+at[:19]+".999Z&event_type_id=5").page(t)
	if !slices.Contains(ids(p), int64(e["id"].(float64))) {
		t.Errorf("created_at=%s missed event %v", at, e["id"])
	}
}

func TestScoresWindow(t *testing.T) {
	r := newRig(t, Options{})
	now := r.clock.Now()
	m := r.get(t, "/onelogin/api/2/risk/scores").JSON(t)
	want := ScoreCounts(r.world.Between(now.Add(-DefaultScoreWindow), now))
	scores := m["scores"].(map[string]any)
	if scores["minimal"] != float64(want[0]) || scores["very_high"] != float64(want[4]) || len(scores) != 5 ||
		m["total"] != float64(want[0]+want[1]+want[2]+want[3]+want[4]) {
		t.Errorf("%v, want %v", m, want)
	}
	day := 24 * time.Hour
	f := func(t time.Time) string { return t.UTC().Format(timeFormat) }
	for _, c := range []struct {
		q      string
		status int
	}{
		{"after=" + f(now.Add(-89*day)), 200},
		{"after=" + f(now.Add(-MaxLookback)), 200},
		{"after=" + f(now.Add(-MaxLookback-time.Millisecond)), 400},
		{"before=" + f(now.Add(-91*day)), 400},
		{"after=" + f(now.Add(-day)) + "&before=" + f(now.Add(-2*day)), 400},
		{"after=" + now.Add(-2*day).Format("2006-01-02"), 200},
		{"after=2026-02-30", 400},
	} {
		a := r.get(t, "/onelogin/api/2/risk/scores?"+c.q)
		if a.Status != c.status {
			t.Errorf("%s: %d %s", c.q, a.Status, a.Body)
		}
		if c.status == 400 {
			if code, _ := a.envelope(t); code != 400 {
				t.Errorf("%s: %s", c.q, a.Body)
			}
		}
	}
}

func TestRateLimit(t *testing.T) {
	r := newRig(t, Options{RateLimit: 2, RateWindow: 10 * time.Minute})
	tok := r.token(t)
	get := func(p string) answer { return r.do(t, "GET", "/onelogin"+p, "Bearer "+tok, "", "") }
	a := get("/api/1/events/types")
	if a.Status != 200 || a.Header.Get("X-RateLimit-Limit") != "2" || a.Header.Get("X-RateLimit-Remaining") != "1" ||
		a.Header.Get("X-RateLimit-Reset") != "600" {
		t.Fatalf("headers %v", a.Header)
	}
	r.clock.Advance(90 * time.Second)
	for range 3 {
		rl := get("/auth/rate_limit").JSON(t)["data"].(map[string]any)
		if rl["X-RateLimit-Limit"] != 2.0 || rl["X-RateLimit-Remaining"] != 1.0 || rl["X-RateLimit-Reset"] != 510.0 {
			t.Fatalf("rate_limit %v", rl)
		}
	}
	get("/api/2/risk/scores")
	a = get("/api/1/events")
	if code, msg := a.envelope(t); a.Status != 429 || code != 429 || msg != MsgRateExceeded || a.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("over budget: %d %s %v", a.Status, a.Body, a.Header)
	}
	r.clock.Advance(510 * time.Second)
	if a := get("/api/1/events"); a.Status != 200 || a.Header.Get("X-RateLimit-Remaining") != "1" {
		t.Fatalf("after the window: %d %v", a.Status, a.Header)
	}
	// Injected 429s use the same envelope.
	r.sim.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 2 * time.Second})
	a = get("/api/1/events")
	if code, _ := a.envelope(t); a.Status != 429 || code != 429 || a.Header.Get("Retry-After") != "2" {
		t.Fatalf("injected: %d %s", a.Status, a.Body)
	}
}

func TestHostileKnobReachesTextFields(t *testing.T) {
	r := newRig(t, Options{})
	q := "/onelogin/api/1/events?limit=50&event_type_id=5,8,6"
	plain := r.get(t, q).page(t)
	r.sim.Faults().Set(simkit.Faults{Hostile: true})
	d := r.get(t, q).page(t)
	// The wrapper is chosen by the value, so a constant text may always get
	// a printable one (CJK, emoji): count changed fields, and dirty ones.
	changed, dirty := map[string]bool{}, map[string]bool{}
	for i, e := range d.Data {
		for k, v := range e {
			if s, ok := v.(string); ok {
				p, _ := plain.Data[i][k].(string)
				changed[k] = changed[k] || (s != p && strings.HasSuffix(s, p))
				dirty[k] = dirty[k] || !sanitize.Valid(s)
			}
		}
	}
	for _, k := range []string{"user_name", "actor_user_name", "ipaddr", "notes", "browser_fingerprint", "app_name", "error_description", "risk_cookie_id"} {
		if !changed[k] {
			t.Errorf("%s never hostile", k)
		}
	}
	if n := len(dirty); n < 5 {
		t.Errorf("only %d fields carried unprintable text: %v", n, dirty)
	}
	if changed["created_at"] {
		t.Error("created_at must stay a timestamp")
	}
}

func TestDeterministicAndLogBounded(t *testing.T) {
	a, b := newRig(t, Options{}), newRig(t, Options{})
	q := "/onelogin/api/1/events?limit=50&sort=-id"
	if pa, pb := a.get(t, q), b.get(t, q); string(pa.Body) != strings.ReplaceAll(string(pb.Body), b.srv.URL, a.srv.URL) {
		t.Fatal("same seed and clock, different events")
	}
	h := a.sim.Handler()
	before := a.sim.ServedCount()
	for range logCap + 5 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/onelogin/nothing", nil))
	}
	if n := len(a.sim.Log()); n != logCap || a.sim.ServedCount() != before+logCap+5 {
		t.Fatalf("log %d, served %d", n, a.sim.ServedCount())
	}
	if last := a.sim.Log()[logCap-1]; last.Status != 404 || last.Path != "/onelogin/nothing" {
		t.Errorf("last %+v", last)
	}
}
