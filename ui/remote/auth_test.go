package remote

import (
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/ui/remote/sshtest"
)

// stuckSigner offers an authorised public key and never signs: the client
// asks whether the key would do, hears yes (PK_OK), then waits in Sign
// until release is closed. Anyone can do this: public keys are public.
type stuckSigner struct {
	gossh.Signer
	signing chan<- struct{} // told once Sign is reached
	release <-chan struct{}
}

func (s stuckSigner) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	s.signing <- struct{}{}
	<-s.release
	return nil, io.ErrClosedPipe
}

// watchedConn notes when the server closed the connection: the first
// read that fails.
type watchedConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
	at     time.Time
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.once.Do(func() {
			c.at = time.Now()
			close(c.closed)
		})
	}
	return n, err
}

// dialFrom connects to addr from the loopback address src (127.0.0.x:
// Linux answers on all of 127/8).
func dialFrom(t testing.TB, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	return c
}

func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// TestNeverSigningConnectionsAreCut: a client that offers an authorised
// key and never signs is not authenticated, and is cut at the auth
// timeout like any other; nothing of it is left after, and the log says
// so without a line per connection past a burst.
func TestNeverSigningConnectionsAreCut(t *testing.T) {
	const (
		conns   = 50
		sources = 5 // 10 a source address: within the default caps
		timeout = 2 * time.Second
		margin  = 1500 * time.Millisecond // -race on 2 shared CPUs
	)
	k := sshtest.NewKey(t, "ava@laptop")
	baseG := runtime.NumGoroutine()
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", k.Line), "", nil), func(o *Options) { o.AuthTimeout = timeout })
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", f.log.String())
		}
	}()
	baseFD := openFDs(t)

	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseAll()
	signing := make(chan struct{}, conns)
	watched := make([]*watchedConn, conns)
	starts := make([]time.Time, conns)
	var clients sync.WaitGroup
	for i := range conns {
		starts[i] = time.Now() // the connection is made after this
		raw := dialFrom(t, "127.0.0."+itoa(1+i%sources), f.addr)
		wc := &watchedConn{Conn: raw, closed: make(chan struct{})}
		watched[i] = wc
		clients.Add(1)
		go func() {
			defer clients.Done()
			defer wc.Close()
			cfg := &gossh.ClientConfig{User: "op", HostKeyCallback: gossh.FixedHostKey(f.hostKey),
				Auth: []gossh.AuthMethod{gossh.PublicKeys(stuckSigner{Signer: k.Signer, signing: signing, release: release})}}
			c, chans, reqs, err := gossh.NewClientConn(wc, f.addr, cfg)
			if err == nil {
				gossh.NewClient(c, chans, reqs).Close()
				t.Error("a client that never signed got in")
			}
		}()
	}
	// Every client was told its key would do and is now "signing".
	deadline := time.After(timeout + 30*time.Second)
	for i := range conns {
		select {
		case <-signing:
		case <-deadline:
			t.Fatalf("only %d of %d clients reached Sign", i, conns)
		}
	}
	// Each is closed by the server, within the timeout and a margin.
	cut := make([]time.Duration, conns)
	for i, wc := range watched {
		select {
		case <-wc.closed:
			cut[i] = wc.at.Sub(starts[i])
		case <-time.After(time.Until(starts[i].Add(timeout + 30*time.Second))):
			t.Fatalf("connection %d still open %s after it connected (auth timeout %s): an offered key that never signs holds it", i, time.Since(starts[i]).Round(time.Millisecond), timeout)
		}
	}
	sorted := slices.Clone(cut)
	slices.Sort(sorted)
	t.Logf("%d never-signing connections cut after min %s, median %s, max %s (auth timeout %s)", conns,
		sorted[0].Round(time.Millisecond), sorted[conns/2].Round(time.Millisecond), sorted[conns-1].Round(time.Millisecond), timeout)
	for i, d := range cut {
		if d < timeout || d > timeout+margin {
			t.Errorf("connection %d cut after %s, want %s to %s", i, d.Round(time.Millisecond), timeout, timeout+margin)
		}
	}

	// Nothing is left of them: the clients give up; the server's count,
	// the file descriptors and (once the server stops) the goroutines
	// fall back.
	releaseAll()
	clients.Wait()
	// The client may see the close a moment before the server has
	// counted the connection out.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		f.srv.mu.Lock()
		left, unauth := len(f.srv.conns), f.srv.unauthTotal
		f.srv.mu.Unlock()
		if left == 0 && unauth == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still tracks %d connections, %d unauthenticated", left, unauth)
		}
	}
	if baseFD >= 0 {
		if n := openFDs(t); n > baseFD {
			t.Errorf("%d file descriptors open, %d before", n, baseFD)
		}
	}

	// One line a connection up to the burst, then one summary line.
	log := f.log.String()
	lines := strings.Count(log, `msg="ssh connection closed before authenticating" `)
	if lines != logBurst {
		t.Errorf("%d lines for connections closed before authenticating, want %d (the burst):\n%s", lines, logBurst, log)
	}
	if !strings.Contains(log, "offered="+k.Fingerprint) {
		t.Errorf("the log does not name the key that was offered and never signed:\n%s", log)
	}
	f.stop()
	f.waitLog("ssh connection closed before authenticating: and more, not logged one by one", "more=40")
	f.closeStore()
	waitGoroutines(t, baseG)
}

// silent is a connection that never says a word.
type silent struct {
	net.Conn
	src string
}

