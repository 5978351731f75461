package remote

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/sources/sanitize"
)

// A connection is unauthenticated from its accept until a key's signature
// has verified (verified): while it is, it counts against the caps
// (MaxUnauthenticated, MaxUnauthenticatedPerAddr) and the auth timeout
// runs. Offering a key is not authenticating: the SSH library asks the
// public-key handler about a key before the client has proved it holds
// it, and anyone can offer a listed key (public keys are public).

// connKey holds a connection's *trackedConn in its context.
type connKey struct{}

// track is the connection callback, called at accept, before the SSH
// version exchange. It refuses a connection over the caps (the library
// closes it), records every other one, so shutdown can close those still
// in the handshake, and closes one that has not authenticated within
// AuthTimeout.
func (s *Server) track(ctx ssh.Context, c net.Conn) net.Conn {
	src := sourceOf(c.RemoteAddr())
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	var kind, why string
	var limit int
	switch {
	case s.unauth[src] >= s.o.MaxUnauthenticatedPerAddr:
		kind, why, limit = "refused-addr", "too many connections still logging in from "+src, s.o.MaxUnauthenticatedPerAddr
	case s.unauthTotal >= s.o.MaxUnauthenticated:
		kind, why, limit = "refused-total", "too many connections still logging in, in all", s.o.MaxUnauthenticated
	}
	if kind != "" {
		s.mu.Unlock()
		s.logs.Info(kind, "ssh connection refused", "remote", c.RemoteAddr().String(), "reason", why, "limit", limit)
		return nil
	}
	tc := &trackedConn{Conn: c, srv: s, src: src, start: time.Now()}
	s.unauth[src]++
	s.unauthTotal++
	s.conns[tc] = struct{}{}
	tc.mu.Lock()
	tc.timer = time.AfterFunc(s.o.AuthTimeout, tc.authTimeout)
	tc.mu.Unlock()
	s.mu.Unlock()
	ctx.SetValue(connKey{}, tc)
	return tc
}

// release gives back src's slot among the unauthenticated; s.mu is held.
func (s *Server) release(src string) {
	if s.unauth[src]--; s.unauth[src] <= 0 {
		delete(s.unauth, src)
	}
	s.unauthTotal--
}

// sourceOf is what the per-address cap counts by: the IPv4 address, or
// the IPv6 /64 (one host commonly has a whole /64).
func sourceOf(a net.Addr) string {
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return a.String()
		}
		ip = net.ParseIP(host)
		if ip == nil {
			return host
		}
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// trackedConn is a connection from accept to close.
type trackedConn struct {
	net.Conn
	srv   *Server
	src   string // sourceOf its remote address
	start time.Time

	mu       sync.Mutex
	timer    *time.Timer // the auth timeout
	authed   bool        // a key's signature verified: no longer counted
	timedOut bool        // cut at the auth timeout: too late to authenticate
	closed   bool
	offered  string // the fingerprint of the last key offered, for the log
	known    bool   // whether the keyring knew it
}

// offer notes a key the client offered (not necessarily holds).
func (c *trackedConn) offer(fingerprint string, known bool) {
	c.mu.Lock()
	c.offered, c.known = fingerprint, known
	c.mu.Unlock()
}

// authenticate marks the connection authenticated, its key's signature
// verified: the auth timeout stops and its slot among the
// unauthenticated frees. false: too late, the connection was cut.
func (c *trackedConn) authenticate() bool {
	c.mu.Lock()
	if c.closed || c.timedOut {
		c.mu.Unlock()
		return false
	}
	first := !c.authed
	c.authed = true
	c.timer.Stop()
	c.mu.Unlock()
	if first {
		c.srv.mu.Lock()
		c.srv.release(c.src)
		c.srv.mu.Unlock()
	}
	return true
}

// authTimeout cuts a connection still unauthenticated.
func (c *trackedConn) authTimeout() {
	c.mu.Lock()
	if c.authed || c.closed {
		c.mu.Unlock()
		return
	}
	c.timedOut = true
	offered, known := c.offered, c.known
	c.mu.Unlock()
	args := []any{"remote", c.RemoteAddr().String(), "after", c.srv.o.AuthTimeout}
	if offered != "" {
		// A listed key offered and never signed for: someone who has the
		// public key, not (or not yet) the private one.
		args = append(args, "offered", offered, "offered_listed", known)
	}
	c.srv.logs.Info("timeout", "ssh connection closed before authenticating", args...)
	c.Close()
}

// Close closes the connection and forgets it; the library, the auth
// timeout and shutdown all call it.
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return err
	}
	c.closed = true
	authed := c.authed
	c.timer.Stop()
	c.mu.Unlock()
	s := c.srv
	s.mu.Lock()
	delete(s.conns, c)
	if !authed {
		s.release(c.src)
	}
	s.mu.Unlock()
	select {
	case s.connGone <- struct{}{}:
	default:
	}
	return err
}

// handshakeFailed logs why a connection's SSH handshake failed, when that
// is news: not for a client that hung up, a connection cut at the auth
// timeout or at shutdown, nor a key refused (logged as such). What is
// left is mostly a client with no algorithm in common with the server.
func (s *Server) handshakeFailed(c net.Conn, err error) {
	var authErr *gossh.ServerAuthError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.As(err, &authErr),
		strings.HasPrefix(err.Error(), "ssh: disconnect"):
		return
	}
	// The message may quote the client's algorithm lists.
	s.logs.Info("handshake", "ssh handshake failed", "remote", c.RemoteAddr().String(), "err", sanitize.LineN(err.Error(), 400))
}
