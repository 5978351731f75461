package casbsim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/sim/simtest"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func newSim(t *testing.T, opts Options) (*Server, *simkit.ManualClock, *httptest.Server) {
	t.Helper()
	clock := simkit.NewManualClock(t0)
	w := simkit.NewWorld(simkit.Options{Seed: 7, Clock: clock, Scenario: true})
	s := New(w, opts)
	return s, clock, simtest.Serve(t, s.Handler())
}

func mint(t *testing.T, base string) (token, tenant string) {
	t.Helper()
	a := simtest.Do(t, "POST", base+"/api/v1/token",
		`{"accessKey":"`+DefaultAccessKey+`","accessSecret":"`+DefaultAccessSecret+`"}`, nil)
	if a.Status != http.StatusCreated {
		t.Fatalf("token: %d %s", a.Status, a.Body)
	}
	var tr map[string]string
	if err := json.Unmarshal(a.Body, &tr); err != nil {
		t.Fatal(err)
	}
	return tr["accessToken"], tr["tenantId"]
}

type report struct {
	Type, TenantName, ReportID, Title, Description string
	MaxCount, TotalCount, Size                     int
	NextMarkerPosition                             *string
	UserRiskScores                                 []struct {
		AppName, AppInstance, AppInstanceID string
		UserRiskDetails                     []struct{ DisplayName, Value string }
	}
}

func TestTokenEndpoint(t *testing.T) {
	s, _, srv := newSim(t, Options{BasePath: "/casb", TokenTTL: 20 * time.Minute})
	base := srv.URL + "/casb"
	a := simtest.Do(t, "POST", base+"/api/v1/token", `{"accessKey":"`+DefaultAccessKey+`","accessSecret":"`+DefaultAccessSecret+`"}`, nil)
	var tr map[string]string
	json.Unmarshal(a.Body, &tr)
	if a.Status != 201 || !strings.HasPrefix(tr["accessToken"], "v2.") || tr["tenantId"] != s.TenantID() {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
	if exp, err := time.Parse(time.RFC3339, tr["expiresAt"]); err != nil || !exp.Equal(t0.Add(20*time.Minute)) {
		t.Errorf("expiresAt %q", tr["expiresAt"])
	}
	if a := simtest.Do(t, "POST", base+"/api/v1/token", `{"accessKey":"`+DefaultAccessKey+`","accessSecret":"nope"}`, nil); a.Status != 401 ||
		!bytes.Contains(a.Body, []byte(`"message"`)) {
		t.Errorf("wrong secret: %d %s", a.Status, a.Body)
	}
	a = simtest.Do(t, "POST", base+"/api/v1/token", `not json`, nil)
	var generic map[string]any
	json.Unmarshal(a.Body, &generic)
	if a.Status != 400 || generic["status"] != float64(400) || generic["entity"] == nil {
		t.Errorf("bad body: %d %s", a.Status, a.Body)
	}
	if a := simtest.Do(t, "GET", base+"/api/v1/token", "", nil); a.Status != 405 {
		t.Errorf("GET token: %d", a.Status)
	}
	if a := simtest.Do(t, "POST", srv.URL+"/api/v1/token", `{}`, nil); a.Status != 404 {
		t.Errorf("outside BasePath: %d", a.Status)
	}
	if s.TokensMinted() != 1 {
		t.Errorf("%d minted", s.TokensMinted())
	}
}

func TestReportAuthAndValidation(t *testing.T) {
	s, clock, srv := newSim(t, Options{TokenTTL: time.Hour})
	tok, tenant := mint(t, srv.URL)
	auth := map[string]string{"Authorization": "Bearer " + tok, "X-Apprity-Tenant-Id": tenant}
	url := srv.URL + "/api/v1/reports/details/"
	cases := []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
	}{
		{"ok", "Userrisk?pagesize=10", auth, 200},
		{"name in lower case", "userrisk?pagesize=10", auth, 200},
		{"name in upper case", "USERRISK?pagesize=100", auth, 200},
		{"other report", "Appusage?pagesize=10", auth, 404},
		{"escaped slash", "user%2Frisk?pagesize=10", auth, 404},
		{"pagesize over 100", "Userrisk?pagesize=101", auth, 400},
		{"pagesize missing", "Userrisk", auth, 400},
		{"pagesize zero", "Userrisk?pagesize=0", auth, 400},
		{"bad marker", "Userrisk?pagesize=10&markerPosition=%21%21", auth, 400},
		{"unknown instance", "Userrisk?pagesize=10&applicationInstanceName=nope", auth, 404},
		{"no token", "Userrisk?pagesize=10", map[string]string{"X-Apprity-Tenant-Id": tenant}, 401},
		{"bad token", "Userrisk?pagesize=10", map[string]string{"Authorization": "Bearer v2.nope", "X-Apprity-Tenant-Id": tenant}, 401},
		{"no tenant", "Userrisk?pagesize=10", map[string]string{"Authorization": "Bearer " + tok}, 401},
		{"wrong tenant", "Userrisk?pagesize=10", map[string]string{"Authorization": "Bearer " + tok, "X-Apprity-Tenant-Id": "other"}, 401},
	}
	for _, tc := range cases {
		a := simtest.Do(t, "GET", url+tc.path, "", tc.hdr)
		if a.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, a.Status, a.Body, tc.status)
			continue
		}
		var e map[string]string
		if tc.status != 200 && (json.Unmarshal(a.Body, &e) != nil || e["message"] == "" || e["code"] == "") {
			t.Errorf("%s: error body %s", tc.name, a.Body)
		}
	}
	clock.Advance(time.Hour)
	if a := simtest.Do(t, "GET", url+"Userrisk?pagesize=1", "", auth); a.Status != 401 {
		t.Errorf("expired token: %d", a.Status)
	}
	tok, _ = mint(t, srv.URL)
	s.RevokeTokens()
	if a := simtest.Do(t, "GET", url+"Userrisk?pagesize=1", "", map[string]string{"Authorization": "Bearer " + tok, "X-Apprity-Tenant-Id": tenant}); a.Status != 401 {
		t.Errorf("revoked token: %d", a.Status)
	}
	reqs := s.Requests()
	if len(reqs) != len(cases)+4 || reqs[0].Method != "POST" || reqs[1].Status != 200 || reqs[len(reqs)-1].Status != 401 {
		t.Errorf("recorded %d requests: first %+v last %+v", len(reqs), reqs[0], reqs[len(reqs)-1])
	}
}

