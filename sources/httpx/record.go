package httpx

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/risktop/risktop/sources/privfile"
)

// Redacted replaces every secret a recording would otherwise hold.
const Redacted = "[REDACTED]"

// maxRecorded is how much of one body a recording keeps.
const maxRecorded = 1 << 20

// Exchange is one request and its answer, as recorded: what an operator
// sends when a vendor's answer does not decode, with every secret
// replaced by Redacted.
type Exchange struct {
	Seq      int             `json:"seq"`
	Source   string          `json:"source"`
	Time     time.Time       `json:"time"`
	Took     string          `json:"took"`
	Request  RecordedMessage `json:"request"`
	Response *RecordedAnswer `json:"response,omitempty"`
	Error    string          `json:"error,omitempty"` // no answer: what the transport said
}

// RecordedMessage is a request as sent, redacted.
type RecordedMessage struct {
	Method     string              `json:"method"`
	URL        string              `json:"url"`
	Header     map[string][]string `json:"header,omitempty"`
	Body       string              `json:"body,omitempty"`
	BodyBase64 string              `json:"body_base64,omitempty"` // a body that is not text
	Truncated  bool                `json:"truncated,omitempty"`
}

// RecordedAnswer is the vendor's answer, redacted.
type RecordedAnswer struct {
	Status     int                 `json:"status"`
	Header     map[string][]string `json:"header,omitempty"`
	Body       string              `json:"body,omitempty"`
	BodyBase64 string              `json:"body_base64,omitempty"`
	Gunzipped  bool                `json:"gunzipped,omitempty"` // a gzip body, recorded unpacked
	Truncated  bool                `json:"truncated,omitempty"`
}

// Recorder is an http.RoundTripper that hands every exchange, redacted,
// to Write. It never changes what the client sends or receives.
//
// What is redacted: the Authorization, Proxy-Authorization, Cookie and
// Set-Cookie headers and any header named like a credential (X-Auth-Key,
// X-Api-Key, …; an Authorization keeps its scheme); query parameters,
// form fields and JSON members named like one (client_secret,
// client_assertion, accessKey, accessSecret, access_token, password, …);
// the signature of every JWS/JWT (a SET's or a client assertion's header
// and claims stay readable); and, wherever they appear, the literal
// values in Secrets (the config's secrets), so a credential in an
// unexpected place is caught too.
type Recorder struct {
	Next    http.RoundTripper // default http.DefaultTransport
	Source  string            // the source's name, in each record
	Secrets []string          // literal values never to record (shorter than 4 bytes are ignored)
	Write   func(Exchange) error
	// Seq numbers exchanges; recorders sharing one number them in one
	// sequence.
	Seq *atomic.Int64

	mu      sync.Mutex
	err     error    // the first failed Write
	learned []string // secrets seen in answers (minted tokens), scrubbed from later records
}

// Err is the first error writing a record, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	x := Exchange{Source: r.Source, Time: time.Now().UTC()}
	if r.Seq != nil {
		x.Seq = int(r.Seq.Add(1))
	}
	x.Request = RecordedMessage{Method: req.Method, URL: r.redactURL(req.URL), Header: r.redactHeader(req.Header)}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		x.Request.Body, x.Request.BodyBase64, x.Request.Truncated = r.redactBody(body, req.Header.Get("Content-Type"))
	}
	start := time.Now()
	resp, err := next.RoundTrip(req)
	x.Took = time.Since(start).Round(time.Millisecond).String()
	if err != nil {
		x.Error = r.scrub(transportError(err))
		r.write(x)
		return resp, err
	}
	head, rerr := io.ReadAll(io.LimitReader(resp.Body, maxRecorded+1))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), rest), rest}
	a := &RecordedAnswer{Status: resp.StatusCode, Header: r.redactHeader(resp.Header)}
	body := head
	if len(body) > maxRecorded {
		body, a.Truncated = body[:maxRecorded], true
	}
	if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) && !a.Truncated {
		if zr, zerr := gzip.NewReader(bytes.NewReader(body)); zerr == nil {
			if plain, zerr := io.ReadAll(io.LimitReader(zr, maxRecorded+1)); zerr == nil {
				body, a.Gunzipped = plain, true
				if len(body) > maxRecorded {
					body, a.Truncated = body[:maxRecorded], true
				}
			}
		}
	}
	ctype := resp.Header.Get("Content-Type")
	if a.Gunzipped {
		ctype = "" // what it holds is told by its first byte
	}
	var trunc bool
	a.Body, a.BodyBase64, trunc = r.redactBody(body, ctype)
	a.Truncated = a.Truncated || trunc
	if rerr != nil {
		x.Error = r.scrub("reading the answer: " + rerr.Error())
	}
	x.Response = a
	r.write(x)
	return resp, nil
}

func (r *Recorder) write(x Exchange) {
	if r.Write == nil {
		return
	}
	if err := r.Write(x); err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
	}
}

