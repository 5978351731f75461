package notify

import (
	"context"
	"errors"
	"time"
)

// Channel is one place messages go.
type Channel interface {
	// Name is the outbox's channel name ("webhook", "syslog"): one per
	// kind, so a message is queued once per kind.
	Name() string
	// Where says where it sends, without any secret (scheme://host), for
	// logs and the screen.
	Where() string
	// Send delivers one message. A nil error means the receiver took it;
	// otherwise Retry tells a failure worth retrying from one that is not.
	// The error names no secret.
	Send(ctx context.Context, m Message) error
}

// SendError is a failed send: Retry when the receiver may take the
// message later (down, overloaded, timed out), with how long it asked us
// to wait (RetryAfter; 0: our back-off).
type SendError struct {
	Retry      bool
	RetryAfter time.Duration
	Text       string // in words, naming no secret
}

func (e *SendError) Error() string { return e.Text }

// retryable reports whether err is worth retrying and how long the
// receiver asked to wait. An error that is not a SendError (a bug, a
// context ending mid-send) is retried.
func retryable(err error) (bool, time.Duration) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Retry, se.RetryAfter
	}
	return true, 0
}

func retryErr(text string, after time.Duration) error {
	return &SendError{Retry: true, RetryAfter: after, Text: text}
}

func permanentErr(text string) error { return &SendError{Text: text} }
