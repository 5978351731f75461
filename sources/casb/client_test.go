package casb

import (
	"context"
	"errors"
	"fmt"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendorkit"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type sleeps = httpxtest.Waits

type env struct {
	clock  *simkit.ManualClock
	sim    *casbsim.Server
	srv    *httptest.Server
	client *Client
	sleeps *sleeps
}

// newEnv serves a simulator under /casb on loopback and points a client at it.
func newEnv(t *testing.T, opts casbsim.Options, mod func(*Config)) *env {
	t.Helper()
	clock := simkit.NewManualClock(t0)
	world := simkit.NewWorld(simkit.Options{Seed: 7, Clock: clock, Scenario: true})
	opts.BasePath = "/casb"
	sim := casbsim.New(world, opts)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	s := &sleeps{}
	cfg := Config{
		BaseURL:      srv.URL + "/casb",
		AccessKey:    secret.New(casbsim.DefaultAccessKey),
		AccessSecret: secret.New(casbsim.DefaultAccessSecret),
		HTTP:         httpx.Options{Sleep: s.Sleep, Now: clock.Now, Timeout: 5 * time.Second},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{clock: clock, sim: sim, srv: srv, client: c, sleeps: s}
}

func (e *env) reportRequests() []casbsim.Request {
	var out []casbsim.Request
	for _, r := range e.sim.Requests() {
		if strings.Contains(r.Path, "/reports/") {
			out = append(out, r)
		}
	}
	return out
}

// checkRows asserts that the client read exactly the simulator's rows.
func checkRows(t *testing.T, got []UserRisk, want []casbsim.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, simulator has %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if err := g.Err(); err != nil {
			t.Errorf("row %d: %v", i, err)
		}
		day := w.Last.Truncate(24 * time.Hour)
		if g.UserName != w.UserName || g.AppName != w.AppType || g.AppInstance != w.AppInstance ||
			g.AppInstanceID != w.AppInstanceID || g.RiskLevel != w.Level || g.MaxRiskScore != w.Score ||
			!g.DetectedDate.Equal(day) || !g.Reasons.Timestamp.Equal(w.Last) || g.Reasons.AppInstanceID != w.AppInstanceID {
			t.Fatalf("row %d:\n got  %+v\n want %+v", i, g, w)
		}
		if len(g.Reasons.Codes) != len(w.Reasons) {
			t.Fatalf("row %d: codes %v, want %+v", i, g.Reasons.Codes, w.Reasons)
		}
		for _, r := range w.Reasons {
			if g.Reasons.Codes[r.Code] == "" {
				t.Fatalf("row %d: code %s missing from %v", i, r.Code, g.Reasons.Codes)
			}
			if r.Code == casbsim.CodeNoRisk {
				continue
			}
			if g.ReasonsCounts[r.Code] != r.Count || g.ReasonsAverage[r.Code] != r.Average {
				t.Fatalf("row %d %s: count %d avg %v, want %d %v", i, r.Code,
					g.ReasonsCounts[r.Code], g.ReasonsAverage[r.Code], r.Count, r.Average)
			}
		}
	}
}

func TestWholeReportAcrossPages(t *testing.T) {
	e := newEnv(t, casbsim.Options{}, nil)
	rep, err := e.client.UserRiskReport(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := e.sim.Rows()
	checkRows(t, rep.Rows, want)
	if rep.Pages < 3 || rep.Pages != (len(want)+99)/100 {
		t.Errorf("%d pages for %d rows", rep.Pages, len(want))
	}
	if rep.TotalCount != len(want) || rep.ReportID != "userrisk" || rep.Title != "Users at risk" ||
		rep.TenantName != e.sim.TenantID() || rep.Type != "ReportResponse" || rep.Malformed() != 0 {
		t.Errorf("meta %+v", rep.ReportMeta)
	}
	reqs := e.reportRequests()
	if len(reqs) != rep.Pages {
		t.Fatalf("%d report requests for %d pages", len(reqs), rep.Pages)
	}
	for i, r := range reqs {
		if r.Path != "/casb/api/v1/reports/details/Userrisk" || r.Query.Get("pagesize") != "100" ||
			r.Accept != "application/json" || r.Tenant != e.sim.TenantID() || !r.Bearer || r.Status != 200 {
			t.Errorf("request %d: %+v", i, r)
		}
		if (i == 0) != (r.Query.Get("markerPosition") == "") {
			t.Errorf("request %d markerPosition %q", i, r.Query.Get("markerPosition"))
		}
	}
	if e.sim.TokensMinted() != 1 {
		t.Errorf("%d tokens minted for one run", e.sim.TokensMinted())
	}
}

func TestPagesWithFiltersAndSmallPages(t *testing.T) {
	e := newEnv(t, casbsim.Options{}, func(c *Config) { c.PageSize = 20; c.Report = "userrisk" })
	var want []casbsim.Row
	for _, r := range e.sim.Rows() {
		if r.AppType == "SLACK" {
			want = append(want, r)
		}
	}
	var got []UserRisk
	pages := 0
	for p, err := range e.client.UserRiskPages(context.Background(), Filter{ApplicationType: "slack"}) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if p.TotalCount != len(want) || p.MaxCount != 20 || p.Size != len(p.Rows) {
			t.Errorf("page %d: total %d max %d size %d rows %d", pages, p.TotalCount, p.MaxCount, p.Size, len(p.Rows))
		}
		got = append(got, p.Rows...)
	}
	if pages < 3 {
		t.Fatalf("only %d pages; the test needs several", pages)
	}
	checkRows(t, got, want)
	for _, r := range e.reportRequests() {
		if r.Query.Get("applicationType") != "slack" || r.Query.Get("pagesize") != "20" || r.Path != "/casb/api/v1/reports/details/userrisk" {
			t.Errorf("request %+v", r)
		}
	}
}

func TestPageIteratorStopsWhenTheCallerDoes(t *testing.T) {
	e := newEnv(t, casbsim.Options{}, func(c *Config) { c.PageSize = 10 })
	n := 0
	for _, err := range e.client.UserRiskPages(context.Background(), Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
	if got := len(e.reportRequests()); got != 2 {
		t.Fatalf("%d requests after stopping at page 2", got)
	}
}

func TestUserNameFilterAndMixedCase(t *testing.T) {
	e := newEnv(t, casbsim.Options{}, nil)
	var mixed casbsim.Row
	for _, r := range e.sim.Rows() {
		if r.UserName != strings.ToLower(r.UserName) {
			mixed = r
			break
		}
	}
	if mixed.UserName == "" {
		t.Fatal("the simulator shows no Mixed-Case user names")
	}
	rep, err := e.client.UserRiskReport(context.Background(), Filter{UserName: strings.ToLower(mixed.UserName)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) == 0 {
		t.Fatal("no rows for the user")
	}
	for _, r := range rep.Rows {
		if r.UserName != mixed.UserName {
			t.Errorf("row for %q", r.UserName)
		}
	}
	rep, err = e.client.UserRiskReport(context.Background(), Filter{ApplicationInstanceName: mixed.AppInstance, UserName: mixed.UserName})
	if err != nil || len(rep.Rows) != 1 || rep.Rows[0].AppInstance != mixed.AppInstance {
		t.Fatalf("instance filter: %v %+v", err, rep)
	}
}

func TestTokenExpiryAndRevocation(t *testing.T) {
	e := newEnv(t, casbsim.Options{TokenTTL: 30 * time.Minute}, func(c *Config) { c.PageSize = 50 })
	ctx := context.Background()
	if _, err := e.client.UserRiskPage(ctx, Filter{}, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	if _, err := e.client.UserRiskPage(ctx, Filter{}, ""); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.TokensMinted(); n != 1 {
		t.Fatalf("%d tokens minted while the first was still good", n)
	}

	e.clock.Advance(25 * time.Minute) // past expiresAt
	if _, err := e.client.UserRiskPage(ctx, Filter{}, ""); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.TokensMinted(); n != 2 {
		t.Fatalf("%d tokens minted after expiry, want 2", n)
	}
	for _, r := range e.reportRequests() {
		if r.Status != 200 {
			t.Errorf("a request went out with an expired token: %+v", r)
		}
	}

	// Revoked in the middle of paging: the next page gets a 401, the
	// client mints again, and paging carries on from the same marker.
	pages := 0
	var rows int
	for p, err := range e.client.UserRiskPages(ctx, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if pages++; pages == 2 {
			e.sim.RevokeTokens()
		}
		rows += len(p.Rows)
	}
	if n := e.sim.TokensMinted(); n != 3 {
		t.Fatalf("%d tokens minted after revocation, want 3", n)
	}
	if rows != len(e.sim.Rows()) || pages < 3 {
		t.Fatalf("%d rows in %d pages after re-auth, want %d", rows, pages, len(e.sim.Rows()))
	}
	saw401 := false
	for _, r := range e.reportRequests() {
		saw401 = saw401 || r.Status == 401
	}
	if !saw401 {
		t.Error("the revoked token was never refused: the test did not test re-auth")
	}
}

func TestThrottledThenSuccess(t *testing.T) {
	e := newEnv(t, casbsim.Options{}, nil)
	if _, err := e.client.UserRiskPage(context.Background(), Filter{}, ""); err != nil { // mint first
		t.Fatal(err)
	}
	e.sim.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 3 * time.Second})
	p, err := e.client.UserRiskPage(context.Background(), Filter{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) == 0 {
		t.Fatal("no rows")
	}
	if got := e.sleeps.All(); len(got) != 1 || got[0] != 3*time.Second {
		t.Fatalf("waits %v, want [3s]", got)
	}
}

func TestErrorStatusesAreTyped(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		opts   casbsim.Options
		mod    func(*Config)
		filter Filter
		faults simkit.Faults
		status int
		hint   string
		msg    string
	}{
		{name: "bad secret", mod: func(c *Config) { c.AccessSecret = secret.New("wrong-secret-value") },
			status: 401, hint: "access key and secret", msg: "Invalid access key or access secret"},
		{name: "APIs not enabled", opts: casbsim.Options{Forbidden: true},
			status: 403, hint: "CASB APIs are probably not enabled for the tenant", msg: "forbidden"},
		{name: "unknown report", mod: func(c *Config) { c.Report = "Userrisks" },
			status: 404, hint: "check the report name", msg: "not present"},
		{name: "unknown instance", filter: Filter{ApplicationInstanceName: "nope-prod"},
			status: 404, hint: "application instance", msg: "not present"},
		{name: "page too big for the server", opts: casbsim.Options{MaxPageSize: 10}, mod: func(c *Config) { c.PageSize = 50 },
			status: 400, hint: "pagesize is at most 100", msg: "pagesize must be at most 10"},
		{name: "unavailable", faults: simkit.Faults{FailNext: 10},
			status: 503, hint: "will retry", msg: "injected fault"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts, tc.mod)
			e.sim.Faults().Set(tc.faults)
			_, err := e.client.UserRiskReport(ctx, tc.filter)
			var he *httpx.Error
			var ae *APIError
			if !errors.As(err, &he) || !errors.As(err, &ae) {
				t.Fatalf("error %T %v is not *httpx.Error wrapping *APIError", err, err)
			}
			if he.Status != tc.status || ae.Status != tc.status || he.Kind != httpx.KindStatus {
				t.Errorf("status %d/%d kind %v, want %d", he.Status, ae.Status, he.Kind, tc.status)
			}
			if !strings.Contains(he.Hint, tc.hint) || !strings.Contains(ae.Message, tc.msg) {
				t.Errorf("hint %q message %q", he.Hint, ae.Message)
			}
			if ae.Code != fmt.Sprint(tc.status) {
				t.Errorf("code %q", ae.Code)
			}
			if !sanitize.Valid(err.Error()) {
				t.Errorf("error text not clean: %q", err)
			}
		})
	}
}

