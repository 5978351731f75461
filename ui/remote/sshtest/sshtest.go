// Package sshtest is an SSH client for tests of `risktop serve`:
// golang.org/x/crypto/ssh on loopback, used as a terminal would use the
// server, with the screen read from the session's output. Waits are on
// screen content with a deadline, never on sleeps.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// Key is a client key pair.
type Key struct {
	Private     ed25519.PrivateKey // for writing it out, as OpenSSH's client reads it
	Signer      gossh.Signer
	Line        string // its authorized_keys line, comment included
	Fingerprint string // SHA256:…
}

// NewKey makes an Ed25519 key with comment.
func NewKey(t testing.TB, comment string) Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey())))
	if comment != "" {
		line += " " + comment
	}
	return Key{Private: priv, Signer: s, Line: line, Fingerprint: gossh.FingerprintSHA256(s.PublicKey())}
}

// WriteKeys writes an authorized_keys file of lines into a temp dir.
func WriteKeys(t testing.TB, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Dial connects with key, checking the server's host key with check.
func Dial(addr string, key Key, check gossh.HostKeyCallback) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            "op",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(key.Signer)},
		HostKeyCallback: check,
		Timeout:         10 * time.Second,
	})
}

// Term is one session's terminal: everything the server wrote, and stdin.
type Term struct {
	t    testing.TB
	Sess *gossh.Session
	in   io.WriteCloser

	mu   sync.Mutex
	cond *sync.Cond
	raw  []byte
	eof  bool  // the session ended
	exit error // its Wait
	mark int   // WaitFor looks after this offset of the stripped text
}

// Open starts a shell session with a PTY of w×h and TERM termName, the
// client sending env first.
func Open(t testing.TB, c *gossh.Client, termName string, w, h int, env map[string]string) *Term {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range env {
		if err := sess.Setenv(k, v); err != nil {
			t.Fatal(err)
		}
	}
	tt := &Term{t: t, Sess: sess}
	tt.cond = sync.NewCond(&tt.mu)
	if err := sess.RequestPty(termName, h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	sess.Stderr = tt // the same stream, as a terminal shows both
	if tt.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(tt, out)
		err := sess.Wait() // stderr is copied by then
		tt.mu.Lock()
		tt.eof, tt.exit = true, err
		tt.cond.Broadcast()
		tt.mu.Unlock()
	}()
	return tt
}

func (tt *Term) Write(b []byte) (int, error) {
	tt.mu.Lock()
	tt.raw = append(tt.raw, b...)
	tt.cond.Broadcast()
	tt.mu.Unlock()
	return len(b), nil
}

// Text is the output so far with escape sequences removed: each drawn
// line appears whole in it (Bubble Tea redraws whole lines).
func (tt *Term) Text() string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return ansi.Strip(string(tt.raw))
}

// Raw is a copy of everything the server sent.
func (tt *Term) Raw() []byte {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return append([]byte(nil), tt.raw...)
}

// Bytes is how much the server has sent.
func (tt *Term) Bytes() int {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return len(tt.raw)
}

// WaitFor waits until every want appears in the output after the mark,
// and returns that output. It fails the test at the deadline, or when the
// session ends without it.
func (tt *Term) WaitFor(timeout time.Duration, want ...string) string {
	tt.t.Helper()
	s, ok := tt.waitUntil(timeout, func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
	if !ok {
		tt.t.Fatalf("no %q after %s; the session showed:\n%s", want, timeout, Tail(s, 3000))
	}
	return s
}

// WaitAny waits until one of wants appears after the mark and returns
// which (its index) and the output.
func (tt *Term) WaitAny(timeout time.Duration, wants ...string) (int, string) {
	tt.t.Helper()
	found := -1
	s, ok := tt.waitUntil(timeout, func(s string) bool {
		for i, w := range wants {
			if strings.Contains(s, w) {
				found = i
				return true
			}
		}
		return false
	})
	if !ok {
		tt.t.Fatalf("none of %q after %s; the session showed:\n%s", wants, timeout, Tail(s, 3000))
	}
	return found, s
}

// waitUntil waits until ok holds for the output after the mark.
func (tt *Term) waitUntil(timeout time.Duration, ok func(string) bool) (string, bool) {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		tt.mu.Lock()
		tt.cond.Broadcast()
		tt.mu.Unlock()
	})
	defer timer.Stop()
	tt.mu.Lock()
	defer tt.mu.Unlock()
	for {
		s := ansi.Strip(string(tt.raw))
		if tt.mark <= len(s) {
			s = s[tt.mark:]
		}
		if ok(s) {
			return s, true
		}
		if tt.eof || time.Now().After(deadline) {
			return s, false
		}
		tt.cond.Wait()
	}
}

// Mark makes the next WaitFor look only at output from here on.
func (tt *Term) Mark() {
	tt.mu.Lock()
	tt.mark = len(ansi.Strip(string(tt.raw)))
	tt.mu.Unlock()
}

// Key types one key. The caller waits for its effect before the next, so
// keys never reach the program in one read.
func (tt *Term) Key(k string) {
	tt.t.Helper()
	if _, err := io.WriteString(tt.in, k); err != nil {
		tt.t.Fatalf("typing %q: %v", k, err)
	}
}

// Resize sends a window change.
func (tt *Term) Resize(w, h int) {
	tt.t.Helper()
	if err := tt.Sess.WindowChange(h, w); err != nil {
		tt.t.Fatal(err)
	}
}

// Wait waits for the session to end and returns its exit status (-1:
// none).
func (tt *Term) Wait(timeout time.Duration) int {
	tt.t.Helper()
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		tt.mu.Lock()
		tt.cond.Broadcast()
		tt.mu.Unlock()
	})
	defer timer.Stop()
	tt.mu.Lock()
	for !tt.eof {
		if time.Now().After(deadline) {
			tt.mu.Unlock()
			tt.t.Fatalf("the session did not end within %s; it showed:\n%s", timeout, Tail(tt.Text(), 2000))
		}
		tt.cond.Wait()
	}
	err := tt.exit
	tt.mu.Unlock()
	return ExitStatus(err)
}

// ExitStatus reads a session's Wait error: 0, the remote status, or -1
// when the session ended without one.
func ExitStatus(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*gossh.ExitError); ok {
		return ee.ExitStatus()
	}
	return -1
}

// Tail is the end of s, at most n bytes.
func Tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
