package hostile

import (
	"encoding/json"
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

type fatal struct{}

func (r *recorder) Fatalf(string, ...any) { r.errors++; panic(fatal{}) }

// TestSeedBodies: each body is valid JSON whose string value (not the key
// of the same name) now holds the entry, escaped, before the marker.
func TestSeedBodies(t *testing.T) {
	body := []byte(`{"message": "x", "errors": [{"message" : "message"}]}`)
	bodies := SeedBodies(t, body, "message")
	if len(bodies) == 0 || len(bodies) >= len(sanitize.Hostile()) {
		t.Fatalf("%d bodies for %d corpus entries (the 100 KB one left out)", len(bodies), len(sanitize.Hostile()))
	}
	for i, b := range bodies {
		var v struct {
			Message string
			Errors  []struct{ Message string }
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("body %d is not JSON: %v\n%s", i, err, b)
		}
		// JSON carries invalid UTF-8 (the raw C1 bytes) as U+FFFD.
		var want string
		q, _ := json.Marshal(sanitize.Hostile()[i].Raw + "message")
		json.Unmarshal(q, &want)
		if v.Message != "x" || len(v.Errors) != 1 || v.Errors[0].Message != want {
			t.Fatalf("body %d: %+v", i, v)
		}
	}

	rec := &recorder{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != (fatal{}) {
				panic(r)
			}
		}()
		SeedBodies(rec, []byte(`{"message": 1}`), "message")
	}()
	if rec.errors != 1 {
		t.Fatal("a body whose marker is only a key should fail the test")
	}
}

// TestCheckResult fails on a dirty error text or a dirty result, and
// passes clean ones.
func TestCheckResult(t *testing.T) {
	for _, c := range []struct {
		v    any
		err  error
		fail bool
	}{
		{nil, errString("503 Service Unavailable"), false},
		{nil, errString("\x1b[2Jbad"), true},
		{sample{Name: "ok"}, nil, false},
		{sample{Name: "\x1b]52;c;eA==\x07"}, nil, true},
	} {
		rec := &recorder{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != (fatal{}) {
					panic(r)
				}
			}()
			CheckResult(rec, c.v, c.err)
		}()
		if (rec.errors > 0) != c.fail {
			t.Errorf("CheckResult(%+v, %v): %d failures, want failing %v", c.v, c.err, rec.errors, c.fail)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