func TestSecretsNeverInErrorsOrStrings(t *testing.T) {
	const key, sec = "AKEY-visible-nowhere-123", "SECRET-visible-nowhere-456"
	e := newEnv(t, casbsim.Options{}, func(c *Config) {
		c.AccessKey, c.AccessSecret = secret.New(key), secret.New(sec)
	})
	_, err := e.client.UserRiskReport(context.Background(), Filter{})
	if err == nil {
		t.Fatal("wrong credentials were accepted")
	}
	cfg := Config{AccessKey: secret.New(key), AccessSecret: secret.New(sec)}
	for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), fmt.Sprint(e.client), fmt.Sprintf("%+v", *e.client)} {
		if strings.Contains(s, key) || strings.Contains(s, sec) {
			t.Errorf("credential leaked: %s", s)
		}
	}
	if e.sim.TokensMinted() != 0 {
		t.Error("a token was minted for wrong credentials")
	}
	// The refused key pair must not be retried as if it were a network fault.
	if n := len(e.sim.Requests()); n != 1 {
		t.Errorf("%d requests for a refused key pair, want 1", n)
	}
}

func TestMalformedAndTruncatedBodies(t *testing.T) {
	for name, f := range map[string]simkit.Faults{
		"malformed": {Malformed: true},
		"truncated": {Truncate: true},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, casbsim.Options{}, nil)
			if _, err := e.client.UserRiskPage(context.Background(), Filter{}, ""); err != nil {
				t.Fatal(err)
			}
			e.sim.Faults().Set(f)
			_, err := e.client.UserRiskReport(context.Background(), Filter{})
			if httpx.KindOf(err) != httpx.KindDecode {
				t.Fatalf("error %v, kind %v; want KindDecode", err, httpx.KindOf(err))
			}
			if !sanitize.Valid(err.Error()) {
				t.Errorf("error text not clean: %q", err)
			}
		})
	}
	t.Run("token response", func(t *testing.T) {
		e := newEnv(t, casbsim.Options{}, nil)
		e.sim.Faults().Set(simkit.Faults{Truncate: true})
		_, err := e.client.UserRiskPage(context.Background(), Filter{}, "")
		if httpx.KindOf(err) != httpx.KindDecode || !strings.Contains(err.Error(), "/api/v1/token") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestGzipBodies(t *testing.T) {
	plain := newEnv(t, casbsim.Options{}, nil)
	zipped := newEnv(t, casbsim.Options{Gzip: true}, nil)
	a, err := plain.client.UserRiskReport(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := zipped.client.UserRiskReport(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, b.Rows, zipped.sim.Rows())
	if len(a.Rows) != len(b.Rows) || b.Pages < 3 {
		t.Fatalf("gzip gave %d rows in %d pages, plain %d", len(b.Rows), b.Pages, len(a.Rows))
	}
}

func TestHostileTextIsCleanAndReadable(t *testing.T) {
	e := newEnv(t, casbsim.Options{}, func(c *Config) { c.HTTP.MaxBody = 32 << 20 })
	want := e.sim.Rows()
	e.sim.Faults().Set(simkit.Faults{Hostile: true})
	rep, err := e.client.UserRiskReport(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	assertClean(t, rep)
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rep.Rows), len(want))
	}
	memo := map[string]string{}
	hostile := func(s string) string {
		if h, ok := memo[s]; ok {
			return h
		}
		memo[s] = sanitize.Line(simkit.HostileText(s))
		return memo[s]
	}
	changed := 0
	for i, w := range want {
		g := rep.Rows[i]
		if err := g.Err(); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		pairs := [][2]string{
			{g.UserName, hostile(w.UserName)}, {g.AppName, hostile(w.AppType)},
			{g.AppInstance, hostile(w.AppInstance)}, {g.RiskLevel, hostile(w.Level)},
		}
		for _, r := range w.Reasons {
			pairs = append(pairs, [2]string{g.Reasons.Codes[r.Code], hostile(casbsim.ReasonText(r.Code))})
		}
		for _, p := range pairs {
			if p[0] != p[1] {
				t.Fatalf("row %d: got %q, want %q", i, p[0], p[1])
			}
		}
		if g.UserName != w.UserName {
			changed++
		}
		if g.MaxRiskScore != w.Score {
			t.Fatalf("row %d score %d, want %d", i, g.MaxRiskScore, w.Score)
		}
	}
	if changed == 0 {
		t.Fatal("the hostile knob changed nothing")
	}
	if rep.Title != hostile("Users at risk") || rep.Description == "" {
		t.Errorf("title %q lost its text", rep.Title)
	}

	// Error bodies carry hostile text too.
	e.sim.Faults().Set(simkit.Faults{Hostile: true})
	_, err = e.client.UserRiskReport(context.Background(), Filter{ApplicationInstanceName: "nope"})
	if err == nil || !sanitize.Valid(err.Error()) {
		t.Fatalf("hostile error text: %q", err)
	}
}

// fake is a scripted CASB for what the simulator never does wrong.
type fake struct {
	mints   atomic.Int32
	reports atomic.Int32
	token   func(w http.ResponseWriter, n int)
	report  func(w http.ResponseWriter, r *http.Request, n int)
}

func newFake(t *testing.T, f *fake, now func() time.Time) *Client {
	t.Helper()
	if f.token == nil {
		f.token = func(w http.ResponseWriter, n int) {
			w.WriteHeader(200)
			fmt.Fprintf(w, `{"accessToken":"v2.tok%d","tenantId":"tenant-1","expiresAt":"2099-01-01T00:00:00Z"}`, n)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/token" {
			f.token(w, int(f.mints.Add(1)))
			return
		}
		if r.Header.Get("X-Apprity-Tenant-Id") != "tenant-1" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer v2.tok") {
			w.WriteHeader(401)
			io.WriteString(w, `{"message":"bad headers"}`)
			return
		}
		f.report(w, r, int(f.reports.Add(1)))
	}))
	t.Cleanup(srv.Close)
	if now == nil {
		now = time.Now
	}
	c, err := New(Config{BaseURL: srv.URL, AccessKey: secret.New("k"), AccessSecret: secret.New("s"),
		HTTP: httpx.Options{Sleep: (&sleeps{}).Sleep, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pageBody is a report page with n copies of the seed's first row.
func pageBody(total, n int, next string) string {
	row := `{"appname":"SFDC","appinstance":"x","appInstanceId":"i","userRiskDetails":[` +
		`{"displayname":"Risk Level","value":"Normal"},{"displayname":"User name","value":"u@example.com"},` +
		`{"displayname":"Maximum Risk Score","value":"00"}]}`
	rows := make([]string, n)
	for i := range rows {
		rows[i] = row
	}
	nm := ""
	if next != "" {
		nm = fmt.Sprintf(`"nextMarkerPosition":%q,`, next)
	}
	return fmt.Sprintf(`{"type":"ReportResponse","totalCount":%d,"size":%d,%s"userRiskScores":[%s]}`, total, n, nm, strings.Join(rows, ","))
}

// rowsBody is a report page with rows for users u<first>… u<first+n-1>.
func rowsBody(total, first, n int, next string) string {
	body := pageBody(total, n, next)
	for i := range n {
		body = strings.Replace(body, `"u@example.com"`, fmt.Sprintf(`"u%d@example.com"`, first+i), 1)
	}
	return body
}

func TestPagingGuards(t *testing.T) {
	cases := []struct {
		name     string
		pages    []string
		wantErr  string
		wantRows int
	}{
		{name: "marker repeats", pages: []string{pageBody(10, 2, "m1"), pageBody(10, 2, "m2"), pageBody(10, 2, "m1")},
			wantErr: "repeats a marker"},
		{name: "marker stays the same", pages: []string{pageBody(10, 2, "m1"), pageBody(10, 2, "m1")},
			wantErr: "repeats a marker"},
		{name: "empty page before totalCount", pages: []string{pageBody(10, 2, "m1"), pageBody(10, 0, "m2")},
			wantErr: "has no rows"},
		{name: "stops at totalCount despite a marker", pages: []string{pageBody(4, 2, "m1"), pageBody(4, 2, "m2"), pageBody(4, 2, "m3")},
			wantRows: 4},
		{name: "stops without a marker", pages: []string{pageBody(99, 2, "m1"), pageBody(99, 1, "")},
			wantRows: 3},
		{name: "no totalCount follows markers", pages: []string{
			strings.Replace(pageBody(0, 1, "a"), `"totalCount":0,`, "", 1),
			strings.Replace(pageBody(0, 1, ""), `"totalCount":0,`, "", 1)},
			wantRows: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var markers []string
			f := &fake{report: func(w http.ResponseWriter, r *http.Request, n int) {
				markers = append(markers, r.URL.Query().Get("markerPosition"))
				io.WriteString(w, tc.pages[min(n, len(tc.pages))-1])
			}}
			c := newFake(t, f, nil)
			rep, err := c.UserRiskReport(context.Background(), Filter{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || httpx.KindOf(err) != httpx.KindDecode {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Rows) != tc.wantRows || int(f.reports.Load()) != rep.Pages {
				t.Fatalf("%d rows in %d pages (%d requests), want %d rows", len(rep.Rows), rep.Pages, f.reports.Load(), tc.wantRows)
			}
			if markers[0] != "" || (len(markers) > 1 && markers[1] == "") {
				t.Errorf("markers sent: %q", markers)
			}
		})
	}
}

func TestTokenResponseVariants(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		expiresAt string // raw JSON, "" to leave it out
		// the token must still be cached after stay, and replaced after renew
		stay, renew time.Duration
	}{
		{"201 with ISO millis", 201, `"2026-11-21T13:00:00.000Z"`, 58 * time.Minute, 60 * time.Minute},
		{"200 with offset", 200, `"2026-11-21T14:00:00+01:00"`, 58 * time.Minute, 60 * time.Minute},
		{"epoch millis number", 200, `1795266000000`, 58 * time.Minute, 60 * time.Minute},
		{"space separated", 200, `"2026-11-21 13:00:00"`, 58 * time.Minute, 60 * time.Minute},
		{"missing", 201, "", DefaultTokenLifetime - time.Second, DefaultTokenLifetime},
		{"unparsable", 201, `"next tuesday"`, DefaultTokenLifetime - time.Second, DefaultTokenLifetime},
		{"already past", 201, `"2020-01-01T00:00:00Z"`, DefaultTokenLifetime - time.Second, DefaultTokenLifetime},
		{"short-lived", 201, `"2026-11-21T12:02:00Z"`, 89 * time.Second, 91 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			f := &fake{
				token: func(w http.ResponseWriter, n int) {
					exp := ""
					if tc.expiresAt != "" {
						exp = `,"expiresAt":` + tc.expiresAt
					}
					w.WriteHeader(tc.status)
					fmt.Fprintf(w, `{"accessToken":"v2.tok%d","tenantId":"tenant-1"%s}`, n, exp)
				},
				report: func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, pageBody(1, 1, "")) },
			}
			c := newFake(t, f, func() time.Time { return now })
			get := func() {
				t.Helper()
				if _, err := c.UserRiskPage(context.Background(), Filter{}, ""); err != nil {
					t.Fatal(err)
				}
			}
			get()
			now = t0.Add(tc.stay)
			get()
			if f.mints.Load() != 1 {
				t.Fatalf("re-minted after %v", tc.stay)
			}
			now = t0.Add(tc.renew)
			get()
			if f.mints.Load() != 2 {
				t.Fatalf("not re-minted after %v", tc.renew)
			}
		})
	}
}

