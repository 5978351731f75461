package config

import (
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/secret"
)

// Notify is the notify: section (issue 16): where new alerts are sent
// besides the dashboard. Absent, the terminal rings its bell and nothing
// else is sent.
type Notify struct {
	// MinSeverity is the least severe alert sent to the webhook and
	// syslog (default high).
	MinSeverity model.Level
	// Terminal is the terminal notification each operator starts with:
	// bell, osc9, osc777 or off (default bell).
	Terminal string
	Webhook  *Webhook // nil: none
	Syslog   *Syslog  // nil: none
}

// Webhook is notify.webhook.
type Webhook struct {
	URL     secret.Value // carries a token (Slack's do): never shown
	Where   string       // scheme://host, what may be shown
	Format  string       // json or slack
	Headers map[string]secret.Value
	Timeout time.Duration
}

// Syslog is notify.syslog.
type Syslog struct {
	Address  string // udp://, tcp:// or tls:// host:port
	Facility string // a facility's name, checked
	CAFile   string // tls:// only: the collector's CA (PEM); "" for the system's
}

// Defaults and limits of notify:.
const (
	DefaultNotifyTerminal = "bell"
	DefaultWebhookTimeout = 10 * time.Second
	MaxWebhookTimeout     = 2 * time.Minute
	DefaultSyslogFacility = "local0"
)

var (
	notifyKeys  = []string{"min_severity", "terminal", "webhook", "syslog"}
	webhookKeys = []string{"url", "url_file", "format", "headers", "timeout"}
	syslogKeys  = []string{"address", "facility", "ca_file"}
	// TerminalKinds are the terminal: values.
	TerminalKinds  = []string{"bell", "osc9", "osc777", "off"}
	webhookFormats = []string{"json", "slack"}
	severities     = []string{"low", "medium", "high", "critical"}
	// SyslogFacilities are the facility: names (RFC 5424 §6.2.1).
	SyslogFacilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
		"authpriv", "ftp", "ntp", "audit", "alert", "clock",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
)

// notifyHints answer keys written one level too high.
var notifyHints = map[string]string{
	"url":      "belongs under webhook:, indented",
	"format":   "belongs under webhook:, indented",
	"address":  "belongs under syslog:, indented",
	"facility": "belongs under syslog:, indented",
	"bell":     "write terminal: bell",
}

// notify reads the notify: section; absent keys take the defaults.
func (d *decoder) notify(top map[string]entry) Notify {
	out := Notify{MinSeverity: model.LevelHigh, Terminal: DefaultNotifyTerminal}
	e, ok := top["notify"]
	if !ok {
		return out
	}
	m := d.mapping("notify", e.val, notifyKeys, notifyHints, "a mapping of notification settings (min_severity:, terminal:, webhook:, syslog:)")
	if m == nil {
		return out
	}
	s := section{d: d, path: "notify", at: e.key, m: m}
	if v, n, ok := s.str("min_severity"); ok && n != nil {
		if l, known := model.ParseLevel(v); known && slices.Contains(severities, strings.ToLower(v)) {
			out.MinSeverity = l
		} else {
			d.add(n, "notify.min_severity", "%s is not a severity; use %s", d.quoted("notify.min_severity", v, 20), list(severities, "or"))
		}
	}
	if v, n, ok := s.str("terminal"); ok && n != nil {
		if slices.Contains(TerminalKinds, strings.ToLower(v)) {
			out.Terminal = strings.ToLower(v)
		} else {
			d.add(n, "notify.terminal", "%s is not a terminal notification; use %s", d.quoted("notify.terminal", v, 20), list(TerminalKinds, "or"))
		}
	}
	if w, ok := m["webhook"]; ok {
		out.Webhook = d.webhook(w)
	}
	if sl, ok := m["syslog"]; ok {
		out.Syslog = d.syslog(sl)
	}
	return out
}

func (d *decoder) webhook(e entry) *Webhook {
	const path = "notify.webhook"
	m := d.mapping(path, e.val, webhookKeys, nil, "a mapping of the webhook's settings (url:, format:, headers:, timeout:)")
	if m == nil {
		return nil
	}
	s := section{d: d, path: path, at: e.key, m: m}
	before := len(d.probs)
	out := &Webhook{Format: "json", Timeout: DefaultWebhookTimeout}
	u, given := s.secret("url", true, false, "the webhook's URL")
	if given && !u.IsZero() {
		out.Where = d.webhookURL(s, u)
	}
	out.URL = u
	if v, n, ok := s.str("format"); ok && n != nil {
		if slices.Contains(webhookFormats, strings.ToLower(v)) {
			out.Format = strings.ToLower(v)
		} else {
			d.add(n, path+".format", "%s is not a webhook format; use json (risktop's own) or slack (an incoming webhook's)", d.quoted(path+".format", v, 20))
		}
	}
	if v, n, ok := s.duration("timeout"); ok {
		if v < time.Second || v > MaxWebhookTimeout {
			d.add(n, path+".timeout", "%s is out of range; use 1s to %s", d.val(path+".timeout", FormatDuration(v)), FormatDuration(MaxWebhookTimeout))
		} else {
			out.Timeout = v
		}
	}
	if h, ok := m["headers"]; ok {
		out.Headers = d.headers(h)
	}
	if len(d.probs) > before {
		return nil
	}
	return out
}

