package onelogin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
)

func ptr[T any](v T) *T { return &v }

// The Get Events sample from the seed page (testdata/README.md lists the two
// edits that make it JSON), served as is: every field decodes, nulls become
// zero values, and the sample's next_link (on subdomain.onelogin.com, not
// our host) falls back to after_cursor with the filters repeated.
func TestDecodeEventsSample(t *testing.T) {
	sample := readTestdata(t, "events-sample.json")
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after_cursor") != "" {
			w.Write([]byte(`{"status":{"error":false,"code":200,"type":"success","message":"Success"},"pagination":{"before_cursor":null,"after_cursor":null,"previous_link":null,"next_link":null},"data":[]}`))
			return
		}
		w.Write(sample)
	})
	var pages []EventPage
	for page, err := range s.client.EventPages(context.Background(), Query{EventTypeIDs: []int{5, 13}}) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
	}
	if len(pages) != 2 {
		t.Fatalf("%d pages, want the sample and the empty page after it", len(pages))
	}
	p := pages[0]
	if p.AfterCursor != "xWNjb3VudF9pZDo6OjUzNDEzLS0jI2lkOjo6OTA0MjU3NTQ2" ||
		p.NextLink != "https://subdomain.onelogin.com/api/1/events?after_cursor=xWNjb3VudF9pZDo6OjUzNDEzLS0jI2lkOjo6OTA0MjU3NTQ2" ||
		p.BeforeCursor != "" || p.PreviousLink != "" {
		t.Errorf("pagination = %+v", p)
	}
	want := []Event{{
		ID: 999999999, CreatedAt: time.Date(2014, 12, 19, 2, 2, 39, 276e6, time.UTC), AccountID: 55555,
		UserID: ptr[int64](88888888), EventTypeID: 13, IPAddr: "11.111.11.111", ActorUserID: ptr[int64](7777777),
		ActorUserName: "Xavier Wong", UserName: "Xavier Wong",
	}, {
		ID: 888888888, CreatedAt: time.Date(2014, 12, 19, 3, 38, 19, 899e6, time.UTC), AccountID: 55555,
		UserID: ptr[int64](77777777), EventTypeID: 5, Notes: "Authentication method: password.",
		IPAddr: "22.222.22.222", ActorUserID: ptr[int64](11111111), ActorUserName: "Jimena Xie", UserName: "Jimena Xie",
		RiskScore:          ptr(48),
		RiskReasons:        "Infrequent access from 73.68.253.46 (13%)\nLow trust for session (15%)....",
		RiskCookieID:       "1cc3xx9-6a0d-4643-8111-b5xx",
		BrowserFingerprint: "71fxxxxxxxxxxxbc184748e5a6b",
	}}
	if !reflect.DeepEqual(p.Events, want) {
		t.Errorf("events =\n%+v\nwant\n%+v", p.Events, want)
	}
	if lines := p.Events[1].RiskReasonLines(); len(lines) != 2 || lines[1] != "Low trust for session (15%)...." {
		t.Errorf("reason lines %q", lines)
	}
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	q := reqs[1].URL.Query()
	if q.Get("after_cursor") != p.AfterCursor || q.Get("event_type_id") != "5,13" || reqs[1].Host != reqs[0].Host {
		t.Errorf("second request %s on %s: want the cursor and the filters on our host", reqs[1].URL, reqs[1].Host)
	}
}

func TestDecodeEventToleratesUnknownMissingAndOddTypes(t *testing.T) {
	const must = `"created_at":"2026-11-21T12:00:00.000Z","event_type_id":5`
	var e Event
	body := `{"id":1,` + must + `,"adc_id":5,"new_thing":{"x":[1,2]},"resolution":3,"risk_score":null,"user_id":null}`
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	if e.ID != 1 || e.Resolution != "3" || e.RiskScore != nil || e.UserID != nil || e.UserName != "" {
		t.Errorf("%+v", e)
	}
	for raw, want := range map[string]string{`"fixed"`: "fixed", `true`: "true", `null`: "", `2.5`: "2.5", `{"a":1}`: ""} {
		if err := json.Unmarshal([]byte(`{"id":2,`+must+`,"resolution":`+raw+`}`), &e); err != nil || e.Resolution != want {
			t.Errorf("resolution %s → %q, %v; want %q", raw, e.Resolution, err, want)
		}
	}
	for _, bad := range []string{`{"id":"not a number",` + must + `}`, `{"id":1.5,` + must + `}`, `{` + must + `}`,
		`{"id":3,"event_type_id":5}`, `{"id":3,"created_at":"2026-11-21T12:00:00.000Z"}`, `{"id":3,` + must + `,"user_id":"x7"}`,
		`{"id":3,` + must + `,"risk_score":101}`, `null`, `[]`, `"event"`} {
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

// Ids and type ids come as numbers, numeric strings or null.
func TestDecodeEventIDsAsNumbersOrStrings(t *testing.T) {
	var e Event
	body := `{"id":"42","created_at":"2026-11-21T12:00:00.000Z","event_type_id":"5","account_id":"55555",
		"user_id":"7001","actor_user_id":7002,"app_id":"","role_id":null,"risk_score":"61"}`
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	if e.ID != 42 || e.EventTypeID != 5 || e.AccountID != 55555 || e.UserID == nil || *e.UserID != 7001 ||
		e.ActorUserID == nil || *e.ActorUserID != 7002 || e.AppID != nil || e.RoleID != nil || e.RiskScore == nil || *e.RiskScore != 61 {
		t.Errorf("%+v", e)
	}
}

func TestDecodeScoreInsightsSample(t *testing.T) {
	sample := readTestdata(t, "score-insights-sample.json")
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) { w.Write(sample) })
	got, err := s.client.ScoreInsights(context.Background(), ScoreQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Scores != [5]int{50, 165, 30, 17, 9} || got.Total != 271 ||
		got.Count(model.BucketMinimal) != 50 || got.Count(model.BucketVeryHigh) != 9 || got.Count(model.Bucket(9)) != 0 {
		t.Errorf("%+v", got)
	}
	if r := s.requests()[0]; r.URL.RawQuery != "" || r.Header.Get("Authorization") != "Bearer tok-1" {
		t.Errorf("request %s with %q", r.URL, r.Header.Get("Authorization"))
	}
}

func TestDecodeRateLimitSample(t *testing.T) {
	sample := readTestdata(t, "rate-limit-vendors-md.json")
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) { w.Write(sample) })
	rl, err := s.client.FetchRateLimit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rl.Limit != 5000 || rl.Remaining != 4988 || !rl.Reset.Equal(t0.Add(832*time.Second)) {
		t.Errorf("%+v", rl)
	}
}

