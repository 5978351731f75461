// Package remote serves the dashboard to SSH sessions (`risktop serve`).
//
// One set of pollers, one store, one actions service and one sender serve
// every session; each session gets its own Bubble Tea program, dashboard,
// key state and lipgloss renderer (its own colour profile), and follows
// its window's size. The hub fans the pollers' news out to every session
// without ever waiting on one, so a slow or stalled client slows nobody
// else.
//
// Authentication is by public key only, from two files (see Keyring),
// and decided when the client's signature with a listed key has verified,
// never when a key is merely offered. Until then a connection counts
// against the caps on unauthenticated connections and is cut at
// AuthTimeout (conns.go). Viewers see everything and act on nothing;
// operators act through the shared service, audited with their key's
// fingerprint and comment.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/ui"
	"github.com/risktop/risktop/ui/clip"
	"github.com/risktop/risktop/ui/termnotify"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/words"
)

// Defaults for Options left zero.
const (
	DefaultAuthTimeout               = 30 * time.Second
	DefaultMaxUnauthenticated        = 100
	DefaultMaxUnauthenticatedPerAddr = 10
	DefaultGrace                     = 3 * time.Second
	DefaultFrameRate                 = 20
)

// Options build a Server. Everything above HostKey is shared by every
// session.
type Options struct {
	Store     store.Store
	Hub       *hub.Hub
	Control   ui.Control       // nil: the sources cannot be refreshed or re-paced
	Service   *actions.Service // nil: no actions for anyone, and no vendor reads
	Vendors   []vendorkit.Info // the registered vendors (sources/vendors.Infos), for every dashboard
	Title     string
	Demo      bool
	Faults    ui.SimFaults // the demo simulator's :fault switch; only operators may use it
	ExportDir string
	Log       *slog.Logger // the connection log goes here; never a session's screen
	// NotifyKind is the terminal notification each session starts with
	// (notify.terminal); Default is the bell.
	NotifyKind termnotify.Kind
	// NotifyMin is the severity from which a new alert notifies a
	// session's terminal (notify.min_severity).
	NotifyMin model.Level

	HostKey gossh.Signer
	Keys    *Keyring
	// IdleTimeout closes a session that has had no input for this long
	// (0: never). It counts key presses, not output: a dashboard that
	// keeps drawing does not keep an abandoned session open.
	IdleTimeout time.Duration
	MaxSessions int // 0: no limit
	// AuthTimeout closes a connection that has not authenticated (a
	// key's signature verified) this long after it was accepted.
	AuthTimeout time.Duration
	// MaxUnauthenticated and MaxUnauthenticatedPerAddr cap the
	// connections not yet authenticated, in all and from one address (an
	// IPv4 address, an IPv6 /64). A connection over either is closed at
	// accept, before the SSH version exchange. Authenticated connections
	// do not count.
	MaxUnauthenticated        int
	MaxUnauthenticatedPerAddr int
	// Grace is how long a session gets to quit and say goodbye before it
	// is killed, and then closed (a client that stopped reading).
	Grace     time.Duration
	FrameRate int // Bubble Tea's frames per second
}

// Server is the SSH server. Build it with New and run it with Serve.
type Server struct {
	o    Options
	log  *slog.Logger
	logs *logLimiter // the connection log's lines that a flood could multiply
	srv  *ssh.Server

	mu          sync.Mutex
	sessions    map[*session]struct{}
	conns       map[*trackedConn]struct{} // every connection, authenticated or not
	unauth      map[string]int            // connections not yet authenticated, by sourceOf
	unauthTotal int
	closing     bool
	connGone    chan struct{}  // a connection closed (buffered, one signal)
	handlers    sync.WaitGroup // session handlers still running
}

// Context keys. Values live in each connection's own context.
type (
	identityKey struct{ fp string } // the Identity of the key whose signature verified
	sessionKey  struct{}
)

