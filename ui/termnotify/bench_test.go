package termnotify

import (
	"io"
	"testing"
)

// BenchmarkNotify is one OSC 777 note through Lock, cleaning included.
func BenchmarkNotify(b *testing.B) {
	t := New(Lock(io.Discard), OSC777, nil)
	n := Note{Title: "Critical: 203.0.113.0/24", Body: "57 addresses, 40 people, 135 failures in 3 min"}
	for b.Loop() {
		if err := t.Notify(n); err != nil {
			b.Fatal(err)
		}
	}
}
