package onelogin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim/olsim"
)

// A page mixing good rows, ids as numeric strings, and rows that are not
// events: the good ones come through, the others are row errors, over
// HTTP, on the first page and on the page its next_link leads to.
func TestMixedEventPagesOverHTTP(t *testing.T) {
	const ok = `"created_at":"2026-11-21T11:00:00.000Z"`
	pages := []string{
		`{"status":{"error":false,"code":200,"type":"success","message":"Success"},
		  "pagination":{"before_cursor":null,"after_cursor":"c2","previous_link":null,"next_link":"%s/api/1/events?after_cursor=c2"},
		  "data":[{"id":1,` + ok + `,"event_type_id":5,"user_id":7001,"risk_score":40},
		          {"id":"2",` + ok + `,"event_type_id":"5","user_id":"7002","risk_score":"55"},
		          {"id":"two",` + ok + `,"event_type_id":5},
		          {"id":4,"created_at":"yesterday","event_type_id":5},
		          null,
		          {"id":6,` + ok + `,"event_type_id":5,"user_id":null,"app_id":""}]}`,
		`{"status":{"error":false,"code":200,"type":"success","message":"Success"},
		  "pagination":{"before_cursor":"c2","after_cursor":null,"previous_link":null,"next_link":null},
		  "data":[[1,2],{"id":8,` + ok + `,"event_type_id":{"x":1}},{"id":9,` + ok + `,"event_type_id":13}]}`,
	}
	var s *scripted
	s = newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		p := pages[0]
		if r.URL.Query().Get("after_cursor") == "c2" {
			p = pages[1]
		}
		if strings.Contains(p, "%s") {
			p = fmt.Sprintf(p, s.srv.URL)
		}
		io.WriteString(w, p)
	})
	var ids []int64
	var rowErrs []RowError
	for page, err := range s.client.EventPages(context.Background(), Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			ids = append(ids, e.ID)
		}
		rowErrs = append(rowErrs, page.RowErrors...)
	}
	if fmt.Sprint(ids) != "[1 2 6 9]" {
		t.Errorf("events %v", ids)
	}
	if len(rowErrs) != 5 {
		t.Fatalf("row errors %v", rowErrs)
	}
	for i, want := range []string{"row 3: id is not an id: \"two\"", "row 4 (id 4): created_at", "row 5: no id", "row 1: a JSON array", "row 2 (id 8): event_type_id is not an id"} {
		if !strings.HasPrefix(rowErrs[i].Error(), want) {
			t.Errorf("row error %d = %q, want %q…", i, rowErrs[i].Error(), want)
		}
	}
}

// The source resolves each user once through Get User, so its views carry
// the email the merge joins on; the malformed rows are a health note.
func TestSourceResolvesPeopleOncePerID(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tn := newTenant(t, 3*time.Hour, olsim.Options{})
		st := tn.openStore(t)
		defer st.Close()
		bus := hub.New()
		src := NewSource(tn.oneLogin(t), st, bus, SourceOptions{Backfill: 2 * time.Hour})
		ctx := context.Background()
		if _, err := src.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		src.Background(ctx, func() {})
		if _, err := src.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		views, err := st.EventUsers(ctx, "onelogin", time.Now().Add(-3*time.Hour))
		if err != nil || len(views) == 0 {
			t.Fatalf("%d views, %v", len(views), err)
		}
		byID := map[string]string{}
		for _, p := range tn.world.People() {
			byID[fmt.Sprint(p.OneLoginID)] = p.Email
		}
		for _, v := range views {
			if v.Email == "" || v.Email != byID[v.UserID] {
				t.Errorf("view %s %q: email %q, want %q", v.UserID, v.Name, v.Email, byID[v.UserID])
			}
		}
		if n := tn.ol.UsersServed(); n != len(views) {
			t.Errorf("%d Get User calls for %d people: want one per id", n, len(views))
		}
		// Everyone is joined by email: no view stands alone by name.
		for _, p := range model.Merge(views, []string{"onelogin"}) {
			for _, v := range p.Views {
				if v.JoinedBy != "email" {
					t.Errorf("%s joined %q", p.Key, v.JoinedBy)
				}
			}
		}
	})
}

// A credential whose scope does not cover users: events still flow, the
// people join by name, the health note names the scopes, and Get User is
// not asked again for an hour.
func TestUsersRefusedFallsBackToNames(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tn := newTenant(t, 3*time.Hour, olsim.Options{UsersRefused: true})
		st := tn.openStore(t)
		defer st.Close()
		src := NewSource(tn.oneLogin(t), st, hub.New(), SourceOptions{Backfill: 2 * time.Hour})
		ctx := context.Background()
		note, err := src.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		src.Background(ctx, func() {})
		note, err = src.Poll(ctx)
		if err != nil || !strings.Contains(note, "Users API refused (403)") || !strings.Contains(note, "Read users") {
			t.Fatalf("note %q, %v", note, err)
		}
		if n := tn.ol.UsersServed(); n != 1 {
			t.Errorf("%d Get User calls after the refusal, want 1", n)
		}
		views, _ := st.EventUsers(ctx, "onelogin", time.Now().Add(-3*time.Hour))
		for _, v := range views {
			if strings.Contains(v.Email, "@") && v.Email != v.Name {
				t.Errorf("view %s has email %q though users are refused", v.UserID, v.Email)
			}
		}
	})
}

