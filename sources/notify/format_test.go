package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
)

var update = flag.Bool("update", false, "rewrite the golden payloads")

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123_000_000, time.UTC)

// burst is the demo's alert as the alerts part would raise it.
func burst() Message {
	return Message{
		ID: "alert-42", At: t0, Severity: model.LevelCritical,
		Title: "Credential stuffing from 203.0.113.0/24",
		Text:  "57 addresses, 40 people, 135 failures in 3 min",
		Fields: map[string]string{
			"rule": "burst", "range": "203.0.113.0/24", "people": "40", "addresses": "57",
		},
		Response: "push the range's addresses to Okta at HIGH",
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot  %s\nwant %s", name, got, want)
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	return append(out.Bytes(), '\n')
}

func secretURL() secret.Value {
	return secret.New("https://hooks.example.com/services/T000/B000/XXXXSECRET")
}

func hook(t *testing.T, f Format) *Webhook {
	t.Helper()
	w, err := NewWebhook(WebhookOptions{URL: secretURL(), Format: f})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWebhookJSONGolden(t *testing.T) {
	b, err := hook(t, FormatJSON).Body(burst().Clean())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "webhook.json.golden", indent(t, b))
}

func TestWebhookSlackGolden(t *testing.T) {
	b, err := hook(t, FormatSlack).Body(burst().Clean())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "webhook.slack.golden", indent(t, b))
}

// Vendor text cannot format or mention in Slack: the top-level text
// (mrkdwn) has &, < and > escaped; the blocks are plain_text.
func TestSlackEscapesMentions(t *testing.T) {
	m := burst()
	m.Title = "<!channel> eve & <https://evil.example|bank>"
	b, err := hook(t, FormatSlack).Body(m.Clean())
	if err != nil {
		t.Fatal(err)
	}
	var p slackPayload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if want := "[CRITICAL] &lt;!channel&gt; eve &amp; &lt;https://evil.example|bank&gt;"; p.Text != want {
		t.Errorf("text %q, want %q", p.Text, want)
	}
	for _, bl := range p.Blocks {
		for _, tx := range append(append([]slackText{}, bl.Fields...), bl.Elements...) {
			if tx.Type != "plain_text" {
				t.Errorf("block %s has %s text", bl.Type, tx.Type)
			}
		}
		if bl.Text != nil && bl.Text.Type != "plain_text" {
			t.Errorf("block %s has %s text", bl.Type, bl.Text.Type)
		}
	}
}

func header0() Header {
	return Header{Facility: 20, Hostname: "jump-1", ProcID: "4242"}
}

func TestSyslogLineGolden(t *testing.T) {
	golden(t, "syslog.golden", []byte(Line(header0(), burst().Clean(), 0)+"\n"))
}

// RFC 5424 §6.3.3: '"', '\' and ']' in a PARAM-VALUE are escaped with a
// backslash; a PARAM-NAME takes none of '=', SP, ']', '"' (they become
// '_') and at most 32 characters.
func TestSyslogEscapesStructuredData(t *testing.T) {
	m := Message{ID: `a"b\c]d`, At: t0, Severity: model.LevelHigh, Title: "t",
		Fields: map[string]string{`we]ird name="x"`: `v"1\2]3`, strings.Repeat("k", 40): "long"}}
	line := Line(header0(), m.Clean(), 0)
	want := `<163>1 2026-03-01T12:00:00.123Z jump-1 risktop 4242 alert [risktop@32473 id="a\"b\\c\]d" severity="high" ` +
		strings.Repeat("k", 32) + `="long" we_ird_name__x_="v\"1\\2\]3"] ` + "\ufeff" + "t"
	if line != want {
		t.Errorf("got  %q\nwant %q", line, want)
	}
}

// PRI is facility × 8 + the severity mapped from the message's level
// (RFC 5424 §6.2.1).
func TestSyslogPriority(t *testing.T) {
	for _, c := range []struct {
		level model.Level
		fac   string
		pri   string
	}{
		{model.LevelCritical, "local0", "<130>"},
		{model.LevelHigh, "local0", "<131>"},
		{model.LevelMedium, "local4", "<164>"},
		{model.LevelLow, "auth", "<37>"},
	} {
		f, ok := ParseFacility(c.fac)
		if !ok {
			t.Fatalf("facility %s", c.fac)
		}
		line := Line(Header{Facility: f}, Message{ID: "x", At: t0, Severity: c.level}, 0)
		if !strings.HasPrefix(line, c.pri+"1 ") {
			t.Errorf("%s %s: %q, want %s", c.level, c.fac, line, c.pri)
		}
	}
	if _, ok := ParseFacility("local8"); ok {
		t.Error("local8 parsed")
	}
}

// A datagram is cut to RFC 5426's 2048 octets by cutting the MSG, on a
// rune boundary.
func TestSyslogUDPCut(t *testing.T) {
	m := burst()
	m.Text = strings.Repeat("山", 3000)
	line := Line(header0(), m.Clean(), maxUDP)
	if len(line) > maxUDP || len(line) < maxUDP-3 {
		t.Errorf("line is %d bytes, want at most (and about) %d", len(line), maxUDP)
	}
	if !strings.Contains(line, `id="alert-42"`) || !utf8Valid(line) {
		t.Errorf("cut line lost its id or is not UTF-8")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// Every text is sanitised before it is queued: no escape sequence or
// control character reaches a payload, and parts are capped.
func TestCleanSanitises(t *testing.T) {
	m := Message{ID: "x\x1b]52;c;Zm9v\x07", At: t0.In(time.FixedZone("X", 3600)), Severity: model.LevelHigh,
		Title: "\x1b[2Jeve\u202e", Text: "line1\nline2\x07", Response: "push\x00",
		Fields: map[string]string{"user\x1b[31m": "mallory\x9b", "": "dropped"}}
	c := m.Clean()
	for _, s := range []string{c.ID, c.Title, c.Text, c.Response} {
		if s != sanitize.Block(s) || strings.ContainsAny(s, "\x1b\x07\x00\u202e") {
			t.Errorf("not clean: %q", s)
		}
	}
	if c.Title != "eve" || c.Text != "line1\nline2" || c.Response != "push" {
		t.Errorf("cleaned to %q %q %q", c.Title, c.Text, c.Response)
	}
	if len(c.Fields) != 1 || c.Fields["user"] == "" {
		t.Errorf("fields %q", c.Fields)
	}
	if !c.At.Equal(t0) || c.At.Location() != time.UTC {
		t.Errorf("at %v", c.At)
	}
	long := Message{Title: strings.Repeat("a", 1000), Text: strings.Repeat("b", 10000)}.Clean()
	if n := len([]rune(long.Title)); n != maxTitle+1 {
		t.Errorf("title %d runes", n)
	}
	if n := len([]rune(long.Text)); n != maxText+1 {
		t.Errorf("text %d runes", n)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	m := burst().Clean()
	p, err := encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decode(p)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != m.ID || !back.At.Equal(m.At) || back.Severity != m.Severity || back.Title != m.Title ||
		back.Text != m.Text || back.Response != m.Response || len(back.Fields) != len(m.Fields) {
		t.Errorf("round trip %+v, want %+v", back, m)
	}
}
