package httpxtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Answer is one canned response.
type Answer struct {
	Status int // 0: 200
	Header http.Header
	Body   []byte
}

// Canned is an http.RoundTripper that answers in process, without a
// listener, from a function of the request: fuzz targets put their input
// behind a real client this way, thousands of times a second.
type Canned func(r *http.Request) Answer

func (c Canned) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	a := c(r)
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	h := a.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return &http.Response{
		StatusCode:    a.Status,
		Status:        strconv.Itoa(a.Status) + " " + http.StatusText(a.Status),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(a.Body)),
		ContentLength: int64(len(a.Body)),
		Request:       r,
	}, nil
}

// Client is an *http.Client on c.
func (c Canned) Client() *http.Client { return &http.Client{Transport: c} }

// NoWait is an httpx.Options.Sleep that returns at once: a fuzzed 429 or
// 503 must not make the target sleep through its back-off.
func NoWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }
