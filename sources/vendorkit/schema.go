package vendorkit

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/risktop/risktop/sources/sanitize"
)

// Schema is a vendor's config section: its keys, in the order messages
// list them, and the rules one key alone cannot state.
type Schema struct {
	Keys []Key
	// Hints answer unknown keys common enough to deserve their own answer.
	Hints map[string]string
	// Check runs once every key is read, reporting through p.
	Check func(s *Section, p Problems)
	// Backstop runs the client's own check on a section that had no
	// problem, so a rule added to the client is not silently missed by
	// config; its error names the config's keys, not the client's fields.
	// It sends no request.
	Backstop func(s *Section) error
}

// Kind is what a key holds.
type Kind int

const (
	String   Kind = iota // text, spaces around it dropped
	URL                  // an http(s) base URL; required unless it has a Default
	Secret               // a credential, or <key>_file naming a file that holds it
	Duration             // 30s, 5m, 1d12h
	Int                  // a whole number in [Min, Max]
	Bool                 // true or false
	Interval             // the poll interval: the Descriptor's Schedule gives its default and minimum
)

// Key is one key of a section.
type Key struct {
	Name     string
	Kind     Kind
	Required bool
	// What the value is, for the advice when it is missing or empty
	// ("the API credential's client secret").
	What string
	// Default is the value when the key is absent (a URL's also when
	// empty): a string, time.Duration, int or bool by Kind.
	Default any

	// URL: Example is the expected form, quoted in messages; CheckPath
	// refuses a path the client adds itself (see RootOnly) by returning
	// what is wrong, "" when nothing is.
	Example   string
	CheckPath func(u *url.URL) string
	// Secret: PEM asks for a PEM private key rather than a token.
	PEM bool
	// Int: the range, and the advice after "is not a whole number; " and
	// after "is out of range; ".
	Min, Max              int
	NotNumber, OutOfRange string
	// Bool: the advice after "is not a boolean; ".
	NotBool string
	// Duration: Retained says the retention must cover this window, and
	// what happens otherwise ("back-filled events would be pruned as they
	// land").
	Retained string
}

// Problems is how a Schema's Check reports, at the place in the file
// where a key was written.
type Problems interface {
	// At reports a problem with key's value; key "" is the section itself,
	// reported at its name.
	At(key, format string, args ...any)
	// Missing reports key as missing, unless its misspelling was reported.
	Missing(key, format string, args ...any)
	// Misspelt reports whether key was offered as the "did you mean" of an
	// unknown key.
	Misspelt(key string) bool
	// Read reports whether key was written and read without a problem.
	Read(key string) bool
	// Shown is display (the value, or what a message makes of it), or,
	// when the value of key came from ${VAR}, the variable's name: such a
	// value may be a secret put in the wrong key.
	Shown(key, display string) string
	// Quoted is Shown of v quoted, cut to max characters.
	Quoted(key, v string, max int) string
}

// RootOnly refuses a path on a vendor's own domains, where the API lives
// at the root, and elsewhere (a proxy, the simulator) refuses only paths
// that start with what the client appends.
func RootOnly(domains []string, appended []string, example string) func(*url.URL) string {
	return func(u *url.URL) string {
		p := strings.Trim(u.Path, "/")
		if p == "" {
			return ""
		}
		host := strings.ToLower(u.Hostname())
		own := slices.ContainsFunc(domains, func(d string) bool { return strings.HasSuffix(host, d) })
		first, _, _ := strings.Cut(p, "/")
		if own || slices.Contains(appended, strings.ToLower(first)) {
			return fmt.Sprintf("path %q is not expected: risktop adds the API paths itself; give only the host, like %s", sanitize.LineN(u.Path, 60), example)
		}
		return ""
	}
}
