package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/vendors"
)

// Each testdata/*.yaml holds one class of mistake; its .golden file is what
// the operator sees. Regenerate with RISKTOP_UPDATE_GOLDEN=1 go test ./config.
// (An -update flag would clash with the golden package others register.)
func TestGoldenMessages(t *testing.T) {
	update := os.Getenv("RISKTOP_UPDATE_GOLDEN") == "1"
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := renderParse(t, filepath.Base(in), data)
			assertNoSecret(t, name, got)
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with RISKTOP_UPDATE_GOLDEN=1 to create it)", err)
			}
			if !bytes.Equal([]byte(got), want) {
				t.Errorf("%s differs (RISKTOP_UPDATE_GOLDEN=1 to accept):\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func renderParse(t *testing.T, name string, data []byte) string {
	t.Helper()
	cfg, warns, err := Parse(name, data, testEnv(nil), vendors.All)
	var b strings.Builder
	if err != nil {
		if cfg != nil {
			t.Errorf("Parse returned a config with an error")
		}
		problems(t, err) // must be *Errors
		b.WriteString(err.Error())
		b.WriteByte('\n')
	} else {
		b.WriteString("ok: ")
		b.WriteString(cfg.String())
		b.WriteByte('\n')
	}
	for _, w := range warns {
		b.WriteString("warning: ")
		b.WriteString(w.String())
		b.WriteByte('\n')
	}
	return b.String()
}
