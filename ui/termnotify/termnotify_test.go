package termnotify

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"

	"github.com/risktop/risktop/sources/sanitize"
)

func TestSequences(t *testing.T) {
	for _, c := range []struct {
		kind        Kind
		title, body string
		tmux        bool
		want        string
	}{
		{Bell, "x", "y", false, "\a"},
		{Bell, "x", "y", true, "\a"},
		{Off, "x", "y", false, ""},
		{OSC9, "Critical: 203.0.113.0/24", "40 people", false, "\x1b]9;Critical: 203.0.113.0/24: 40 people\a"},
		{OSC9, "alert", "", false, "\x1b]9;alert\a"},
		{OSC777, "Critical", "135 failures in 3 min", false, "\x1b]777;notify;Critical;135 failures in 3 min\a"},
		// tmux: DCS tmux; with the ESC doubled, then ST.
		{OSC777, "T", "B", true, "\x1bPtmux;\x1b\x1b]777;notify;T;B\a\x1b\\"},
		{OSC9, "T", "", true, "\x1bPtmux;\x1b\x1b]9;T\a\x1b\\"},
		// ';' would split OSC 777's fields (and reads as a command to some
		// OSC 9 terminals).
		{OSC777, "a;b", "c;d;e", false, "\x1b]777;notify;a,b;c,d,e\a"},
		{OSC9, "4;3", "", false, "\x1b]9;4,3\a"},
	} {
		if got := Sequence(c.kind, c.title, c.body, c.tmux); got != c.want {
			t.Errorf("%s %q %q tmux=%v: got %q, want %q", c.kind, c.title, c.body, c.tmux, got, c.want)
		}
	}
}

// Hostile vendor text cannot end the OSC early, start another, or run
// long: every case of sanitize's corpus gives one well-formed sequence.
func TestSequenceIsCleanForHostileText(t *testing.T) {
	for _, h := range sanitize.Hostile() {
		for _, k := range []Kind{OSC9, OSC777} {
			seq := Sequence(k, h.Raw, h.Raw, false)
			inner := strings.TrimSuffix(strings.TrimPrefix(seq, "\x1b]"), "\a")
			if strings.ContainsAny(inner, "\x1b\a\u009c\u009d\x00") || !strings.HasSuffix(seq, "\a") {
				t.Errorf("%s %s: %q", h.Name, k, seq)
			}
			if k == OSC777 && strings.Count(inner, ";") != 3 {
				t.Errorf("%s: OSC 777 has %d fields: %q", h.Name, strings.Count(inner, ";")+1, seq)
			}
			if n := len([]rune(inner)); n > maxTitle+maxBody+20 {
				t.Errorf("%s: %d runes", h.Name, n)
			}
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds {
		if got, ok := ParseKind(k.String()); !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, ok)
		}
	}
	if _, ok := ParseKind("beep"); ok {
		t.Error("beep parsed")
	}
}

