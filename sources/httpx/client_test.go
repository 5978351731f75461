package httpx

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx/httpxtest"
)

type sleeps = httpxtest.Waits

func newClient(t *testing.T, url string, mod func(*Config)) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	cfg := Config{Vendor: "acme", BaseURL: url, Options: Options{Sleep: s.Sleep, Timeout: 2 * time.Second}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// script answers each request with the next handler in line.
func script(t *testing.T, steps ...http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(steps) {
			i = len(steps) - 1
		}
		steps[i](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"code":%d}`, code)
	}
}

func TestRetriesServerErrorsWithJitteredBackoff(t *testing.T) {
	srv, n := script(t, status(503), status(502), status(200))
	c, s := newClient(t, srv.URL, nil)
	resp, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || n.Load() != 3 {
		t.Fatalf("status %d after %d requests", resp.Status, n.Load())
	}
	if len(s.All()) != 2 {
		t.Fatalf("waited %d times, want 2", len(s.All()))
	}
	for i, d := range s.All() {
		full := DefaultBackoffBase << i
		if d < full/2 || d > full {
			t.Errorf("wait %d = %s, want within [%s, %s]", i, d, full/2, full)
		}
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv, n := script(t, status(500))
	c, _ := newClient(t, srv.URL, nil)
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	var e *Error
	if !errors.As(err, &e) || e.Status != 500 || e.Attempts != DefaultMaxAttempts {
		t.Fatalf("err = %#v", err)
	}
	if int(n.Load()) != DefaultMaxAttempts {
		t.Fatalf("%d requests, want %d", n.Load(), DefaultMaxAttempts)
	}
}

func TestHonoursRetryAfter(t *testing.T) {
	srv, _ := script(t, status(429, "Retry-After", "3"), status(200))
	c, s := newClient(t, srv.URL, nil)
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	if len(s.All()) != 1 || s.All()[0] != 3*time.Second {
		t.Fatalf("waits = %v, want [3s]", s.All())
	}
}

func TestLongRetryAfterIsReturnedNotSlept(t *testing.T) {
	srv, n := script(t, status(429, "Retry-After", "300"))
	c, s := newClient(t, srv.URL, nil)
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if KindOf(err) != KindRateLimited || RetryAfterOf(err) != 300*time.Second {
		t.Fatalf("err = %v", err)
	}
	if len(s.All()) != 0 || n.Load() != 1 {
		t.Fatalf("slept %v over %d requests; want no sleep, one request", s.All(), n.Load())
	}
	if !strings.Contains(err.Error(), "retry in 5m0s") {
		t.Fatalf("message lacks the wait: %v", err)
	}
}

func TestRateLimitResetStandsInForRetryAfter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	srv, _ := script(t, status(429, "X-Reset", "7"), status(200))
	c, s := newClient(t, srv.URL, func(cfg *Config) {
		cfg.Now = func() time.Time { return now }
		cfg.RateLimit = func(h http.Header, now time.Time) (RateLimit, bool) {
			if h.Get("X-Reset") == "" {
				return RateLimit{}, false
			}
			return RateLimit{Limit: 10, Remaining: 0, Reset: now.Add(7 * time.Second)}, true
		}
	})
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	if len(s.All()) != 1 || s.All()[0] != 7*time.Second {
		t.Fatalf("waits = %v, want [7s]", s.All())
	}
	rl, ok := c.RateLimit()
	if !ok || rl.Limit != 10 || !rl.Observed.Equal(now) {
		t.Fatalf("rate limit = %+v, %v", rl, ok)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	srv, n := script(t, status(404))
	c, _ := newClient(t, srv.URL, func(cfg *Config) {
		cfg.DecodeError = func(code int, _ http.Header, body []byte) (error, string) {
			return errors.New("no such thing"), "check the tenant URL"
		}
	})
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/things/1?x=secret"})
	if StatusOf(err) != 404 || n.Load() != 1 {
		t.Fatalf("err = %v after %d requests", err, n.Load())
	}
	want := "acme: GET /things/1: 404 Not Found — no such thing — check the tenant URL"
	if err.Error() != want {
		t.Fatalf("message\n got %q\nwant %q", err.Error(), want)
	}
}

func TestBodyCap(t *testing.T) {
	srv, n := script(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 2048))
	})
	c, _ := newClient(t, srv.URL, func(cfg *Config) { cfg.MaxBody = 1024 })
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if KindOf(err) != KindTooLarge || !errors.Is(err, ErrBodyTooLarge) || n.Load() != 1 {
		t.Fatalf("err = %v after %d requests", err, n.Load())
	}
	if !strings.Contains(err.Error(), "1 KiB") {
		t.Fatalf("message does not name the cap: %v", err)
	}
}

func TestGzipBodyWithoutContentEncoding(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"ok":true}`))
	zw.Close()
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(buf.Bytes())
	})
	c, _ := newClient(t, srv.URL, nil)
	var out struct{ OK bool }
	if _, err := c.JSON(context.Background(), Request{Method: "GET", Path: "/x"}, &out); err != nil || !out.OK {
		t.Fatalf("out = %+v, err = %v", out, err)
	}
}

