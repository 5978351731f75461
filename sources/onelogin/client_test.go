package onelogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

var bg = context.Background()

func TestNewValidatesConfig(t *testing.T) {
	ok := Config{BaseURL: "https://acme.onelogin.com", ClientID: "id", ClientSecret: secret.New("s")}
	for field, mod := range map[string]func(*Config){
		"BaseURL":      func(c *Config) { c.BaseURL = "" },
		"ClientID":     func(c *Config) { c.ClientID = " " },
		"ClientSecret": func(c *Config) { c.ClientSecret = secret.Value{} },
	} {
		cfg := ok
		mod(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "Config."+field) {
			t.Errorf("%s missing: %v", field, err)
		}
	}
	cfg := ok
	cfg.BaseURL = "acme.onelogin.com"
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "Config.BaseURL") {
		t.Errorf("relative base URL: %v", err)
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%+v %#v", ok, ok); strings.Contains(s, "ClientSecret:s") || !strings.Contains(s, "[redacted]") {
		t.Errorf("config prints as %s", s)
	}
}

func TestScoreInsightsMatchWorld(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	got, err := f.client.ScoreInsights(bg, ScoreQuery{})
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	want := olsim.ScoreCounts(f.world.Between(now.Add(-30*24*time.Hour), now))
	if got.Scores != want || got.Total != want[0]+want[1]+want[2]+want[3]+want[4] || got.Total == 0 {
		t.Fatalf("got %+v, want %v", got, want)
	}
	for _, c := range want {
		if c == 0 {
			t.Errorf("an empty bucket in %v: the test world should fill all five", want)
		}
	}
	// A window of the last six hours, sent in UTC with milliseconds.
	after := now.Add(-6 * time.Hour).In(time.FixedZone("X", 3600)).Add(123 * time.Millisecond)
	got, err = f.client.ScoreInsights(bg, ScoreQuery{After: after})
	if err != nil {
		t.Fatal(err)
	}
	if want := olsim.ScoreCounts(f.world.Between(after, now)); got.Scores != want {
		t.Fatalf("6h window: got %v, want %v", got.Scores, want)
	}
	reqs := f.requests("/api/2/risk/scores")
	if q, _ := url.ParseQuery(reqs[len(reqs)-1].Query); q.Get("after") != "2026-11-21T06:00:00.123Z" || q.Has("before") {
		t.Errorf("sent %q", reqs[len(reqs)-1].Query)
	}
}

