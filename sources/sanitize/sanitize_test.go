package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestLineHostileCorpus(t *testing.T) {
	for _, c := range Hostile() {
		t.Run(c.Name, func(t *testing.T) {
			got := Line(c.Raw)
			if got != c.Line {
				t.Errorf("Line(%q) = %q, want %q", trim(c.Raw), trim(got), trim(c.Line))
			}
			if !Valid(got) {
				t.Errorf("Line(%q) left a control or escape: %q", trim(c.Raw), trim(got))
			}
		})
	}
}

func TestBlockKeepsNewlinesOnly(t *testing.T) {
	got := Block("Infrequent access (13%)\r\nLow trust\x1b[2J (15%)\n\u202Eend")
	want := "Infrequent access (13%)\nLow trust (15%)\nend"
	if got != want {
		t.Fatalf("Block = %q, want %q", got, want)
	}
}

func TestCapCountsRunesNotBytes(t *testing.T) {
	s := strings.Repeat("界", MaxLine+1)
	got := Line(s)
	if n := utf8.RuneCountInString(got); n != MaxLine+1 { // MaxLine runes + the ellipsis
		t.Fatalf("rune count = %d, want %d", n, MaxLine+1)
	}
	if !strings.HasSuffix(got, Ellipsis) {
		t.Fatalf("cut value lacks ellipsis")
	}
	if got := LineN("abcdef", 3); got != "abc"+Ellipsis {
		t.Fatalf("LineN = %q", got)
	}
	if got := LineN("abc", 3); got != "abc" {
		t.Fatalf("LineN at the cap = %q", got)
	}
}

type inner struct {
	Name string
}

type record struct {
	Name    string
	Reasons string `sanitize:"block"`
	Cursor  string `sanitize:"-"`
	Ptr     *string
	List    []string
	Map     map[string]string
	Nested  inner
	Items   []inner
	ByKey   map[string]inner
	Any     any
	hidden  string
}

func TestStructWalksEveryExportedString(t *testing.T) {
	evil := "\x1b]0;x\x07ok"
	p := evil
	r := record{
		Name: evil, Reasons: "a\nb\x1b[31m", Cursor: evil, Ptr: &p,
		List: []string{evil}, Map: map[string]string{evil: evil},
		Nested: inner{evil}, Items: []inner{{evil}}, ByKey: map[string]inner{"k": {evil}},
		Any: evil, hidden: evil,
	}
	Struct(&r)
	for name, got := range map[string]string{
		"Name": r.Name, "Ptr": *r.Ptr, "List": r.List[0], "Map": r.Map["ok"],
		"Nested": r.Nested.Name, "Items": r.Items[0].Name, "ByKey": r.ByKey["k"].Name,
		"Any": r.Any.(string),
	} {
		if got != "ok" {
			t.Errorf("%s = %q, want %q", name, got, "ok")
		}
	}
	if len(r.Map) != 1 {
		t.Errorf("dirty map key kept: %q", r.Map)
	}
	if r.Reasons != "a\nb" {
		t.Errorf("block field = %q", r.Reasons)
	}
	if r.Cursor != evil || r.hidden != evil {
		t.Errorf("opted-out or unexported field was changed")
	}
}

func FuzzLine(f *testing.F) {
	for _, c := range Hostile() {
		f.Add(c.Raw)
	}
	f.Add("\x1b")
	f.Add("\x1b]")
	f.Add("\xff\xfe")
	f.Add("a\u200d\ufe0f\U0001F3FD\u20e3b")
	f.Add("\u200d\u200d👩\u200d")
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		if !Valid(got) {
			t.Fatalf("Line(%q) = %q is not clean", s, got)
		}
		if utf8.RuneCountInString(got) > MaxLine+1 {
			t.Fatalf("Line(%q) is %d runes", s, utf8.RuneCountInString(got))
		}
		if Line(got) != got {
			t.Fatalf("Line is not idempotent on %q: %q then %q", s, got, Line(got))
		}
		b := Block(s)
		for _, line := range strings.Split(b, "\n") {
			if !Valid(line) {
				t.Fatalf("Block(%q) has a dirty line %q", s, line)
			}
		}
	})
}

func trim(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// TestCorpusCoversEveryClass keeps the corpus honest: each class of hostile
// text the reliability issue names has at least one entry.
func TestCorpusCoversEveryClass(t *testing.T) {
	has := func(pred func(HostileCase) bool) bool {
		for _, c := range Hostile() {
			if pred(c) {
				return true
			}
		}
		return false
	}
	raw := func(sub string) func(HostileCase) bool {
		return func(c HostileCase) bool { return strings.Contains(c.Raw, sub) }
	}
	classes := map[string]func(HostileCase) bool{
		"OSC 52 clipboard":     raw("\x1b]52;"),
		"OSC 0 title":          raw("\x1b]0;"),
		"OSC 2 title":          raw("\x1b]2;"),
		"OSC 8 link":           raw("\x1b]8;"),
		"CSI clear":            raw("\x1b[2J"),
		"CSI cursor move":      raw("\x1b[10A"),
		"CSI cursor position":  raw("\x1b[10;20H"),
		"DSR query":            raw("\x1b[6n"),
		"8-bit C1 (UTF-8)":     raw("\u009b"),
		"C1 U+0080":            raw("\u0080"),
		"C1 U+009F":            raw("\u009f"),
		"raw 0x9b byte":        func(c HostileCase) bool { return !utf8.ValidString(c.Raw) && strings.Contains(c.Raw, "\x9b") },
		"bidi override U+202E": raw("\u202e"),
		"bidi isolate U+2066":  raw("\u2066"),
		"bidi isolate U+2067":  raw("\u2067"),
		"bidi isolate U+2068":  raw("\u2068"),
		"bidi isolate U+2069":  raw("\u2069"),
		"NUL":                  raw("\x00"),
		"100 KB value":         func(c HostileCase) bool { return len(c.Raw) >= 100_000 },
		"CJK":                  raw("山田"),
		"emoji ZWJ sequence":   raw("\u200d"),
		"fullwidth / Hangul":   raw("한국어"),
		"combining marks":      raw("\u0335"),
	}
	for name, pred := range classes {
		if !has(pred) {
			t.Errorf("the corpus has no %s entry", name)
		}
	}
}

// What Line leaves of the corpus measures the same cluster by cluster (as
// lipgloss does) and code point by code point (as many terminals do), so a
// line drawn with it fills the same cells on screen as in the layout.
func TestLineWidthsAgree(t *testing.T) {
	for _, c := range Hostile() {
		got := Line(c.Raw)
		if g, w := ansi.StringWidth(got), ansi.StringWidthWc(got); g != w {
			t.Errorf("%s: %q is %d cells as clusters, %d as code points", c.Name, got, g, w)
		}
	}
	if got := Line("नमस्ते"); got != "नमस्ते" {
		t.Errorf("Indic text changed: %q", got) // its conjuncts have no joiner to drop
	}
}
