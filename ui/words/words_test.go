package words

import (
	"testing"
	"time"
)

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n          int
		noun, want string
	}{
		{1, "event", "1 event"}, {0, "event", "0 events"}, {2, "problem", "2 problems"}, {1200, "event", "1,200 events"},
		{1, "person", "1 person"}, {3, "person", "3 people"}, {2, "entry", "2 entries"}, {2, "key", "2 keys"},
		{2, "address", "2 addresses"}, {1, "source", "1 source"}, {5, "source", "5 sources"},
	} {
		if got := Plural(c.n, c.noun); got != c.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 12 * time.Second: "12s", 59*time.Second + 900*time.Millisecond: "59s", time.Minute: "1m", 3 * time.Hour: "3h", 72 * time.Hour: "3d",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
	if s := AgeStep(12*time.Second + 300*time.Millisecond); s != 700*time.Millisecond {
		t.Errorf("AgeStep(12.3s) = %v", s)
	}
	if s := AgeStep(90 * time.Second); s != 30*time.Second {
		t.Errorf("AgeStep(90s) = %v", s)
	}
}
