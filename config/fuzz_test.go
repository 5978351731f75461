package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/vendors"
)

// FuzzParse feeds the config parser arbitrary files, seeded with every
// golden config (each a class of mistake) and the example. Its seeds run
// in every `go test`; explore with `go test -fuzz=FuzzParse ./config`.
// Property: no panic; a failure is *Errors whose every line is clean text
// (a key or value echoed in a message cannot carry an escape sequence to
// the operator's terminal) and names no secret; a success describes
// itself without secrets.
func FuzzParse(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(Example))
	f.Add([]byte("sources:\n  onelogin:\n    \"\\e]0;x\\a\": 1\n"))
	f.Add([]byte("refresh: \"\\e[2J30s\"\n"))
	f.Add([]byte("sources:\n  \"okta\\u202e\": {}\n"))
	f.Add([]byte("&a [*a, *a]\n"))
	f.Add([]byte("a: &a {b: *a}\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, warns, err := Parse("fuzz.yaml", data, testEnv(nil), vendors.All)
		var out []string
		if err != nil {
			if cfg != nil {
				t.Fatal("a config and an error")
			}
			if _, ok := err.(*Errors); !ok {
				t.Fatalf("error is %T: %v", err, err)
			}
			out = append(out, strings.Split(err.Error(), "\n")...)
		} else {
			out = append(out, cfg.String())
		}
		for _, w := range warns {
			out = append(out, w.String())
		}
		for _, line := range out {
			if !sanitize.Valid(line) {
				t.Fatalf("message not clean: %q", line)
			}
			if strings.Contains(line, marker) {
				t.Fatalf("message shows a secret: %q", line)
			}
		}
	})
}
