package vendorkit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/secret"
)

// Section is one vendor's config section as loaded: a plain value for
// each key (defaults applied), and which keys the file wrote.
type Section struct {
	vendor  string
	values  map[string]any
	written map[string]bool
}

// NewSection is an empty section of the named vendor; config fills it.
func NewSection(vendor string) *Section {
	return &Section{vendor: vendor, values: map[string]any{}, written: map[string]bool{}}
}

// Vendor is the name of the vendor the section configures.
func (s *Section) Vendor() string { return s.vendor }

// Set records key's value: a string, secret.Value, time.Duration, int or
// bool.
func (s *Section) Set(key string, v any) { s.values[key] = v }

// Wrote records that the file wrote key (or key_file for a secret).
func (s *Section) Wrote(key string) { s.written[key] = true }

// Has reports whether the file wrote key, whatever its value.
func (s *Section) Has(key string) bool { return s.written[key] }

// String is key's text ("" when unset).
func (s *Section) String(key string) string { v, _ := s.values[key].(string); return v }

// Secret is key's credential, from the value or its key_file.
func (s *Section) Secret(key string) secret.Value { v, _ := s.values[key].(secret.Value); return v }

// Duration is key's duration (0 when unset).
func (s *Section) Duration(key string) time.Duration {
	v, _ := s.values[key].(time.Duration)
	return v
}

// Int is key's number (0 when unset).
func (s *Section) Int(key string) int { v, _ := s.values[key].(int); return v }

// Bool is key's flag (false when unset).
func (s *Section) Bool(key string) bool { v, _ := s.values[key].(bool); return v }

// Format prints the vendor and its values, every verb alike, each value
// through its own methods: a secret shows as [redacted]. (fmt's
// reflection would print what a secret's pointer holds.)
func (s Section) Format(f fmt.State, _ rune) {
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %v", k, s.values[k])
	}
	fmt.Fprintf(f, "%s{%s}", s.vendor, strings.Join(parts, ", "))
}