// Each documented error body decodes to the typed error and its hint.
func TestDecodeErrorBodies(t *testing.T) {
	cases := []struct {
		file   string
		status int
		want   APIError
		hint   string
	}{
		{"error-400.json", 400, APIError{400, "bad request", "Authorization Information is incorrect"}, hintAuthHeader},
		{"error-401.json", 401, APIError{401, "Unauthorized", "Authentication Failure"}, hintCredentials},
		{"error-404-vendors-md.json", 404, APIError{404, "not found", "No Route Exists"}, hintNoRoute},
	}
	for _, c := range cases {
		err, hint := decodeError(c.status, nil, readTestdata(t, c.file))
		var apiErr *APIError
		if !errors.As(err, &apiErr) || *apiErr != c.want || hint != c.hint {
			t.Errorf("%s: %#v, hint %q", c.file, err, hint)
		}
	}
	// Not the envelope: no typed error, but the status still earns its hint.
	if err, hint := decodeError(500, nil, []byte("<html>oops</html>")); err != nil || hint != hintServerError {
		t.Errorf("html 500: %v, %q", err, hint)
	}
	// A 500 body that itself says the credential's user is gone.
	if _, hint := decodeError(500, nil, []byte(`{"message":"The user for this API credential has been deleted","name":"InternalServerError","statusCode":500}`)); hint != hintOwnerDeleted {
		t.Errorf("owner-deleted 500: %q", hint)
	}
	if err, hint := decodeError(429, nil, []byte(`{"message":"slow down","name":"TooManyRequests"}`)); err == nil ||
		err.Error() != "slow down (TooManyRequests)" || hint != hintRateLimit {
		t.Errorf("v2-style 429: %v, %q", err, hint)
	}
	// Vendor text is sanitized.
	err, _ := decodeError(400, nil, []byte(`{"status":{"error":true,"code":400,"type":"bad\u001b[2J","message":"x\u001b]0;pwned\u0007y"}}`))
	if err == nil || strings.ContainsRune(err.Error(), 0x1b) || err.Error() != "xy (bad)" {
		t.Errorf("unsanitized: %q", err)
	}
}

// The documented 400 and 401 bodies as a server answers them.
func TestErrorBodiesFromServer(t *testing.T) {
	for _, c := range []struct {
		file      string
		status    int
		hint      string
		wantCalls int // resource calls: 400 tries both header forms; 401 mints once more
	}{
		{"error-400.json", 400, hintAuthHeader, 2},
		{"error-401.json", 401, hintCredentials, 2},
		{"error-404-vendors-md.json", 404, hintNoRoute, 1},
	} {
		body := readTestdata(t, c.file)
		s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			w.Write(body)
		})
		_, err := s.client.ScoreInsights(context.Background(), ScoreQuery{})
		var he *httpx.Error
		var apiErr *APIError
		if !errors.As(err, &he) || !errors.As(err, &apiErr) || he.Status != c.status || apiErr.Code != c.status || he.Hint != c.hint {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if n := len(s.requests()); n != c.wantCalls {
			t.Errorf("%s: %d resource calls, want %d", c.file, n, c.wantCalls)
		}
		if c.status == 400 {
			reqs := s.requests()
			if reqs[0].Header.Get("Authorization") != "Bearer tok-1" || reqs[1].Header.Get("Authorization") != "bearer:tok-1" {
				t.Errorf("400: forms tried %q then %q", reqs[0].Header.Get("Authorization"), reqs[1].Header.Get("Authorization"))
			}
		}
	}
}

func TestDecodeEventTypes(t *testing.T) {
	for _, body := range []string{
		`{"status":{"error":false,"code":200,"type":"success","message":"Success"},"data":[{"id":5,"name":"USER_LOGGED_INTO_ONELOGIN","description":"d"},{"id":1,"name":"APP_ADDED_TO_ROLE"}]}`,
		`[{"id":1,"name":"APP_ADDED_TO_ROLE","extra":true},{"id":5,"name":"USER_LOGGED_INTO_ONELOGIN","description":"d"}]`,
	} {
		s := newScripted(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })
		cat, err := s.client.EventTypes(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if all := cat.All(); len(all) != 2 || all[0].ID != 1 || cat.Name(5) != "USER_LOGGED_INTO_ONELOGIN" || cat.Name(77) != "event type 77" {
			t.Errorf("%s: %+v", body, all)
		}
	}
	for _, body := range []string{`{"status":{}}`, `[{"id":"x"}]`, `{"data":[`} {
		if _, err := decodeEventTypes([]byte(body)); err == nil {
			t.Errorf("%s decoded", body)
		}
	}
}
