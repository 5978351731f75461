// Package httpx is the one HTTP path every vendor client shares: a context
// and a timeout on every attempt, a cap on every body, retries with back-off
// and jitter that honour Retry-After, re-authentication on rejected
// credentials, rate-limit headers, and errors a person can act on.
package httpx

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
)

// Defaults, chosen for dashboards that poll: patient enough for a slow
// vendor, short enough that a stuck one shows on its health line quickly.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBody      = 8 << 20
	DefaultMaxAttempts  = 4
	DefaultBackoffBase  = 500 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
	DefaultMaxRetryWait = 20 * time.Second
)

// Authorizer puts credentials on a request and learns when they were refused.
type Authorizer interface {
	// Authorize sets the credentials on h, minting a token if it must.
	Authorize(ctx context.Context, h http.Header) error
	// Rejected is told of a 400, 401 or 403 answer to an authorized request.
	// It returns true when one more attempt with fresh or differently
	// presented credentials may succeed (a token expired, a header form).
	Rejected(status int, body []byte) bool
}

// Options are the tunables every vendor client passes through unchanged.
// The zero value means the defaults.
type Options struct {
	HTTPClient   *http.Client  // default: a client with no overall timeout
	Timeout      time.Duration // per attempt, the body included
	MaxBody      int64         // bytes, after decompression
	MaxAttempts  int           // including the first
	BackoffBase  time.Duration // first back-off; doubles per attempt
	MaxBackoff   time.Duration
	MaxRetryWait time.Duration // a longer Retry-After is returned to the caller, not slept
	UserAgent    string

	// Sleep waits between attempts; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// RandN returns a uniform duration in [0, n) for back-off jitter;
	// default math/rand. Tests pass a seeded one so a run repeats exactly.
	RandN func(n time.Duration) time.Duration
}

// Config describes one vendor's API.
type Config struct {
	Vendor  string // "onelogin"; starts every error message
	BaseURL string // scheme://host[/prefix]; paths are joined to it
	Options

	Auth Authorizer
	// RateLimit reads the vendor's rate-limit headers, if it sends any.
	RateLimit func(h http.Header, now time.Time) (RateLimit, bool)
	// DecodeError turns a non-2xx body into the vendor's typed error and a
	// hint for the operator. The error text must already be sanitized.
	DecodeError func(status int, h http.Header, body []byte) (err error, hint string)
}

// RateLimit is the vendor's view of our remaining budget.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time // when the budget refills
	Policy    string    // the vendor's own description, if it sends one
	Observed  time.Time
}

// Client sends requests for one vendor. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL

	mu   sync.Mutex
	rate RateLimit
	seen bool
}

// New checks cfg and fills in the defaults.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q must be absolute, like https://host", cfg.Vendor, cfg.BaseURL)
	}
	if base.Scheme != "https" && base.Scheme != "http" {
		return nil, fmt.Errorf("%s: base URL %q must use http or https", cfg.Vendor, cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	setDefault(&cfg.Timeout, DefaultTimeout)
	setDefault(&cfg.MaxBody, DefaultMaxBody)
	setDefault(&cfg.MaxAttempts, DefaultMaxAttempts)
	setDefault(&cfg.BackoffBase, DefaultBackoffBase)
	setDefault(&cfg.MaxBackoff, DefaultMaxBackoff)
	setDefault(&cfg.MaxRetryWait, DefaultMaxRetryWait)
	if cfg.UserAgent == "" {
		cfg.UserAgent = UserAgent()
	}
	if cfg.Sleep == nil {
		cfg.Sleep = Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RandN == nil {
		cfg.RandN = rand.N[time.Duration]
	}
	return &Client{cfg: cfg, base: base}, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// BaseURL is the configured base, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// Vendor names the API in messages.
func (c *Client) Vendor() string { return c.cfg.Vendor }

// RateLimit returns the last rate-limit headers seen, if any were.
func (c *Client) RateLimit() (RateLimit, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate, c.seen
}

// Request is one API call.
type Request struct {
	Method      string
	Path        string // joined to the base URL, or an absolute URL on the base's host
	Query       url.Values
	Body        []byte
	ContentType string
	Header      http.Header
	NoAuth      bool   // token requests carry their own credentials
	NoRetry     bool   // a repeat would do harm
	Op          string // the label in errors; default "METHOD path"

	// Final, when set, picks status answers to return at once, unretried,
	// though their status is one worth retrying (a vendor's 500 that
	// means something a repeat cannot fix).
	Final func(status int, body []byte) bool
}

// Response is a 2xx answer with its body read in full.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RateLimit RateLimit
}

// Do sends req, retrying what is worth retrying, and returns the 2xx
// response or an *Error.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	target, err := c.resolve(req)
	op := req.Op
	if op == "" {
		op = req.Method + " " + pathOnly(req.Path)
	}
	fail := func(kind Kind, status int, err error) *Error {
		return &Error{Vendor: c.cfg.Vendor, Op: op, Kind: kind, Status: status, Err: err}
	}
	if err != nil {
		return nil, fail(KindDecode, 0, err)
	}
	reauthed := false
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, req, target)
		var e *Error
		var wait time.Duration
		var ae authError
		switch {
		case errors.As(err, &ae):
			// Minting a credential already retried on its own path; its
			// error (with the token endpoint's status and hint) is final.
			var inner *Error
			if errors.As(ae.err, &inner) {
				return nil, inner
			}
			return nil, fail(transportKind(ctx, ae.err), 0, ae.err)
		case err != nil:
			kind := transportKind(ctx, err)
			if kind == KindCanceled || (kind == KindTimeout && ctx.Err() != nil) || kind == KindTooLarge {
				return nil, fail(kind, 0, err)
			}
			e = fail(kind, 0, err)
		case resp.Status >= 200 && resp.Status < 300:
			return resp, nil
		default:
			if c.cfg.Auth != nil && !req.NoAuth && !reauthed &&
				(resp.Status == 400 || resp.Status == 401 || resp.Status == 403) &&
				c.cfg.Auth.Rejected(resp.Status, resp.Body) {
				reauthed = true
				attempt-- // a fresh credential is not a retry
				continue
			}
			e = c.statusError(op, resp)
			if !retryableStatus(resp.Status) || (req.Final != nil && req.Final(resp.Status, resp.Body)) {
				e.Attempts = attempt
				return nil, e
			}
			wait = e.RetryAfter
		}
		e.Attempts = attempt
		if req.NoRetry || attempt >= c.cfg.MaxAttempts {
			return nil, e
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		if wait > c.cfg.MaxRetryWait {
			// Leave a long wait to the poller's schedule rather than
			// holding the caller for minutes.
			e.RetryAfter = wait
			return nil, e
		}
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return nil, fail(transportKind(ctx, err), 0, fmt.Errorf("while waiting to retry after: %w", e))
		}
	}
}