// New builds the server. It needs a host key and a keyring; it never
// accepts a connection without a key from the keyring.
func New(o Options) (*Server, error) {
	if o.HostKey == nil {
		return nil, errors.New("remote: no host key")
	}
	if o.Keys == nil {
		return nil, errors.New("remote: no keyring: refusing to serve without public-key authentication")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.AuthTimeout <= 0 {
		o.AuthTimeout = DefaultAuthTimeout
	}
	if o.MaxUnauthenticated <= 0 {
		o.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if o.MaxUnauthenticatedPerAddr <= 0 {
		o.MaxUnauthenticatedPerAddr = DefaultMaxUnauthenticatedPerAddr
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.FrameRate <= 0 {
		o.FrameRate = DefaultFrameRate
	}
	s := &Server{o: o, log: o.Log, logs: newLogLimiter(o.Log), sessions: map[*session]struct{}{},
		conns: map[*trackedConn]struct{}{}, unauth: map[string]int{}, connGone: make(chan struct{}, 1)}
	srv, err := wish.NewServer(
		func(srv *ssh.Server) error { srv.AddHostKey(o.HostKey); return nil },
		wish.WithVersion("risktop"),
		// The only auth handler: with none at all the library lets
		// everyone in. It answers for a key offered; serverConfig's
		// VerifiedPublicKeyCallback decides once its signature verified.
		wish.WithPublicKeyAuth(s.auth),
		func(srv *ssh.Server) error { srv.ConnCallback = s.track; return nil },
		func(srv *ssh.Server) error { srv.ConnectionFailedCallback = s.handshakeFailed; return nil },
		// The library builds each connection's config from this, then
		// adds the host key and the public-key handler.
		func(srv *ssh.Server) error { srv.ServerConfigCallback = s.serverConfig; return nil },
		// The last listed runs first: admit (identity, limits, the
		// connection log, goodbyes), then activeterm (no PTY: refused),
		// then the program.
		wish.WithMiddleware(
			s.run,
			activeterm.Middleware(),
			s.admit,
		),
	)
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Serve accepts connections on ln until ctx ends, then says goodbye to
// every session, closes every connection and returns once every session
// has ended. An error means the listener failed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		errc <- err
	}
	s.shutdown()
	if serr := <-errc; err == nil && !errors.Is(serr, ssh.ErrServerClosed) {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("ssh server: %w", err)
	}
	return nil
}

// shutdown asks every session to quit and say goodbye, gives them Grace,
// then closes the listener and every connection and waits for the
// handlers.
func (s *Server) shutdown() {
	s.mu.Lock()
	s.closing = true
	live := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		live = append(live, ss)
	}
	s.mu.Unlock()
	if len(live) > 0 {
		s.log.Info("ssh server stopping", "sessions", len(live))
	}
	for _, ss := range live {
		ss.stop(endShutdown)
	}
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	t := time.NewTimer(3 * s.o.Grace)
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("ssh sessions still ending; closing their connections")
	}
	t.Stop()
	// The sessions have sent their goodbye and exit status; their clients
	// now hang up themselves. Closing a connection first, with the
	// client's last messages unread, resets it, and OpenSSH's client then
	// exits 255 instead of 0.
	s.awaitHangUps(s.o.Grace)
	_ = s.srv.Close()
	s.mu.Lock()
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns { // Close takes s.mu to forget the conn
		c.Close()
	}
	<-done
	s.logs.stop()
}

// awaitHangUps waits up to d for every connection to close.
func (s *Server) awaitHangUps(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-s.connGone:
		case <-t.C:
			return
		}
	}
}