func TestGzipBombIsCapped(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte("0"), 1<<20))
	zw.Close()
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) { w.Write(buf.Bytes()) })
	c, _ := newClient(t, srv.URL, func(cfg *Config) { cfg.MaxBody = 64 << 10 })
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"}); KindOf(err) != KindTooLarge {
		t.Fatalf("err = %v", err)
	}
}

func TestMalformedJSON(t *testing.T) {
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"a":[1,2`)) })
	c, _ := newClient(t, srv.URL, nil)
	var out map[string]any
	_, err := c.JSON(context.Background(), Request{Method: "GET", Path: "/x"}, &out)
	if KindOf(err) != KindDecode || !strings.Contains(err.Error(), "truncated JSON") {
		t.Fatalf("err = %v", err)
	}
}

func TestAttemptTimeoutCoversSlowDrip(t *testing.T) {
	srv, n := script(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	c, _ := newClient(t, srv.URL, func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond; cfg.MaxAttempts = 2 })
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if KindOf(err) != KindTimeout || n.Load() != 2 {
		t.Fatalf("err = %v after %d requests", err, n.Load())
	}
	// The health line says what happened, not Go's "context deadline exceeded".
	if msg := err.Error(); !strings.Contains(msg, "timeout: the answer was still arriving after 100ms (") ||
		!strings.Contains(msg, "bytes of body received)") {
		t.Fatalf("message %q", msg)
	}
}

func TestAttemptTimeoutWithoutAnswerSaysSo(t *testing.T) {
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c, _ := newClient(t, srv.URL, func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond; cfg.MaxAttempts = 1 })
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if KindOf(err) != KindTimeout || err.Error() != "acme: GET /x: timeout: no answer within 50ms" {
		t.Fatalf("err = %v", err)
	}
	// The caller's own deadline is not the attempt's: it keeps Go's words.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	c2, _ := newClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = 1 })
	if _, err := c2.Do(ctx, Request{Method: "GET", Path: "/x"}); KindOf(err) != KindTimeout || strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("caller deadline: %v", err)
	}
}

func TestRandNMakesBackoffRepeatable(t *testing.T) {
	var asked []time.Duration
	c, _ := newClient(t, "http://x.test", func(cfg *Config) {
		cfg.RandN = func(n time.Duration) time.Duration { asked = append(asked, n); return n - 1 }
	})
	if d := c.backoff(2); d != time.Second || len(asked) != 1 || asked[0] != 500*time.Millisecond+1 {
		t.Fatalf("backoff(2) = %v, RandN asked %v", d, asked)
	}
}

func TestCanceledContextStopsAtOnce(t *testing.T) {
	srv, n := script(t, status(503))
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newClient(t, srv.URL, func(cfg *Config) {
		cfg.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	})
	_, err := c.Do(ctx, Request{Method: "GET", Path: "/x"})
	if KindOf(err) != KindCanceled || n.Load() != 1 {
		t.Fatalf("err = %v after %d requests", err, n.Load())
	}
}

func TestConnectionRefusedIsRetriedAsNetworkError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, s := newClient(t, "http://"+addr, nil)
	_, err = c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if KindOf(err) != KindNetwork || len(s.All()) != DefaultMaxAttempts-1 {
		t.Fatalf("err = %v, waits %v", err, s.All())
	}
	if !strings.Contains(err.Error(), "connection refused: nothing is listening there") || strings.Contains(err.Error(), `"http://`) ||
		!errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("message = %v", err)
	}
}

// TestDroppedConnectionSaysSo: a server that accepts and closes without
// answering is a network error in words, retried, the EOF still wrapped.
func TestDroppedConnectionSaysSo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			// Read the request, so the close is a clean EOF, not a
			// reset of unread data.
			bufio.NewReader(conn).ReadString('\n')
			conn.Close()
		}
	}()
	c, s := newClient(t, "http://"+ln.Addr().String(), nil)
	_, err = c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if KindOf(err) != KindNetwork || len(s.All()) != DefaultMaxAttempts-1 {
		t.Fatalf("err = %v, waits %v", err, s.All())
	}
	if got := err.Error(); !strings.HasSuffix(got, "GET /x: network error: the connection closed before an answer came (EOF)") ||
		!errors.Is(err, io.EOF) {
		t.Fatalf("message = %q", got)
	}
}