func TestGetUser(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	p := f.world.People()[3]
	u, err := f.client.GetUser(bg, p.OneLoginID)
	if err != nil || u.ID != p.OneLoginID || u.Email != p.Email || u.Username != olsim.Username(p) || u.Firstname != p.First {
		t.Fatalf("%+v, %v", u, err)
	}
	if _, err := f.client.GetUser(bg, 999); !errors.Is(err, ErrNoSuchUser) || httpx.StatusOf(err) != 404 {
		t.Errorf("unknown id: %v", err)
	}
	f.sim.SetUsersRefused(true)
	_, err = f.client.GetUser(bg, p.OneLoginID)
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != 403 || he.Hint != hintUsersScope || he.Attempts != 1 {
		t.Errorf("refused: %v", err)
	}
}

// The poller finds a server that ignores the score window, flags the
// readings, and from then on reads once for every window.
func TestScoresWindowIgnoredIsFlagged(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprint("ignore=", ignore), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tn := newTenant(t, 3*time.Hour, olsim.Options{ScoresIgnoreWindow: ignore})
				st := tn.openStore(t)
				defer st.Close()
				bus := hub.New()
				sub := bus.Subscribe()
				src := NewSource(tn.oneLogin(t), st, bus, SourceOptions{Backfill: time.Hour, ScoresEvery: time.Minute})
				ctx := context.Background()
				got := func() map[time.Duration]model.Scores {
					out := map[time.Duration]model.Scores{}
					for _, m := range sub.Take() {
						if s, ok := m.(hub.ScoresMsg); ok {
							out[s.Window] = s.Scores
						}
					}
					return out
				}
				if _, err := src.Poll(ctx); err != nil {
					t.Fatal(err)
				}
				first := got()
				if len(first) != len(model.ScoreWindows) {
					t.Fatalf("%d windows", len(first))
				}
				for w, s := range first {
					// Three hours of history: every window holds all of it,
					// so the answers are equal either way; only the probe tells.
					if s.WindowIgnored != ignore || s.Total == 0 {
						t.Errorf("%s: %+v", w, s)
					}
				}
				time.Sleep(2 * time.Minute)
				before := len(tn.ol.Log())
				if _, err := src.Poll(ctx); err != nil {
					t.Fatal(err)
				}
				scoreCalls := 0
				for _, r := range tn.ol.Log()[before:] {
					if strings.HasSuffix(r.Path, scoresPath) {
						scoreCalls++
					}
				}
				want := len(model.ScoreWindows) + 1 // the windows and the probe
				if ignore {
					want = 1
				}
				if scoreCalls != want {
					t.Errorf("%d score calls on the second round, want %d", scoreCalls, want)
				}
				for w, s := range got() {
					if s.WindowIgnored != ignore {
						t.Errorf("second round %s: %+v", w, s)
					}
				}
			})
		})
	}
}

// A poll over a page with malformed rows stores the good rows and says in
// its health note how many were skipped and why.
func TestSourceNotesRowErrors(t *testing.T) {
	body := `{"status":{"error":false,"code":200,"type":"success","message":"Success"},
	  "pagination":{"before_cursor":null,"after_cursor":null,"previous_link":null,"next_link":null},
	  "data":[{"id":"11","created_at":"%[1]s","event_type_id":"5","user_id":"7001","user_name":"Ava Chen"},
	          {"id":12,"created_at":"%[1]s","event_type_id":"five"},
	          {"id":13,"created_at":"%[1]s","event_type_id":6,"user_id":"x"}]}`
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, usersPath):
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"The resource with the given id could not be found","name":"NotFoundError","statusCode":404}`)
		case r.URL.Path == eventsPath:
			fmt.Fprintf(w, body, FormatTime(time.Now().Add(time.Minute)))
		default:
			io.WriteString(w, `{"scores":{"minimal":0,"low":0,"medium":0,"high":0,"very_high":0},"total":0}`)
		}
	})
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := NewSource(s.client, st, hub.New(), SourceOptions{Backfill: time.Hour})
	note, err := src.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "2 malformed event rows skipped") || !strings.Contains(note, "row 3 (id 13): user_id is not an id") {
		t.Errorf("note %q", note)
	}
	if ids := storedIDs(t, st, "onelogin"); len(ids) != 1 || ids["11"] != 1 {
		t.Errorf("stored %v", ids)
	}
}