func TestScoreInsightsClampedRequestSucceeds(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	now := f.clock.Now()
	// The simulator refuses more than 90 days back...
	if status, _, body := f.rawGet(t, "/api/2/risk/scores", "after="+FormatTime(now.Add(-91*24*time.Hour))); status != 400 ||
		!strings.Contains(string(body), `"code":400`) {
		t.Fatalf("unclamped request: %d %s", status, body)
	}
	// ...so the client clamps.
	got, err := f.client.ScoreInsights(bg, ScoreQuery{After: now.Add(-200 * 24 * time.Hour), Before: now.Add(-100 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	floor := now.Add(-MaxScoreLookback + scoreClampMargin)
	if !got.After.Equal(floor) || !got.Before.Equal(floor) || got.Total != 0 {
		t.Errorf("clamped to %s..%s, total %d; want both at %s", got.After, got.Before, got.Total, floor)
	}
}

func TestClampScoreQuery(t *testing.T) {
	now := t0
	day := 24 * time.Hour
	floor := now.Add(-90*day + time.Minute)
	cases := []struct {
		name      string
		in, want  ScoreQuery
		wantAfter time.Time
	}{
		{"defaults stay defaults", ScoreQuery{}, ScoreQuery{}, time.Time{}},
		{"inside the window", ScoreQuery{After: now.Add(-10 * day), Before: now.Add(-day)}, ScoreQuery{After: now.Add(-10 * day), Before: now.Add(-day)}, time.Time{}},
		{"after at the floor", ScoreQuery{After: floor}, ScoreQuery{After: floor}, time.Time{}},
		{"after a ms past the floor", ScoreQuery{After: floor.Add(-time.Millisecond)}, ScoreQuery{After: floor}, time.Time{}},
		{"after exactly 90 days", ScoreQuery{After: now.Add(-90 * day)}, ScoreQuery{After: floor}, time.Time{}},
		{"after a year back", ScoreQuery{After: now.Add(-365 * day)}, ScoreQuery{After: floor}, time.Time{}},
		{"both too far back", ScoreQuery{After: now.Add(-200 * day), Before: now.Add(-100 * day)}, ScoreQuery{After: floor, Before: floor}, time.Time{}},
		{"before too far back, after default", ScoreQuery{Before: now.Add(-100 * day)}, ScoreQuery{After: floor, Before: floor}, time.Time{}},
		{"before 40 days back, after default", ScoreQuery{Before: now.Add(-40 * day)}, ScoreQuery{After: now.Add(-70 * day), Before: now.Add(-40 * day)}, time.Time{}},
		{"before 70 days back, after default", ScoreQuery{Before: now.Add(-70 * day)}, ScoreQuery{After: floor, Before: now.Add(-70 * day)}, time.Time{}},
		{"before 10 days back, after default", ScoreQuery{Before: now.Add(-10 * day)}, ScoreQuery{Before: now.Add(-10 * day)}, time.Time{}},
		{"after later than before", ScoreQuery{After: now.Add(-day), Before: now.Add(-2 * day)}, ScoreQuery{After: now.Add(-2 * day), Before: now.Add(-2 * day)}, time.Time{}},
		{"after equal to before", ScoreQuery{After: now.Add(-day), Before: now.Add(-day)}, ScoreQuery{After: now.Add(-day), Before: now.Add(-day)}, time.Time{}},
		{"after in the future, before default", ScoreQuery{After: now.Add(day)}, ScoreQuery{After: now}, time.Time{}},
	}
	for _, c := range cases {
		if got := clampScoreQuery(c.in, now); !got.After.Equal(c.want.After) || !got.Before.Equal(c.want.Before) {
			t.Errorf("%s: got %s..%s, want %s..%s", c.name, got.After, got.Before, c.want.After, c.want.Before)
		}
	}
}

// expectedEvents is what Get Events should return for types since a
// moment (exclusive, to the second), oldest first.
func expectedEvents(w *simkit.World, since time.Time, types ...int) []int64 {
	var ids []int64
	for _, a := range w.Between(since.Add(-time.Second), w.Clock().Now().Add(time.Second)) {
		if a.Time.Unix() > since.Unix() && slices.Contains(types, olsim.EventTypeID(a.Kind)) {
			ids = append(ids, olsim.EventID(a))
		}
	}
	return ids
}

func TestEventPagesFollowNextLinkWithFiltersKept(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	f.clock.Advance(10 * time.Minute) // into the live attack: plenty of failed logins
	since := f.clock.Now().Add(-45 * time.Minute)
	want := expectedEvents(f.world, since, 5, 6)
	q := Query{Since: since, EventTypeIDs: []int{5, 6}, Sort: "+id", Limit: 25}
	var got []int64
	pages := 0
	for page, err := range f.client.EventPages(bg, q) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Events) > 25 {
			t.Fatalf("page of %d", len(page.Events))
		}
		for _, e := range page.Events {
			if e.EventTypeID != 5 && e.EventTypeID != 6 || !e.CreatedAt.After(since) {
				t.Fatalf("page %d: event %d type %d at %s escaped the filters", pages, e.ID, e.EventTypeID, e.CreatedAt)
			}
			got = append(got, e.ID)
		}
	}
	if pages < 3 {
		t.Fatalf("%d pages; the test needs at least 3", pages)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d events, want %d (in order)", len(got), len(want))
	}
	if wantPages := (len(want) + 24) / 25; pages != wantPages {
		t.Errorf("%d pages for %d events", pages, len(want))
	}
	reqs := f.requests("/api/1/events")
	if len(reqs) != pages {
		t.Fatalf("%d requests for %d pages", len(reqs), pages)
	}
	first, _ := url.ParseQuery(reqs[0].Query)
	if first.Get("since") != FormatTime(since) || first.Get("event_type_id") != "5,6" || first.Get("sort") != "+id" || first.Get("limit") != "25" {
		t.Errorf("first request %s", reqs[0].Query)
	}
	for _, r := range reqs[1:] {
		// next_link followed verbatim: the cursor alone carries the filters.
		if q, _ := url.ParseQuery(r.Query); len(q) != 1 || q.Get("after_cursor") == "" {
			t.Errorf("follow-up request %s", r.Query)
		}
	}
}

func TestEventPagesDefaultOrderIsNewestFirst(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	for _, sort := range []string{"", "-id"} {
		page, err := f.client.Events(bg, Query{Sort: sort, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 50 || page.Events[0].ID != olsim.EventIDBase+f.world.LastSeq() ||
			!slices.IsSortedFunc(page.Events, func(a, b Event) int { return int(b.ID - a.ID) }) {
			t.Errorf("sort %q: %d events, first %d", sort, len(page.Events), page.Events[0].ID)
		}
	}
}

func TestBreakingOutOfEventPagesStopsRequests(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	pages := 0
	for page, err := range f.client.EventPages(bg, Query{Limit: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		if page.Last() {
			t.Fatal("the first page is the last: nothing to stop")
		}
		pages++
		break
	}
	if n := len(f.requests("/api/1/events")); pages != 1 || n != 1 {
		t.Fatalf("%d pages, %d requests after breaking out", pages, n)
	}
	// A stored cursor resumes where the page left off.
	first, _ := f.client.Events(bg, Query{Limit: 5, Sort: "+id"})
	next, err := f.client.Events(bg, Query{Limit: 5, Sort: "+id", AfterCursor: first.AfterCursor})
	if err != nil || len(next.Events) != 5 || next.Events[0].ID != first.Events[4].ID+1 {
		t.Fatalf("resume: %v %+v", err, next.Events)
	}
}

func TestSinceUntilAreExclusiveToTheSecond(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	acts := f.world.Between(f.clock.Now().Add(-time.Hour), f.clock.Now())
	a := acts[len(acts)/2]
	id, sec := olsim.EventID(a), a.Time.Truncate(time.Second)
	cases := []struct {
		name         string
		since, until time.Time
		found        bool
	}{
		{"since the second before", sec.Add(-time.Second), time.Time{}, true},
		{"since the last ms of the second before (compared as that second)", sec.Add(-time.Millisecond), time.Time{}, true},
		{"since the first ms of its own second", sec.Add(time.Millisecond), time.Time{}, false},
		{"since its own second", sec, time.Time{}, false},
		{"since its own instant", a.Time, time.Time{}, false},
		{"until the second after", time.Time{}, sec.Add(time.Second), true},
		{"until its own second", time.Time{}, sec, false},
		{"until its own instant plus a ms", time.Time{}, a.Time.Add(time.Millisecond), false},
		{"the two-second window around it", sec.Add(-time.Second), sec.Add(time.Second), true},
	}
	for _, c := range cases {
		page, err := f.client.Events(bg, Query{ID: id, Since: c.since, Until: c.until})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if found := len(page.Events) == 1 && page.Events[0].ID == id; found != c.found {
			t.Errorf("%s: found %v (%d events), want %v", c.name, found, len(page.Events), c.found)
		}
	}
}

func TestQueryValues(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*3600)
	v, err := Query{
		Since:        time.Date(2018, 11, 1, 14, 44, 55, 123456789, zone),
		Until:        time.Date(2018, 11, 2, 19, 44, 55, 0, time.UTC),
		CreatedAt:    time.Date(2018, 11, 1, 20, 0, 0, 5e6, time.UTC),
		EventTypeIDs: []int{8, 13},
		UserID:       7, ID: 9, DirectoryID: 11, ClientID: "abc", Resolution: "0",
		Sort: "+id", Fields: []string{"created_at", "event_type_id", "user_id"}, Limit: 10,
	}.values()
	if err != nil {
		t.Fatal(err)
	}
	want := "client_id=abc&created_at=2018-11-01T20%3A00%3A00.005Z&directory_id=11&event_type_id=8%2C13&fields=created_at%2Cevent_type_id%2Cuser_id" +
		"&id=9&limit=10&resolution=0&since=2018-11-01T19%3A44%3A55.123Z&sort=%2Bid&until=2018-11-02T19%3A44%3A55.000Z&user_id=7"
	if v.Encode() != want {
		t.Errorf("got  %s\nwant %s", v.Encode(), want)
	}
	if v, _ := (Query{}).values(); v.Encode() != "limit=50" {
		t.Errorf("zero query: %s", v.Encode())
	}
	bad := map[string]Query{
		"limit 51":           {Limit: 51},
		"limit -1":           {Limit: -1},
		"sort id":            {Sort: "id"},
		"sort created_at":    {Sort: "+created_at"},
		"type 0":             {EventTypeIDs: []int{5, 0}},
		"negative user":      {UserID: -3},
		"empty field":        {Fields: []string{"id", ""}},
		"comma field":        {Fields: []string{"id,user_id"}},
		"since after until":  {Since: t0, Until: t0.Add(-time.Second)},
		"since equals until": {Since: t0, Until: t0},
	}
	for name, q := range bad {
		if _, err := q.values(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	for _, limit := range []int{1, 50} {
		if _, err := (Query{Limit: limit}).values(); err != nil {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
	// An invalid query yields its error without a request.
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	for _, err := range s.client.EventPages(bg, Query{Limit: 51}) {
		if err == nil || !strings.Contains(err.Error(), "limit 51") {
			t.Errorf("got %v", err)
		}
	}
}

func TestEventFieldsFromWorld(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	people := f.world.People()
	var login, app, other, unnamed *simkit.Activity
	acts := f.world.After(0, 0)
	for i := range acts {
		a := &acts[i]
		switch {
		case login == nil && a.Kind == simkit.KindLogin && len(a.Reasons) > 1:
			login = a
		case app == nil && a.Kind == simkit.KindAppLogin:
			app = a
		case other == nil && a.Kind == simkit.KindPasswordChange:
			other = a
		case unnamed == nil && people[a.Person].Name() == "":
			unnamed = a
		}
	}
	if login == nil || app == nil || other == nil || unnamed == nil {
		t.Fatal("the world lacks an activity the test needs")
	}
	get := func(a *simkit.Activity) Event {
		t.Helper()
		page, err := f.client.Events(bg, Query{ID: olsim.EventID(*a)})
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("event %d: %v, %d events", olsim.EventID(*a), err, len(page.Events))
		}
		return page.Events[0]
	}
	e, p := get(login), people[login.Person]
	if e.EventTypeID != 5 || e.UserName != p.Name() || e.ActorUserName != p.Name() || *e.UserID != p.OneLoginID ||
		e.IPAddr != login.IP.String() || e.RiskScore == nil || *e.RiskScore != login.Score ||
		!slices.Equal(e.RiskReasonLines(), login.Reasons) || e.BrowserFingerprint != login.Device ||
		e.Notes != "Authentication method: password." || e.AccountID != olsim.DefaultAccountID ||
		!e.CreatedAt.Equal(login.Time) || e.RiskCookieID == "" {
		t.Errorf("login event %+v\nfrom %+v", e, *login)
	}
	if e := get(app); e.EventTypeID != 8 || e.AppName != app.App || e.AppID == nil || e.RiskScore != nil {
		t.Errorf("app login %+v", e)
	}
	if e := get(other); e.EventTypeID != 11 || e.RiskScore != nil || e.RiskReasons != "" || e.AppName != "" {
		t.Errorf("password change %+v", e)
	}
	if e := get(unnamed); e.UserName != people[unnamed.Person].Email {
		t.Errorf("unnamed person shows %q, want the email", e.UserName)
	}

	// fields= projects; id always comes back.
	page, err := f.client.Events(bg, Query{ID: olsim.EventID(*login), Fields: []string{"created_at", "event_type_id", "user_id"}})
	if err != nil || len(page.Events) != 1 {
		t.Fatal(err)
	}
	if e := page.Events[0]; e.ID != olsim.EventID(*login) || e.EventTypeID != 5 || e.UserID == nil || e.CreatedAt.IsZero() ||
		e.UserName != "" || e.IPAddr != "" || e.RiskScore != nil {
		t.Errorf("projected %+v", e)
	}
}

func TestTokenIsCachedAndMintedAgain(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	tokenCalls := func() int { return len(f.requests(tokenPath)) }
	for range 3 {
		if _, err := f.client.ScoreInsights(bg, ScoreQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if tokenCalls() != 1 || f.sim.TokensMinted() != 1 {
		t.Fatalf("%d token calls, %d minted for 3 requests", tokenCalls(), f.sim.TokensMinted())
	}
	if form := f.requests("/api/2/risk/scores")[0].Auth; form != olsim.AuthBearer {
		t.Errorf("sent %q", form)
	}

	// Inside the 5-minute margin the client asks again; OneLogin hands back
	// the same, still valid token.
	f.clock.Advance(10*time.Hour - 4*time.Minute)
	if _, err := f.client.ScoreInsights(bg, ScoreQuery{}); err != nil {
		t.Fatal(err)
	}
	if tokenCalls() != 2 || f.sim.TokensMinted() != 1 {
		t.Fatalf("near expiry: %d token calls, %d minted", tokenCalls(), f.sim.TokensMinted())
	}

	// Past expiry: a new token.
	f.clock.Advance(10 * time.Hour)
	if _, err := f.client.ScoreInsights(bg, ScoreQuery{}); err != nil {
		t.Fatal(err)
	}
	if f.sim.TokensMinted() != 2 {
		t.Fatalf("after expiry %d minted", f.sim.TokensMinted())
	}

	// Revoked mid-run: a 401, a new token, and the call succeeds.
	f.sim.RevokeTokens()
	before := len(f.sim.Log())
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, r := range f.sim.Log()[before:] {
		trail = append(trail, fmt.Sprintf("%s %d", strings.TrimPrefix(r.Path, basePath), r.Status))
	}
	if want := []string{"/api/1/events 401", tokenPath + " 200", "/api/1/events 200"}; !slices.Equal(trail, want) || f.sim.TokensMinted() != 3 {
		t.Fatalf("after revoke: %v, %d minted", trail, f.sim.TokensMinted())
	}
}

func TestBearerColonFallbackIsRemembered(t *testing.T) {
	f := newFixture(t, olsim.Options{LegacyBearerOnly: true}, nil)
	trail := func(from int) []string {
		var out []string
		for _, r := range f.sim.Log()[from:] {
			if r.Path != basePath+tokenPath {
				out = append(out, fmt.Sprintf("%s %d", r.Auth, r.Status))
			}
		}
		return out
	}
	if _, err := f.client.ScoreInsights(bg, ScoreQuery{}); err != nil {
		t.Fatal(err)
	}
	if got, want := trail(0), []string{"Bearer 400", "bearer: 200"}; !slices.Equal(got, want) {
		t.Fatalf("first call: %v, want %v", got, want)
	}
	n := len(f.sim.Log())
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.FetchRateLimit(bg); err != nil {
		t.Fatal(err)
	}
	if got, want := trail(n), []string{"bearer: 200", "bearer: 200"}; !slices.Equal(got, want) {
		t.Fatalf("later calls: %v, want %v", got, want)
	}
	// The remembered form survives re-authentication.
	f.sim.RevokeTokens()
	n = len(f.sim.Log())
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := trail(n), []string{"bearer: 401", "bearer: 200"}; !slices.Equal(got, want) {
		t.Fatalf("after revoke: %v, want %v", got, want)
	}
}

func TestBadCredentials(t *testing.T) {
	const wrong = "wrong-secret-do-not-print"
	f := newFixture(t, olsim.Options{}, func(c *Config) { c.ClientSecret = secret.New(wrong) })
	_, err := f.client.ScoreInsights(bg, ScoreQuery{})
	var he *httpx.Error
	var apiErr *APIError
	if !errors.As(err, &he) || !errors.As(err, &apiErr) || he.Status != 401 || he.Op != "POST "+tokenPath ||
		apiErr.Message != olsim.MsgAuthFailure || he.Hint != hintCredentials {
		t.Fatalf("%v", err)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, wrong) || strings.Contains(s, olsim.DefaultClientSecret) {
			t.Fatalf("the secret leaked: %s", s)
		}
	}
	if len(f.requests("/api/2/risk/scores")) != 0 {
		t.Error("a resource call went out without a token")
	}
}

// OneLogin answers 500 to every call once the credential's owner is
// deleted (generate-tokens-2). The client asks the token endpoint once to
// tell that from a passing 500, then stops: no retries, the hint, and a
// long Retry-After for the poller.
func TestOwnerDeletedGives500WithHintAndNoRetries(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	f.sim.SetOwnerDeleted(true)
	want := 2 // the resource call and one token request; then the token request alone
	for _, call := range []func() error{
		func() error { _, err := f.client.ScoreInsights(bg, ScoreQuery{}); return err },
		func() error { _, err := f.client.Events(bg, Query{}); return err },
		func() error { _, err := f.client.GetUser(bg, 7); return err },
	} {
		before := f.sim.ServedCount()
		err := call()
		var he *httpx.Error
		if !errors.As(err, &he) || he.Status != 500 || he.Hint != hintOwnerDeleted || he.Attempts != 1 ||
			he.RetryAfter < ownerDeletedWait || he.Op != "POST "+tokenPath {
			t.Fatalf("%v (attempts %d)", err, he.Attempts)
		}
		// Nothing repeated.
		if n := f.sim.ServedCount() - before; n != want {
			t.Errorf("%d requests, want %d", n, want)
		}
		want = 1
	}
	if w := f.sleeps.All(); len(w) != 0 {
		t.Errorf("slept %v", w)
	}
	// A new client fails on its first token request, once.
	c, _ := New(Config{BaseURL: f.srv.URL + basePath, ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret), HTTP: httpxOptions(f.clock.Now, f.sleeps)})
	before := f.sim.ServedCount()
	if _, err := c.FetchRateLimit(bg); httpx.StatusOf(err) != 500 || !strings.Contains(err.Error(), "was deleted: create a new credential") {
		t.Errorf("token call: %v", err)
	}
	if n := f.sim.ServedCount() - before; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// A 500 that is not the deleted owner's (the token endpoint still mints)
// is retried as any server error is.
func TestPassing500IsRetried(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	f.sim.SetServerErrors(2)
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatalf("after two passing 500s: %v", err)
	}
	if w := f.sleeps.All(); len(w) != 1 {
		t.Errorf("waits %v: want one back-off (the first 500 is probed, the second retried)", w)
	}
}

func TestThrottledThenSucceeds(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	f.sim.Faults().Set(simkit.Faults{Throttle: 1, RetryAfter: 7 * time.Second})
	page, err := f.client.Events(bg, Query{Limit: 3})
	if err != nil || len(page.Events) != 3 {
		t.Fatalf("%v, %d events", err, len(page.Events))
	}
	if w := f.sleeps.All(); !slices.Equal(w, []time.Duration{7 * time.Second}) {
		t.Fatalf("waits %v, want the 7s Retry-After", w)
	}
	// A longer throttle without Retry-After: the hint and the injected envelope come back.
	f.sim.Faults().Set(simkit.Faults{Throttle: 10})
	_, err = f.client.Events(bg, Query{Limit: 3})
	var apiErr *APIError
	if httpx.KindOf(err) != httpx.KindRateLimited || !errors.As(err, &apiErr) || apiErr.Code != 429 ||
		!strings.Contains(err.Error(), "5,000 calls an hour") {
		t.Fatalf("%v", err)
	}
}

func TestRateLimitBudget(t *testing.T) {
	f := newFixture(t, olsim.Options{RateLimit: 3}, nil)
	if _, ok := f.client.RateLimit(); ok {
		t.Fatal("rate limit known before any call")
	}
	start := f.clock.Now()
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	rl, ok := f.client.RateLimit()
	if !ok || rl.Limit != 3 || rl.Remaining != 2 || !rl.Reset.Equal(start.Add(time.Hour)) {
		t.Fatalf("after one call: %+v", rl)
	}
	f.clock.Advance(10 * time.Minute)
	got, err := f.client.FetchRateLimit(bg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Limit != 3 || got.Remaining != 2 || !got.Reset.Equal(start.Add(time.Hour)) || !got.Observed.Equal(f.clock.Now()) {
		t.Fatalf("/auth/rate_limit: %+v", got)
	}
	for range 2 {
		if _, err := f.client.ScoreInsights(bg, ScoreQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.client.Events(bg, Query{Limit: 1})
	var he *httpx.Error
	var apiErr *APIError
	if !errors.As(err, &he) || !errors.As(err, &apiErr) || he.Kind != httpx.KindRateLimited || apiErr.Message != olsim.MsgRateExceeded ||
		he.RetryAfter != 50*time.Minute || he.Hint != hintRateLimit || he.Attempts != 1 {
		t.Fatalf("over budget: %v", err)
	}
	if rl, _ := f.client.RateLimit(); rl.Remaining != 0 {
		t.Errorf("remaining %d", rl.Remaining)
	}
	f.clock.Advance(50 * time.Minute)
	if _, err := f.client.Events(bg, Query{Limit: 1}); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}

func TestEventTypesCachedAndNamed(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	for id, want := range map[int]string{5: "USER_LOGGED_INTO_ONELOGIN", 6: "USER_FAILED_ONELOGIN_LOGIN", 9: "event type 9", 4242: "event type 4242"} {
		if got, err := f.client.EventTypeName(bg, id); err != nil || got != want {
			t.Errorf("type %d: %q, %v", id, got, err)
		}
	}
	cat, _ := f.client.EventTypes(bg)
	if len(cat.All()) != len(olsim.EventTypes()) {
		t.Errorf("%d types", len(cat.All()))
	}
	if n := len(f.requests(eventTypesPath)); n != 1 {
		t.Fatalf("%d fetches for 6 look-ups", n)
	}
	f.clock.Advance(EventTypesTTL + time.Second)
	if _, err := f.client.EventTypeName(bg, 5); err != nil {
		t.Fatal(err)
	}
	if n := len(f.requests(eventTypesPath)); n != 2 {
		t.Fatalf("%d fetches after the TTL", n)
	}
	// A failed fetch still names the type, and is not cached.
	f.clock.Advance(EventTypesTTL + time.Second)
	f.sim.Faults().Set(simkit.Faults{Malformed: true})
	if name, err := f.client.EventTypeName(bg, 5); err == nil || name != "event type 5" {
		t.Errorf("malformed: %q, %v", name, err)
	}
	f.sim.Faults().Set(simkit.Faults{})
	if name, err := f.client.EventTypeName(bg, 5); err != nil || name != "USER_LOGGED_INTO_ONELOGIN" {
		t.Errorf("after recovery: %q, %v", name, err)
	}
}

func TestMalformedAndTruncatedBodies(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	if _, err := f.client.FetchRateLimit(bg); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"events":     func() error { _, err := f.client.Events(bg, Query{}); return err },
		"scores":     func() error { _, err := f.client.ScoreInsights(bg, ScoreQuery{}); return err },
		"rate limit": func() error { _, err := f.client.FetchRateLimit(bg); return err },
		"types":      func() error { _, err := f.client.EventTypes(bg); return err },
	}
	for _, fault := range []simkit.Faults{{Malformed: true}, {Truncate: true}} {
		f.sim.Faults().Set(fault)
		for name, call := range calls {
			err := call()
			if httpx.KindOf(err) != httpx.KindDecode {
				t.Errorf("%+v %s: %v", fault, name, err)
			}
		}
	}
	f.sim.Faults().Set(simkit.Faults{Truncate: true})
	if err := calls["events"](); !strings.Contains(err.Error(), "truncated JSON") {
		t.Errorf("truncated: %v", err)
	}
}

// A server that returns the page it was asked for again must not loop.
func TestPaginationThatDoesNotAdvance(t *testing.T) {
	var s *scripted
	s = newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"pagination":{"after_cursor":"same","next_link":%q},"data":[{"id":1}]}`, s.srv.URL+eventsPath+"?after_cursor=same")
	})
	pages, errs := 0, 0
	for _, err := range s.client.EventPages(bg, Query{}) {
		if err != nil {
			errs++
			if !strings.Contains(err.Error(), "did not advance") {
				t.Error(err)
			}
			continue
		}
		pages++
	}
	if pages != 2 || errs != 1 || len(s.requests()) != 2 {
		t.Fatalf("%d pages, %d errors, %d requests", pages, errs, len(s.requests()))
	}
}

// A next_link elsewhere with no cursor to fall back on is refused, not followed.
func TestForeignNextLinkIsRefused(t *testing.T) {
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"pagination":{"next_link":"https://evil.example/api/1/events?after_cursor=x"},"data":[]}`))
	})
	var last error
	for _, err := range s.client.EventPages(bg, Query{}) {
		last = err
	}
	if last == nil || !strings.Contains(last.Error(), "refusing to send credentials") || len(s.requests()) != 1 {
		t.Fatalf("%v after %d requests", last, len(s.requests()))
	}
}

// Callers racing through the switch all succeed, and one form is settled on.
func TestConcurrentCallersShareTheFormAndToken(t *testing.T) {
	f := newFixture(t, olsim.Options{LegacyBearerOnly: true}, nil)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := f.client.ScoreInsights(bg, ScoreQuery{})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.requests(tokenPath)); n != 1 {
		t.Errorf("%d token calls for 8 concurrent callers", n)
	}
	n := len(f.sim.Log())
	if _, err := f.client.ScoreInsights(bg, ScoreQuery{}); err != nil {
		t.Fatal(err)
	}
	if after := f.sim.Log()[n:]; len(after) != 1 || after[0].Auth != olsim.AuthLegacy {
		t.Errorf("after the race: %+v", after)
	}
}

// When the token is refused and so is the new one, the caller sees the
// token endpoint's own 401 and hint, not a transport failure.
func TestReauthFailureSurfacesTheTokenError(t *testing.T) {
	var mu sync.Mutex
	tokenCalls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			mu.Lock()
			tokenCalls++
			n := tokenCalls
			mu.Unlock()
			if n == 1 {
				w.Write([]byte(`{"access_token":"tok-1","expires_in":36000,"token_type":"bearer"}`))
				return
			}
		}
		w.WriteHeader(401)
		w.Write(readTestdata(t, "error-401.json"))
	}))
	t.Cleanup(srv.Close)
	sleeps := &sleepRecorder{}
	c, _ := New(Config{BaseURL: srv.URL, ClientID: "cid", ClientSecret: secret.New(scriptedSecret), HTTP: httpxOptions(func() time.Time { return t0 }, sleeps)})
	_, err := c.Events(bg, Query{})
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != 401 || he.Op != "POST "+tokenPath || he.Hint != hintCredentials {
		t.Fatalf("%v", err)
	}
	if strings.Contains(err.Error(), scriptedSecret) {
		t.Fatal("the secret leaked")
	}
}