func TestTerminalResolvesDefault(t *testing.T) {
	var buf bytes.Buffer
	term := New(&buf, OSC777, func(k string) string { return map[string]string{"TMUX": "/tmp/tmux-1/default,1,0"}[k] })
	if err := term.Notify(Note{Title: "t", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := term.Notify(Note{Kind: Off, Title: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := term.Notify(Note{Kind: Bell}); err != nil {
		t.Fatal(err)
	}
	if want := "\x1bPtmux;\x1b\x1b]777;notify;t;b\a\x1b\\\a"; buf.String() != want {
		t.Errorf("wrote %q, want %q", buf.String(), want)
	}
	buf.Reset()
	overSSH := New(&buf, OSC9, func(k string) string { return map[string]string{"TERM": "tmux-256color"}[k] })
	if err := overSSH.Notify(Note{Title: "t"}); err != nil || buf.String() != "\x1bPtmux;\x1b\x1b]9;t\a\x1b\\" {
		t.Errorf("TERM=tmux-256color wrote %q, %v; want it wrapped for tmux", buf.String(), err)
	}
	if New(&buf, Default, nil).Default() != Bell {
		t.Error("the default of Default is not the bell")
	}
}

// chunky writes a little at a time, yielding in between, with no lock of
// its own: two unsynchronised writers interleave (and race).
type chunky struct{ buf []byte }

func (c *chunky) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i += 7 {
		c.buf = append(c.buf, p[i:min(i+7, len(p))]...)
		runtime.Gosched()
	}
	return len(p), nil
}

// Frames and notifications written from two goroutines through Lock come
// out whole, one after another.
func TestLockKeepsFramesWhole(t *testing.T) {
	out := &chunky{}
	w := Lock(out)
	term := New(w, OSC9, nil)
	frame := func(i int) string {
		return fmt.Sprintf("\x1b[H\x1b[2Kframe %03d %s\r\n", i, strings.Repeat("█", 40))
	}
	const n = 200
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			_, _ = w.Write([]byte(frame(i)))
		}
	})
	wg.Go(func() {
		for i := range n {
			_ = term.Notify(Note{Title: fmt.Sprintf("alert %03d", i)})
		}
	})
	wg.Wait()
	rest := string(out.buf)
	frames, notes := 0, 0
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, frame(frames)):
			rest = rest[len(frame(frames)):]
			frames++
		case strings.HasPrefix(rest, Sequence(OSC9, fmt.Sprintf("alert %03d", notes), "", false)):
			rest = rest[len(Sequence(OSC9, fmt.Sprintf("alert %03d", notes), "", false)):]
			notes++
		default:
			t.Fatalf("after %d frames and %d notes the output is torn: %.80q", frames, notes, rest)
		}
	}
	if frames != n || notes != n {
		t.Errorf("%d frames, %d notes; want %d each", frames, notes, n)
	}
}

// recorder keeps each Write as one chunk.
type recorder struct {
	mu     sync.Mutex
	chunks []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.chunks = append(r.chunks, string(p))
	r.mu.Unlock()
	return len(p), nil
}

type counter struct{ n int }

func (c counter) Init() tea.Cmd { return nil }
func (c counter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case int:
		c.n = msg
		if msg < 0 {
			return c, tea.Quit
		}
	}
	return c, nil
}
func (c counter) View() string { return fmt.Sprintf("count %d\n%s", c.n, strings.Repeat("row\n", 20)) }

// A real Bubble Tea program drawing through Lock while notifications are
// written: every notification is a Write of its own, so none lands inside
// a frame.
func TestBubbleTeaFramesAndNotes(t *testing.T) {
	rec := &recorder{}
	w := Lock(rec)
	term := New(w, OSC777, nil)
	p := tea.NewProgram(counter{}, tea.WithInput(nil), tea.WithOutput(w), tea.WithoutSignalHandler(), tea.WithFPS(120))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 300 {
			p.Send(i)
			if i%3 == 0 {
				runtime.Gosched()
			}
		}
	})
	wg.Go(func() {
		for range 100 {
			_ = term.Notify(Note{Title: "alert", Body: "burst"})
		}
	})
	wg.Wait()
	p.Send(-1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	note := Sequence(OSC777, "alert", "burst", false)
	notes := 0
	for _, c := range rec.chunks {
		switch {
		case c == note:
			notes++
		case strings.Contains(c, "\x1b]777"):
			t.Errorf("a write mixes a notification with something else: %q", c)
		}
	}
	if notes != 100 {
		t.Errorf("%d notifications written whole, want 100", notes)
	}
}

// Lock keeps a terminal a terminal for Bubble Tea (x/term.File), so the
// window size still comes from its Fd.
func TestLockKeepsTheFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "tty")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := Lock(f)
	tf, ok := w.(term.File)
	if !ok || tf.Fd() != f.Fd() {
		t.Fatalf("Lock(*os.File) is %T, not a term.File with its Fd", w)
	}
	if _, ok := Lock(&bytes.Buffer{}).(term.File); ok {
		t.Error("Lock of a buffer claims to be a terminal")
	}
}