// JSON sends req and decodes a 2xx body into out (when out is not nil).
// A body that does not decode is an *Error of KindDecode.
func (c *Client) JSON(ctx context.Context, req Request, out any) (*Response, error) {
	resp, err := c.Do(ctx, req)
	if err != nil || out == nil {
		return resp, err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		op := req.Op
		if op == "" {
			op = req.Method + " " + pathOnly(req.Path)
		}
		return resp, &Error{Vendor: c.cfg.Vendor, Op: op, Kind: KindDecode, Status: 0,
			Err: fmt.Errorf("%s (%d bytes)", describeJSONError(err, len(resp.Body)), len(resp.Body))}
	}
	return resp, nil
}

func describeJSONError(err error, n int) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Offset >= int64(n):
		return "truncated JSON"
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q is %s, expected %s", te.Field, te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return err.Error()
}

func (c *Client) once(ctx context.Context, req Request, target string) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(actx, req.Method, target, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		hr.Header[k] = append([]string(nil), vs...)
	}
	hr.Header.Set("User-Agent", c.cfg.UserAgent)
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	if req.ContentType != "" {
		hr.Header.Set("Content-Type", req.ContentType)
	}
	if c.cfg.Auth != nil && !req.NoAuth {
		if err := c.cfg.Auth.Authorize(actx, hr.Header); err != nil {
			return nil, authError{err}
		}
	}
	hresp, err := c.cfg.HTTPClient.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already in the Op label
		}
		if attemptTimedOut(ctx, actx) {
			err = timeoutError(fmt.Sprintf("no answer within %s", c.cfg.Timeout))
		}
		return nil, plainNetError(err)
	}
	defer hresp.Body.Close()
	got := &countingReader{r: hresp.Body}
	data, err := readCapped(got, c.cfg.MaxBody)
	if err != nil {
		if attemptTimedOut(ctx, actx) {
			// A slow drip: the status came, the body did not finish.
			err = timeoutError(fmt.Sprintf("the answer was still arriving after %s (%s of body received)", c.cfg.Timeout, byteCount(got.n)))
		}
		return nil, err
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: data}
	if c.cfg.RateLimit != nil {
		if rl, ok := c.cfg.RateLimit(hresp.Header, c.cfg.Now()); ok {
			rl.Observed = c.cfg.Now()
			resp.RateLimit = rl
			c.mu.Lock()
			c.rate, c.seen = rl, true
			c.mu.Unlock()
		}
	}
	return resp, nil
}

// attemptTimedOut reports that the attempt's own timeout ended it, not
// the caller's context.
func attemptTimedOut(ctx, actx context.Context) bool {
	return ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
}

// timeoutError says in plain words what ran out; it is a
// context.DeadlineExceeded, so it classifies as KindTimeout.
type timeoutError string

func (e timeoutError) Error() string { return string(e) }
func (e timeoutError) Unwrap() error { return context.DeadlineExceeded }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// authError carries a failure to obtain credentials out of once.
type authError struct{ err error }

