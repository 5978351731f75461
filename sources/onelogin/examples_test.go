package onelogin

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
)

// serveExample answers the example's recorded request with its body and
// status over loopback; any other request is a 404 the test reports.
func serveExample(t *testing.T, ex httpxtest.Example) *scripted {
	t.Helper()
	return newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != ex.Method || r.URL.Path != ex.Path {
			t.Errorf("%s: the client asked %s %s, the example answers %s %s", ex.Name, r.Method, r.URL.Path, ex.Method, ex.Path)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		for k, vs := range ex.Query {
			if got := r.URL.Query()[k]; strings.Join(got, ",") != strings.Join(vs, ",") {
				t.Errorf("%s: query %s = %q, the example answers %q", ex.Name, k, got, vs)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ex.Status)
		w.Write(ex.Body)
	})
}

// Every response body on OneLogin's reference pages, served as recorded to
// the client method that asks for it: the decode succeeds (or, for error
// bodies, yields the documented message) and gives the documented values.
func TestDecodesEveryDocumentedExample(t *testing.T) {
	const dir = "testdata/examples"
	ctx := context.Background()
	wantAPIError := func(t *testing.T, err error, status int, msg string) {
		t.Helper()
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != status || ae.Message != msg {
			t.Fatalf("error %v (%#v), want the documented %d %q", err, ae, status, msg)
		}
	}
	cases := map[string]func(t *testing.T, c *Client){
		"events-page": func(t *testing.T, c *Client) {
			p, err := c.Events(ctx, Query{})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Events) != 2 || len(p.RowErrors) != 0 {
				t.Fatalf("%d events, %d row errors; want the 2 printed", len(p.Events), len(p.RowErrors))
			}
			e0, e1 := p.Events[0], p.Events[1]
			if e0.ID != 999999999 || e0.EventTypeID != 13 || e0.IPAddr != "11.111.11.111" || e0.RiskScore != nil ||
				e0.CreatedAt != time.Date(2014, 12, 19, 2, 2, 39, 276e6, time.UTC) {
				t.Errorf("first event %+v", e0)
			}
			if e1.ID != 888888888 || e1.UserID == nil || *e1.UserID != 77777777 || e1.RiskScore == nil || *e1.RiskScore != 48 ||
				e1.UserName != "Jimena Xie" || e1.BrowserFingerprint != "71fxxxxxxxxxxxbc184748e5a6b" {
				t.Errorf("second event %+v", e1)
			}
			if p.AfterCursor != "xWNjb3VudF9pZDo6OjUzNDEzLS0jI2lkOjo6OTA0MjU3NTQ2" || p.Last() {
				t.Errorf("after_cursor %q, last %v", p.AfterCursor, p.Last())
			}
		},
		"events-400": func(t *testing.T, c *Client) {
			_, err := c.Events(ctx, Query{})
			wantAPIError(t, err, 400, "Authorization Information is incorrect")
		},
		"events-401": func(t *testing.T, c *Client) {
			_, err := c.Events(ctx, Query{})
			wantAPIError(t, err, 401, "Authentication Failure")
		},
		"event-types": func(t *testing.T, c *Client) {
			cat, err := c.EventTypes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(cat.All()); n != 5 {
				t.Fatalf("%d types, want the 5 printed", n)
			}
			if cat.Name(5) != "USER_LOGGED_INTO_ONELOGIN" || cat.Name(1) != "APP_ADDED_TO_ROLE" {
				t.Errorf("names %q, %q", cat.Name(5), cat.Name(1))
			}
			if et, ok := cat.Lookup(3); !ok || et.Description != "%actor_user% assumed %user%" {
				t.Errorf("type 3 = %+v", et)
			}
		},
		"user": func(t *testing.T, c *Client) {
			u, err := c.GetUser(ctx, 36216766)
			if err != nil {
				t.Fatal(err)
			}
			want := User{ID: 36216766, Email: "kelly+preprod@onelogin.com", Username: "kellyslater", Firstname: "Kelly", Lastname: "Slater"}
			if u != want {
				t.Errorf("user %+v, want %+v", u, want)
			}
		},
		"user-401": func(t *testing.T, c *Client) {
			_, err := c.GetUser(ctx, 36216766)
			wantAPIError(t, err, 401, "Unauthorized")
		},
		"user-404": func(t *testing.T, c *Client) {
			_, err := c.GetUser(ctx, 36216766)
			if !errors.Is(err, ErrNoSuchUser) {
				t.Fatalf("error %v, want ErrNoSuchUser", err)
			}
			wantAPIError(t, err, 404, "The resource with the given id could not be found")
		},
		"risk-scores": func(t *testing.T, c *Client) {
			s, err := c.ScoreInsights(ctx, ScoreQuery{})
			if err != nil {
				t.Fatal(err)
			}
			want := map[model.Bucket]int{}
			for i, n := range []int{50, 165, 30, 17, 9} {
				want[model.Buckets[i]] = n
			}
			for _, b := range model.Buckets {
				if s.Scores[b] != want[b] {
					t.Errorf("%v = %d, want %d", b, s.Scores[b], want[b])
				}
			}
			if s.Total != 271 {
				t.Errorf("total %d, want 271", s.Total)
			}
		},
		"rate-limit": func(t *testing.T, c *Client) {
			rl, err := c.FetchRateLimit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rl.Limit != 5000 || rl.Remaining != 4988 || rl.Reset != t0.Add(832*time.Second) {
				t.Errorf("rate limit %+v", rl)
			}
		},
		"rate-limit-404": func(t *testing.T, c *Client) {
			_, err := c.FetchRateLimit(ctx)
			wantAPIError(t, err, 404, "No Route Exists")
		},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s: %v", dir, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			check, ok := cases[name]
			if !ok {
				t.Fatalf("%s has no case in this table: say what it should decode to", name)
			}
			ex := httpxtest.LoadExample(t, dir, name)
			s := serveExample(t, ex)
			check(t, s.client)
			if len(s.requests()) == 0 {
				t.Errorf("the client never asked for %s %s", ex.Method, ex.Path)
			}
		})
		delete(cases, name)
	}
	for name := range cases {
		t.Errorf("case %s has no example file", name)
	}
}