// webhookURL checks the URL without ever quoting it (a Slack webhook's
// path is its token) and returns what may be shown of it.
func (d *decoder) webhookURL(s section, v secret.Value) string {
	path := s.path + ".url"
	n := resolve(s.m["url"].val)
	if f, ok := s.m["url_file"]; ok {
		n, path = resolve(f.val), s.path+".url_file"
	}
	u, err := url.Parse(v.Reveal())
	switch {
	case err != nil:
		d.add(n, path, "is not a valid URL (the value is not shown: it holds the webhook's token); write it like https://hooks.example.com/…")
		return ""
	case u.Scheme != "https" && u.Scheme != "http":
		d.add(n, path, "must start with https:// (the value is not shown: it holds the webhook's token)")
		return ""
	case u.Host == "":
		d.add(n, path, "has no host (the value is not shown: it holds the webhook's token); write it like https://hooks.example.com/…")
		return ""
	case u.User != nil:
		d.add(n, path, "must not carry a user and password; put credentials in headers:")
		return ""
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		d.warn(n, path, "plain http sends every alert, and the URL's token, unencrypted to %s; use https://", u.Host)
	}
	return u.Scheme + "://" + u.Host
}

// headers reads header names and their values (secrets: "${VAR}", or
// literal, which counts as a literal secret in the file).
func (d *decoder) headers(e entry) map[string]secret.Value {
	const path = "notify.webhook.headers"
	n := resolve(e.val)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "expected a mapping of header names to values, found %s", kindName(n))
		return nil
	}
	out := map[string]secret.Value{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		name := k.Value
		kp := path + "." + shownKey(name)
		switch {
		case k.Kind != yaml.ScalarNode || !isToken(name):
			d.add(k, path, "%s is not a header name (letters, digits and -)", shownKey(name))
			continue
		case http1Reserved(name):
			d.add(k, kp, "risktop sets %s itself", name)
			continue
		}
		if _, dup := out[strings.ToLower(name)]; dup {
			d.add(k, kp, "duplicate header")
			continue
		}
		text, refs, ok := d.scalarRefs(kp, entry{k, n.Content[i+1]}, "")
		if !ok {
			continue
		}
		vn := resolve(n.Content[i+1])
		if strings.ContainsAny(text, "\r\n\x00") {
			d.add(vn, kp, "the value holds a line break or NUL (the content is not shown)")
			continue
		}
		if len(refs) == 0 && text != "" {
			d.literals = append(d.literals, literal{kp, vn.Line})
		}
		out[strings.ToLower(name)] = secret.New(text)
	}
	return out
}

func isToken(s string) bool {
	return s != "" && strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// http1Reserved are the headers the webhook sets itself.
func http1Reserved(name string) bool {
	switch strings.ToLower(name) {
	case "content-type", "content-length", "host", "idempotency-key", "transfer-encoding":
		return true
	}
	return false
}

func (d *decoder) syslog(e entry) *Syslog {
	const path = "notify.syslog"
	m := d.mapping(path, e.val, syslogKeys, nil, "a mapping of the syslog collector's settings (address:, facility:)")
	if m == nil {
		return nil
	}
	s := section{d: d, path: path, at: e.key, m: m}
	before := len(d.probs)
	out := &Syslog{Facility: DefaultSyslogFacility}
	addr, an := s.need("address", "the collector's address, like tcp://127.0.0.1:6514 (udp://, tcp:// or tls://)")
	if addr != "" {
		d.syslogAddress(an, addr)
		out.Address = addr
	}
	if v, n, ok := s.str("facility"); ok && n != nil {
		if slices.Contains(SyslogFacilities, strings.ToLower(v)) {
			out.Facility = strings.ToLower(v)
		} else {
			msg := "%s is not a syslog facility; use local0 to local7 (or " + list(SyslogFacilities[:16], "or") + ")"
			if sug := suggest(strings.ToLower(v), SyslogFacilities); sug != "" {
				msg = "%s is not a syslog facility; did you mean " + sug + "?"
			}
			d.add(n, path+".facility", msg, d.quoted(path+".facility", v, 20))
		}
	}
	if p, ok := s.m["ca_file"]; ok {
		if v, _ := d.scalar(path+".ca_file", p, ""); v != "" {
			out.CAFile = d.localPath(path+".ca_file", resolve(p.val), v)
			if !strings.HasPrefix(addr, "tls://") {
				d.add(resolve(p.val), path+".ca_file", "is only for a tls:// address")
			}
		}
	}
	if len(d.probs) > before {
		return nil
	}
	return out
}

func (d *decoder) syslogAddress(n *yaml.Node, addr string) {
	const path = "notify.syslog.address"
	shown := d.quoted(path, addr, 80)
	u, err := url.Parse(addr)
	if err != nil || !strings.Contains(addr, "://") {
		d.add(n, path, "%s is not an address; write udp://, tcp:// or tls:// and host:port, like tcp://127.0.0.1:6514", shown)
		return
	}
	switch u.Scheme {
	case "udp", "tcp", "tls":
	default:
		d.add(n, path, "scheme %s is not udp, tcp or tls; write it like tcp://127.0.0.1:6514", d.quoted(path, u.Scheme, 20))
		return
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" || u.Path != "" || u.User != nil || u.RawQuery != "" {
		d.add(n, path, "%s is not host:port after the scheme; write it like %s://127.0.0.1:6514", shown, u.Scheme)
		return
	}
	if u.Scheme == "udp" {
		d.warn(n, path, "udp has no acknowledgement: an alert sent while the collector is down is lost; tcp:// or tls:// are retried until it is back")
	}
}

// String summarises notify: for the config's summary, without secrets.
func (n Notify) String() string {
	parts := []string{"terminal " + n.Terminal}
	if n.Webhook != nil {
		parts = append(parts, "webhook "+n.Webhook.Where+" ("+n.Webhook.Format+")")
	}
	if n.Syslog != nil {
		parts = append(parts, "syslog "+n.Syslog.Address+" ("+n.Syslog.Facility+")")
	}
	if n.Webhook != nil || n.Syslog != nil {
		parts = append(parts, n.MinSeverity.String()+" and above")
	}
	return "notify: " + strings.Join(parts, ", ")
}
