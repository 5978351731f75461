package httpxtest

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Example is one documented answer kept under a vendor's
// testdata/examples: NAME.json, the body, and NAME.source, lines naming
// where it came from ("source: URL"), the request it answers ("request:
// GET /path?query") and its status ("status: 200").
type Example struct {
	Name, Source string
	Method, Path string
	Query        url.Values
	Status       int
	Body         []byte
}

// LoadExample reads the example NAME from dir, failing the test when its
// .source lacks where it came from, the request or the status.
func LoadExample(t testing.TB, dir, name string) Example {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := os.ReadFile(filepath.Join(dir, name+".source"))
	if err != nil {
		t.Fatalf("%s has no .source naming where it came from: %v", name, err)
	}
	ex := Example{Name: name, Body: body}
	for _, line := range strings.Split(string(meta), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "source":
			ex.Source = v
		case "request":
			m, target, _ := strings.Cut(v, " ")
			p, q, _ := strings.Cut(target, "?")
			ex.Method, ex.Path = m, p
			ex.Query, _ = url.ParseQuery(q)
		case "status":
			ex.Status, _ = strconv.Atoi(v)
		}
	}
	if ex.Source == "" || ex.Method == "" || ex.Path == "" || ex.Status == 0 {
		t.Fatalf("%s.source lacks source, request or status: %q", name, meta)
	}
	return ex
}
