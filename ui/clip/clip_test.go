package clip

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestCopyWritesOSC52(t *testing.T) {
	var buf bytes.Buffer
	copyText := New(&buf, envOf(nil))
	if err := copyText("203.0.113.7"); err != nil {
		t.Fatal(err)
	}
	// ESC ] 52 ; c ; base64 BEL
	want := "\x1b]52;c;MjAzLjAuMTEzLjc=\x07"
	if got := buf.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCopyInTmuxWrapsForPassthrough(t *testing.T) {
	var buf bytes.Buffer
	copyText := New(&buf, envOf(map[string]string{"TMUX": "/tmp/tmux-1000/default,1234,0"}))
	if err := copyText("ava.chen@example.com"); err != nil {
		t.Fatal(err)
	}
	// DCS tmux; then the OSC with its ESC doubled, then ST.
	b64 := base64.StdEncoding.EncodeToString([]byte("ava.chen@example.com"))
	want := "\x1bPtmux;\x1b\x1b]52;c;" + b64 + "\x07\x1b\\"
	if got := buf.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCopyInScreenWrapsInDCS(t *testing.T) {
	var buf bytes.Buffer
	copyText := New(&buf, envOf(map[string]string{"STY": "1234.pts-0.host"}))
	text := strings.Repeat("x", 100) // base64 longer than screen's 76-byte chunks
	if err := copyText(text); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(text))
	want := "\x1bP\x1b]52;c;" + b64[:76] + "\x1b\\\x1bP" + b64[76:] + "\x07\x1b\\"
	if got := buf.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCopyRefusesOverTheCap(t *testing.T) {
	var buf bytes.Buffer
	copyText := New(&buf, nil)
	if err := copyText(strings.Repeat("a", MaxBytes)); err != nil {
		t.Fatalf("exactly the cap: %v", err)
	}
	buf.Reset()
	err := copyText(strings.Repeat("a", MaxBytes+1))
	if err == nil || !strings.Contains(err.Error(), "at most 8 KiB") {
		t.Fatalf("over the cap: %v", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("wrote %d bytes for a refused copy", buf.Len())
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("EIO") }

func TestCopyReportsAWriteError(t *testing.T) {
	err := New(failing{}, nil)("x")
	if err == nil || !strings.Contains(err.Error(), "writing to the terminal: EIO") {
		t.Fatalf("err = %v", err)
	}
}

// One Write per copy, so the renderer's frames are never split.
type counting struct{ writes int }

func (c *counting) Write(p []byte) (int, error) { c.writes++; return len(p), nil }

func TestCopyIsOneWrite(t *testing.T) {
	var c counting
	if err := New(&c, envOf(map[string]string{"TMUX": "1"}))("hello"); err != nil || c.writes != 1 {
		t.Fatalf("writes %d, err %v", c.writes, err)
	}
}
