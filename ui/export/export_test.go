package export

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// files lists the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestCSVCell: text a spreadsheet would take for a formula, or that
// starts with a tab or CR, starts with ' so it stays text.
func TestCSVCell(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{"\tTabbed", "'\tTabbed"}, {"=1+1", "'=1+1"}, {"+1 555", "'+1 555"}, {"-2", "'-2"}, {"@SUM", "'@SUM"},
		{"\rx", "'\rx"}, {"plain", "plain"}, {nil, ""}, {42, "42"}, {int64(-1), "-1"}, {true, "true"},
		{map[string]string{"b": "=2", "a": "1"}, `{"a":"1","b":"=2"}`},
	} {
		if got := csvCell(c.in); got != c.want {
			t.Errorf("csvCell(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestExportStopsWhenTheDiskFills: the free space is looked at again while
// writing; when the disk reaches its floor the export stops and its file
// is removed.
func TestExportStopsWhenTheDiskFills(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "exports")
	looks := 0
	space := exportSpace{free: func(string) (uint64, uint64, error) {
		looks++
		if looks > 2 {
			return 90e6, 1e9, nil // below the 100 MiB floor
		}
		return 900e6, 1e9, nil
	}}
	row := []any{strings.Repeat("x", 1000)}
	done := writeExport(dir, exportMeta{screen: "events", at: time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)}, CSV, []string{"text"}, space,
		func(emit func([]any) error) (bool, error) {
			for range 30_000 { // 30 MB: a look every 8 MiB
				if err := emit(row); err != nil {
					return false, err
				}
			}
			return false, nil
		})
	if done.err == nil || !done.refused || !strings.Contains(done.err.Error(), "was down to 90 MB free while writing") ||
		!strings.Contains(done.err.Error(), "the part written is removed") {
		t.Fatalf("done %+v", done)
	}
	if names := files(t, dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}

// TestStatfsFree: the default free-space check reads the real disk.
func TestStatfsFree(t *testing.T) {
	free, size, err := statfsFree(t.TempDir())
	if err != nil {
		if runtime.GOOS == "linux" {
			t.Fatal(err)
		}
		t.Skipf("no statfs here: %v", err)
	}
	if size == 0 || free > size {
		t.Errorf("free %d of %d", free, size)
	}
	if _, _, err := statfsFree(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("no error for a missing directory")
	}
}

func TestResolveExportDir(t *testing.T) {
	home := func() (string, error) { return "/home/op", nil }
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		dir  string
		env  map[string]string
		home func() (string, error)
		want string
		err  string
	}{
		{"", map[string]string{"XDG_STATE_HOME": "/var/state"}, home, "/var/state/risktop/exports", ""},
		{"", nil, home, "/home/op/.local/state/risktop/exports", ""},
		{"", map[string]string{"XDG_STATE_HOME": "relative"}, home, "/home/op/.local/state/risktop/exports", ""},
		{"/srv/exports", nil, noHome, "/srv/exports", ""},
		{"~/exports", nil, home, "/home/op/exports", ""},
		{"", nil, noHome, "", "no export directory: set one in the config"},
	} {
		got, err := resolveExportDir(c.dir, env(c.env), c.home)
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q %v: %q, %v", c.dir, c.env, got, err)
		}
	}
}
