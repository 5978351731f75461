// Package clip copies text to the operator's clipboard with OSC 52, the
// terminal escape that asks the terminal itself to set its clipboard. It
// works over SSH and on a headless jump host, where no local clipboard
// exists, and inside tmux and screen, whose passthrough wrappers it adds.
package clip

import (
	"fmt"
	"io"
	"sync"

	"github.com/aymanbagabas/go-osc52/v2"
)

// MaxBytes is the most text one copy takes. Terminals cap OSC 52 (xterm
// and tmux near 100 KB of base64, some far less) and drop longer
// sequences silently, so a clear refusal beats a copy that never lands.
const MaxBytes = 8 << 10

// New returns a function that writes text to w (the terminal) as one OSC 52
// sequence in a single Write, so it lands between two frames rather than
// inside one. env reads the environment (os.Getenv): with TMUX set the
// sequence is wrapped for tmux passthrough (tmux needs allow-passthrough
// on), with STY set for GNU screen. Text over MaxBytes is refused.
func New(w io.Writer, env func(string) string) func(string) error {
	if env == nil {
		env = func(string) string { return "" }
	}
	var mu sync.Mutex
	return func(text string) error {
		if len(text) > MaxBytes {
			return fmt.Errorf("%d bytes is too much to copy: the clipboard takes at most %d KiB", len(text), MaxBytes>>10)
		}
		seq := Sequence(text, env)
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(w, seq); err != nil {
			return fmt.Errorf("writing to the terminal: %w", err)
		}
		return nil
	}
}

// Sequence is the escape sequence New writes for text, with no size check.
func Sequence(text string, env func(string) string) string {
	s := osc52.New(text)
	switch {
	case env("TMUX") != "":
		s = s.Tmux()
	case env("STY") != "":
		s = s.Screen()
	}
	return s.String()
}
