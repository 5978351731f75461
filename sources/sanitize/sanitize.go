// Package sanitize makes vendor text safe to draw in a terminal.
//
// Vendor APIs return attacker-influenced strings (user names, app names,
// reasons). Escape sequences in them could retitle the window, write the
// clipboard, forge links or move the cursor; bidi controls could reorder what
// the operator reads. Every string leaves sources/ through this package.
package sanitize

import (
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Caps on the length of a value, in runes. A 100 KB user name must not cost
// memory in every row that holds it, nor break a layout.
const (
	MaxLine  = 512
	MaxBlock = 8192
)

// Ellipsis marks a value that was cut.
const Ellipsis = "…"

// Line returns s as one line of plain text: escape sequences stripped,
// controls and bidi overrides dropped, tabs and newlines turned into spaces,
// emoji sequences whose width terminals disagree on taken apart (see
// evenWidths), and cut to MaxLine runes.
func Line(s string) string { return clean(s, false, MaxLine) }

// Block is Line for multi-line values (risk reasons, notes): newlines are
// kept, everything else is the same, and the cap is MaxBlock runes.
func Block(s string) string { return clean(s, true, MaxBlock) }

// LineN is Line with a caller-chosen cap.
func LineN(s string, max int) string { return clean(s, false, max) }

func clean(s string, keepNewlines bool, max int) string {
	if isPlain(s, max) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(min(len(s), max*4))
	n := 0
	for _, r := range s {
		switch {
		case r == '\n' && keepNewlines:
		case r == '\r' && keepNewlines:
			continue // CRLF becomes LF; a lone CR would rewind the line
		case r == '\t' || r == '\n' || r == '\r':
			r = ' '
		case unicode.IsControl(r) || isBidiControl(r):
			continue
		}
		if n == max {
			b.WriteString(Ellipsis)
			break
		}
		b.WriteRune(r)
		n++
	}
	return evenWidths(b.String())
}

// evenWidths takes apart the grapheme clusters whose width the layout and
// the terminal count differently. lipgloss measures a cluster (a ZWJ
// family is 2 cells); a terminal that draws one code point at a time
// (xterm; tmux past 21 bytes) gives the family 8, and the line it is on
// wraps and drags the screen out of line. Dropping the joiners, variation
// selectors, skin-tone modifiers and keycap marks from such a cluster
// leaves emoji both count alike: 👩‍💻 becomes 👩💻. Scripts whose clusters
// differ without any of these (Indic conjuncts) are left as they are.
func evenWidths(s string) string {
	if !strings.ContainsFunc(s, isJoiner) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for rest := s; rest != ""; {
		g, w := ansi.FirstGraphemeCluster(rest, ansi.GraphemeWidth)
		if g == "" {
			b.WriteString(rest) // cannot happen for non-empty text; never loop
			break
		}
		rest = rest[len(g):]
		if w != ansi.StringWidthWc(g) && strings.ContainsFunc(g, isJoiner) {
			g = strings.Map(func(r rune) rune {
				if isJoiner(r) {
					return -1
				}
				return r
			}, g)
		}
		b.WriteString(g)
	}
	return b.String()
}

// isJoiner reports the code points that glue emoji into one cluster or
// change its presentation, and draw as nothing on their own.
func isJoiner(r rune) bool {
	switch {
	case r == 0x200D, r == 0x20E3: // zero width joiner, combining enclosing keycap
		return true
	case r >= 0xFE00 && r <= 0xFE0F: // variation selectors
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // skin-tone modifiers
		return true
	case r >= 0xE0020 && r <= 0xE007F: // tags (subdivision flags)
		return true
	}
	return false
}

// isPlain reports whether s is short printable ASCII and needs no work, the
// common case for ids, emails and levels.
func isPlain(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isBidiControl reports the explicit directional formatting characters,
// which can make "evil.example" read as "elpmaxe.live" (Trojan Source).
func isBidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// Struct sanitizes, in place, every exported string reachable from v, which
// must be a pointer. Strings in structs, slices, maps (keys and values) and
// pointers are cleaned with Line, or with Block when the field is tagged
// `sanitize:"block"`; a field tagged `sanitize:"-"` is left alone (opaque
// cursors, for instance, that never reach the screen).
func Struct(v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic("sanitize.Struct: want a non-nil pointer")
	}
	walk(rv.Elem(), false)
}

func walk(v reflect.Value, block bool) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			s := v.String()
			if block {
				v.SetString(Block(s))
			} else {
				v.SetString(Line(s))
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() == reflect.String {
				// An interface holds an unaddressable copy; replace it.
				if v.CanSet() {
					v.Set(reflect.ValueOf(cleanFor(e.String(), block)))
				}
				return
			}
			walk(e, block)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("sanitize")
			if tag == "-" {
				continue
			}
			walk(v.Field(i), tag == "block")
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), block)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		walkMap(v, block)
	}
}

func walkMap(v reflect.Value, block bool) {
	kt, et := v.Type().Key(), v.Type().Elem()
	keys := v.MapKeys()
	for _, k := range keys {
		val := v.MapIndex(k)
		nv := reflect.New(et).Elem()
		nv.Set(val)
		walk(nv, block)
		nk := k
		if kt.Kind() == reflect.String {
			if ck := Line(k.String()); ck != k.String() {
				nk = reflect.New(kt).Elem()
				nk.SetString(ck)
				v.SetMapIndex(k, reflect.Value{})
			}
		}
		v.SetMapIndex(nk, nv)
	}
}

func cleanFor(s string, block bool) string {
	if block {
		return Block(s)
	}
	return Line(s)
}

// Valid reports whether s is already clean as a line, which tests use to
// assert that nothing dirty escaped.
func Valid(s string) bool {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0x1b) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return false
		}
	}
	return true
}