// The algorithms offered: current ones only, none using SHA-1 (the x/crypto
// defaults still include diffie-hellman-group14-sha1, hmac-sha1,
// hmac-sha1-96 and ssh-rsa signatures). OpenSSH 6.5+ (2014) has
// curve25519 and chacha20-poly1305; an RSA key needs a client that signs
// with SHA-2 (OpenSSH 7.2+). Strict key exchange
// (kex-strict-s-v00@openssh.com, against Terrapin) is added by x/crypto to
// the key exchanges, and curve25519-sha256@libssh.org beside
// curve25519-sha256 (the same algorithm under its older name).
var (
	kexAlgorithms = []string{
		gossh.KeyExchangeMLKEM768X25519, // post-quantum hybrid
		gossh.KeyExchangeCurve25519,
		gossh.KeyExchangeECDHP256, gossh.KeyExchangeECDHP384, gossh.KeyExchangeECDHP521,
		gossh.KeyExchangeDH14SHA256, gossh.KeyExchangeDH16SHA512,
	}
	cipherAlgorithms = []string{
		gossh.CipherChaCha20Poly1305,
		gossh.CipherAES256GCM, gossh.CipherAES128GCM,
		gossh.CipherAES256CTR, gossh.CipherAES192CTR, gossh.CipherAES128CTR,
	}
	// Encrypt-then-MAC only; the AEAD ciphers above need none.
	macAlgorithms = []string{gossh.HMACSHA256ETM, gossh.HMACSHA512ETM}
	// Client signatures: SHA-2 RSA, ECDSA, Ed25519 (and security keys),
	// ML-DSA; not ssh-rsa, which signs with SHA-1.
	publicKeyAlgorithms = slices.DeleteFunc(gossh.SupportedAlgorithms().PublicKeyAuths, func(a string) bool { return a == gossh.KeyAlgoRSA })
)

// serverConfig is the start of each connection's SSH configuration.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		Config: gossh.Config{
			KeyExchanges: slices.Clone(kexAlgorithms),
			Ciphers:      slices.Clone(cipherAlgorithms),
			MACs:         slices.Clone(macAlgorithms),
		},
		PublicKeyAuthAlgorithms: slices.Clone(publicKeyAlgorithms),
		// Called only once the client has signed with the key: this, not
		// the key being offered, is authentication.
		VerifiedPublicKeyCallback: func(_ gossh.ConnMetadata, key gossh.PublicKey, perms *gossh.Permissions, _ string) (*gossh.Permissions, error) {
			return s.verified(ctx, key, perms)
		},
	}
}

// auth is the public-key handler, asked about a key the client offers,
// before (and whether or not) the client proves it holds it: it says
// whether the keyring knows the key, and records nothing else.
func (s *Server) auth(ctx ssh.Context, key ssh.PublicKey) bool {
	fp := gossh.FingerprintSHA256(key)
	_, ok := s.o.Keys.Lookup(key)
	if tc, _ := ctx.Value(connKey{}).(*trackedConn); tc != nil {
		tc.offer(fp, ok)
	}
	if !ok {
		s.logs.Info("key", "ssh key refused", "fingerprint", fp, "remote", ctx.RemoteAddr().String(), "user", cleanUser(ctx.User()))
	}
	return ok
}

// errAuthTooLate refuses a signature that came after the auth timeout.
var errAuthTooLate = errors.New("ssh: authentication timed out")

// verified is called once the client's signature with key has verified:
// the connection is authenticated, and the session's identity is the
// key's. The keyring is asked again: a file may have changed since the
// key was offered.
func (s *Server) verified(ctx ssh.Context, key gossh.PublicKey, perms *gossh.Permissions) (*gossh.Permissions, error) {
	id, ok := s.o.Keys.Lookup(key)
	if !ok {
		s.logs.Info("key", "ssh key refused", "fingerprint", gossh.FingerprintSHA256(key), "remote", ctx.RemoteAddr().String(), "user", cleanUser(ctx.User()))
		return nil, errors.New("ssh: permission denied")
	}
	if tc, _ := ctx.Value(connKey{}).(*trackedConn); tc == nil || !tc.authenticate() {
		return nil, errAuthTooLate
	}
	ctx.SetValue(identityKey{id.Fingerprint}, id)
	return perms, nil
}

// How a session ended, for the connection log.
const (
	endQuit       = "quit"
	endClosed     = "client closed the connection"
	endIdle       = "idle timeout"
	endShutdown   = "server shutdown"
	endNoPTY      = "refused: no terminal (PTY)"
	endFull       = "refused: too many sessions"
	endClosing    = "refused: server shutting down"
	endNoIdentity = "refused: no key identity"
)

// session is one SSH session's dashboard.
type session struct {
	srv    *Server
	sess   ssh.Session
	id     Identity
	out    *lockedWriter // the program's output and the clipboard's
	ended  chan struct{} // closed when the program has ended
	start  time.Time
	remote string

	last atomic.Int64 // unix nanos of the last input

	mu      sync.Mutex
	p       *tea.Program
	app     *ui.App
	reason  string // the first reason it was stopped; "" while running
	stopped bool
	timers  []*time.Timer // stop, idle: stopped when the handler ends
}

