package simkit

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func faultServer(t *testing.T) (*FaultSet, *httptest.Server) {
	fs := NewFaultSet(Vendor{Name: "acme", ErrorBody: func(w http.ResponseWriter, status int, msg string) {
		WriteJSON(w, status, map[string]any{"error": msg})
	}}, 1)
	srv := httptest.NewServer(fs.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, map[string]any{"name": fs.Text("Ava Chen"), "n": 1})
	})))
	t.Cleanup(srv.Close)
	return fs, srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFaults(t *testing.T) {
	fs, srv := faultServer(t)

	fs.Set(Faults{Throttle: 2, RetryAfter: 1500 * time.Millisecond})
	for i := 0; i < 2; i++ {
		resp, _ := get(t, srv.URL)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("throttled request %d: %d Retry-After %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := get(t, srv.URL); resp.StatusCode != 200 {
		t.Fatalf("after the burst: %d", resp.StatusCode)
	}

	fs.Set(Faults{FailNext: 1})
	if resp, body := get(t, srv.URL); resp.StatusCode != 503 || !strings.Contains(body, "injected") {
		t.Fatalf("fail: %d %s", resp.StatusCode, body)
	}

	fs.Set(Faults{Malformed: true})
	if _, body := get(t, srv.URL); json.Valid([]byte(body)) {
		t.Fatalf("malformed body is valid JSON: %s", body)
	}

	fs.Set(Faults{Truncate: true})
	if _, body := get(t, srv.URL); json.Valid([]byte(body)) || len(body) == 0 {
		t.Fatalf("truncated body: %q", body)
	}

	fs.Set(Faults{Oversize: 100_000})
	if _, body := get(t, srv.URL); len(body) < 100_000 || !json.Valid([]byte(body)) {
		t.Fatalf("oversize body: %d bytes, valid %v", len(body), json.Valid([]byte(body)))
	}

	fs.Set(Faults{Hostile: true})
	_, body := get(t, srv.URL)
	var v struct{ Name string }
	json.Unmarshal([]byte(body), &v)
	// JSON carries an invalid byte of the corpus as U+FFFD.
	if want := strings.ToValidUTF8(HostileText("Ava Chen"), "\uFFFD"); v.Name != want || v.Name == "Ava Chen" {
		t.Fatalf("hostile name %q, want %q", v.Name, want)
	}

	fs.Set(Faults{Refuse: true})
	if resp, msg := get(t, srv.URL); resp != nil {
		t.Fatalf("refused request answered %d", resp.StatusCode)
	} else if !strings.Contains(msg, "EOF") {
		t.Logf("refused with %s", msg)
	}

	fs.Set(Faults{Drip: 2 * time.Millisecond, Oversize: 1024})
	start := time.Now()
	if _, body := get(t, srv.URL); len(body) < 1024 {
		t.Fatalf("drip body %d bytes", len(body))
	}
	if time.Since(start) < 16*2*time.Millisecond {
		t.Fatalf("drip of 16 chunks took only %s", time.Since(start))
	}

	if fs.Requests() < 10 {
		t.Fatalf("counted %d requests", fs.Requests())
	}
}

func TestTokensAndWindow(t *testing.T) {
	c := NewManualClock(t0)
	tk := NewTokens(c, "v2.")
	tok, _ := tk.Issue(time.Hour)
	if !strings.HasPrefix(tok, "v2.") || !tk.Valid(tok) || tk.Valid("nope") {
		t.Fatal("issue/valid")
	}
	if again, _, ok := tk.Reuse(); !ok || again != tok {
		t.Fatal("reuse")
	}
	c.Advance(time.Hour)
	if tk.Valid(tok) {
		t.Fatal("expired token still valid")
	}
	tok2, _ := tk.Issue(time.Hour)
	tk.RevokeAll()
	if tk.Valid(tok2) || tk.Minted() != 2 {
		t.Fatal("revoke")
	}

	w := NewWindow(c, 2, time.Minute)
	if rem, _, ok := w.Take(); !ok || rem != 1 {
		t.Fatal("first take")
	}
	w.Take()
	if _, reset, ok := w.Take(); ok || !reset.Equal(c.Now().Add(time.Minute)) {
		t.Fatal("third take within the window succeeded")
	}
	c.Advance(time.Minute)
	if _, _, ok := w.Take(); !ok {
		t.Fatal("window did not reset")
	}
}

// An array body (Okta's provider list) is padded too, and stays JSON that
// decodes to the same list.
func TestOversizePadsArrays(t *testing.T) {
	body := pad([]byte(`[{"id":1},{"id":2}]`), 4096)
	var v []struct{ ID int }
	if len(body) != 4096 || json.Unmarshal(body, &v) != nil || len(v) != 2 || v[1].ID != 2 {
		t.Fatalf("padded array: %d bytes, %+v", len(body), v)
	}
	if obj := pad([]byte(`{"a":1}`), 100); len(obj) < 100 || !json.Valid(obj) {
		t.Fatalf("padded object: %q", obj)
	}
}
