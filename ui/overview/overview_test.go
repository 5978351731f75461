package overview

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/risktop/risktop/ui/uictx"
)

// TestScaleKeepsSmallBucketsReadable: when one bucket dwarfs another the
// scale is logarithmic, so a bucket of 3 beside one of 100,000 still
// draws a bar a reader can see (at least a sixth of the largest), and
// the axis says so; buckets of like size stay linear.
func TestScaleKeepsSmallBucketsReadable(t *testing.T) {
	sc := newScale(100_000, 3, 40)
	small, big := utf8.RuneCountInString(sc.bar(3)), utf8.RuneCountInString(sc.bar(100_000))
	if !sc.log || small*6 < big || big != 40 {
		t.Fatalf("log %v: bar(3) %d cells, bar(100000) %d", sc.log, small, big)
	}
	axis, labels := sc.axis()
	if utf8.RuneCountInString(axis) != 41 || !strings.Contains(labels, "100k") || !strings.HasPrefix(labels, "0") {
		t.Fatalf("axis %q, labels %q", axis, labels)
	}
	if sc.bar(1) == "" || sc.bar(0) != "" {
		t.Fatalf("bar(1) %q, bar(0) %q", sc.bar(1), sc.bar(0))
	}
	lin := newScale(50, 9, 40)
	if lin.log || utf8.RuneCountInString(lin.bar(50)) != 40 {
		t.Fatalf("linear: log %v, bar(50) %q", lin.log, lin.bar(50))
	}
	if _, labels := lin.axis(); !strings.Contains(labels, "25") || !strings.Contains(labels, "50") {
		t.Fatalf("linear labels %q", labels)
	}
}

// TestTrendChange: a count against the window before, in words a reader
// takes in at a glance.
func TestTrendChange(t *testing.T) {
	for _, c := range []struct {
		now, before int
		want        string
	}{{41, 30, "↑ +37%"}, {27, 30, "↓ −10%"}, {30, 30, "= 0%"}, {5, 0, "↑ new"}, {0, 0, "  –"}, {0, 12, "↓ −100%"}} {
		if got := change(c.now, c.before); got != c.want {
			t.Errorf("change(%d, %d) = %q, want %q", c.now, c.before, got, c.want)
		}
	}
}

// TestTrendTicks: hourly trends tick at 00, 06, 12 and 18 o'clock; daily
// ones on the 1st and the 15th.
func TestTrendTicks(t *testing.T) {
	at := time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)
	if l, ok := tickIn(at, at.Add(time.Hour), time.Hour); ok {
		t.Fatalf("17:00 ticks: %q", l)
	}
	if l, ok := tickIn(at.Add(time.Hour), at.Add(2*time.Hour), time.Hour); !ok || l != "18:00" {
		t.Fatalf("18:00: %q %v", l, ok)
	}
	day := time.Date(2026, 11, 14, 17, 0, 0, 0, time.UTC)
	if l, ok := tickIn(day, day.Add(48*time.Hour), 24*time.Hour); !ok || l != "Nov 15" {
		t.Fatalf("the 15th: %q %v", l, ok)
	}
}

// TestChangesRowsFit: three lines at 80×24 (a body of 20), more when
// taller, never more than there are.
func TestChangesRowsFit(t *testing.T) {
	if n := changesRows(20, 9); n != 3 {
		t.Fatalf("80×24: %d", n)
	}
	if n := changesRows(44, 20); n != 9 {
		t.Fatalf("160×48: %d", n)
	}
	if n := changesRows(44, 2); n != 2 {
		t.Fatalf("two changes: %d", n)
	}
}

// A read cancelled because the dashboard quits leaves the screen as it
// was: no "context canceled" in its last frame; another error shows.
func TestCancelledReadsSayNothing(t *testing.T) {
	o := New(&uictx.Context{})
	o.Update(loaded{gen: o.queryGen, err: fmt.Errorf("store: top IPs: %w", context.Canceled)})
	o.onTrend(trendLoaded{gen: o.trGen, err: context.Canceled})
	if o.err != "" || o.trErr != "" {
		t.Fatalf("a cancelled read shows %q / %q", o.err, o.trErr)
	}
	o.Update(loaded{gen: o.queryGen, err: errors.New("store: top IPs: disk I/O error")})
	if o.err == "" {
		t.Fatal("a failed read shows nothing")
	}
}
