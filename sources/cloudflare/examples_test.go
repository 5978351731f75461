package cloudflare_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/cloudflare"
)

// TestDecodesEveryDocumentedExample serves each example under
// testdata/examples (one body per file; its .source names the page it came
// from and the request it answers) over loopback HTTP to the client method
// that makes that request, and checks the documented values come out.
func TestDecodesEveryDocumentedExample(t *testing.T) {
	const uid = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
	cases := []struct {
		file   string
		route  string // "METHOD /path after zt_risk_scoring"
		status int
		call   func(*testing.T, *cloudflare.Client) error
	}{
		{"summary.json", "GET /summary", 200, func(t *testing.T, c *cloudflare.Client) error {
			s, err := c.Summary(context.Background())
			if err != nil {
				return err
			}
			if len(s.Users) != 1 {
				t.Fatalf("users = %d, want 1", len(s.Users))
			}
			u := s.Users[0]
			if u.UserID != uid || u.Email != "email" || u.Name != "name" || u.EventCount != 0 ||
				u.MaxRiskLevel != cloudflare.LevelLow || !u.LastEvent.Equal(ts("2019-12-27T18:11:19.117Z")) {
				t.Errorf("user = %+v", u)
			}
			return nil
		}},
		{"user.json", "GET /" + uid, 200, func(t *testing.T, c *cloudflare.Client) error {
			u, err := c.User(context.Background(), uid)
			if err != nil {
				return err
			}
			if u.Email != "email" || u.Name != "name" || u.RiskLevel != cloudflare.LevelLow ||
				u.LastResetTime == nil || !u.LastResetTime.Equal(ts("2019-12-27T18:11:19.117Z")) {
				t.Errorf("user = %+v", u)
			}
			if len(u.Events) != 1 {
				t.Fatalf("events = %d, want 1", len(u.Events))
			}
			e := u.Events[0]
			if e.ID != "id" || e.Name != "name" || e.RiskLevel != cloudflare.LevelLow ||
				!e.Timestamp.Equal(ts("2019-12-27T18:11:19.117Z")) || len(e.Details) != 0 {
				t.Errorf("event = %+v", e)
			}
			return nil
		}},
		{"reset_null.json", "POST /" + uid + "/reset", 200, func(t *testing.T, c *cloudflare.Client) error {
			return c.Reset(context.Background(), uid)
		}},
		{"behaviors_get.json", "GET /behaviors", 200, func(t *testing.T, c *cloudflare.Client) error {
			bs, err := c.Behaviors(context.Background())
			if err != nil {
				return err
			}
			if len(bs) != 0 {
				t.Errorf("behaviors = %+v, want none", bs)
			}
			return nil
		}},
		{"behaviors_put.json", "PUT /behaviors", 200, func(t *testing.T, c *cloudflare.Client) error {
			// PutBehaviors refuses an empty map before sending; the
			// documented answer to any PUT is {"behaviors": {}}.
			got, err := c.PutBehaviors(context.Background(), map[string]cloudflare.BehaviorSetting{
				"imp_travel": {Enabled: true, RiskLevel: cloudflare.LevelHigh}})
			if err != nil {
				return err
			}
			if len(got) != 0 {
				t.Errorf("behaviors = %+v, want none", got)
			}
			return nil
		}},
		{"error_4xx.json", "GET /summary", 400, func(t *testing.T, c *cloudflare.Client) error {
			_, err := c.Summary(context.Background())
			var ae *cloudflare.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			if !ae.Has(1000) || ae.Errors[0].Message != "message" {
				t.Errorf("APIError = %+v", ae)
			}
			return nil
		}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "examples", strings.TrimSuffix(tc.file, ".json")+".source"))
			if err != nil || len(src) == 0 {
				t.Fatalf("%s has no .source naming where it came from: %v", tc.file, err)
			}
			cl, _, _ := cannedClient(t, map[string]cannedAnswer{tc.route: {status: tc.status, file: filepath.Join("examples", tc.file)}})
			if err := tc.call(t, cl); err != nil {
				t.Fatalf("documented example does not decode: %v", err)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "examples", "*.json"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no case in this table", f)
		}
	}
}
