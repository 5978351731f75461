// Package hostile is for tests of the hostile-text suite: it walks every
// string a client returns and checks that none can reach a terminal raw.
// The corpus itself is sanitize.Hostile, which the simulator also uses.
package hostile

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sanitize"
)

// Visit calls fn for every exported string reachable from v (struct fields,
// slices, arrays, maps keys and values, pointers, interfaces), with a path
// for messages and whether the field is tagged `sanitize:"block"`. Fields
// tagged `sanitize:"-"` are opaque (cursors sent back to the vendor) and
// skipped, as sanitize.Struct skips them.
func Visit(v any, fn func(path, s string, block bool)) {
	visit(reflect.ValueOf(v), "", false, fn)
}

func visit(v reflect.Value, path string, block bool, fn func(string, string, bool)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String(), block)
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			visit(v.Elem(), path, block, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("sanitize")
			if !f.IsExported() || tag == "-" {
				continue
			}
			visit(v.Field(i), path+"."+f.Name, tag == "block", fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			visit(v.Index(i), path+"[]", block, fn)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			visit(it.Key(), path+"{key}", false, fn)
			visit(it.Value(), path+"{}", block, fn)
		}
	}
}

// Clean reports whether s is safe to draw: sanitize.Valid, line by line when
// block (multi-line values keep their newlines).
func Clean(s string, block bool) bool {
	if !block {
		return sanitize.Valid(s)
	}
	for line := range strings.SplitSeq(s, "\n") {
		if !sanitize.Valid(line) {
			return false
		}
	}
	return true
}

// AssertClean fails t for every string in v that is not clean and returns
// how many strings it looked at.
func AssertClean(t testing.TB, what string, v any) int {
	t.Helper()
	n := 0
	Visit(v, func(path, s string, block bool) {
		n++
		if !Clean(s, block) {
			t.Errorf("%s%s = %q is not clean", what, path, short(s))
		}
	})
	return n
}

// Readable reports whether got, the cleaned form of a hostile value built
// around plain, still shows plain. A value the corpus pushed past the length
// cap keeps only its start, so a cut value (ending in the ellipsis) passes.
func Readable(got, plain string) bool {
	return strings.Contains(got, plain) || strings.HasSuffix(got, sanitize.Ellipsis)
}

// Wrap returns each corpus entry with plain appended, the way the
// simulator's hostile knob builds a value, for tests that put every entry
// in a field rather than the one the knob picks.
func Wrap(plain string) []string {
	out := make([]string, 0, len(sanitize.Hostile()))
	for _, c := range sanitize.Hostile() {
		out = append(out, c.Raw+plain)
	}
	return out
}

// CheckResult is the vendor fuzz targets' property: a call either fails
// with an error whose text is clean, or returns a result whose every
// string is clean.
func CheckResult(t testing.TB, v any, err error) {
	t.Helper()
	if err != nil {
		if !sanitize.Valid(err.Error()) {
			t.Fatalf("error text not clean: %q", err)
		}
		return
	}
	AssertClean(t, "result", v)
}

// SeedBodies is body once for each corpus entry (but the 100 KB one, which
// would slow every seed run; sanitize's FuzzLine has it), the entry
// JSON-escaped in front of the first marker that is inside a string value
// (not an object key). It fails tb when body has no such marker, so a seed
// file edited away from its marker does not silently seed nothing.
func SeedBodies(tb testing.TB, body []byte, marker string) [][]byte {
	tb.Helper()
	at := -1
	for _, m := range regexp.MustCompile(regexp.QuoteMeta(marker)).FindAllIndex(body, -1) {
		if !isKey(body[m[1]:]) {
			at = m[0]
			break
		}
	}
	if at < 0 {
		tb.Fatalf("no string value holds %q in the seed body", marker)
	}
	var out [][]byte
	for _, c := range sanitize.Hostile() {
		if len(c.Raw) > 1000 {
			continue
		}
		q, _ := json.Marshal(c.Raw)
		b := bytes.Clone(body[:at])
		b = append(b, q[1:len(q)-1]...)
		out = append(out, append(b, body[at:]...))
	}
	return out
}

// isKey reports whether rest, what follows a marker, closes an object key.
func isKey(rest []byte) bool {
	rest, ok := bytes.CutPrefix(rest, []byte(`"`))
	return ok && bytes.HasPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte(":"))
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
