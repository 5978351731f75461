package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
)

// Format is the body a webhook gets.
type Format int

const (
	// FormatJSON is risktop's own: {"id","at","severity","title","text",
	// "fields","response","source"}.
	FormatJSON Format = iota
	// FormatSlack is Slack's incoming-webhook message: "text" (what the
	// notification shows) and "blocks".
	FormatSlack
)

// ParseFormat reads a format's config name: json or slack.
func ParseFormat(s string) (Format, bool) {
	switch s {
	case "json", "":
		return FormatJSON, true
	case "slack":
		return FormatSlack, true
	}
	return 0, false
}

func (f Format) String() string {
	if f == FormatSlack {
		return "slack"
	}
	return "json"
}

// DefaultWebhookTimeout bounds one POST, answer included.
const DefaultWebhookTimeout = 10 * time.Second

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// URL is a secret: a Slack webhook's URL carries its token, so it is
	// never logged or shown (Where shows scheme://host).
	URL    secret.Value
	Format Format
	// Headers are sent with every POST (an Authorization, say); their
	// values are secrets too.
	Headers map[string]secret.Value
	Timeout time.Duration // 0: DefaultWebhookTimeout
	// Transport, when set, carries the requests (tests); default a
	// transport of the webhook's own.
	Transport http.RoundTripper
}

// Webhook POSTs each message as JSON.
type Webhook struct {
	o      WebhookOptions
	where  string
	client *http.Client
}

// NewWebhook checks the URL (http or https, a host); its error never
// quotes the URL.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(o.URL.Reveal())
	switch {
	case o.URL.IsZero():
		return nil, errors.New("webhook: no URL")
	case err != nil:
		return nil, errors.New("webhook: the URL does not parse")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, errors.New("webhook: the URL must start with https:// (or http://)")
	case u.Host == "":
		return nil, errors.New("webhook: the URL has no host")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultWebhookTimeout
	}
	tr := o.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &Webhook{o: o, where: u.Scheme + "://" + u.Host, client: &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		// A webhook answers where it is; following a redirect would post
		// the alert (or, after a 302, nothing) somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

func (w *Webhook) Name() string  { return "webhook" }
func (w *Webhook) Where() string { return w.where }

// Send POSTs m. 2xx is delivered; 429 and 5xx, a timeout or no connection
// are retried (after Retry-After when the answer has one); any other
// status fails for good, with the status in words.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := w.Body(m)
	if err != nil {
		return permanentErr("webhook: cannot encode the message: " + err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.o.URL.Reveal(), bytes.NewReader(body))
	if err != nil {
		return permanentErr("webhook: cannot build the request for " + w.where)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "risktop")
	// Receivers that honour it drop the duplicate a crash between send
	// and mark can cause.
	req.Header.Set("Idempotency-Key", m.ID)
	for _, k := range slices.Sorted(maps.Keys(w.o.Headers)) {
		req.Header.Set(k, w.o.Headers[k].Reveal())
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return retryErr("webhook "+w.where+": "+netWords(err), 0)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	status := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	// What the receiver said, cleaned and short: Slack answers 400
	// "invalid_payload", 404 "no_service", 410 "channel_is_archived".
	if said := sanitize.LineN(strings.TrimSpace(string(head)), 120); said != "" && resp.StatusCode/100 != 2 {
		status += " (" + said + ")"
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return retryErr("webhook "+w.where+": "+status, retryAfter(resp.Header.Get("Retry-After"), time.Now()))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return permanentErr("webhook " + w.where + ": " + status + " (a webhook URL does not redirect: check the URL)")
	}
	return permanentErr("webhook " + w.where + ": " + status)
}

// netWords says why a request got no answer, without the URL that
// net/http's errors quote.
func netWords(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return "cannot connect: " + op.Err.Error()
	}
	return "no answer: " + err.Error()
}

// retryAfter reads Retry-After: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Body is what Send posts for m.
func (w *Webhook) Body(m Message) ([]byte, error) {
	if w.o.Format == FormatSlack {
		return json.Marshal(slackMessage(m))
	}
	return json.Marshal(m.wire())
}

// Slack's incoming webhooks take a message payload: "text", and "blocks"
// of Block Kit; with blocks, "text" is what the notification itself shows
// ("Sending messages using incoming webhooks",
// https://api.slack.com/messaging/webhooks; limits from the Block Kit
// reference, https://api.slack.com/reference/block-kit/blocks: a header's
// text 150 characters, a section's 3000, at most 10 fields of 2000).
// Everything but the top-level text is plain_text, so vendor text cannot
// format or mention (<!channel>); the top-level text is mrkdwn, so &, <
// and > are escaped in it as Slack's formatting guide asks.
type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func plain(s string, max int) slackText { return slackText{Type: "plain_text", Text: cut(s, max)} }

func slackMessage(m Message) slackPayload {
	sev := strings.ToUpper(m.Severity.String())
	p := slackPayload{Text: slackEscape(cut("["+sev+"] "+m.Title, 3000))}
	p.Blocks = append(p.Blocks, slackBlock{Type: "header", Text: ptr(plain(m.Title, 150))})
	body := m.Severity.Label()
	if m.Text != "" {
		body += " · " + m.Text
	}
	p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: ptr(plain(body, 3000))})
	var fields []slackText
	for _, k := range m.fieldNames() {
		if len(fields) == 10 {
			break
		}
		fields = append(fields, plain(k+": "+m.Fields[k], 2000))
	}
	if len(fields) > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Fields: fields})
	}
	ctx := "risktop · " + m.ID + " · " + m.At.UTC().Format(timeFormat)
	if m.Response != "" {
		ctx = "Suggested: " + m.Response + " · " + ctx
	}
	p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []slackText{plain(ctx, 2000)}})
	return p
}

func ptr[T any](v T) *T { return &v }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }

// cut caps s at max runes, marking the cut.
func cut(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}
