package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/ui/export"
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

// TestViewerExportsAreRateLimited: a viewer's sixth export within ten
// minutes is refused, saying when the next is possible, and writes
// nothing; ten minutes after the first it goes. An operator's (no
// limits) are not counted.
func TestViewerExportsAreRateLimited(t *testing.T) {
	a, dir := exportApp(t, 20)
	setDeps(a, func(d *Deps) { d.Exports = export.ViewerLimits() })
	now := fixtureNow
	setDeps(a, func(d *Deps) { d.Now = func() time.Time { return now } })
	keysOf(a, "3")
	// An export that writes nothing does not count.
	setDeps(a, func(d *Deps) { d.FreeSpace = func(string) (uint64, uint64, error) { return 0, 10e9, nil } })
	keysOf(a, "e")
	if !strings.HasPrefix(a.toast.text, "export refused: the disk holding ") {
		t.Fatalf("with the disk full: notice %q", a.toast.text)
	}
	setDeps(a, func(d *Deps) { d.FreeSpace = plentyFree })
	for i := range 5 {
		keysOf(a, "e")
		if !strings.HasPrefix(a.toast.text, "exported 8 people to ") {
			t.Fatalf("export %d: notice %q", i+1, a.toast.text)
		}
		now = now.Add(time.Minute)
	}
	keysOf(a, "E")
	if want := "export refused: viewers may export 5 files every 10m; the next at 14:40:00 (in 5m)"; a.toast.text != want || !a.toast.err {
		t.Errorf("sixth export: notice %q; want %q", a.toast.text, want)
	}
	if n := len(files(t, dir)); n != 5 {
		t.Errorf("%d files written, want 5", n)
	}
	now = fixtureNow.Add(10 * time.Minute)
	keysOf(a, "E")
	if !strings.HasPrefix(a.toast.text, "exported 8 people to ") {
		t.Errorf("ten minutes after the first: notice %q", a.toast.text)
	}

	op, opDir := exportApp(t, 20)
	keysOf(op, "3")
	for i := range 8 {
		keysOf(op, "e")
		if !strings.HasPrefix(op.toast.text, "exported 8 people to ") {
			t.Fatalf("operator's export %d: notice %q", i+1, op.toast.text)
		}
	}
	if n := len(files(t, opDir)); n != 8 {
		t.Errorf("operator: %d files written, want 8", n)
	}
}

// TestViewerExportAllowance: a viewer's events export holds at most the
// viewers' event cap, and a session's exports stop at its byte
// allowance: the file ends there, marked, and the next export is refused.
func TestViewerExportAllowance(t *testing.T) {
	a, _ := exportApp(t, 1200)
	setDeps(a, func(d *Deps) { d.Exports = export.Limits{Who: "viewers", Events: 100} })
	keysOf(a, "2", "/")
	a.Update(runes("since:all"))
	keysOf(a, "enter", "e")
	if !strings.HasPrefix(a.toast.text, "exported the first 100 events (the cap;") {
		t.Errorf("notice %q", a.toast.text)
	}

	b, _ := exportApp(t, 1200)
	setDeps(b, func(d *Deps) { d.Exports = export.Limits{Who: "viewers", Bytes: 50_000} })
	keysOf(b, "2", "/")
	b.Update(runes("since:all"))
	keysOf(b, "enter", "E")
	if !strings.HasPrefix(b.toast.text, "exported the first ") ||
		!strings.Contains(b.toast.text, "(this session's 50 kB of exports for viewers is now used up) to ") {
		t.Fatalf("notice %q", b.toast.text)
	}
	path := exportedPath(t, b)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 50_000+2_000 { // the allowance is checked after each row
		t.Errorf("the file holds %d bytes, over the 50,000 allowed", info.Size())
	}
	j := readJSON(t, path)
	if !j.Capped || j.Count == 0 || j.Count != len(j.Rows) || !strings.Contains(j.Note, "export allowance is used up") {
		t.Errorf("json: count %d, rows %d, capped %v, note %q", j.Count, len(j.Rows), j.Capped, j.Note)
	}
	keysOf(b, "3", "e")
	if want := "export refused: this session has exported "; !strings.HasPrefix(b.toast.text, want) ||
		!strings.Contains(b.toast.text, "the most viewers may in one session") {
		t.Errorf("after the allowance: notice %q", b.toast.text)
	}
}

// TestExportChecksFreeSpace: an export that would leave the disk below
// its floor, or is bigger than what is free above it, is refused and
// writes nothing; one that fits goes.
func TestExportChecksFreeSpace(t *testing.T) {
	a, dir := exportApp(t, 1200)
	free := uint64(150e6)
	setDeps(a, func(d *Deps) { d.FreeSpace = func(string) (uint64, uint64, error) { return free, 10e9, nil } }) // floor: 500 MB
	keysOf(a, "3", "e")
	want := "export refused: the disk holding " + dir + " has 150 MB free; this export needs up to 8 kB and risktop keeps 500 MB free there for the store and logs; free some space or set export_dir to another disk"
	if a.toast.text != want || !a.toast.err {
		t.Errorf("notice %q\nwant   %q", a.toast.text, want)
	}
	if names := files(t, dir); len(names) != 0 {
		t.Errorf("written: %v", names)
	}

	// Above the floor by less than the events export may take (1,202
	// events: up to 1.2 MB), but room for the 8 people.
	free = 500e6 + 1e6
	keysOf(a, "2", "/")
	a.Update(runes("since:all"))
	keysOf(a, "enter", "e")
	if !strings.Contains(a.toast.text, "has 501 MB free; this export needs up to 1.2 MB and risktop keeps 500 MB free") {
		t.Errorf("notice %q", a.toast.text)
	}
	keysOf(a, "3", "e")
	if !strings.HasPrefix(a.toast.text, "exported 8 people to ") {
		t.Errorf("notice %q", a.toast.text)
	}
	if names := files(t, dir); len(names) != 1 {
		t.Errorf("written: %v", names)
	}
}

// TestExportDirectoryMustBePrivate: an export directory another user could
// redirect (a symlink in a world-writable directory, here to a directory
// like /) or write into (world-writable itself) is refused with the
// directory and the fix named, and nothing is written.
func TestExportDirectoryMustBePrivate(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	victim := filepath.Join(base, "victim") // stands in for /: root's, 0755
	for _, d := range []string{open, victim} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(open, "exports")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, want string }{
		{link, "export refused: the export directory: symbolic link " + link + " is in " + open +
			", which other users can write to (mode 0777), so one of them could replace it and redirect what risktop writes there; run chmod go-w " + open},
		{open, "export refused: the export directory: directory " + open + " can be written by other users (mode 0777); run chmod go-w " + open},
	} {
		a, _ := exportApp(t, 20)
		setDeps(a, func(d *Deps) { d.ExportDir = c.dir })
		keysOf(a, "3", "e")
		if !strings.HasPrefix(a.toast.text, c.want) || !a.toast.err {
			t.Errorf("%s: notice %q\nwant %q", c.dir, a.toast.text, c.want)
		}
	}
	if names := files(t, victim); len(names) != 0 {
		t.Errorf("written through the link: %v", names)
	}
	if names := files(t, open); len(names) != 1 {
		t.Errorf("written into the open directory: %v", names)
	}
}