// admit is the outermost middleware: it names the session's key, refuses
// what must be refused before any UI starts, runs the rest, says goodbye,
// and writes the connection log line.
func (s *Server) admit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ss := &session{srv: s, sess: sess, out: &lockedWriter{w: sess}, ended: make(chan struct{}), start: time.Now(), remote: sess.RemoteAddr().String()}
		var ok bool
		if pk := sess.PublicKey(); pk != nil {
			ss.id, ok = sess.Context().Value(identityKey{gossh.FingerprintSHA256(pk)}).(Identity)
		}
		end := ""
		defer func() { s.logSession(ss, end) }()
		if !ok {
			end = endNoIdentity
			wish.Fatalln(sess, "risktop: this session has no key identity; reconnect")
			return
		}
		if _, _, pty := sess.Pty(); !pty {
			end = endNoPTY
			// activeterm says "Requires an active PTY" after this.
			how := "ssh HOST"
			if _, port, err := net.SplitHostPort(sess.LocalAddr().String()); err == nil && port != "22" {
				how = "ssh -p " + port + " HOST"
			}
			wish.Println(sess, "risktop serve shows the dashboard in a terminal: connect with plain "+how+" (or add -t), without a command or -T.")
			next(sess)
			return
		}
		if end = s.enter(ss); end != "" {
			msg := "risktop: the server is shutting down; try again shortly."
			if end == endFull {
				msg = fmt.Sprintf("risktop: %s open, the most this server allows; try again later, or ask its operator to raise serve.max_sessions.", words.Plural(s.o.MaxSessions, "session"))
			}
			wish.Fatalln(sess, msg)
			return
		}
		// Shutdown waits for this handler, goodbye and exit status included.
		defer s.handlers.Done()
		s.log.Info("ssh session start", "fingerprint", ss.id.Fingerprint, "comment", ss.id.Comment, "role", ss.id.Role.String(),
			"remote", ss.remote, "user", cleanUser(sess.User()))
		sess.Context().SetValue(sessionKey{}, ss)
		next(sess)
		end = ss.finish()
		switch end {
		case endShutdown:
			fmt.Fprint(ss.out, "risktop: the server is shutting down; goodbye.\r\n")
		case endIdle:
			fmt.Fprintf(ss.out, "risktop: closed after %s without a key press; goodbye.\r\n", s.o.IdleTimeout)
		}
		// Now, not after this handler: shutdown closes the connection as
		// soon as the handlers are done.
		_ = sess.Exit(0)
	}
}

// enter registers a session, or says why it cannot start.
func (s *Server) enter(ss *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return endClosing
	case s.o.MaxSessions > 0 && len(s.sessions) >= s.o.MaxSessions:
		return endFull
	}
	s.sessions[ss] = struct{}{}
	s.handlers.Add(1)
	return ""
}

// finish runs once the program has ended: it leaves the hub, stops the
// session's timers, unregisters it, and returns how it ended.
func (ss *session) finish() string {
	ss.mu.Lock()
	app, reason := ss.app, ss.reason
	ss.stopped = true
	for _, t := range ss.timers {
		t.Stop()
	}
	ss.mu.Unlock()
	close(ss.ended)
	if app != nil {
		app.Close()
	}
	if reason == "" {
		reason = endQuit
		if ss.sess.Context().Err() != nil {
			reason = endClosed
		}
	}
	s := ss.srv
	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
	return reason
}

func (s *Server) logSession(ss *session, end string) {
	s.log.Info("ssh session", "fingerprint", ss.id.Fingerprint, "comment", ss.id.Comment, "role", ss.id.Role.String(),
		"remote", ss.remote, "duration", time.Since(ss.start).Round(time.Millisecond), "sent", ss.out.sent.Load(), "end", end)
}

