package hostile

import (
	"slices"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sanitize"
)

type inner struct{ Name string }

type sample struct {
	Name    string
	Reasons string `sanitize:"block"`
	Cursor  string `sanitize:"-"`
	Ptr     *inner
	List    []string
	ByKey   map[string]inner
	Any     any
	hidden  string
}

func TestVisitReachesEveryExportedString(t *testing.T) {
	v := sample{Name: "n", Reasons: "a\nb", Cursor: "c", Ptr: &inner{"p"}, List: []string{"l"},
		ByKey: map[string]inner{"k": {"v"}}, Any: "any", hidden: "h"}
	var got []string
	Visit(&v, func(path, s string, block bool) {
		got = append(got, path+"="+s)
		if block != (path == ".Reasons") {
			t.Errorf("%s: block %v", path, block)
		}
	})
	slices.Sort(got)
	want := []string{".Any=any", ".ByKey{key}=k", ".ByKey{}.Name=v", ".List[]=l", ".Name=n", ".Ptr.Name=p", ".Reasons=a\nb"}
	if !slices.Equal(got, want) {
		t.Fatalf("visited %q, want %q", got, want)
	}
}

func TestCleanAndReadable(t *testing.T) {
	if !Clean("a\nb", true) || Clean("a\nb", false) || Clean("a\x1b[2J", true) {
		t.Fatal("Clean misjudges newlines or escapes")
	}
	if !Readable("xx Ava yy", "Ava") || Readable("xx", "Ava") || !Readable("AAA"+sanitize.Ellipsis, "Ava") {
		t.Fatal("Readable misjudges")
	}
	ws := Wrap("Ava")
	if len(ws) != len(sanitize.Hostile()) || !strings.HasSuffix(ws[0], "Ava") {
		t.Fatalf("Wrap = %q", ws[:1])
	}
}

// AssertClean must fail on a dirty value: run it on a recorder.
func TestAssertCleanFails(t *testing.T) {
	rec := &recorder{TB: t}
	if n := AssertClean(rec, "v", sample{Name: "\x1b]0;x\x07", Reasons: "ok\nfine"}); n != 2 || rec.errors != 1 {
		t.Fatalf("saw %d strings, %d errors; want 2 and 1", n, rec.errors)
	}
}

type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }
