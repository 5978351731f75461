package remote

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/remote/sshtest"
)

// syncBuffer is a log destination tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a running server over an empty store and a hub the test
// publishes on.
type fixture struct {
	t       testing.TB
	addr    string
	hostKey gossh.PublicKey
	hub     *hub.Hub
	log     *syncBuffer
	srv     *Server
	store   *store.SQLite
	cancel  context.CancelFunc
	done    chan error
}

// startServer serves on loopback until the test ends (or stop). edit may
// change the options before the server is built.
func startServer(t testing.TB, keys *Keyring, edit func(*Options)) *fixture {
	t.Helper()
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	host, _ := gossh.NewSignerFromKey(priv)
	f := &fixture{t: t, hostKey: host.PublicKey(), hub: hub.New(), log: &syncBuffer{}, store: st}
	o := Options{Store: st, Hub: f.hub, Vendors: vendors.Infos(), Title: "acme", HostKey: host, Keys: keys,
		Log: slog.New(slog.NewTextHandler(f.log, nil)), Grace: time.Second}
	if edit != nil {
		edit(&o)
	}
	f.srv, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	f.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan error, 1)
	go func() { f.done <- f.srv.Serve(ctx, ln) }()
	t.Cleanup(func() { f.stop() })
	return f
}

// stop shuts the server down and waits for Serve to return.
func (f *fixture) stop() {
	f.t.Helper()
	f.cancel()
	select {
	case err := <-f.done:
		if err != nil {
			f.t.Errorf("Serve: %v", err)
		}
		f.done <- nil // stop is idempotent
	case <-time.After(30 * time.Second):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		f.t.Fatalf("Serve did not return 30s after its context ended:\n%s", buf)
	}
}

func (f *fixture) closeStore() { f.store.Close() }

// connect dials and opens an 80×24 xterm-256color terminal.
func (f *fixture) connect(key sshtest.Key) (*gossh.Client, *sshtest.Term) {
	f.t.Helper()
	c, err := sshtest.Dial(f.addr, key, gossh.FixedHostKey(f.hostKey))
	if err != nil {
		f.t.Fatalf("dial: %v", err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c, sshtest.Open(f.t, c, "xterm-256color", 80, 24, nil)
}

// waitLog waits until the log holds every want.
func (f *fixture) waitLog(want ...string) string {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := f.log.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the log lacks %q:\n%s", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// health is a Cloudflare health message whose pill shows pct% headroom.
func health(pct int) hub.HealthMsg {
	return hub.HealthMsg{Health: model.Health{Source: "cloudflare", State: model.StateOK, LastSuccess: time.Now(),
		RateLimit: model.RateLimit{Known: true, Limit: 100, Remaining: pct, Reset: time.Now().Add(time.Hour)}}}
}

// frameLine is the last line in s holding text, as drawn (a line starts
// after a newline or a carriage return).
func frameLine(s, text string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], text) {
			return lines[i]
		}
	}
	return ""
}

func TestAuthorizedKeyGetsTheDashboardAtOnce(t *testing.T) {
	viewer := sshtest.NewKey(t, "ava@laptop")
	keys := NewKeyring(sshtest.WriteKeys(t, "authorized_keys", viewer.Line), "", nil)
	f := startServer(t, keys, nil)
	// The pollers' news from before the session: a late joiner sees it in
	// its first frame.
	f.hub.Publish(health(42))
	_, tt := f.connect(viewer)
	// The client never answers a terminal query: the dashboard must not
	// wait for one.
	s := tt.WaitFor(5*time.Second, "risktop", "acme", "LIVE", "1 Overview", "2 Events", "3 Users", "Cloudflare", "42%", "q quit")
	if w := ansi.StringWidth(frameLine(s, "risktop · acme")); w != 80 {
		t.Errorf("header is %d cells wide, want 80", w)
	}
	if !strings.Contains(string(tt.Raw()), "\x1b[?1049h") {
		t.Error("the dashboard did not take the alternate screen")
	}
	f.waitLog("ssh session start", "fingerprint="+viewer.Fingerprint, "comment=ava@laptop", "role=viewer", "remote=127.0.0.1:")
	tt.Key("q")
	if code := tt.Wait(10 * time.Second); code != 0 {
		t.Errorf("exit status %d after q", code)
	}
	f.waitLog(`msg="ssh session" fingerprint=`+viewer.Fingerprint, "end=quit", "duration=")
}

func TestUnknownKeyIsRefused(t *testing.T) {
	known, stranger := sshtest.NewKey(t, "ava@laptop"), sshtest.NewKey(t, "eve@elsewhere")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", known.Line), "", nil), nil)
	c, err := sshtest.Dial(f.addr, stranger, gossh.FixedHostKey(f.hostKey))
	if err == nil {
		c.Close()
		t.Fatal("an unknown key was let in")
	}
	if !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("dial error %v, want an authentication failure", err)
	}
	log := f.waitLog("ssh key refused", "fingerprint="+stranger.Fingerprint)
	if strings.Contains(log, "ssh session") {
		t.Errorf("a session started for a refused key:\n%s", log)
	}
}

// TestEmptyOrUnreadableKeysRefuseEveryone: no authorized key, no entry,
// not even for a key in the operators file; the start-up status says so.
func TestEmptyOrUnreadableKeysRefuseEveryone(t *testing.T) {
	op := sshtest.NewKey(t, "olu@ops")
	opsFile := sshtest.WriteKeys(t, "operators", op.Line)
	for name, path := range map[string]string{
		"empty":    sshtest.WriteKeys(t, "authorized_keys", "# nobody yet", ""),
		"missing":  filepath.Join(t.TempDir(), "nope"),
		"dir":      t.TempDir(),
		"bad only": sshtest.WriteKeys(t, "authorized_keys", "ssh-ed25519 not-base64!"),
	} {
		t.Run(name, func(t *testing.T) {
			keys := NewKeyring(path, opsFile, nil)
			st := keys.Status()
			if st.Open || !strings.Contains(strings.Join(st.Lines, "\n"), "NOBODY can log in, operators included") {
				t.Fatalf("status %+v", st)
			}
			f := startServer(t, keys, nil)
			if c, err := sshtest.Dial(f.addr, op, gossh.FixedHostKey(f.hostKey)); err == nil {
				c.Close()
				t.Fatal("an operator got in past an empty authorized-keys file")
			}
		})
	}
}

func TestNoPTYIsRefused(t *testing.T) {
	viewer := sshtest.NewKey(t, "")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", viewer.Line), "", nil), nil)
	c, err := sshtest.Dial(f.addr, viewer, gossh.FixedHostKey(f.hostKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.CombinedOutput("") // a shell, no PTY
	if code := sshtest.ExitStatus(err); code != 1 {
		t.Errorf("exit %v, want status 1", err)
	}
	_, port, _ := net.SplitHostPort(f.addr)
	for _, want := range []string{"shows the dashboard in a terminal", "ssh -p " + port + " HOST", "Requires an active PTY"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "\x1b[?1049h") {
		t.Error("a UI started without a PTY")
	}
	f.waitLog("end=\"refused: no terminal (PTY)\"")
}

func TestResizeChangesTheLayout(t *testing.T) {
	viewer := sshtest.NewKey(t, "")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", viewer.Line), "", nil), nil)
	_, tt := f.connect(viewer)
	s := tt.WaitFor(5*time.Second, "q quit")
	if w := ansi.StringWidth(frameLine(s, "risktop · acme")); w != 80 {
		t.Fatalf("header %d wide at 80×24", w)
	}
	tt.Mark()
	tt.Resize(70, 20)
	tt.WaitFor(5*time.Second, "risktop needs a terminal of at least 80×24; this one is 70×20")
	tt.Mark()
	tt.Resize(120, 40)
	s = tt.WaitFor(5*time.Second, "risktop · acme", "q quit")
	if w := ansi.StringWidth(frameLine(s, "risktop · acme")); w != 120 {
		t.Errorf("header %d wide after a resize to 120×40", w)
	}
	if w := ansi.StringWidth(frameLine(s, "q quit")); w != 120 {
		t.Errorf("footer %d wide after a resize to 120×40", w)
	}
}

// TestTwoSessionsOwnViews: each session has its own tab, keys and colour
// profile (from its own TERM and COLORTERM).
func TestTwoSessionsOwnViews(t *testing.T) {
	ava, ben := sshtest.NewKey(t, "ava"), sshtest.NewKey(t, "ben")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", ava.Line, ben.Line), "", nil), nil)
	_, a := f.connect(ava)
	cb, err := sshtest.Dial(f.addr, ben, gossh.FixedHostKey(f.hostKey))
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	b := sshtest.Open(t, cb, "xterm-256color", 100, 30, map[string]string{"COLORTERM": "truecolor"})
	a.WaitFor(5*time.Second, "q quit")
	b.WaitFor(5*time.Second, "q quit")

	a.Mark()
	b.Mark()
	a.Key("3")
	b.Key("6")
	sa := a.WaitFor(5*time.Second, "people · merged across vendors by email")
	sb := b.WaitFor(5*time.Second, "Outbox: IP and person risk pushed to Okta", "Audit log")
	if strings.Contains(sa, "Outbox: IP risk") || strings.Contains(sb, "people · merged") {
		t.Error("a session drew the other's tab")
	}
	// Each its own renderer: 256 colours for one, true colour for the other.
	ra, rb := string(a.Raw()), string(b.Raw())
	if !strings.Contains(ra, "38;5;") || strings.Contains(ra, "38;2;") {
		t.Error("the xterm-256color session is not drawn in 256 colours")
	}
	if !strings.Contains(rb, "38;2;") {
		t.Error("the COLORTERM=truecolor session is not drawn in true colour")
	}
	// Its own keys: b's help stays b's.
	b.Mark()
	b.Key("?")
	b.WaitFor(5*time.Second, "Everywhere")
	a.Mark()
	a.Key("2")
	if s := a.WaitFor(5*time.Second, "page"); strings.Contains(s, "Everywhere") {
		t.Error("b's help appeared in a")
	}
}

// TestStalledClientSlowsNobody: a client that stops reading fills its SSH
// window and blocks its own program's writes; publishing on the hub stays
// instant and another session keeps getting news.
func TestStalledClientSlowsNobody(t *testing.T) {
	before := runtime.NumGoroutine()
	ava, ben := sshtest.NewKey(t, "stalled"), sshtest.NewKey(t, "live")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", ava.Line, ben.Line), "", nil), nil)

	ca, err := sshtest.Dial(f.addr, ava, gossh.FixedHostKey(f.hostKey))
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	sa, err := ca.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sa.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sa.StdoutPipe(); err != nil { // never read: the window fills
		t.Fatal(err)
	}
	if err := sa.Shell(); err != nil {
		t.Fatal(err)
	}
	_, b := f.connect(ben)
	b.WaitFor(5*time.Second, "q quit")

	// Full repaints at a large size fill a's 2 MB window quickly (a
	// repaint at 500×200 is some 100 KB).
	stalled := func() bool {
		f.srv.mu.Lock()
		defer f.srv.mu.Unlock()
		for ss := range f.srv.sessions {
			if ss.id.Fingerprint == ava.Fingerprint && ss.out.stalled() > 2*time.Second {
				return true
			}
		}
		return false
	}
	const fill = 90 * time.Second // some 2 s, but -race renders slowly
	deadline := time.Now().Add(fill)
	for i := 0; !stalled(); i++ {
		if time.Now().After(deadline) {
			f.srv.mu.Lock()
			for ss := range f.srv.sessions {
				t.Logf("%s sent %d, stalled %s", ss.id.Comment, ss.out.sent.Load(), ss.out.stalled())
			}
			f.srv.mu.Unlock()
			t.Fatal("the unread session never blocked on its writes")
		}
		sa.WindowChange(200, 500-i%2)
		time.Sleep(5 * time.Millisecond)
	}

	t.Logf("stalled after %s", (fill - time.Until(deadline)).Round(time.Millisecond))
	// The hub never waits on the stalled session.
	var worst time.Duration
	for i := range 200 {
		start := time.Now()
		f.hub.Publish(health(i % 50))
		worst = max(worst, time.Since(start))
	}
	if worst > 20*time.Millisecond {
		t.Errorf("a Publish took %s with a stalled session", worst)
	}
	// The other session still gets the news, and its keys.
	b.Mark()
	f.hub.Publish(health(77))
	b.WaitFor(5*time.Second, "77%")
	b.Mark()
	b.Key("3")
	b.WaitFor(5*time.Second, "people · merged across vendors by email")
	if !stalled() {
		t.Error("the stalled session recovered without reading")
	}
	// It resizes while stuck (a stuck session must still take requests,
	// or its connection's packet loop blocks and it can never end), then
	// the server stops: the stalled session ends too, and nothing is left.
	for i := range 40 {
		sa.WindowChange(90+i%2, 250)
	}
	f.stop()
	f.waitLog("fingerprint="+ava.Fingerprint, `end="server shutdown"`)
	ca.Close()
	f.closeStore()
	waitGoroutines(t, before)
}

func TestIdleTimeout(t *testing.T) {
	idle, busy := sshtest.NewKey(t, "idle"), sshtest.NewKey(t, "busy")
	const timeout = 1500 * time.Millisecond
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", idle.Line, busy.Line), "", nil), func(o *Options) {
		o.IdleTimeout = timeout
	})
	_, ti := f.connect(idle)
	_, tb := f.connect(busy)
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", f.log.String())
		}
	}()
	start := time.Now()
	ti.WaitFor(5*time.Second, "q quit")
	// The busy one types (a tab at a time, each seen drawn) for twice the
	// timeout; the idle one only watches, and output alone keeps nobody in.
	for i := 0; time.Since(start) < 2*timeout; i++ {
		tb.Mark()
		if i%2 == 0 {
			tb.Key("3")
			tb.WaitFor(5*time.Second, "people · merged")
		} else {
			tb.Key("1")
			tb.WaitFor(5*time.Second, "OneLogin risk")
		}
		f.hub.Publish(health(i % 100))
		time.Sleep(100 * time.Millisecond)
	}
	ti.WaitFor(5*time.Second, "closed after 1.5s without a key press; goodbye.")
	if code := ti.Wait(5 * time.Second); code != 0 {
		t.Errorf("idle session exit %d", code)
	}
	if d := time.Since(start); d < timeout {
		t.Errorf("closed after %s, before the timeout", d)
	}
	f.waitLog("fingerprint="+idle.Fingerprint, `end="idle timeout"`)
	// The busy session is still there.
	tb.Mark()
	tb.Key("2")
	tb.WaitFor(5*time.Second, "page")
}

func TestMaxSessions(t *testing.T) {
	k := sshtest.NewKey(t, "")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", k.Line), "", nil), func(o *Options) { o.MaxSessions = 1 })
	_, first := f.connect(k)
	first.WaitFor(5*time.Second, "q quit")
	_, second := f.connect(k)
	second.WaitFor(5*time.Second, "1 session open, the most this server allows")
	if code := second.Wait(5 * time.Second); code != 1 {
		t.Errorf("refused session exit %d, want 1", code)
	}
	f.waitLog(`end="refused: too many sessions"`)
	first.Key("q")
	first.Wait(5 * time.Second)
	// The slot is free again.
	_, third := f.connect(k)
	third.WaitFor(5*time.Second, "q quit")
}

func TestUnauthenticatedConnectionsAreClosed(t *testing.T) {
	k := sshtest.NewKey(t, "")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", k.Line), "", nil), func(o *Options) { o.AuthTimeout = 300 * time.Millisecond })
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatalf("the silent connection was not closed: %v", err)
	}
	f.waitLog("ssh connection closed before authenticating")
}

// TestShutdownSaysGoodbye: every session gets a goodbye after its
// dashboard has left the alternate screen, exits 0, and nothing the server
// started is left running — connections still in the handshake included.
func TestShutdownSaysGoodbye(t *testing.T) {
	before := runtime.NumGoroutine()
	k := sshtest.NewKey(t, "")
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", k.Line), "", nil), nil)
	ca, a := f.connect(k)
	cb, b := f.connect(k)
	a.WaitFor(5*time.Second, "q quit")
	b.WaitFor(5*time.Second, "q quit")
	b.Key("3")
	b.WaitFor(5*time.Second, "people · merged")
	half, err := net.Dial("tcp", f.addr) // never says a word
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()

	f.stop()
	for _, tt := range []*sshtest.Term{a, b} {
		s := tt.WaitFor(5*time.Second, "risktop: the server is shutting down; goodbye.")
		raw := string(tt.Raw())
		if i, j := strings.LastIndex(raw, "\x1b[?1049l"), strings.LastIndex(raw, "goodbye"); i < 0 || i > j {
			t.Errorf("the goodbye is not after the alternate screen was left:\n%q", sshtest.Tail(s, 300))
		}
		if code := tt.Wait(5 * time.Second); code != 0 {
			t.Errorf("exit %d at shutdown", code)
		}
	}
	f.waitLog(`end="server shutdown"`)
	ca.Close()
	cb.Close()
	half.Close()
	f.closeStore()
	waitGoroutines(t, before)
}

// waitGoroutines waits for the count to fall back to before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
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
