package cloudflare_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
)

const sampleAccount = "023e105f4ecef8ad9ca31a8372d0c353"

// canned answers each "METHOD /path-after-zt_risk_scoring" with a status
// and a testdata file (or raw body), and records what it was asked.
type canned struct {
	mu     sync.Mutex
	routes map[string]cannedAnswer
	seen   []*http.Request
	bodies []string
}

type cannedAnswer struct {
	status int
	file   string
	body   string
	header map[string]string
}

func (c *canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix := "/client/v4/accounts/" + sampleAccount + "/zt_risk_scoring"
	key := r.Method + " " + strings.TrimPrefix(r.URL.EscapedPath(), prefix)
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	a, ok := c.routes[key]
	c.seen = append(c.seen, r)
	c.bodies = append(c.bodies, string(body))
	c.mu.Unlock()
	if !ok {
		http.Error(w, "no canned answer for "+key, http.StatusTeapot)
		return
	}
	out := []byte(a.body)
	if a.file != "" {
		var err error
		if out, err = os.ReadFile(filepath.Join("testdata", a.file)); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write(out)
}

func cannedClient(t *testing.T, routes map[string]cannedAnswer) (*cloudflare.Client, *canned, *sleeps) {
	t.Helper()
	c := &canned{routes: routes}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	s := &sleeps{}
	cl, err := cloudflare.New(cloudflare.Config{
		BaseURL:   srv.URL + "/client/v4",
		AccountID: sampleAccount,
		APIToken:  secret.New("sample-token-value"),
		HTTP:      httpx.Options{Sleep: s.Sleep, Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl, c, s
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecodeSampleSummary(t *testing.T) {
	cl, srv, _ := cannedClient(t, map[string]cannedAnswer{"GET /summary": {status: 200, file: "summary.json"}})
	got, err := cl.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &cloudflare.Summary{
		Users: []cloudflare.SummaryUser{
			{UserID: "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e", Email: "ava.chen@example.com", Name: "Ava Chen",
				EventCount: 3, LastEvent: ts("2019-12-27T18:11:19.117Z"), MaxRiskLevel: cloudflare.LevelHigh},
			{UserID: "6f9619ff-8b86-4011-b42d-00c04fc964ff", Email: "kenji.ito@example.com", Name: "Kenji Ito",
				EventCount: 0, LastEvent: ts("2019-12-26T09:00:00Z"), MaxRiskLevel: cloudflare.LevelLow},
		},
		TotalCount: 2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("summary\n got %+v\nwant %+v", got, want)
	}
	r := srv.seen[0]
	if r.URL.RawQuery != "" {
		t.Errorf("summary sent query %q; the SDK sends none", r.URL.RawQuery)
	}
	if r.Header.Get("Authorization") != "Bearer sample-token-value" {
		t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
	}
}

func TestDecodeSampleUser(t *testing.T) {
	cl, _, _ := cannedClient(t, map[string]cannedAnswer{
		"GET /182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e": {status: 200, file: "user.json"},
		"GET /6f9619ff-8b86-4011-b42d-00c04fc964ff": {status: 200, file: "user_never_reset.json"},
	})
	got, err := cl.User(context.Background(), "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
	if err != nil {
		t.Fatal(err)
	}
	reset := ts("2019-12-20T08:30:00Z")
	want := &cloudflare.UserRisk{
		Email: "ava.chen@example.com", Name: "Ava Chen", RiskLevel: cloudflare.LevelHigh, LastResetTime: &reset,
		Events: []cloudflare.Event{
			{ID: "3c7a1e9b-5d2f-4a8c-9e1b-7d4f2a6c8e0b", Name: "Impossible Travel", RiskLevel: cloudflare.LevelHigh,
				Timestamp: ts("2019-12-27T18:11:19.117Z"), Details: []cloudflare.Detail{
					{Key: "blocked", Value: "false"},
					{Key: "ip_address", Value: "203.0.113.7"},
					{Key: "location.city", Value: "Lisbon"},
					{Key: "location.country", Value: "PT"},
					{Key: "matches[0]", Value: "15"},
					{Key: "matches[1]", Value: "16"},
					{Key: "note", Value: "null"},
				}},
			{ID: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", Name: "High Number of DLP Policies Triggered", RiskLevel: cloudflare.LevelMedium,
				Timestamp: ts("2019-12-27T17:00:00Z"), Details: []cloudflare.Detail{{Key: "value", Value: "free-form text"}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("user\n got %+v\nwant %+v", got, want)
	}

	got, err = cl.User(context.Background(), "6f9619ff-8b86-4011-b42d-00c04fc964ff")
	if err != nil {
		t.Fatal(err)
	}
	if got.LastResetTime != nil || got.RiskLevel != "" || len(got.Events) != 1 || got.Events[0].Details != nil ||
		got.Events[0].RiskLevel != cloudflare.LevelLow || len(got.Notes) != 0 {
		t.Fatalf("never-reset user: %+v", got)
	}
}

func TestDecodeSampleResetAndDelete(t *testing.T) {
	for _, file := range []string{"reset_null.json", "reset_empty.json"} {
		cl, srv, _ := cannedClient(t, map[string]cannedAnswer{"POST /u-1/reset": {status: 200, file: file}})
		if err := cl.Reset(context.Background(), "u-1"); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if srv.bodies[0] != "" {
			t.Errorf("reset sent a body %q; the API takes none", srv.bodies[0])
		}
	}
	cl, _, _ := cannedClient(t, map[string]cannedAnswer{"DELETE /integrations/i-1": {status: 200, file: "delete_null.json"}})
	if err := cl.DeleteIntegration(context.Background(), "i-1"); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeSampleBehaviors(t *testing.T) {
	cl, srv, _ := cannedClient(t, map[string]cannedAnswer{
		"GET /behaviors": {status: 200, file: "behaviors_get.json"},
		"PUT /behaviors": {status: 200, file: "behaviors_put.json"},
	})
	got, err := cl.Behaviors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []cloudflare.Behavior{
		{Key: "high_dlp", Name: "High Number of DLP Policies Triggered", Enabled: false, RiskLevel: cloudflare.LevelMedium,
			Description: "User has triggered an active DLP profile in a Gateway policy fifteen times or more within one minute."},
		{Key: "imp_travel", Name: "Impossible Travel", Enabled: true, RiskLevel: cloudflare.LevelHigh,
			Description: "User had a successful Access application log in from two locations that they could not have traveled to in that period of time."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("behaviors\n got %+v\nwant %+v", got, want)
	}
	put, err := cl.UpdateBehaviors(context.Background(), map[string]cloudflare.BehaviorChange{
		"high_dlp": {Enabled: new(true), RiskLevel: cloudflare.LevelLow},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantPut := map[string]cloudflare.BehaviorSetting{
		"imp_travel": {Enabled: true, RiskLevel: cloudflare.LevelHigh},
		"high_dlp":   {Enabled: true, RiskLevel: cloudflare.LevelLow},
	}
	if !reflect.DeepEqual(put, wantPut) {
		t.Fatalf("put result %+v", put)
	}
	// The body sent carries the whole map: the untouched key as read.
	const wantBody = `{"behaviors":{"high_dlp":{"enabled":true,"risk_level":"low"},"imp_travel":{"enabled":true,"risk_level":"high"}}}`
	// Requests: Behaviors, then the read and the write of UpdateBehaviors.
	if len(srv.seen) != 3 || srv.seen[1].Method != "GET" || srv.bodies[2] != wantBody {
		t.Fatalf("PUT body\n got %q\nwant %s", srv.bodies, wantBody)
	}
	if ct := srv.seen[2].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("PUT Content-Type %q", ct)
	}
}

func TestDecodeSampleIntegrations(t *testing.T) {
	const id = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
	const ref = "0e8c5e4b-1f2a-4b3c-8d9e-0f1a2b3c4d5e"
	cl, srv, _ := cannedClient(t, map[string]cannedAnswer{
		"GET /integrations":                     {status: 200, file: "integrations_list.json"},
		"GET /integrations/" + id:               {status: 200, file: "integration.json"},
		"GET /integrations/reference_id/" + ref: {status: 200, file: "integration.json"},
		"POST /integrations":                    {status: 200, file: "integration.json"},
		"PUT /integrations/" + id:               {status: 200, file: "integration.json"},
	})
	want := cloudflare.Integration{
		ID: id, AccountTag: "023e105f4ecef8ad9ca31a8372d0c353", Active: true, CreatedAt: ts("2019-12-27T18:11:19.117Z"),
		IntegrationType: "Okta", ReferenceID: ref, TenantURL: "https://tenant.okta.com",
		WellKnownURL: "/.well-known/sse-configuration/" + id + "/",
	}
	ctx := context.Background()
	list, err := cl.Integrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !reflect.DeepEqual(list[0], want) || list[1].Active || list[1].ReferenceID != "" ||
		!list[1].CreatedAt.Equal(ts("2020-01-02T03:04:05Z")) {
		t.Fatalf("list %+v", list)
	}
	calls := []func() (*cloudflare.Integration, error){
		func() (*cloudflare.Integration, error) { return cl.Integration(ctx, id) },
		func() (*cloudflare.Integration, error) { return cl.IntegrationByReference(ctx, ref) },
		func() (*cloudflare.Integration, error) {
			return cl.CreateIntegration(ctx, cloudflare.IntegrationCreate{TenantURL: "https://tenant.okta.com", ReferenceID: ref})
		},
		func() (*cloudflare.Integration, error) {
			return cl.UpdateIntegration(ctx, id, cloudflare.IntegrationUpdate{Active: false, TenantURL: "https://tenant.okta.com"})
		},
	}
	for i, f := range calls {
		got, err := f()
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("call %d\n got %+v\nwant %+v", i, *got, want)
		}
	}
	wantBodies := map[int]string{
		3: `{"integration_type":"Okta","tenant_url":"https://tenant.okta.com","reference_id":"` + ref + `"}`,
		4: `{"active":false,"tenant_url":"https://tenant.okta.com"}`,
	}
	for i, b := range wantBodies {
		if srv.bodies[i] != b {
			t.Errorf("request %d body\n got %s\nwant %s", i, srv.bodies[i], b)
		}
	}
}

func TestDecodeSampleErrorEnvelope(t *testing.T) {
	for _, status := range []int{400, 404, 409, 422} {
		cl, _, _ := cannedClient(t, map[string]cannedAnswer{"GET /summary": {status: status, file: "error_4xx.json"}})
		_, err := cl.Summary(context.Background())
		var apiErr *cloudflare.APIError
		var he *httpx.Error
		if !errors.As(err, &apiErr) || !errors.As(err, &he) {
			t.Fatalf("%d: %T %v", status, err, err)
		}
		want := cloudflare.Message{Code: 1000, Message: "message", DocumentationURL: "documentation_url",
			Source: &cloudflare.MessageSource{Pointer: "pointer"}}
		if apiErr.Status != status || len(apiErr.Errors) != 1 || !reflect.DeepEqual(apiErr.Errors[0], want) {
			t.Fatalf("%d: %+v", status, apiErr)
		}
		if he.Status != status || he.Kind != httpx.KindStatus || !strings.Contains(err.Error(), "error 1000: message (at pointer)") {
			t.Fatalf("%d: %v", status, err)
		}
	}
}

func TestSuccessFalseWithA2xxIsAnError(t *testing.T) {
	cl, _, _ := cannedClient(t, map[string]cannedAnswer{"GET /summary": {status: 200, file: "error_4xx.json"}})
	_, err := cl.Summary(context.Background())
	var apiErr *cloudflare.APIError
	if !errors.As(err, &apiErr) || httpx.StatusOf(err) != 200 || !apiErr.Has(1000) {
		t.Fatalf("success:false with 200 gave %v", err)
	}
}

func TestBodiesThatAreNotEnvelopes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		kind   httpx.Kind
		want   string
	}{
		{"empty object", 200, `{}`, httpx.KindDecode, `no "success" field`},
		{"null", 200, `null`, httpx.KindDecode, `no "success" field`},
		{"html", 200, `<html>oops</html>`, httpx.KindDecode, "invalid JSON"},
		{"truncated", 200, `{"success":true,"result":{"users":[{"user_id":"a`, httpx.KindDecode, "truncated"},
		{"wrong type", 200, `{"success":true,"result":{"users":"nope"}}`, httpx.KindDecode, "expected"},
		{"html 502", 502, `<html><body>502 Bad Gateway</body></html>`, httpx.KindStatus, "502 Bad Gateway"},
		{"plain 400", 400, `bad request`, httpx.KindStatus, "bad request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, _, _ := cannedClient(t, map[string]cannedAnswer{"GET /summary": {status: c.status, body: c.body}})
			_, err := cl.Summary(context.Background())
			if httpx.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got kind %v, %v; want %v containing %q", httpx.KindOf(err), err, c.kind, c.want)
			}
			var apiErr *cloudflare.APIError
			if errors.As(err, &apiErr) {
				t.Fatalf("a body that is not an envelope became an APIError: %+v", apiErr)
			}
		})
	}
}

func TestSummaryCountMismatchIsANote(t *testing.T) {
	body := `{"success":true,"errors":[],"messages":[],"result":{"users":[
		{"user_id":"u1","email":"a@example.com","name":"A","event_count":1,"last_event":"2019-12-27T18:11:19Z","max_risk_level":"low"},
		{"user_id":"u2","email":"b@example.com","name":"B","event_count":-4,"last_event":"yesterday","max_risk_level":"critical"}]},
		"result_info":{"count":2,"page":1,"per_page":0,"total_count":5}}`
	cl, srv, _ := cannedClient(t, map[string]cannedAnswer{"GET /summary": {status: 200, body: body}})
	got, err := cl.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Users) != 2 || got.TotalCount != 5 || !got.Incomplete || len(srv.seen) != 1 {
		t.Fatalf("summary %+v after %d requests", got, len(srv.seen))
	}
	notes := strings.Join(got.Notes, "\n")
	for _, want := range []string{"total_count is 5 but 2 users", `last_event "yesterday"`, "event_count -4"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
	// An unknown level is kept, not dropped, and ranks below the known ones.
	if got.Users[1].MaxRiskLevel != "critical" || got.Users[1].MaxRiskLevel.Valid() || got.Users[1].EventCount != 0 {
		t.Errorf("odd row %+v", got.Users[1])
	}
}