func (e authError) Error() string { return e.err.Error() }
func (e authError) Unwrap() error { return e.err }

// readCapped reads at most max bytes, and transparently gunzips a body that
// is gzip without saying so in Content-Encoding (Oracle CASB's
// application/gzip).
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w of %s", ErrBodyTooLarge, byteSize(max))
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, max+1))
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		if int64(len(plain)) > max {
			return nil, fmt.Errorf("%w of %s (after gunzip)", ErrBodyTooLarge, byteSize(max))
		}
		data = plain
	}
	return data, nil
}

// byteCount is n for a person: "812 bytes", "4.2 KiB", "1.5 MiB".
func byteCount(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (c *Client) statusError(op string, resp *Response) *Error {
	e := &Error{Vendor: c.cfg.Vendor, Op: op, Kind: KindStatus, Status: resp.Status}
	if resp.Status == http.StatusTooManyRequests {
		e.Kind = KindRateLimited
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())
	if e.RetryAfter == 0 && resp.Status == http.StatusTooManyRequests && !resp.RateLimit.Reset.IsZero() {
		if d := resp.RateLimit.Reset.Sub(c.cfg.Now()); d > 0 {
			e.RetryAfter = d
		}
	}
	if c.cfg.DecodeError != nil {
		e.Err, e.Hint = c.cfg.DecodeError(resp.Status, resp.Header, resp.Body)
	}
	if e.Err == nil {
		if snippet := bodySnippet(resp.Body); snippet != "" {
			e.Err = errors.New(snippet)
		}
	}
	return e
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// plainNetError says in words what the transport's terse errors mean to an
// operator; the original stays wrapped for errors.Is.
func plainNetError(err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return wordedError{"the connection closed before an answer came (EOF)", err}
	case errors.Is(err, syscall.ECONNRESET):
		return wordedError{"the connection was reset before an answer came (connection reset by peer)", err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return wordedError{"connection refused: nothing is listening there (is the base URL right, and the service up?)", err}
	}
	return err
}

type wordedError struct {
	msg string
	err error
}

func (e wordedError) Error() string { return e.msg }
func (e wordedError) Unwrap() error { return e.err }

func transportKind(ctx context.Context, err error) Kind {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return KindTooLarge
	case errors.Is(ctx.Err(), context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return KindTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTimeout
	}
	return KindNetwork
}

// backoff is exponential with equal jitter: never zero, never in lock-step
// with another client that failed at the same moment.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase << (attempt - 1)
	if d > c.cfg.MaxBackoff || d <= 0 {
		d = c.cfg.MaxBackoff
	}
	half := d / 2
	return half + c.cfg.RandN(half+1)
}

// parseRetryAfter reads seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// resolve joins req.Path to the base, or checks that an absolute URL (a
// vendor's next link) stays on the base's scheme and host: credentials must
// never follow a link elsewhere.
func (c *Client) resolve(req Request) (string, error) {
	var u *url.URL
	if strings.HasPrefix(req.Path, "http://") || strings.HasPrefix(req.Path, "https://") {
		p, err := url.Parse(req.Path)
		if err != nil {
			return "", fmt.Errorf("link %q does not parse", pathOnly(req.Path))
		}
		if p.Scheme != c.base.Scheme || p.Host != c.base.Host {
			return "", fmt.Errorf("link points at %s://%s, not the configured %s://%s; refusing to send credentials there",
				p.Scheme, p.Host, c.base.Scheme, c.base.Host)
		}
		u = p
	} else {
		p, err := url.Parse(req.Path)
		if err != nil {
			return "", fmt.Errorf("path %q does not parse", req.Path)
		}
		// Join the escaped forms, so an id escaped by the caller (a %2F
		// inside a path segment) stays one segment.
		raw := strings.TrimRight(c.base.EscapedPath(), "/") + "/" + strings.TrimLeft(p.EscapedPath(), "/")
		plain, err := url.PathUnescape(raw)
		if err != nil {
			return "", fmt.Errorf("path %q does not parse", req.Path)
		}
		u = &url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Path: plain, RawPath: raw, RawQuery: p.RawQuery}
	}
	if len(req.Query) > 0 {
		q := u.Query()
		for k, vs := range req.Query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// pathOnly drops the scheme, host and query from a path or URL for labels.
func pathOnly(p string) string {
	if u, err := url.Parse(p); err == nil {
		return u.Path
	}
	return p
}

func bodySnippet(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	return sanitize.LineN(strings.TrimSpace(string(b)), 200)
}

// Sleep waits d, or until ctx ends (its error). A d of zero or less
// returns at once, with ctx's error if it has ended. Every wait in the
// sources (back-off, a rate budget, back-fill pacing) is this one.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// UserAgent names risktop and the version it was built as.
func UserAgent() string {
	userAgentOnce.Do(func() {
		v := "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		userAgent = "risktop/" + v + " (+https://github.com/risktop/risktop)"
	})
	return userAgent
}

var (
	userAgentOnce sync.Once
	userAgent     string
)
