package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// A test SSH client: golang.org/x/crypto/ssh on loopback, as a terminal
// would use the server, with the screen read from the session's output.

// testKey is a client key pair; line is its authorized_keys line.
type testKey struct {
	signer gossh.Signer
	line   string
	fp     string
}

func newTestKey(t testing.TB, comment string) testKey {
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
	return testKey{signer: s, line: line, fp: gossh.FingerprintSHA256(s.PublicKey())}
}

// writeKeys writes an authorized_keys file of lines.
func writeKeys(t testing.TB, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// dial connects with key; the host key is checked against hostKey.
func dial(addr string, key testKey, hostKey gossh.PublicKey) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            "op",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(key.signer)},
		HostKeyCallback: gossh.FixedHostKey(hostKey),
		Timeout:         10 * time.Second,
	})
}

// term is one session's terminal: everything the server wrote, and stdin.
type term struct {
	t    testing.TB
	sess *gossh.Session
	in   io.WriteCloser

	mu   sync.Mutex
	cond *sync.Cond
	raw  []byte
	eof  bool  // the session ended
	exit error // its Wait
	mark int   // waitFor looks after this offset of the stripped text
}

// openTerm starts a shell session with a PTY of w×h and TERM term.
func openTerm(t testing.TB, c *gossh.Client, termName string, w, h int, env map[string]string) *term {
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
	tt := &term{t: t, sess: sess}
	tt.cond = sync.NewCond(&tt.mu)
	if err := sess.RequestPty(termName, h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	tt.start()
	return tt
}

// start wires the pipes and starts the shell.
func (tt *term) start() {
	t := tt.t
	out, err := tt.sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	tt.sess.Stderr = tt // the same stream, as a terminal shows both
	tt.in, err = tt.sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tt.sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(tt, out)
		err := tt.sess.Wait() // stderr is copied by then
		tt.mu.Lock()
		tt.eof, tt.exit = true, err
		tt.cond.Broadcast()
		tt.mu.Unlock()
	}()
}

func (tt *term) Write(b []byte) (int, error) {
	tt.mu.Lock()
	tt.raw = append(tt.raw, b...)
	tt.cond.Broadcast()
	tt.mu.Unlock()
	return len(b), nil
}

// text is the output so far with escape sequences removed: each drawn
// line appears whole in it (Bubble Tea redraws whole lines).
func (tt *term) text() string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return ansi.Strip(string(tt.raw))
}

// bytes is how much the server has sent.
func (tt *term) bytes() int {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return len(tt.raw)
}

// rawBytes is a copy of everything the server sent.
func (tt *term) rawBytes() []byte {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return append([]byte(nil), tt.raw...)
}

// waitFor waits until every want appears in the output after the mark,
// and returns that output.
func (tt *term) waitFor(timeout time.Duration, want ...string) string {
	tt.t.Helper()
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		tt.mu.Lock()
		tt.cond.Broadcast()
		tt.mu.Unlock()
	})
	defer timer.Stop()
	for {
		tt.mu.Lock()
		s := ansi.Strip(string(tt.raw))
		if tt.mark <= len(s) {
			s = s[tt.mark:]
		}
		all := true
		for _, w := range want {
			all = all && strings.Contains(s, w)
		}
		if all {
			tt.mu.Unlock()
			return s
		}
		if tt.eof || time.Now().After(deadline) {
			eof := tt.eof
			tt.mu.Unlock()
			tt.t.Fatalf("no %q after %s (eof %t); the session showed:\n%s", want, timeout, eof, tail(s, 3000))
		}
		tt.cond.Wait()
		tt.mu.Unlock()
	}
}

// markNow makes the next waitFor look only at output from here on.
func (tt *term) markNow() {
	tt.mu.Lock()
	tt.mark = len(ansi.Strip(string(tt.raw)))
	tt.mu.Unlock()
}

// key types one key; the caller waits for its effect before the next, so
// keys never reach the program in one read.
func (tt *term) key(k string) {
	tt.t.Helper()
	if _, err := io.WriteString(tt.in, k); err != nil {
		tt.t.Fatalf("typing %q: %v", k, err)
	}
}

// resize sends a window change.
func (tt *term) resize(w, h int) {
	tt.t.Helper()
	if err := tt.sess.WindowChange(h, w); err != nil {
		tt.t.Fatal(err)
	}
}

// wait waits for the session to end and returns its exit status (-1:
// none).
func (tt *term) wait(timeout time.Duration) int {
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
			tt.t.Fatalf("the session did not end within %s; it showed:\n%s", timeout, tail(tt.text(), 2000))
		}
		tt.cond.Wait()
	}
	err := tt.exit
	tt.mu.Unlock()
	var ee *gossh.ExitError
	switch {
	case err == nil:
		return 0
	case asExit(err, &ee):
		return ee.ExitStatus()
	}
	tt.t.Logf("session end: %v", err)
	return -1
}

func asExit(err error, ee **gossh.ExitError) bool {
	e, ok := err.(*gossh.ExitError)
	if ok {
		*ee = e
	}
	return ok
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// listen is a loopback listener on a free port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
