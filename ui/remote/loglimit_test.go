package remote

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogLimiter: of each kind, the burst is logged line by line, the
// rest summed up at the period's end; the next period logs again; stop
// writes what is due.
func TestLogLimiter(t *testing.T) {
	var buf syncBuffer
	l := newLogLimiter(slog.New(slog.NewTextHandler(&buf, nil)))
	l.burst, l.period = 2, 300*time.Millisecond
	for range 5 {
		l.Info("a", "event a", "n", 1)
	}
	l.Info("b", "event b")
	if got := strings.Count(buf.String(), `msg="event a" `); got != 2 {
		t.Fatalf("%d lines of a, want the burst of 2:\n%s", got, buf.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), `msg="event a: and more, not logged one by one" more=3 in_the_last=300ms`) {
		if time.Now().After(deadline) {
			t.Fatalf("no summary at the period's end:\n%s", buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(buf.String(), "event b: and more") {
		t.Errorf("a summary for b, which had none over its burst:\n%s", buf.String())
	}
	// A new period: the burst again, then a count that stop writes.
	for range 4 {
		l.Info("a", "event a", "n", 2)
	}
	if got := strings.Count(buf.String(), `msg="event a" `); got != 4 {
		t.Errorf("%d lines of a after a new period, want 4:\n%s", got, buf.String())
	}
	l.stop()
	if got := strings.Count(buf.String(), `msg="event a: and more, not logged one by one" more=2 `); got != 1 {
		t.Errorf("stop wrote %d summaries of 2 more:\n%s", got, buf.String())
	}
	l.Info("a", "event a", "n", 3)
	if got := strings.Count(buf.String(), `msg="event a" `); got != 5 {
		t.Errorf("an event after stop was not logged:\n%s", buf.String())
	}
}