// openSilent connects from src and reports whether the server took the
// connection (it sent its version line) or closed it at once (EOF
// before a byte).
func openSilent(t testing.TB, src, addr string) (*silent, bool) {
	t.Helper()
	c := dialFrom(t, src, addr)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 0, 64)
	b := make([]byte, 1)
	for {
		n, err := c.Read(b)
		if n > 0 {
			buf = append(buf, b[0])
			if b[0] == '\n' {
				break
			}
			continue
		}
		if err != nil {
			c.Close()
			if len(buf) > 0 {
				t.Fatalf("from %s: the server sent %q, then %v", src, buf, err)
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("from %s: neither a version line nor a close within 10s", src)
			}
			return nil, false
		}
	}
	if !strings.HasPrefix(string(buf), "SSH-2.0-risktop") {
		t.Fatalf("from %s: version line %q", src, buf)
	}
	c.SetReadDeadline(time.Time{})
	s := &silent{Conn: c, src: src}
	t.Cleanup(func() { c.Close() })
	return s, true
}

// dialKey logs in with key from src.
func dialKey(t testing.TB, src, addr string, key sshtest.Key, host gossh.PublicKey) *gossh.Client {
	t.Helper()
	raw := dialFrom(t, src, addr)
	c, chans, reqs, err := gossh.NewClientConn(raw, addr, &gossh.ClientConfig{User: "op", HostKeyCallback: gossh.FixedHostKey(host),
		Auth: []gossh.AuthMethod{gossh.PublicKeys(key.Signer)}, Timeout: 10 * time.Second})
	if err != nil {
		raw.Close()
		t.Fatalf("login from %s: %v", src, err)
	}
	cl := gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// TestUnauthenticatedConnectionCaps: at most 10 connections still
// logging in from one address and 100 in all; one more is closed at once,
// before the version exchange, and logged. Authenticated connections do
// not count, and a slot frees when its connection authenticates or
// closes.
func TestUnauthenticatedConnectionCaps(t *testing.T) {
	const perAddr, total = DefaultMaxUnauthenticatedPerAddr, DefaultMaxUnauthenticated
	k := sshtest.NewKey(t, "ava")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", k.Line), "", nil), func(o *Options) { o.AuthTimeout = 5 * time.Minute })
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", f.log.String())
		}
	}()
	mustOpen := func(src string) *silent {
		t.Helper()
		s, ok := openSilent(t, src, f.addr)
		if !ok {
			t.Fatalf("a connection from %s was refused below the caps", src)
		}
		return s
	}
	mustRefuse := func(src string) {
		t.Helper()
		if s, ok := openSilent(t, src, f.addr); ok {
			s.Close()
			t.Fatalf("a connection from %s was taken over the cap", src)
		}
	}
	// waitOpen retries until the server has counted a closed connection
	// out and takes one from src.
	waitOpen := func(src string) *silent {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if s, ok := openSilent(t, src, f.addr); ok {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("no slot from %s 10s after one closed", src)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// One address: perAddr-1 silent, then a login from the same address
	// (it needs a slot while it logs in and gives it back once in), then
	// the last slot, then one too many.
	var first []*silent
	for range perAddr - 1 {
		first = append(first, mustOpen("127.0.0.1"))
	}
	ava := dialKey(t, "127.0.0.1", f.addr, k, f.hostKey)
	first = append(first, mustOpen("127.0.0.1"))
	mustRefuse("127.0.0.1")
	f.waitLog("ssh connection refused", "too many connections still logging in from 127.0.0.1")

	// In all: other addresses fill the total; one more from a fresh
	// address is refused.
	var others []*silent
	for i := 0; len(others) < total-perAddr; i++ {
		others = append(others, mustOpen("127.0.0."+itoa(2+i/perAddr)))
	}
	fresh := "127.0.0." + itoa(2+total/perAddr)
	mustRefuse(fresh)
	f.waitLog("too many connections still logging in, in all")

	// The authenticated connection is not held up by the caps: it opens
	// a dashboard now.
	tt := sshtest.Open(t, ava, "xterm-256color", 80, 24, nil)
	tt.WaitFor(10*time.Second, "q quit")

	// A slot frees when its connection closes: per address, and in all.
	first[0].Close()
	waitOpen("127.0.0.1")
	others[0].Close()
	waitOpen(fresh)
	mustRefuse(fresh)
}

func itoa(i int) string { return strconv.Itoa(i) }

// removingSigner takes its key out of the authorized-keys file between
// the server's "this key would do" and its signature.
type removingSigner struct {
	gossh.Signer
	t          *testing.T
	path, rest string
}

func (s removingSigner) Sign(r io.Reader, data []byte) (*gossh.Signature, error) {
	replace(s.t, s.path, s.rest)
	return s.Signer.Sign(r, data)
}

// TestKeyRemovedBeforeItSignsIsRefused: what decides is the keyring when
// the signature has verified, not when the key was offered.
func TestKeyRemovedBeforeItSignsIsRefused(t *testing.T) {
	gone, stays := sshtest.NewKey(t, "gone"), sshtest.NewKey(t, "stays")
	path := sshtest.WriteKeys(t, "authorized_keys", gone.Line, stays.Line)
	f := startServer(t, NewKeyring(path, "", nil), nil)
	c, err := gossh.Dial("tcp", f.addr, &gossh.ClientConfig{User: "op", HostKeyCallback: gossh.FixedHostKey(f.hostKey), Timeout: 10 * time.Second,
		Auth: []gossh.AuthMethod{gossh.PublicKeys(removingSigner{Signer: gone.Signer, t: t, path: path, rest: stays.Line + "\n"})}})
	if err == nil {
		c.Close()
		t.Fatal("a key removed before it signed got in")
	}
	f.waitLog("ssh key refused", "fingerprint="+gone.Fingerprint)
	_, tt := f.connect(stays)
	tt.WaitFor(10*time.Second, "q quit")
}