func TestForbiddenAndInjectedErrorsUseTheErrorBody(t *testing.T) {
	_, _, srv := newSim(t, Options{Forbidden: true})
	tok, tenant := mint(t, srv.URL)
	auth := map[string]string{"Authorization": "Bearer " + tok, "X-Apprity-Tenant-Id": tenant}
	a := simtest.Do(t, "GET", srv.URL+"/api/v1/reports/details/Userrisk?pagesize=10", "", auth)
	if a.Status != 403 || !bytes.Contains(a.Body, []byte("not enabled")) {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
	s, _, srv := newSim(t, Options{})
	s.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 2 * time.Second})
	a = simtest.Do(t, "POST", srv.URL+"/api/v1/token", `{}`, nil)
	var e map[string]string
	if a.Status != 429 || a.Header.Get("Retry-After") != "2" || json.Unmarshal(a.Body, &e) != nil || e["code"] != "429" {
		t.Fatalf("%d %v %s", a.Status, a.Header, a.Body)
	}
}

// pages reads the whole report over HTTP and checks the paging fields.
func pages(t *testing.T, srv string, hdr map[string]string, query string, size int) ([]report, int) {
	t.Helper()
	var out []report
	marker, rows := "", 0
	for {
		u := srv + "/api/v1/reports/details/Userrisk?pagesize=" + itoa(size) + query
		if marker != "" {
			u += "&markerPosition=" + marker
		}
		a := simtest.Do(t, "GET", u, "", hdr)
		if a.Status != 200 {
			t.Fatalf("%d %s", a.Status, a.Body)
		}
		body := a.Body
		if a.Header.Get("Content-Type") == "application/gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		}
		var r report
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
		rows += len(r.UserRiskScores)
		if r.Size != len(r.UserRiskScores) || r.MaxCount != size || r.Type != "ReportResponse" || r.ReportID != "userrisk" {
			t.Fatalf("page fields %+v", r)
		}
		if r.NextMarkerPosition == nil {
			if rows != r.TotalCount {
				t.Fatalf("last page at %d of %d rows", rows, r.TotalCount)
			}
			return out, rows
		}
		if *r.NextMarkerPosition == "" || rows >= r.TotalCount {
			t.Fatalf("marker %q at %d of %d rows", *r.NextMarkerPosition, rows, r.TotalCount)
		}
		marker = *r.NextMarkerPosition
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestPagingIsStableAndMatchesRows(t *testing.T) {
	s, clock, srv := newSim(t, Options{Gzip: true})
	tok, tenant := mint(t, srv.URL)
	hdr := map[string]string{"Authorization": "Bearer " + tok, "X-Apprity-Tenant-Id": tenant}
	want := s.Rows()
	if len(want) < 300 {
		t.Fatalf("only %d rows: not enough for several pages of 100", len(want))
	}
	first := simtest.Do(t, "GET", srv.URL+"/api/v1/reports/details/Userrisk?pagesize=100", "", hdr)
	if first.Header.Get("Content-Type") != "application/gzip" || !bytes.HasPrefix(first.Body, []byte{0x1f, 0x8b}) {
		t.Fatalf("Gzip option: %v", first.Header)
	}
	got, n := pages(t, srv.URL, hdr, "", 100)
	if n != len(want) || len(got) != (len(want)+99)/100 {
		t.Fatalf("%d rows in %d pages, want %d", n, len(got), len(want))
	}
	i := 0
	for _, p := range got {
		for _, r := range p.UserRiskScores {
			w := want[i]
			i++
			if r.AppName != w.AppType || r.AppInstanceID != w.AppInstanceID || r.UserRiskDetails[1].Value != w.UserName {
				t.Fatalf("row %d: %+v want %+v", i, r, w)
			}
		}
	}

	// A marker keeps reading the snapshot it was made from while the world
	// moves on.
	a := simtest.Do(t, "GET", srv.URL+"/api/v1/reports/details/Userrisk?pagesize=5", "", hdr)
	zr, _ := gzip.NewReader(bytes.NewReader(a.Body))
	body, _ := io.ReadAll(zr)
	var p1 report
	json.Unmarshal(body, &p1)
	clock.Advance(7 * time.Minute) // into the first live attack
	a = simtest.Do(t, "GET", srv.URL+"/api/v1/reports/details/Userrisk?pagesize=5&markerPosition="+*p1.NextMarkerPosition, "", hdr)
	zr, _ = gzip.NewReader(bytes.NewReader(a.Body))
	body, _ = io.ReadAll(zr)
	var p2 report
	json.Unmarshal(body, &p2)
	if p2.TotalCount != p1.TotalCount || p2.UserRiskScores[0].UserRiskDetails[1].Value != want[5].UserName {
		t.Fatalf("second page moved with the clock: %+v", p2.UserRiskScores[0])
	}
}

func TestFiltersAndMixedCase(t *testing.T) {
	s, _, srv := newSim(t, Options{})
	tok, tenant := mint(t, srv.URL)
	hdr := map[string]string{"Authorization": "Bearer " + tok, "X-Apprity-Tenant-Id": tenant}
	rows := s.Rows()
	var mixed Row
	for _, r := range rows {
		if r.UserName != strings.ToLower(r.UserName) {
			mixed = r
			break
		}
	}
	if mixed.UserName == "" {
		t.Fatal("no Mixed-Case user names")
	}
	_, n := pages(t, srv.URL, hdr, "&userName="+strings.ToLower(mixed.UserName), 100)
	want := 0
	for _, r := range rows {
		if r.UserName == mixed.UserName {
			want++
		}
	}
	if n != want || n == 0 {
		t.Errorf("userName filter: %d rows, want %d", n, want)
	}
	_, n = pages(t, srv.URL, hdr, "&applicationType=sfdc&applicationInstanceName=SALESFORCE-PROD", 7)
	want = 0
	for _, r := range rows {
		if r.AppType == "SFDC" {
			want++
		}
	}
	if n != want || n < 15 {
		t.Errorf("type+instance filter: %d rows, want %d", n, want)
	}
}

func TestRowsTellTheWorldsStory(t *testing.T) {
	s, clock, _ := newSim(t, Options{})
	w := s.World()
	clock.Advance(4 * time.Minute) // inside the first live attack
	atk := w.AttackAt(clock.Now().Add(-time.Second))
	if !atk.Active || atk.Cycle != 1 {
		t.Fatalf("no attack under way: %+v", atk)
	}
	rows := s.Rows()
	hit := map[int]bool{}
	for _, a := range w.Between(atk.Start, clock.Now()) {
		if a.Attack {
			hit[a.Person] = true
		}
	}
	levels := map[string]int{}
	for _, r := range rows {
		levels[r.Level]++
		if hit[r.Person] && r.Score < 60 {
			t.Errorf("attack victim %s on %s scores only %d", r.UserName, r.AppType, r.Score)
		}
		if !r.Last.Equal(r.Last.Truncate(time.Second)) || r.Last.After(clock.Now()) || r.Last.Before(clock.Now().Add(-DefaultWindow)) {
			t.Errorf("last activity %v out of the window", r.Last)
		}
		onlyNoRisk := len(r.Reasons) == 1 && r.Reasons[0].Code == CodeNoRisk
		if onlyNoRisk && r.Score != 0 || !onlyNoRisk && len(r.Reasons) == 0 {
			t.Errorf("%s score %d with reasons %+v", r.UserName, r.Score, r.Reasons)
		}
		if levelFor(r.Score) != r.Level || r.Score > 99 {
			t.Errorf("level %s for %d", r.Level, r.Score)
		}
	}
	for _, l := range []string{LevelNormal, LevelHigh, LevelCritical} {
		if levels[l] == 0 {
			t.Errorf("no %s rows: %v", l, levels)
		}
	}
	if len(hit) == 0 {
		t.Fatal("the attack hit nobody")
	}

	// Determinism: the same seed and clock give the same report.
	clock2 := simkit.NewManualClock(t0)
	s2 := New(simkit.NewWorld(simkit.Options{Seed: 7, Clock: clock2, Scenario: true}), Options{})
	clock2.Advance(4 * time.Minute)
	if !reflect.DeepEqual(rows, s2.Rows()) {
		t.Fatal("same seed and clock gave different rows")
	}
}

func TestRenderedRowMatchesTheSampleShape(t *testing.T) {
	s, _, _ := newSim(t, Options{})
	r := Row{UserName: "Ava.Chen@Example.com", AppType: "SFDC", AppInstance: "salesforce-prod", AppInstanceID: "id-1",
		Level: LevelLow, Score: 7, Last: time.Date(2017, 10, 24, 23, 29, 38, 0, time.UTC),
		Reasons: []Reason{{Code: CodeNetPrefix, Count: 3, Average: 1}}}
	got := s.render(r)
	want := []wireDetail{
		{"Risk Level", "Low"},
		{"User name", "Ava.Chen@Example.com"},
		{"Maximum Risk Score", "07"},
		{"Reasons", `["id-1","2017-10-24T23:29:38Z",{"NETWRK_PREFIX_EVENTS":"Total IP network prefix for all events"}]`},
		{"Detected Date", "2017-10-24T00:00:00Z"},
		{"ReasonsAverage", `{"NETWRK_PREFIX_EVENTS":"1"}`},
		{"ReasonsCounts", `{"NETWRK_PREFIX_EVENTS":"3"}`},
		{"Detected Date ISOFormat", "2017-10-24T00:00:00Z"},
	}
	if !reflect.DeepEqual(got.UserRiskDetails, want) {
		t.Fatalf("got  %v\nwant %v", got.UserRiskDetails, want)
	}
	r.Reasons = []Reason{{Code: CodeNoRisk}}
	got = s.render(r)
	if got.UserRiskDetails[5].Value != "{}" || got.UserRiskDetails[6].Value != "{}" {
		t.Errorf("no-risk maps: %v", got.UserRiskDetails)
	}
	s.Faults().Set(simkit.Faults{Hostile: true})
	got = s.render(r)
	if !strings.Contains(got.UserRiskDetails[1].Value, "Ava.Chen@Example.com") || got.UserRiskDetails[1].Value == r.UserName {
		t.Errorf("hostile user name %q", got.UserRiskDetails[1].Value)
	}
}

// Without nextMarkerPosition the simulator reads markerPosition as an
// offset, or ignores it; either way no page names a next marker.
func TestPagingWithoutNextMarker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		paging Paging
	}{{"offset", PagingOffset}, {"ignored", PagingIgnored}} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, srv := newSim(t, Options{Paging: tc.paging})
			tok, tenant := mint(t, srv.URL)
			hdr := map[string]string{"Authorization": "Bearer " + tok, "X-Apprity-Tenant-Id": tenant}
			want := s.Rows()
			get := func(q string) report {
				a := simtest.Do(t, "GET", srv.URL+"/api/v1/reports/details/Userrisk?pagesize=10"+q, "", hdr)
				if a.Status != 200 {
					t.Fatalf("%s: %d %s", q, a.Status, a.Body)
				}
				var r report
				if err := json.Unmarshal(a.Body, &r); err != nil {
					t.Fatal(err)
				}
				if r.NextMarkerPosition != nil || r.TotalCount != len(want) || len(r.UserRiskScores) != 10 {
					t.Fatalf("%s: next %v total %d rows %d", q, r.NextMarkerPosition, r.TotalCount, len(r.UserRiskScores))
				}
				return r
			}
			get("")
			second := get("&markerPosition=10").UserRiskScores[0].UserRiskDetails[1].Value
			wantUser := want[10].UserName
			if tc.paging == PagingIgnored {
				wantUser = want[0].UserName
			}
			if second != wantUser {
				t.Fatalf("markerPosition=10 starts at %s, want %s", second, wantUser)
			}
			if tc.paging == PagingOffset {
				if a := simtest.Do(t, "GET", srv.URL+"/api/v1/reports/details/Userrisk?pagesize=10&markerPosition=x", "", hdr); a.Status != 400 {
					t.Fatalf("markerPosition=x: %d", a.Status)
				}
			}
		})
	}
}
