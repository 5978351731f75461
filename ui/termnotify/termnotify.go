// Package termnotify gets the operator's attention through the terminal
// itself: the bell (BEL), or a desktop notification the terminal raises
// when it reads OSC 9 (iTerm2, Windows Terminal, WezTerm, kitty, ghostty…)
// or OSC 777 (rxvt-unicode, foot, VTE, WezTerm, ghostty…). Both are
// documented in hterm's list of the sequences terminals use
// (https://chromium.googlesource.com/apps/libapps/+/HEAD/hterm/doc/ControlSequences.md#OSC):
//
//	OSC 9 ; text BEL
//	OSC 777 ; notify ; title ; body BEL
//
// They reach the operator over SSH and, wrapped for passthrough, through
// tmux. A terminal that knows neither ignores them.
//
// The dashboard's frames and these writes share one output: Lock wraps it
// so each write is whole (Bubble Tea's standard renderer writes a frame
// in one Write: standard_renderer.go's flush, v1.3.10), and a
// notification lands between two frames, never inside one.
package termnotify

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/risktop/risktop/sources/sanitize"
)

// Kind is how a notification shows.
type Kind int

const (
	Default Kind = iota // the Terminal's default kind (the config's notify.terminal)
	Off                 // nothing
	Bell                // BEL: the terminal's bell, or its visual bell
	OSC9                // a desktop notification with a text
	OSC777              // a desktop notification with a title and a body
)

// Kinds are the kinds an operator can choose, in the order a key cycles
// through them.
var Kinds = []Kind{Bell, OSC9, OSC777, Off}

// ParseKind reads a kind's config name: bell, osc9, osc777 or off.
func ParseKind(s string) (Kind, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "bell":
		return Bell, true
	case "osc9":
		return OSC9, true
	case "osc777":
		return OSC777, true
	case "off":
		return Off, true
	}
	return Default, false
}

func (k Kind) String() string {
	switch k {
	case Off:
		return "off"
	case Bell:
		return "bell"
	case OSC9:
		return "osc9"
	case OSC777:
		return "osc777"
	}
	return "default"
}

// Note is one notification. Its texts come from vendors; Sequence cleans
// them.
type Note struct {
	Kind  Kind // Default: the Terminal's
	Title string
	Body  string
}

// Caps, in runes: a desktop notification shows a line or two, and some
// terminals drop a long OSC altogether.
const (
	maxTitle = 80
	maxBody  = 240
)

// Sequence is what a notification of kind k writes: "" for Off (and
// Default, which a Terminal resolves first). Title and body are cleaned
// (sanitize: no escape sequence or control character, so nothing can end
// the OSC early or smuggle another), ';' becomes ',' (it would split OSC
// 777's fields, and some terminals read OSC 9 ; digits ; as a command),
// and each is capped. In tmux (tmux true) an OSC is wrapped in tmux's
// passthrough, DCS tmux; … ST with every ESC doubled (tmux(1),
// allow-passthrough, which must be on); the bell needs none, tmux rings
// it on its own terminal.
func Sequence(k Kind, title, body string, tmux bool) string {
	title, body = clean(title, maxTitle), clean(body, maxBody)
	var seq string
	switch k {
	case Bell:
		return "\a"
	case OSC9:
		text := title
		if body != "" {
			text = title + ": " + body
		}
		seq = "\x1b]9;" + text + "\a"
	case OSC777:
		seq = "\x1b]777;notify;" + title + ";" + body + "\a"
	default:
		return ""
	}
	if tmux {
		seq = "\x1bPtmux;" + strings.ReplaceAll(seq, "\x1b", "\x1b\x1b") + "\x1b\\"
	}
	return seq
}

func clean(s string, max int) string {
	return strings.ReplaceAll(sanitize.LineN(s, max), ";", ",")
}

// Terminal writes notifications to one terminal (the program's output,
// wrapped by Lock).
type Terminal struct {
	w    io.Writer
	def  Kind
	tmux bool
}

// New makes a Terminal writing to w, with def for notes of the Default
// kind (Default itself means Bell). env reads the session's environment
// (os.Getenv locally; over SSH what the client sent, TERM at least): with
// TMUX set, or a TERM of tmux's own (tmux-256color: an ssh run inside
// tmux sends no TMUX), OSCs are wrapped for passthrough.
func New(w io.Writer, def Kind, env func(string) string) *Terminal {
	if def == Default {
		def = Bell
	}
	tmux := env != nil && (env("TMUX") != "" || strings.HasPrefix(env("TERM"), "tmux"))
	return &Terminal{w: w, def: def, tmux: tmux}
}

// Default is the kind each operator starts with.
func (t *Terminal) Default() Kind { return t.def }

// Notify writes n in one Write. It may block while the terminal does not
// read (a stalled SSH client): call it from a tea.Cmd, never in Update.
func (t *Terminal) Notify(n Note) error {
	k := n.Kind
	if k == Default {
		k = t.def
	}
	seq := Sequence(k, n.Title, n.Body, t.tmux)
	if seq == "" {
		return nil
	}
	if _, err := io.WriteString(t.w, seq); err != nil {
		return fmt.Errorf("writing to the terminal: %w", err)
	}
	return nil
}

// Send is Notify for the dashboard (ui.Deps.Notify): kind is a :notify
// choice ("bell", "osc9", "osc777", "off"; "" or "default" for the
// Terminal's own). Errors are the terminal's, and a notification that
// cannot be written is not worth more than a shrug: the toast said it.
func (t *Terminal) Send(kind, title, body string) {
	k, ok := ParseKind(kind)
	if !ok {
		k = Default
	}
	_ = t.Notify(Note{Kind: k, Title: title, Body: body})
}

// Locked serialises writes to a program's output: the renderer's frames,
// the clipboard's OSC 52 and these notifications, each written whole.
type Locked struct {
	mu sync.Mutex
	w  io.Writer
}

// Write writes p whole before any other Write may start.
func (l *Locked) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// file is what Bubble Tea takes for a terminal (x/term's File): it reads
// the window's size from Fd, so a wrapped terminal must keep it.
type file interface {
	io.ReadWriteCloser
	Fd() uintptr
}

// lockedFile is Locked over a terminal, still one to Bubble Tea.
type lockedFile struct {
	*Locked
	f file
}

func (l lockedFile) Read(p []byte) (int, error) { return l.f.Read(p) }
func (l lockedFile) Close() error               { return l.f.Close() }
func (l lockedFile) Fd() uintptr                { return l.f.Fd() }

// Lock wraps w so whole writes never interleave. When w is a terminal
// (an *os.File) the result is one too, so Bubble Tea still finds the
// window's size through it; pass it to tea.WithOutput and New.
func Lock(w io.Writer) io.Writer {
	l := &Locked{w: w}
	if f, ok := w.(file); ok {
		return lockedFile{Locked: l, f: f}
	}
	return l
}
