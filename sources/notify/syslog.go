package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/risktop/risktop/model"
)

// Syslog sends each message as one RFC 5424 line ("The Syslog Protocol",
// https://www.rfc-editor.org/rfc/rfc5424):
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ELEMENT] BOM MSG
//
// over UDP (one message a datagram, RFC 5426 §3.1), TCP (octet-counting
// framing, "MSG-LEN SP SYSLOG-MSG", RFC 6587 §3.4.1) or TLS (RFC 5425,
// whose §4.3 frames the same way).

// Facility is a syslog facility (RFC 5424 §6.2.1, table 1).
type Facility int

// DefaultFacility is local0. The local-use facilities (16–23) are the
// ones RFC 5424 leaves to a site's own applications, so a collector
// routes them by its own rules; auth (4) and authpriv (10) belong to the
// host's login subsystems, and mixing alerts into them muddles both.
const DefaultFacility Facility = 16

var facilities = map[string]Facility{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "audit": 13, "alert": 14, "clock": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// ParseFacility reads a facility's name (local0 … local7, auth, …).
func ParseFacility(s string) (Facility, bool) {
	f, ok := facilities[strings.ToLower(strings.TrimSpace(s))]
	return f, ok
}

// FacilityNames are the names ParseFacility takes, for messages.
func FacilityNames() []string {
	names := make([]string, len(facilities))
	for n, f := range facilities {
		names[f] = n
	}
	return names
}

// severityCode maps a message's level onto RFC 5424's severities
// (§6.2.1, table 2): critical → 2 Critical, high → 3 Error, medium → 4
// Warning, low (and anything less) → 5 Notice. None is an emergency or
// an alert (0, 1): those mean the system itself is unusable.
func severityCode(l model.Level) int {
	switch l {
	case model.LevelCritical:
		return 2
	case model.LevelHigh:
		return 3
	case model.LevelMedium:
		return 4
	}
	return 5
}

// sdID names risktop's structured data. RFC 5424 §7.2.2 (and §6.3.2)
// makes a private SD-ID name@<private enterprise number>; 32473 is the
// number reserved for documentation and examples (RFC 5612), which a
// collector keys on like any other.
const sdID = "risktop@32473"

// maxUDP is the most a datagram carries: RFC 5426 §3.2 has receivers take
// 2048 octets (SHOULD) over IPv4 and IPv6 alike; the message is cut to
// fit.
const maxUDP = 2048

// Header are the line's fixed parts.
type Header struct {
	Facility Facility
	Hostname string // "" : "-"
	AppName  string // "" : risktop
	ProcID   string // "" : "-"
}

// Line is m as one RFC 5424 message, without framing. maxLen > 0 cuts
// the MSG part so the line fits in maxLen octets.
func Line(h Header, m Message, maxLen int) string {
	var b strings.Builder
	pri := int(h.Facility)*8 + severityCode(m.Severity)
	app := h.AppName
	if app == "" {
		app = "risktop"
	}
	// §6.2: VERSION 1; §6.2.3 the timestamp (RFC 3339, UTC here); §6.2.4–
	// §6.2.7 printable US-ASCII fields, "-" when empty; MSGID says what
	// kind of message (§6.2.7: "SHOULD identify the type of message"),
	// and the message's own id is in the structured data.
	fmt.Fprintf(&b, "<%d>1 %s %s %s %s %s ", pri, m.At.UTC().Format(timeFormat),
		header(h.Hostname, 255), header(app, 48), header(h.ProcID, 128), "alert")
	b.WriteString("[" + sdID)
	param := func(name, value string) {
		b.WriteString(" " + sdName(name) + `="` + sdEscape(value) + `"`)
	}
	param("id", m.ID)
	param("severity", m.Severity.String())
	if m.Response != "" {
		param("response", m.Response)
	}
	for _, k := range m.fieldNames() {
		switch sdName(k) {
		case "id", "severity", "response":
			continue // ours
		}
		param(k, m.Fields[k])
	}
	b.WriteString("]")
	msg := m.Title
	if m.Text != "" {
		msg += ": " + strings.Join(strings.Fields(m.Text), " ")
	}
	// §6.4: a UTF-8 MSG starts with the BOM.
	const bom = "\xEF\xBB\xBF"
	head := b.String()
	if maxLen > 0 && len(head)+1+len(bom)+len(msg) > maxLen {
		room := max(maxLen-len(head)-1-len(bom), 0)
		msg = cutBytes(msg, room)
	}
	return head + " " + bom + msg
}

// header is a header field: printable US-ASCII (33–126), at most max
// octets, "-" (NILVALUE) when nothing is left.
func header(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 33 || r > 126 {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
	}
	if s == "" {
		return "-"
	}
	return s
}

// sdName is a PARAM-NAME (§6.3.3): 1–32 printable US-ASCII characters
// but '=', SP, ']' and '"'; anything else becomes '_'.
func sdName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == 32 {
			break
		}
		if r < 33 || r > 126 || r == '=' || r == ']' || r == '"' {
			r = '_'
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// sdEscaper escapes a PARAM-VALUE: §6.3.3 has '"', '\' and ']' written
// with a backslash before them.
var sdEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)

func sdEscape(s string) string { return sdEscaper.Replace(s) }

// cutBytes cuts s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SyslogOptions configure a Syslog sender.
type SyslogOptions struct {
	// Address is udp://host:port, tcp://host:port or tls://host:port.
	Address  string
	Facility Facility
	Hostname string // default os.Hostname
	// TLS configures tls:// (nil: the system's roots, the address's host
	// as the server name).
	TLS     *tls.Config
	Timeout time.Duration // dial and write; 0: 10s
}

// Syslog sends messages to one collector, over one connection kept open
// between messages (re-dialled when it broke).
type Syslog struct {
	o       SyslogOptions
	network string // udp, tcp, tls
	host    string // host:port
	head    Header

	mu   sync.Mutex
	conn net.Conn
}

// NewSyslog checks the address.
func NewSyslog(o SyslogOptions) (*Syslog, error) {
	u, err := url.Parse(o.Address)
	if err != nil || u.Host == "" || u.Path != "" || u.User != nil {
		return nil, fmt.Errorf("syslog: the address must be udp://, tcp:// or tls:// and a host:port, like tcp://127.0.0.1:6514")
	}
	switch u.Scheme {
	case "udp", "tcp", "tls":
	default:
		return nil, fmt.Errorf("syslog: scheme %q is not udp, tcp or tls", u.Scheme)
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
		return nil, fmt.Errorf("syslog: %s has no port; write host:port, like %s://127.0.0.1:6514", u.Host, u.Scheme)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	host := o.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	return &Syslog{o: o, network: u.Scheme, host: u.Host,
		head: Header{Facility: o.Facility, Hostname: host, ProcID: strconv.Itoa(os.Getpid())}}, nil
}

func (s *Syslog) Name() string  { return "syslog" }
func (s *Syslog) Where() string { return s.network + "://" + s.host }

// Send writes m as one datagram, or one framed message on the stream.
// Over TCP and TLS a connection the collector closed is noticed before
// writing (a write into it would be taken by the kernel and lost), and
// the message is retried on a new one; a write that fails is retried.
// UDP has no answer: a datagram written is delivered as far as risktop
// can know.
func (s *Syslog) Send(ctx context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && s.network != "udp" && closedByPeer(s.conn) {
		s.drop()
	}
	if s.conn == nil {
		c, err := s.dial(ctx)
		if err != nil {
			return retryErr("syslog "+s.Where()+": "+netWords(err), 0)
		}
		s.conn = c
	}
	var frame string
	if s.network == "udp" {
		frame = Line(s.head, m, maxUDP)
	} else {
		line := Line(s.head, m, 0)
		frame = strconv.Itoa(len(line)) + " " + line
	}
	deadline := time.Now().Add(s.o.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = s.conn.SetWriteDeadline(deadline)
	if _, err := io.WriteString(s.conn, frame); err != nil {
		s.drop()
		return retryErr("syslog "+s.Where()+": "+netWords(err), 0)
	}
	return nil
}

func (s *Syslog) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{Timeout: s.o.Timeout}
	if s.network != "tls" {
		return d.DialContext(ctx, s.network, s.host)
	}
	cfg := s.o.TLS
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", s.host)
}

func (s *Syslog) drop() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// Close closes the connection.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop()
	return nil
}

// closedByPeer reports whether the collector closed c: a collector never
// writes, so a read that does not time out at once means EOF or a reset.
func closedByPeer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := c.Read(b[:])
	_ = c.SetReadDeadline(time.Time{})
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}
