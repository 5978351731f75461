package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every failure to open what push-ip and reset-user act through ends the
// command with the problem in words and a non-zero exit, never a panic.
func TestActingCommandsSayWhyTheyCannotOpen(t *testing.T) {
	_, cfg, dir := actionSim(t)
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	// A store cut off mid-file: the header says more pages than there are.
	code, out, errOut := runCmd(t, "push-ip", "203.0.113.9", "--level", "HIGH", "--config", cfg)
	if code != 0 {
		t.Fatalf("a first push to make a store: exit %d\n%s%s", code, out, errOut)
	}
	whole, err := os.ReadFile(filepath.Join(dir, "risktop.db"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.db")
	if err := os.WriteFile(truncated, whole[:len(whole)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(dir, "a-file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	auditDir := filepath.Join(dir, "audit-is-a-directory")
	if err := os.Mkdir(auditDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Someone else's file, and links to it where the logs would go.
	theirs := filepath.Join(dir, "theirs")
	if err := os.WriteFile(theirs, []byte("theirs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logLink, auditLink := filepath.Join(dir, "log-link"), filepath.Join(dir, "audit-link")
	for _, l := range []string{logLink, auditLink} {
		if err := os.Symlink(theirs, l); err != nil {
			t.Fatal(err)
		}
	}
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	storeLine := "store: " + filepath.Join(dir, "risktop.db")
	for _, c := range []struct {
		name string
		edit func(string) string
		want []string
		log  string // --log
	}{
		{"garbage store", func(s string) string { return strings.Replace(s, storeLine, "store: "+garbage, 1) },
			[]string{garbage, "is not a risktop store"}, ""},
		{"truncated store", func(s string) string { return strings.Replace(s, storeLine, "store: "+truncated, 1) },
			[]string{truncated, "is damaged"}, ""},
		{"store directory cannot be made", func(s string) string {
			return strings.Replace(s, storeLine, "store: "+filepath.Join(aFile, "risktop.db"), 1)
		}, []string{aFile, "not a directory"}, ""},
		{"audit log is a directory", func(s string) string {
			return strings.Replace(s, "audit_log: audit.jsonl", "audit_log: "+auditDir, 1)
		}, []string{"audit log", auditDir}, ""},
		{"audit log directory cannot be made", func(s string) string {
			return strings.Replace(s, "audit_log: audit.jsonl", "audit_log: "+filepath.Join(aFile, "audit.jsonl"), 1)
		}, []string{"audit log", aFile}, ""},
		{"log cannot be opened", func(s string) string { return s }, []string{"log: cannot open " + auditDir}, auditDir},
		{"log is a symlink", func(s string) string { return s }, []string{logLink, "symbolic link"}, logLink},
		{"log in a directory others can write", func(s string) string { return s },
			[]string{"directory " + open + " can be written by other users", "chmod go-w " + open}, filepath.Join(open, "risktop.log")},
		{"audit log is a symlink", func(s string) string {
			return strings.Replace(s, "audit_log: audit.jsonl", "audit_log: "+auditLink, 1)
		}, []string{"audit log", auditLink, "symbolic link"}, ""},
		{"audit log in a directory others can write", func(s string) string {
			return strings.Replace(s, "audit_log: audit.jsonl", "audit_log: "+filepath.Join(open, "audit.jsonl"), 1)
		}, []string{"audit log", "chmod go-w " + open}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := variant(t, cfg, c.edit)
			commands := [][]string{
				{"push-ip", "203.0.113.10", "--level", "HIGH", "--config", bad},
				{"reset-user", "someone@example.com", "--yes", "--config", bad},
			}
			if strings.Contains(c.name, "store") {
				commands = append(commands, []string{"get", "events", "--config", bad})
			}
			if c.log != "" {
				for i := range commands {
					commands[i] = append(commands[i], "--log", c.log)
				}
			}
			for _, args := range commands {
				var code int
				var out, errOut string
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("%s panicked: %v", args[0], r)
						}
					}()
					code, out, errOut = runCmd(t, args...)
				}()
				if code == 0 {
					t.Errorf("%s: exit 0\n%s%s", args[0], out, errOut)
				}
				for _, w := range c.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("%s: stderr lacks %q:\n%s", args[0], w, errOut)
					}
				}
			}
			if b, _ := os.ReadFile(theirs); string(b) != "theirs\n" {
				t.Fatalf("the symlinks' target was written: %q", b)
			}
		})
	}
}

// The logs a command makes are its user's alone.
func TestLogsAreCreatedPrivate(t *testing.T) {
	_, cfg, dir := actionSim(t)
	logPath := filepath.Join(dir, "logs", "risktop.log")
	if code, out, errOut := runCmd(t, "push-ip", "203.0.113.9", "--level", "HIGH", "--config", cfg, "--log", logPath); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for p, want := range map[string]os.FileMode{logPath: 0o600, filepath.Dir(logPath): 0o700, filepath.Join(dir, "audit.jsonl"): 0o600} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
	}
}