// run runs the session's program. It stands in for wish's bubbletea
// middleware, whose resize forwarder calls Program.Send on the goroutine
// that reads window changes: while a client is not reading, the program
// is stuck on a full SSH window, Send blocks, the session stops taking
// requests, and the connection's packet loop blocks on that session's
// request queue, so it can no longer take the window adjustments that
// would unstick the program, nor notice the connection closing; the
// session then never ends. Here window changes are drained at once and
// only the newest size is forwarded.
func (s *Server) run(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ss, _ := sess.Context().Value(sessionKey{}).(*session)
		p := s.program(sess, ss)
		if p == nil {
			next(sess)
			return
		}
		_, winch, _ := sess.Pty()
		done := make(chan struct{})
		var latest atomic.Pointer[ssh.Window]
		kick := make(chan struct{}, 1)
		// Until the session's requests end (winch closes), never blocking.
		go func() {
			for w := range winch {
				latest.Store(&w)
				select {
				case kick <- struct{}{}:
				default:
				}
			}
		}()
		go func() {
			for {
				select {
				case <-done:
					return
				case <-sess.Context().Done():
					ss.stop(endClosed)
					return
				case <-kick:
					w := latest.Load()
					p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height}) // returns once the program ends
				}
			}
		}()
		if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			s.log.Warn("ssh session program", "fingerprint", ss.id.Fingerprint, "err", err)
		}
		close(done)
		p.Kill() // restores the terminal modes if the program crashed
		next(sess)
	}
}

// program builds the session's dashboard and its Bubble Tea program.
func (s *Server) program(sess ssh.Session, ss *session) *tea.Program {
	if ss == nil {
		return nil
	}
	r := renderer(sess)
	deps := ui.Deps{
		Store:     s.o.Store,
		Hub:       s.o.Hub,
		Vendors:   s.o.Vendors,
		Theme:     theme.New(r),
		Title:     s.o.Title,
		Demo:      s.o.Demo,
		Faults:    s.o.Faults,
		ExportDir: s.o.ExportDir,
		Actor:     actions.SSHActor(ss.id.Fingerprint, ss.id.Comment),
		Clipboard: clip.New(ss.out, envOf(sess)),
		Log:       s.log.With("ssh", ss.id.Fingerprint),
		// ss.out already writes whole: a note lands between two frames.
		Notify:    termnotify.New(ss.out, s.o.NotifyKind, envOf(sess)).Send,
		NotifyMin: s.o.NotifyMin,
	}
	if ss.id.Role != RoleOperator {
		deps.Exports = ui.ViewerExports() // the jump host's disk is shared: a viewer's exports are limited
	}
	if s.o.Control != nil {
		deps.Control = s.o.Control
		if ss.id.Role != RoleOperator {
			deps.Control = viewerControl{s.o.Control}
		}
	}
	if svc := s.o.Service; svc != nil {
		if ss.id.Role == RoleOperator {
			deps.Actions, deps.ReadOnly = svc, svc.ReadOnly()
		} else {
			deps.Actions, deps.ReadOnly = svc.Viewer(), true
		}
	}
	// The dashboard's timers end with the session: Bubble Tea never
	// cancels a command, and a tick per data change waits up to a minute.
	deps.After = func(d time.Duration, msg tea.Msg) tea.Cmd {
		return func() tea.Msg {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return msg
			case <-ss.ended:
				return nil
			}
		}
	}
	app := ui.New(deps)
	ss.touch()
	p := tea.NewProgram(app,
		tea.WithInput(inputMeter{r: sess, touch: ss.touch}),
		tea.WithOutput(ss.out),
		tea.WithAltScreen(),
		tea.WithFPS(s.o.FrameRate),
		// The server's signals are the server's: Serve says goodbye.
		tea.WithoutSignalHandler(),
		tea.WithEnvironment(sess.Environ()),
	)
	if !ss.attach(p, app) {
		app.Close()
		return nil // stopped while it was being built
	}
	return p
}

// attach records the program; false when the session was stopped first.
func (ss *session) attach(p *tea.Program, app *ui.App) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.stopped {
		return false
	}
	ss.p, ss.app = p, app
	if d := ss.srv.o.IdleTimeout; d > 0 {
		var t *time.Timer
		t = time.AfterFunc(d, func() {
			idle := time.Since(time.Unix(0, ss.last.Load()))
			if idle >= d {
				ss.stop(endIdle)
				return
			}
			ss.mu.Lock()
			if !ss.stopped {
				t.Reset(d - idle)
			}
			ss.mu.Unlock()
		})
		ss.timers = append(ss.timers, t)
	}
	return true
}