// transportError is an error without the URL Go puts in front (its query
// is recorded, redacted, already).
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// secretName reports whether a header, parameter or member name is one a
// credential travels in.
func secretName(name string) bool {
	n := strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(name))
	if strings.HasSuffix(n, "type") || strings.HasSuffix(n, "typehint") {
		return false // token_type: "bearer" says how, not what
	}
	for _, s := range []string{"token", "secret", "password", "passwd", "apikey", "authkey", "accesskey", "privatekey",
		"assertion", "signature", "cookie", "authorization", "credential", "session"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return n == "sig" || n == "key"
}

func (r *Recorder) redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		redactValues(q)
		c.RawQuery = q.Encode()
	}
	return r.scrub(c.String())
}

func redactValues(q url.Values) {
	for k, vs := range q {
		for i, v := range vs {
			switch {
			case secretName(k):
				vs[i] = Redacted
			default:
				vs[i] = redactJWTs(v)
			}
		}
	}
}

func (r *Recorder) redactHeader(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		rv := make([]string, len(vs))
		for i, v := range vs {
			switch {
			case strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization"):
				if scheme, _, ok := strings.Cut(v, " "); ok {
					rv[i] = scheme + " " + Redacted
				} else {
					rv[i] = Redacted
				}
			case secretName(k):
				rv[i] = Redacted
			default:
				rv[i] = r.scrub(redactJWTs(v))
			}
		}
		out[k] = rv
	}
	return out
}

// redactBody returns the body as text (or base64 when it is not text),
// redacted by its content type: form fields, JSON members, a JWS.
func (r *Recorder) redactBody(body []byte, ctype string) (text, b64 string, truncated bool) {
	if len(body) > maxRecorded {
		body, truncated = body[:maxRecorded], true
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	trimmed := bytes.TrimSpace(body)
	switch {
	case mt == "application/x-www-form-urlencoded":
		if q, err := url.ParseQuery(string(body)); err == nil {
			redactValues(q)
			return r.scrub(q.Encode()), "", truncated
		}
	case strings.HasSuffix(mt, "json") || (mt == "" || mt == "text/plain") && len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		var v any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&v); err == nil {
			if b, err := json.Marshal(redactJSON(v, r.learn)); err == nil {
				return r.scrub(string(b)), "", truncated
			}
		}
	}
	if !utf8.Valid(body) {
		// Not text: keep it exact, but a literal secret inside is still
		// caught, as text, before encoding.
		return "", base64.StdEncoding.EncodeToString([]byte(r.scrub(string(body)))), truncated
	}
	return r.scrub(redactJWTs(string(body))), "", truncated
}

func redactJSON(v any, learn func(string)) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if secretName(k) {
				if _, isObj := e.(map[string]any); !isObj || strings.Contains(strings.ToLower(k), "token") {
					if str, ok := e.(string); ok {
						learn(str)
					}
					t[k] = Redacted
					continue
				}
			}
			t[k] = redactJSON(e, learn)
		}
	case []any:
		for i, e := range t {
			t[i] = redactJSON(e, learn)
		}
	case string:
		return redactJWTs(t)
	}
	return v
}

// jwsRE is a compact JWS: base64url header (a JSON object, so "eyJ"),
// claims and signature.
var jwsRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+`)

// redactJWTs keeps a JWS's header and claims, which say what was sent,
// and drops its signature, which could be replayed.
func redactJWTs(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	return jwsRE.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.LastIndexByte(m, '.')
		return m[:i+1] + Redacted
	})
}

// scrub replaces the literal secrets, longest first, and their URL and
// JSON escaped forms.
func (r *Recorder) learn(secret string) {
	if len(secret) < 8 { // "Bearer", "true": not worth scrubbing everywhere
		return
	}
	r.mu.Lock()
	r.learned = append(r.learned, secret)
	r.mu.Unlock()
}

func (r *Recorder) scrub(s string) string {
	r.mu.Lock()
	secrets := append(append([]string(nil), r.Secrets...), r.learned...)
	r.mu.Unlock()
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
		if b, err := json.Marshal(sec); err == nil {
			forms = append(forms, strings.Trim(string(b), `"`))
		}
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	return s
}

// DirRecords writes each exchange as its own JSON file in a directory
// made private (0700, via privfile), each file 0600, named by the run's
// time, its sequence number and source, so files of several runs sort.
type DirRecords struct {
	dir   string
	stamp string
	Seq   atomic.Int64

	mu    sync.Mutex
	files []string
}

// NewDirRecords makes dir (0700) if needed and refuses one another user
// could read or write.
func NewDirRecords(dir string, now time.Time) (*DirRecords, error) {
	if err := privfile.MkdirPrivate(dir); err != nil {
		return nil, err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s can be read by other users (mode %04o), and recordings hold your tenant's data; run chmod 700 %s", dir, perm, dir)
	}
	return &DirRecords{dir: dir, stamp: now.UTC().Format("20060102T150405Z")}, nil
}

// Write writes one exchange.
func (d *DirRecords) Write(x Exchange) error {
	name := fmt.Sprintf("check-%s-%03d-%s.json", d.stamp, x.Seq, safeName(x.Source))
	path := filepath.Join(d.dir, name)
	f, err := privfile.CreateNew(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d.mu.Lock()
	d.files = append(d.files, path)
	d.mu.Unlock()
	return nil
}

// Files are the files written so far.
func (d *DirRecords) Files() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.files...)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
