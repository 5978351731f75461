package simkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestServerRecordsWhatItsRoutesAnswer(t *testing.T) {
	w := NewWorld(Options{Seed: 1, People: 3, History: time.Hour, Clock: NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))})
	var seen []int
	s := NewServer(w, ServerConfig{
		Vendor: "acme",
		ErrorBody: func(w http.ResponseWriter, status int, msg string) {
			WriteJSON(w, status, map[string]string{"error": msg})
		},
		Routes: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/quiet" {
				return
			}
			w.WriteHeader(http.StatusTeapot)
		}),
		Served: func(_ *http.Request, status int) { seen = append(seen, status) },
	})
	serve := func(path string) int {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code
	}
	s.Faults().Set(Faults{FailNext: 1})
	if code := serve("/"); code != http.StatusServiceUnavailable {
		t.Fatalf("injected: %d", code)
	}
	serve("/")
	serve("/quiet")
	if len(seen) != 2 || seen[0] != http.StatusTeapot || seen[1] != 0 {
		t.Fatalf("served %v, want [418 0]: the injected fault is not the routes' answer", seen)
	}
	if n := s.Faults().Requests(); n != 3 {
		t.Fatalf("fault layer counted %d", n)
	}
	tok, _ := s.Tokens().Issue(time.Hour)
	s.RevokeTokens()
	if s.Tokens().Valid(tok) || s.TokensMinted() != 1 {
		t.Fatal("revoke or mint count")
	}
}

func TestLogKeepsTheNewest(t *testing.T) {
	l := NewLog[int](3)
	for i := 1; i <= 5; i++ {
		l.Add(i)
	}
	if got := l.Items(); len(got) != 3 || got[0] != 3 || got[2] != 5 || l.Count() != 5 {
		t.Fatalf("items %v count %d", got, l.Count())
	}
}

func TestWindowPeekAndBlock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewManualClock(t0)
	w := NewWindow(c, 2, time.Minute)
	w.Block = 90 * time.Second
	if left, reset := w.Peek(); left != 2 || !reset.Equal(t0.Add(time.Minute)) {
		t.Fatalf("peek %d %v", left, reset)
	}
	w.Take()
	if left, _, ok := w.Take(); !ok || left != 0 {
		t.Fatalf("second take %d %v", left, ok)
	}
	if _, reset, ok := w.Take(); ok || !reset.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("over: ok %v, blocked until %v", ok, reset)
	}
	c.Advance(80 * time.Second) // a new window, but still blocked
	if _, _, ok := w.Take(); ok {
		t.Fatal("taken while blocked")
	}
	c.Advance(10 * time.Second)
	if left, _, ok := w.Take(); !ok || left != 1 {
		t.Fatalf("after the block: %d %v", left, ok)
	}
}