func TestBadTokenResponses(t *testing.T) {
	for name, body := range map[string]string{
		"no token":         `{"tenantId":"tenant-1"}`,
		"no tenant":        `{"accessToken":"v2.x"}`,
		"newline in token": `{"accessToken":"v2.x\r\nX-Evil: 1","tenantId":"tenant-1"}`,
		"not JSON":         `<html>`,
	} {
		t.Run(name, func(t *testing.T) {
			f := &fake{token: func(w http.ResponseWriter, n int) { io.WriteString(w, body) },
				report: func(w http.ResponseWriter, r *http.Request, n int) { t.Error("report asked without a token") }}
			c := newFake(t, f, nil)
			_, err := c.UserRiskPage(context.Background(), Filter{}, "")
			if httpx.KindOf(err) != httpx.KindDecode {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestReauthOnlyOn401(t *testing.T) {
	f := &fake{report: func(w http.ResponseWriter, r *http.Request, n int) {
		w.WriteHeader(403)
		io.WriteString(w, `{"errorMessage":"APIs disabled","errorCode":"CASB-403"}`)
	}}
	c := newFake(t, f, nil)
	_, err := c.UserRiskPage(context.Background(), Filter{}, "")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Message != "APIs disabled" || ae.Code != "CASB-403" {
		t.Fatalf("error %v", err)
	}
	if f.mints.Load() != 1 || f.reports.Load() != 1 {
		t.Fatalf("%d mints, %d reports: a 403 must not re-mint or retry", f.mints.Load(), f.reports.Load())
	}
}

func TestDecodeErrorBodies(t *testing.T) {
	cases := []struct {
		status      int
		body        string
		msg, code   string
		hintContain string
	}{
		{400, `{"message":"pagesize too large","code":"E400"}`, "pagesize too large", "E400", "bad request format"},
		{401, `{"errorMessage":"token expired","errorCode":1001}`, "token expired", "1001", "access key and secret"},
		{400, `{"entity":"accessKey is required","metadata":{},"status":400}`, "accessKey is required", "", "bad request"},
		{500, `{"error":{"message":"db down","code":"X1"}}`, "db down", "X1", "internal server error"},
		{503, `{"error":"Service Unavailable"}`, "Service Unavailable", "", "will retry"},
		{504, `<html><body>Gateway Timeout</body></html>`, "<html><body>Gateway Timeout</body></html>", "", "gateway timed out, will retry"},
		{404, `{"Description":"no such report"}`, "no such report", "", "report name"},
		{403, ``, "", "", "not enabled for the tenant"},
		{401, `{"message":"\u001b]0;pwn\u0007bad\u001b[31m token"}`, "bad token", "", "access key"},
		{401, "{\"message\":\"\x1b]0;pwn\x07raw\"}", `{"message":"raw"}`, "", "access key"},
		{500, strings.Repeat("x", 10_000), strings.Repeat("x", 200) + sanitize.Ellipsis, "", "internal"},
	}
	for _, tc := range cases {
		err, hint := decodeError(tc.status, nil, []byte(tc.body))
		ae, ok := err.(*APIError)
		if !ok {
			t.Fatalf("%T", err)
		}
		if ae.Message != tc.msg || ae.Code != tc.code || ae.Status != tc.status {
			t.Errorf("%d %q: message %q code %q", tc.status, tc.body, ae.Message, ae.Code)
		}
		if !strings.Contains(hint, tc.hintContain) {
			t.Errorf("%d: hint %q", tc.status, hint)
		}
		if !sanitize.Valid(ae.Error()) || ae.Error() == "" {
			t.Errorf("error text %q", ae.Error())
		}
	}
}

func TestConfigValidation(t *testing.T) {
	ok := Config{BaseURL: "https://api-trial.palerra.net", AccessKey: secret.New("k"), AccessSecret: secret.New("s")}
	cases := []struct {
		field string
		mod   func(*Config)
	}{
		{"BaseURL", func(c *Config) { c.BaseURL = "" }},
		{"BaseURL", func(c *Config) { c.BaseURL = "api-trial.palerra.net" }},
		{"AccessKey", func(c *Config) { c.AccessKey = secret.Value{} }},
		{"AccessSecret", func(c *Config) { c.AccessSecret = secret.New("") }},
		{"PageSize", func(c *Config) { c.PageSize = 101 }},
		{"PageSize", func(c *Config) { c.PageSize = -1 }},
		{"Report", func(c *Config) { c.Report = "a/b" }},
		{"Report", func(c *Config) { c.Report = ".." }},
		{"Report", func(c *Config) { c.Report = "100%" }},
		{"Report", func(c *Config) { c.Report = "  " }},
		{"Report", func(c *Config) { c.Report = "user\x1brisk" }},
	}
	for _, tc := range cases {
		cfg := ok
		tc.mod(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), "Config."+tc.field) {
			t.Errorf("%s: error %v", tc.field, err)
		}
	}
	for _, size := range []int{0, 1, 100} {
		cfg := ok
		cfg.PageSize = size
		c, err := New(cfg)
		if err != nil {
			t.Fatalf("PageSize %d: %v", size, err)
		}
		if size == 0 && c.cfg.PageSize != 100 || c.cfg.Report != DefaultReport {
			t.Errorf("defaults: %d %q", c.cfg.PageSize, c.cfg.Report)
		}
	}
	cfg := ok
	cfg.Report = "User risk (weekly)"
	if _, err := New(cfg); err != nil {
		t.Errorf("a report name with spaces: %v", err)
	}
	if c, _ := New(ok); func() bool { _, seen := c.RateLimit(); return seen }() {
		t.Error("rate limit seen before any call")
	}
}

func TestReportNameIsPathEscaped(t *testing.T) {
	var path string
	f := &fake{report: func(w http.ResponseWriter, r *http.Request, n int) {
		path = r.URL.EscapedPath()
		io.WriteString(w, pageBody(0, 0, ""))
	}}
	c := newFake(t, f, nil)
	c.cfg.Report = "User risk?#"
	if _, err := c.UserRiskReport(context.Background(), Filter{}); err != nil {
		t.Fatal(err)
	}
	if path != "/api/v1/reports/details/User%20risk%3F%23" {
		t.Fatalf("path %q", path)
	}
}

// A tenant that sends no nextMarkerPosition is paged by offset: every row
// read once, markerPosition = rows read so far.
func TestOffsetPagingWithoutNextMarker(t *testing.T) {
	e := newEnv(t, casbsim.Options{Paging: casbsim.PagingOffset}, func(c *Config) { c.PageSize = 50 })
	rep, err := e.client.UserRiskReport(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := e.sim.Rows()
	checkRows(t, rep.Rows, want)
	if rep.Stopped != "" || rep.Pages != (len(want)+49)/50 {
		t.Fatalf("%d pages, stopped %q", rep.Pages, rep.Stopped)
	}
	for i, r := range e.reportRequests() {
		if want := fmt.Sprint(i * 50); i > 0 && r.Query.Get("markerPosition") != want {
			t.Errorf("request %d markerPosition %q, want %s", i, r.Query.Get("markerPosition"), want)
		}
	}
}

// The same report from a tenant that sends nextMarkerPosition follows it.
func TestMarkerPagingFollowsNextMarker(t *testing.T) {
	e := newEnv(t, casbsim.Options{Paging: casbsim.PagingMarker}, func(c *Config) { c.PageSize = 50 })
	rep, err := e.client.UserRiskReport(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rep.Rows, e.sim.Rows())
	for i, r := range e.reportRequests() {
		if m := r.Query.Get("markerPosition"); i > 0 && (m == "" || m == fmt.Sprint(i*50)) {
			t.Errorf("request %d sent %q, not the server's marker", i, m)
		}
	}
}

// A tenant that ignores markerPosition answers the first page again: the
// report stops there, each row once, and says why.
func TestRepeatedPageStopsWithoutDuplicates(t *testing.T) {
	e := newEnv(t, casbsim.Options{Paging: casbsim.PagingIgnored}, func(c *Config) { c.PageSize = 50 })
	rep, err := e.client.UserRiskReport(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rep.Rows, e.sim.Rows()[:50])
	if rep.Pages != 1 || len(e.reportRequests()) != 2 || !strings.Contains(rep.Stopped, "repeated page 1") {
		t.Fatalf("%d pages, %d requests, stopped %q", rep.Pages, len(e.reportRequests()), rep.Stopped)
	}
	// The poll keeps the rows and says why it stopped.
	st := &memStore{}
	note, err := NewSource(e.client, st, nopHub{}).Poll(context.Background())
	if err != nil || !strings.Contains(note, "paging stopped early") || len(st.views) != 50 {
		t.Fatalf("poll: %q %v, %d rows stored", note, err, len(st.views))
	}
}

func TestOffsetPagingGuards(t *testing.T) {
	cases := []struct {
		name      string
		pages     []string
		wantRows  int
		wantStop  string
		wantAsked []string
	}{
		{name: "short page", pages: []string{pageBody(10, 2, ""), pageBody(10, 1, ""), pageBody(10, 2, "")},
			wantRows: 3, wantStop: "short", wantAsked: []string{"", "2"}},
		{name: "empty page", pages: []string{pageBody(10, 2, ""), pageBody(10, 0, "")},
			wantRows: 2, wantStop: "empty", wantAsked: []string{"", "2"}},
		{name: "to totalCount", pages: []string{rowsBody(6, 0, 2, ""), rowsBody(6, 2, 2, ""), rowsBody(6, 4, 2, "")},
			wantRows: 6, wantAsked: []string{"", "2", "4"}},
		{name: "no totalCount, one page", pages: []string{strings.Replace(pageBody(0, 2, ""), `"totalCount":0,`, "", 1)},
			wantRows: 2, wantAsked: []string{""}},
		{name: "marker after offset", pages: []string{rowsBody(6, 0, 2, ""), rowsBody(6, 2, 2, "m"), rowsBody(6, 4, 2, "")},
			wantRows: 6, wantAsked: []string{"", "2", "m"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			f := &fake{report: func(w http.ResponseWriter, r *http.Request, n int) {
				asked = append(asked, r.URL.Query().Get("markerPosition"))
				io.WriteString(w, tc.pages[min(n, len(tc.pages))-1])
			}}
			c := newFake(t, f, nil)
			c.cfg.PageSize = 2
			rep, err := c.UserRiskReport(context.Background(), Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Rows) != tc.wantRows || !strings.Contains(rep.Stopped, tc.wantStop) || (tc.wantStop == "") != (rep.Stopped == "") {
				t.Fatalf("%d rows, stopped %q", len(rep.Rows), rep.Stopped)
			}
			if fmt.Sprint(asked) != fmt.Sprint(tc.wantAsked) {
				t.Fatalf("asked %q, want %q", asked, tc.wantAsked)
			}
		})
	}
}

type nopHub struct{}

func (nopHub) Publish(hub.Msg) {}

// memStore keeps the user risks a poll writes.
type memStore struct {
	vendorkit.Store // the rest is never called
	views           []model.UserRisk
}

func (m *memStore) PutUserRisks(_ context.Context, _ string, _ time.Time, views []model.UserRisk) error {
	m.views = views
	return nil
}
