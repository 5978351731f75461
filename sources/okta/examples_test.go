package okta

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
)

// exampleServer answers "METHOD path" with status and the body of
// testdata/examples/file, or with body when set.
func exampleServer(t *testing.T, route string, status int, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method+" "+r.URL.Path != route {
			http.Error(w, "no example for "+r.Method+" "+r.URL.Path, http.StatusTeapot)
			return
		}
		if len(body) > 0 {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func readExample(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "examples", file))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "examples", strings.TrimSuffix(file, ".json")+".source"))
	if err != nil || len(src) == 0 {
		t.Fatalf("%s has no .source naming where it came from: %v", file, err)
	}
	return b
}

// TestDecodesEveryDocumentedExample serves each example under
// testdata/examples (its .source names the page or SDK file and the
// request it answers) over loopback HTTP to the client method that makes
// that request, and checks the documented values come out.
func TestDecodesEveryDocumentedExample(t *testing.T) {
	now := time.Date(2021, 1, 20, 0, 30, 0, 0, time.UTC) // inside the seed's request example
	ssws := func(t *testing.T, base string) *Client {
		c, err := New(Config{BaseURL: base, APIToken: secret.New("00example-token"),
			HTTP: httpx.Options{Now: func() time.Time { return now }, Timeout: 5 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	day := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		file string
		run  func(t *testing.T, body []byte)
	}{
		{"risk_providers_list.json", func(t *testing.T, body []byte) {
			c := ssws(t, exampleServer(t, "GET "+providersPath, 200, body))
			ps, err := c.Providers(context.Background())
			if err != nil {
				t.Fatalf("documented example does not decode: %v", err)
			}
			want := []Provider{
				{ID: "00rp12r4skkjkjgsn", Name: "Risk-Partner-Y", ClientID: "00ckjsfgjkdkjdkkljjsd", Action: ActionEnforceAndLog,
					Created: day("2021-01-05 22:18:30"), LastUpdated: day("2021-01-05 23:18:30")},
				{ID: "00rp23r4skkjkjgsn", Name: "Risk-Partner-X", ClientID: "00cjkjjkkgjkdkjdkkljjsd", Action: ActionLogOnly,
					Created: day("2021-01-04 22:18:30"), LastUpdated: day("2021-01-04 23:18:30")},
			}
			if len(ps) != len(want) {
				t.Fatalf("providers = %+v", ps)
			}
			for i := range want {
				if ps[i] != want[i] {
					t.Errorf("provider %d\n got %+v\nwant %+v", i, ps[i], want[i])
				}
			}
		}},
		{"risk_provider_get.json", func(t *testing.T, body []byte) {
			// No get-one method: served as the list's only element.
			c := ssws(t, exampleServer(t, "GET "+providersPath, 200, append(append([]byte("["), body...), ']')))
			ps, err := c.Providers(context.Background())
			if err != nil {
				t.Fatalf("documented example does not decode: %v", err)
			}
			want := Provider{ID: "00rp23r4skkjkjgsn", Name: "Risk-Partner-X", ClientID: "00cjkjjkkgjkdkjdkkljjsd", Action: ActionLogOnly,
				Created: day("2021-01-04 22:18:30"), LastUpdated: day("2021-01-04 23:18:30")}
			if len(ps) != 1 || ps[0] != want {
				t.Errorf("providers = %+v, want [%+v]", ps, want)
			}
		}},
		{"security_events_providers_list.json", func(t *testing.T, body []byte) {
			c := ssws(t, exampleServer(t, "GET "+securityEventsProvidersPath, 200, body))
			ps, err := c.SecurityEventsProviders(context.Background())
			if err != nil {
				t.Fatalf("documented example does not decode: %v", err)
			}
			if len(ps) != 1 {
				t.Fatalf("providers = %+v", ps)
			}
			p := ps[0]
			if p.ID != "sse1qg25RpusjUP6m0g5" || p.Name != "Target SSF Provider" || p.Status != "ACTIVE" ||
				p.Settings.Issuer != "example.okta.com" || p.Settings.JWKSURL != "https://example.okta.com/oauth2/v1/keys" ||
				p.Settings.WellKnownURL != "https://example.okta.com/.well-known/ssf-configuration" {
				t.Errorf("provider = %+v", p)
			}
			if got, why := FindSecurityEventsProvider(ps, "example.okta.com"); got == nil {
				t.Errorf("FindSecurityEventsProvider(example.okta.com) = nil: %s", why)
			}
		}},
		{"risk_events_202.json", func(t *testing.T, body []byte) {
			var events []RiskEvent
			if err := json.Unmarshal(mustRead(t, "testdata/request_example.json"), &events); err != nil {
				t.Fatal(err)
			}
			c := ssws(t, exampleServer(t, "POST /api/v1/risk/events/ip", http.StatusAccepted, body))
			if err := c.Push(context.Background(), events); err != nil {
				t.Fatalf("the documented 202 with no body is not taken as success: %v", err)
			}
		}},
		{"ssf_error_invalid_request.json", func(t *testing.T, body []byte) {
			_, pem := testKey(t)
			c, err := New(Config{BaseURL: exampleServer(t, "POST /security/api/v1/security-events", http.StatusBadRequest, body),
				Push: PushSSF, SSFIssuer: "https://risktop.example", SSFKeyPEM: secret.New(string(pem)), SSFKeyID: "k1",
				HTTP: httpx.Options{Timeout: 5 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			err = c.PushUserRisk(context.Background(), UserRisk{Email: "ava@example.com", Current: UserRiskHigh, Previous: UserRiskLow})
			var se *SETError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SETError", err)
			}
			if se.Status != 400 || se.Code != "invalid_request" ||
				!strings.Contains(se.Description, "'events.mediationDeviceComplianceChangeEvent.previousStatus': The field cannot be left blank") {
				t.Errorf("SETError = %+v", se)
			}
		}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) { tc.run(t, readExample(t, tc.file)) })
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "examples", "*.json"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no case in this table", f)
		}
	}
}
