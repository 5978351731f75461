// Package secret holds credentials so that they cannot be printed by
// accident: fmt, %#v, JSON, text marshalling and slog all see "[redacted]".
package secret

import (
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Value is a credential. The text sits behind a pointer so that even fmt's
// reflective printing of a struct field (which skips String methods on
// unexported fields) shows only an address.
type Value struct{ h *holder }

type holder struct{ s string }

// New wraps s. An empty s gives the zero Value.
func New(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{&holder{s}}
}

// Reveal returns the credential for the one place that must send it.
func (v Value) Reveal() string {
	if v.h == nil {
		return ""
	}
	return v.h.s
}

// IsZero reports whether no credential is set.
func (v Value) IsZero() bool { return v.h == nil || v.h.s == "" }

func (v Value) String() string               { return v.mask() }
func (v Value) GoString() string             { return v.mask() }
func (v Value) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(v.mask())) }
func (v Value) MarshalText() ([]byte, error) { return []byte(v.mask()), nil }
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + v.mask() + `"`), nil }
func (v Value) LogValue() slog.Value         { return slog.StringValue(v.mask()) }
func (v Value) mask() string {
	if v.IsZero() {
		return ""
	}
	return redacted
}
