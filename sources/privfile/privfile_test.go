//go:build unix

package privfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenAppendRefusesASymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("theirs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "risktop.log")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	f, err := OpenAppend(link)
	if err == nil {
		f.Close()
		t.Fatal("opened a symlink for appending")
	}
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), link) {
		t.Fatalf("error = %v; want one naming %s as a symbolic link", err, link)
	}
	if b, _ := os.ReadFile(target); string(b) != "theirs\n" {
		t.Fatalf("the target changed: %q", b)
	}
}

func TestOpenAppendCreatesPrivateFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "audit.jsonl")
	f, err := OpenAppend(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
	}
}

func TestOpenAppendRefusesWritableByOthers(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	// Mkdir's mode is masked by the umask; Chmod is not.
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := OpenAppend(filepath.Join(open, "risktop.log"))
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "chmod go-w "+open) {
		t.Fatalf("error = %v; want a refusal of the directory naming chmod go-w", err)
	}
	if _, serr := os.Stat(filepath.Join(open, "risktop.log")); serr == nil {
		t.Fatal("the file was created in the open directory")
	}

	file := filepath.Join(dir, "shared.log")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAppend(file); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "mode 0666") {
		t.Fatalf("error = %v; want a refusal naming mode 0666", err)
	}
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "operators")
	if err := os.WriteFile(good, []byte("ssh-ed25519 AAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckFile(good); err != nil {
		t.Fatalf("a private file: %v", err)
	}
	if err := os.Chmod(good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckFile(good); err != nil {
		t.Fatalf("readable by others is fine for a key list: %v", err)
	}
	for _, mode := range []os.FileMode{0o666, 0o620, 0o602} {
		if err := os.Chmod(good, mode); err != nil {
			t.Fatal(err)
		}
		if err := CheckFile(good); !errors.Is(err, ErrUnsafe) {
			t.Errorf("mode %04o: error = %v; want a refusal", mode, err)
		}
	}
	if err := os.Chmod(good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if err := CheckFile(good); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "directory "+dir) {
		t.Fatalf("in a world-writable directory: error = %v; want the directory named", err)
	}
}

func TestCreateNewRefusesWhatIsThere(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "export.csv")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateNew(link); err == nil {
		t.Fatal("created through a dangling symlink")
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); err == nil {
		t.Fatal("the symlink's target was created")
	}
}

// TestMkdirPrivate: a directory that another user could swap or redirect
// is refused (a symlink in a world-writable directory, one leading into
// such a directory, a world-writable directory itself); a fresh one is
// made 0700, and one of this user's in a sticky directory is fine.
func TestMkdirPrivate(t *testing.T) {
	base := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(base, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	open, sticky, private := mk("open", 0o777), mk("sticky", 0o777|os.ModeSticky), mk("private", 0o700)
	victim := mk("victim", 0o755) // like /: root's, not writable by others
	link := filepath.Join(open, "exports")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	intoOpen := filepath.Join(private, "exports-in-open")
	if err := os.Symlink(mk("open/real", 0o700), intoOpen); err != nil {
		t.Fatal(err)
	}
	fine := filepath.Join(private, "exports-link")
	if err := os.Symlink(victim, fine); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		want string // "" when it is fine
	}{
		{link, "symbolic link " + link + " is in " + open + ", which other users can write to (mode 0777)"},
		{intoOpen, "directory " + filepath.Join(open, "real") + " is in " + open},
		{open, "directory " + open + " can be written by other users (mode 0777); run chmod go-w " + open},
		{filepath.Join(open, "new"), "directory " + filepath.Join(open, "new") + " is in " + open},
		{filepath.Join(private, "new", "exports"), ""},
		{filepath.Join(sticky, "mine"), ""},
		{fine, ""},
	} {
		err := MkdirPrivate(c.dir)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.dir, err)
		case c.want != "" && (!errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error = %v; want one saying %q", c.dir, err, c.want)
		}
	}
	if info, err := os.Stat(filepath.Join(private, "new", "exports")); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("made %v, %v; want 0700", info.Mode(), err)
	}
	if _, err := os.Lstat(filepath.Join(open, "new")); err == nil {
		t.Error("made a directory in the open one before refusing it")
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Errorf("the link's target changed: %v", entries)
	}
}

// A log's directory reached through a symlink that sits where others can
// write could be pointed anywhere (at /) between two runs.
func TestOpenAppendRefusesARedirectableDirectory(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine")
	open := filepath.Join(dir, "open")
	for _, d := range []string{mine, open} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(open, "logs")
	if err := os.Symlink(mine, link); err != nil {
		t.Fatal(err)
	}
	_, err := OpenAppend(filepath.Join(link, "risktop.log"))
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "chmod go-w "+open) {
		t.Fatalf("error = %v; want a refusal naming chmod go-w %s", err, open)
	}
	if _, err := os.Stat(filepath.Join(mine, "risktop.log")); err == nil {
		t.Fatal("the log was created through the link")
	}
}