type fakeAuth struct {
	mu       sync.Mutex
	token    string
	mints    int
	rejected []int
}

func (a *fakeAuth) Authorize(_ context.Context, h http.Header) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == "" {
		a.mints++
		a.token = fmt.Sprintf("tok-%d", a.mints)
	}
	h.Set("Authorization", "Bearer "+a.token)
	return nil
}

func (a *fakeAuth) Rejected(code int, _ []byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rejected = append(a.rejected, code)
	a.token = ""
	return code == 401
}

func TestReauthenticatesOnceOnRejection(t *testing.T) {
	var seen []string
	srv, _ := script(t,
		func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, r.Header.Get("Authorization"))
			status(401)(w, r)
		},
		func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, r.Header.Get("Authorization"))
			status(200)(w, r)
		},
	)
	a := &fakeAuth{}
	c, _ := newClient(t, srv.URL, func(cfg *Config) { cfg.Auth = a })
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "Bearer tok-1,Bearer tok-2" {
		t.Fatalf("authorization headers = %v", seen)
	}

	srv2, n := script(t, status(401))
	c2, _ := newClient(t, srv2.URL, func(cfg *Config) { cfg.Auth = &fakeAuth{} })
	_, err := c2.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if StatusOf(err) != 401 || n.Load() != 2 {
		t.Fatalf("err = %v after %d requests; want 401 after exactly one re-auth", err, n.Load())
	}
	if strings.Contains(err.Error(), "tok-") {
		t.Fatalf("credential in message: %v", err)
	}
}

func TestLinksMustStayOnTheBaseHost(t *testing.T) {
	srv, n := script(t, status(200))
	c, _ := newClient(t, srv.URL+"/prefix", nil)
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "https://evil.example/api?x=1"}); KindOf(err) != KindDecode || n.Load() != 0 {
		t.Fatalf("err = %v after %d requests", err, n.Load())
	}
	var got string
	srv2, _ := script(t, func(w http.ResponseWriter, r *http.Request) { got = r.URL.String(); status(200)(w, r) })
	c2, _ := newClient(t, srv2.URL+"/prefix/", nil)
	if _, err := c2.Do(context.Background(), Request{Method: "GET", Path: srv2.URL + "/prefix/api?after_cursor=abc"}); err != nil {
		t.Fatal(err)
	}
	if got != "/prefix/api?after_cursor=abc" {
		t.Fatalf("followed link to %q", got)
	}
	if _, err := c2.Do(context.Background(), Request{Method: "GET", Path: "/api/1/events", Query: map[string][]string{"limit": {"50"}}}); err != nil {
		t.Fatal(err)
	}
	if got != "/prefix/api/1/events?limit=50" {
		t.Fatalf("joined path = %q", got)
	}
	if _, err := c2.Do(context.Background(), Request{Method: "GET", Path: "/users/" + url.PathEscape("a/../b") + "/reset"}); err != nil {
		t.Fatal(err)
	}
	if got != "/prefix/users/a%2F..%2Fb/reset" {
		t.Fatalf("escaped id was split or resolved: %q", got)
	}
}

func TestUserAgentAndBaseURLChecks(t *testing.T) {
	var ua string
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) { ua = r.UserAgent(); status(200)(w, r) })
	c, _ := newClient(t, srv.URL, nil)
	c.Do(context.Background(), Request{Method: "GET", Path: "/"})
	if !strings.HasPrefix(ua, "risktop/") {
		t.Fatalf("User-Agent = %q", ua)
	}
	for _, bad := range []string{"acme.onelogin.com", "ftp://x", ""} {
		if _, err := New(Config{Vendor: "acme", BaseURL: bad}); err == nil {
			t.Errorf("base URL %q accepted", bad)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "5": 5 * time.Second, "-1": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

type failingAuth struct{ calls int }

func (a *failingAuth) Authorize(context.Context, http.Header) error {
	a.calls++
	return &Error{Vendor: "acme", Op: "POST /token", Kind: KindStatus, Status: 401, Hint: "check the client secret"}
}
func (a *failingAuth) Rejected(int, []byte) bool { return false }

func TestAuthorizeFailureIsFinalAndKeepsTheTokenError(t *testing.T) {
	srv, n := script(t, status(200))
	a := &failingAuth{}
	c, s := newClient(t, srv.URL, func(cfg *Config) { cfg.Auth = a })
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if StatusOf(err) != 401 || !strings.Contains(err.Error(), "POST /token") || !strings.Contains(err.Error(), "client secret") {
		t.Fatalf("err = %v", err)
	}
	if a.calls != 1 || n.Load() != 0 || len(s.All()) != 0 {
		t.Fatalf("authorize called %d times, %d requests sent, %d waits", a.calls, n.Load(), len(s.All()))
	}
}