func (ss *session) touch() { ss.last.Store(time.Now().UnixNano()) }

// stop ends the session's program: Quit, then Kill after Grace, then the
// session itself is closed after another Grace (a client that stopped
// reading holds the program's writes until then).
func (ss *session) stop(reason string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.reason == "" {
		ss.reason = reason
	}
	if ss.stopped {
		return
	}
	ss.stopped = true
	p := ss.p
	if p == nil {
		return // not built yet: program() sees stopped and builds nothing
	}
	g := ss.srv.o.Grace
	go p.Quit() // blocks while the program is busy; Kill releases it
	ss.timers = append(ss.timers,
		time.AfterFunc(g, p.Kill),
		time.AfterFunc(2*g, func() { ss.sess.Close() }))
}

// renderer is the session's own lipgloss renderer, its colour profile
// from the client's TERM and environment (COLORTERM, NO_COLOR, …) as
// bm.MakeRenderer derives it, but without MakeRenderer's background-colour
// query: on wish's emulated PTY the query's reader cannot be cancelled, so
// its timeout never fires, and a client whose terminal does not answer
// OSC 11 or DA1 saw nothing until its first key press, which the query
// swallowed (ui/remote's tests reproduce it with x/crypto/ssh's client).
// The theme's colours are fixed, so the answer would go unused anyway; the
// background is set so that nothing ever asks.
func renderer(sess ssh.Session) *lipgloss.Renderer {
	pty, _, _ := sess.Pty()
	if pty.Term == "" || pty.Term == "dumb" {
		r := lipgloss.NewRenderer(sess, termenv.WithProfile(termenv.Ascii))
		r.SetHasDarkBackground(true)
		return r
	}
	r := lipgloss.NewRenderer(sess, termenv.WithEnvironment(environ(sess.Environ())), termenv.WithUnsafe())
	r.SetHasDarkBackground(true)
	return r
}

// environ is a session's environment for termenv (Environ ends with the
// PTY's TERM).
type environ []string

func (e environ) Environ() []string { return e }

func (e environ) Getenv(k string) string {
	for i := len(e) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(e[i], k+"="); ok {
			return v
		}
	}
	return ""
}

// inputMeter notes when the client last typed, for the idle timeout.
type inputMeter struct {
	r     io.Reader
	touch func()
}

func (m inputMeter) Read(b []byte) (int, error) {
	n, err := m.r.Read(b)
	if n > 0 {
		m.touch()
	}
	return n, err
}

// lockedWriter serialises the program's frames and the clipboard's OSC 52
// writes, so a copy never lands inside a frame.
type lockedWriter struct {
	mu    sync.Mutex
	w     io.Writer
	since atomic.Int64 // unix nanos when the write in progress began; 0: none
	sent  atomic.Int64 // bytes written
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since.Store(time.Now().UnixNano())
	n, err := l.w.Write(b)
	l.since.Store(0)
	l.sent.Add(int64(n))
	return n, err
}

// stalled is how long the write in progress has waited (0: none): a
// client that stopped reading holds it once its SSH window is full.
func (l *lockedWriter) stalled() time.Duration {
	if t := l.since.Load(); t != 0 {
		return time.Since(time.Unix(0, t))
	}
	return 0
}

// envOf reads the session's environment (what the client sent, and TERM).
func envOf(sess ssh.Session) func(string) string { return environ(sess.Environ()).Getenv }

// cleanUser is the login name for the log; clients choose it freely.
func cleanUser(u string) string {
	if len(u) > 64 {
		u = u[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, u)
}

// viewerControl lets a viewer refresh the sources but not re-pace them:
// the intervals are every session's, and the vendors' budgets are shared.
type viewerControl struct{ c ui.Control }

func (v viewerControl) Refresh(source string) { v.c.Refresh(source) }

// Scale leaves the intervals as they are and reports them.
func (v viewerControl) Scale(float64) map[string]time.Duration { return v.c.Scale(1) }
