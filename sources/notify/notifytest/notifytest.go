// Package notifytest has receivers for the notify package's tests, on
// loopback: a webhook (httptest) that can answer 503 for a while, TCP and
// UDP syslog collectors that can go down (listener and connections
// closed) and come back on the same address, and a clock whose timers
// fire only when the test moves it.
package notifytest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Received is what a receiver got: each message's id, in arrival order.
type Received struct {
	mu   sync.Mutex
	ids  []string
	raw  []string
	note chan struct{}
}

func newReceived() *Received { return &Received{note: make(chan struct{}, 1)} }

func (r *Received) add(id, raw string) {
	r.mu.Lock()
	r.ids = append(r.ids, id)
	r.raw = append(r.raw, raw)
	r.mu.Unlock()
	select {
	case r.note <- struct{}{}:
	default:
	}
}

// IDs are the ids received, in order, duplicates included.
func (r *Received) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// Raw are the bodies (webhook) or lines (syslog) received, in order.
func (r *Received) Raw() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.raw...)
}

// WaitFor blocks until n messages have arrived, or fails the test after
// a generous real-time bound (a hung sender, not a timing assumption).
func (r *Received) WaitFor(t testing.TB, n int) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if ids := r.IDs(); len(ids) >= n {
			return ids
		}
		select {
		case <-r.note:
		case <-deadline:
			t.Fatalf("received %v, waited for %d", r.IDs(), n)
		}
	}
}

// Webhook is an httptest server that records each POST's JSON "id" (or,
// for Slack's form, the id in its last block) and its Idempotency-Key.
type Webhook struct {
	*Received
	Server *httptest.Server

	mu      sync.Mutex
	status  int // 0: 200
	after   string
	body    string // answered with a failing status
	headers []http.Header
}

// NewWebhook starts one; it stops with the test.
func NewWebhook(t testing.TB) *Webhook {
	w := &Webhook{Received: newReceived()}
	w.Server = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.Server.Close)
	return w
}

// Answer makes every request get status (0: 200 OK), with a Retry-After
// when retryAfter is not "".
func (w *Webhook) Answer(status int, retryAfter string) { w.AnswerBody(status, retryAfter, "") }

// AnswerBody is Answer with a body for failing statuses (Slack's
// "invalid_payload", say).
func (w *Webhook) AnswerBody(status int, retryAfter, body string) {
	w.mu.Lock()
	w.status, w.after, w.body = status, retryAfter, body
	w.mu.Unlock()
}

// Headers are the headers of every request that got a 2xx.
func (w *Webhook) Headers() []http.Header {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]http.Header(nil), w.headers...)
}

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	w.mu.Lock()
	status, after, answer := w.status, w.after, w.body
	if status == 0 || status/100 == 2 {
		w.headers = append(w.headers, r.Header.Clone())
	}
	w.mu.Unlock()
	if status != 0 && status/100 != 2 {
		if after != "" {
			rw.Header().Set("Retry-After", after)
		}
		rw.WriteHeader(status)
		_, _ = io.WriteString(rw, answer)
		return
	}
	var m struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &m)
	id := m.ID
	if id == "" {
		id = r.Header.Get("Idempotency-Key")
	}
	w.add(id, string(body))
	if status != 0 {
		rw.WriteHeader(status)
	}
}

// sdID finds the id parameter in a syslog line's structured data.
var sdID = regexp.MustCompile(`\[risktop@32473 id="((?:[^"\\]|\\.)*)"`)

func idOf(line string) string {
	if m := sdID.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}

// Syslog is a collector on loopback: TCP with octet-counting framing
// (RFC 6587 §3.4.1), TLS framed the same (RFC 5425 §4.3), or UDP, one
// message a datagram.
type Syslog struct {
	*Received
	network, addr string
	tlsConfig     *tls.Config // tls: the server's
	// Roots trust the collector's certificate (tls only).
	Roots *x509.CertPool

	mu    sync.Mutex
	ln    net.Listener
	pc    net.PacketConn
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// NewSyslog starts a collector on 127.0.0.1 ("tcp", "tls" or "udp"); it
// stops with the test.
func NewSyslog(t testing.TB, network string) *Syslog {
	s := &Syslog{Received: newReceived(), network: network, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	if network == "tls" {
		s.tlsConfig, s.Roots = selfSigned(t)
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Down)
	return s
}

// Address is the collector's address as notify takes it (tcp://…).
func (s *Syslog) Address() string { return s.network + "://" + s.addr }

// Up listens (again) on the collector's address.
func (s *Syslog) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.network == "udp" {
		pc, err := net.ListenPacket("udp", s.addr)
		if err != nil {
			return err
		}
		s.pc, s.addr = pc, pc.LocalAddr().String()
		s.wg.Go(func() { s.readPackets(pc) })
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.addr = ln.Addr().String()
	if s.tlsConfig != nil {
		ln = tls.NewListener(ln, s.tlsConfig)
	}
	s.ln = ln
	s.wg.Go(func() { s.accept(ln) })
	return nil
}

// Down closes the listener and every connection, and waits for the
// readers to end: what was fully received is recorded, nothing after.
func (s *Syslog) Down() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	if s.pc != nil {
		s.pc.Close()
		s.pc = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Syslog) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.ln != ln { // went down meanwhile
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.readFrames(c)
		})
	}
}

// readFrames reads "MSG-LEN SP SYSLOG-MSG" frames.
func (s *Syslog) readFrames(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		n, err := r.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
		if err != nil || size <= 0 || size > 1<<20 {
			return
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		s.add(idOf(string(buf)), string(buf))
	}
}

func (s *Syslog) readPackets(pc net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		line := string(buf[:n])
		s.add(idOf(line), line)
	}
}

// Clock is a fake clock: Now stands still until Advance, and a timer
// fires once Advance has passed its deadline.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

type timer struct {
	at   time.Time
	c    chan time.Time
	done bool
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer is notify.Options.NewTimer's form.
func (c *Clock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.done = true
		t.c <- c.now
	} else {
		c.timers = append(c.timers, t)
	}
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.done
		t.done = true
		return was
	}
}

// Advance moves the clock by d and fires the timers it passes.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(c.now):
			t.done = true
			t.c <- c.now
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// selfSigned is a certificate for 127.0.0.1, and a pool that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "notifytest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
