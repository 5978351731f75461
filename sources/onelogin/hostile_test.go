package onelogin

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// checkClean asserts that hostile, the client's version of a field served
// under the hostile knob, is clean and still holds plain, the same field
// served without it. A value cut at the length cap keeps only the start.
func checkClean(t *testing.T, where string, hostile, plain string, block bool) (changed bool) {
	t.Helper()
	lines := []string{hostile}
	if block {
		lines = strings.Split(hostile, "\n")
	}
	for _, l := range lines {
		if !sanitize.Valid(l) {
			t.Errorf("%s: %q is not clean", where, l)
		}
	}
	if !strings.HasSuffix(hostile, sanitize.Ellipsis) && !strings.Contains(hostile, plain) {
		t.Errorf("%s: %q lost the readable %q", where, hostile, plain)
	}
	return hostile != plain
}

func TestHostileStringsAreSanitized(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	q := Query{Since: f.clock.Now().Add(-3 * time.Hour), Sort: "+id", Limit: 50}
	plain, err := f.client.Events(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	plainTypes, err := f.client.EventTypes(bg)
	if err != nil {
		t.Fatal(err)
	}

	f.sim.Faults().Set(simkit.Faults{Hostile: true})
	hostile, err := f.client.Events(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := New(Config{BaseURL: f.srv.URL + basePath, ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret), HTTP: httpxOptions(f.clock.Now, f.sleeps)})
	hostileTypes, err := fresh.EventTypes(bg)
	if err != nil {
		t.Fatal(err)
	}

	if len(hostile.Events) != len(plain.Events) || len(plain.Events) != 50 {
		t.Fatalf("%d hostile events, %d plain", len(hostile.Events), len(plain.Events))
	}
	changed := map[string]int{}
	et := reflect.TypeFor[Event]()
	for i := range plain.Events {
		h, p := reflect.ValueOf(hostile.Events[i]), reflect.ValueOf(plain.Events[i])
		if hostile.Events[i].ID != plain.Events[i].ID {
			t.Fatalf("event %d: ids differ", i)
		}
		for j := range et.NumField() {
			fld := et.Field(j)
			if fld.Type.Kind() != reflect.String {
				continue
			}
			if checkClean(t, fld.Name, h.Field(j).String(), p.Field(j).String(), fld.Tag.Get("sanitize") == "block") {
				changed[fld.Name]++
			}
		}
	}
	for _, name := range []string{"UserName", "ActorUserName", "IPAddr", "Notes", "RiskReasons", "BrowserFingerprint", "AppName", "ErrorDescription"} {
		if changed[name] == 0 {
			t.Errorf("the hostile knob never reached %s", name)
		}
	}
	n := 0
	for _, pt := range plainTypes.All() {
		ht, ok := hostileTypes.Lookup(pt.ID)
		if !ok {
			t.Fatalf("type %d missing", pt.ID)
		}
		if checkClean(t, "type name", ht.Name, pt.Name, false) || checkClean(t, "type description", ht.Description, pt.Description, false) {
			n++
		}
	}
	if n == 0 {
		t.Error("the hostile knob never reached the event types")
	}
}

// Under the hostile knob the simulator's error messages carry the corpus
// too: whatever error the client returns is clean text and still says what
// went wrong.
func TestHostileErrorsAreClean(t *testing.T) {
	f := newFixture(t, olsim.Options{}, nil)
	f.sim.Faults().Set(simkit.Faults{Hostile: true})
	bad, _ := New(Config{BaseURL: f.srv.URL + basePath, ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New("wrong"), HTTP: httpxOptions(f.clock.Now, f.sleeps)})
	_, err := bad.EventTypes(bg)
	checkErr(t, "bad credentials", err, olsim.MsgAuthFailure)

	f.sim.Faults().Set(simkit.Faults{Hostile: true, FailNext: 10})
	_, err = f.client.ScoreInsights(bg, ScoreQuery{})
	checkErr(t, "injected 503", err, "injected fault")
}

func checkErr(t *testing.T, what string, err error, readable string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	// A value cut at its cap shows the ellipsis instead of the rest.
	if msg := err.Error(); !sanitize.Valid(msg) || !strings.Contains(msg, readable) && !strings.Contains(msg, sanitize.Ellipsis) {
		t.Errorf("%s: %q is not clean or lost %q", what, err, readable)
	}
}

// Every corpus entry in every text field of every error shape OneLogin
// uses (the v1 status envelope, v2 message/name, OAuth error), and in a
// body that is not JSON at all, answered by a server: the error is clean.
func TestEveryErrorShapeWithEveryHostileString(t *testing.T) {
	var body atomic.Value
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, body.Load().(string))
	})
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	for _, c := range sanitize.Hostile() {
		typ, msg := c.Raw+"Forbidden", c.Raw+"Insufficient scope"
		for _, b := range []string{
			`{"status":{"error":true,"code":403,"type":` + q(typ) + `,"message":` + q(msg) + `}}`,
			`{"message":` + q(msg) + `,"name":` + q(typ) + `}`,
			`{"error":` + q(typ) + `,"error_description":` + q(msg) + `}`,
			"<html>" + msg + "</html>",
		} {
			body.Store(b)
			_, err := s.client.ScoreInsights(bg, ScoreQuery{})
			checkErr(t, c.Name, err, "Insufficient scope")
		}
		// A 200 whose envelope says it failed.
		body.Store(`{"status":{"error":true,"code":400,"type":` + q(typ) + `,"message":` + q(msg) + `},"data":[]}`)
		s2 := newScripted(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body.Load().(string)) })
		_, err := s2.client.Events(bg, Query{})
		checkErr(t, c.Name+" in a 200", err, "Insufficient scope")
	}
}
