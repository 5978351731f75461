package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies a failure so callers (the poller, the health line) can act
// on it without parsing text.
type Kind int

const (
	KindNetwork     Kind = iota + 1 // connection refused, reset, DNS
	KindTimeout                     // the attempt or the caller's context ran out
	KindStatus                      // the vendor answered with a non-2xx status
	KindRateLimited                 // 429, after the retries we were willing to wait for
	KindTooLarge                    // the body passed the cap
	KindDecode                      // the body was not what the API documents
	KindCanceled                    // the caller canceled
)

func (k Kind) String() string {
	switch k {
	case KindNetwork:
		return "network error"
	case KindTimeout:
		return "timeout"
	case KindStatus:
		return "error status"
	case KindRateLimited:
		return "rate limited"
	case KindTooLarge:
		return "response too large"
	case KindDecode:
		return "malformed response"
	case KindCanceled:
		return "canceled"
	}
	return "unknown"
}

// Error is every failure a vendor client returns. Its message is meant for
// the operator: vendor, what was asked, what went wrong, what to do.
type Error struct {
	Vendor     string
	Op         string // "GET /api/1/events"
	Kind       Kind
	Status     int           // HTTP status, 0 when none came back
	RetryAfter time.Duration // how long the vendor asked us to wait, if it did
	Attempts   int
	Hint       string // what a person can do about it
	Err        error  // the vendor's typed error, or the transport error
}

func (e *Error) Error() string {
	msg := e.Vendor + ": " + e.Op + ": "
	switch {
	case e.Status != 0 && e.Err != nil:
		msg += statusText(e.Status) + " — " + e.Err.Error()
	case e.Status != 0:
		msg += statusText(e.Status)
	case e.Err != nil:
		msg += e.Kind.String() + ": " + e.Err.Error()
	default:
		msg += e.Kind.String()
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry in %s)", e.RetryAfter.Round(time.Second))
	}
	if e.Hint != "" {
		msg += " — " + e.Hint
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("HTTP %d", code)
}

// ErrBodyTooLarge is wrapped by an Error of KindTooLarge.
var ErrBodyTooLarge = errors.New("response body exceeds the size cap")

// KindOf returns the Kind of err, or 0 when err did not come from a client.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// StatusOf returns the HTTP status carried by err, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// RetryAfterOf returns how long the vendor asked us to wait, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
