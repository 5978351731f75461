package events

import (
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
)

// The operator's own filter line, fuzzed. Seeds run in every `go test`;
// explore with `go test -fuzz=FuzzFilter ./ui/events`. Text typed or
// pasted (a name copied from a hostile page) may hold controls and bidi
// overrides; what the dashboard says back about it must not.

func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"", "user:ava.chen@example.com ip:203.0.113.0/24 score>=76 type:6 since:1h vendor:onelogin free words",
		`user:"Ava Chen" since:all`, "score>=101 type:0,x since:-1h ip:999.1.1.1/33",
		"ip:2001:db8::/32 score:50", `user:"unterminated`, "since:7d since:1h", "type:5,,6",
		"user:\x1b]0;t\x07eve ip:\u202e1.2.3.4", "\x00\x9b\u009b words \t\n more",
	} {
		f.Add(s)
	}
	for _, c := range sanitize.Hostile() {
		if len(c.Raw) < 1000 {
			f.Add("user:" + c.Raw + " " + c.Raw)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		q := parseFilter(line, 24*time.Hour)
		texts := append([]string{q.describe(), q.filter.User, q.filter.Text, q.filter.Vendor, q.filter.IP}, q.problems...)
		for _, s := range texts {
			if !sanitize.Valid(s) {
				t.Fatalf("parseFilter(%q) gives %q", line, s)
			}
		}
		if q.filter.MinScore < 0 || q.filter.MinScore > 100 || q.window < 0 {
			t.Fatalf("parseFilter(%q) = %+v, window %s", line, q.filter, q.window)
		}
		if again := parseFilter(q.text, 24*time.Hour); again.describe() != q.describe() {
			t.Fatalf("re-parsing %q describes %q, not %q", q.text, again.describe(), q.describe())
		}
	})
}
