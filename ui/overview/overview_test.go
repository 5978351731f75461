package overview

import (
	"strings"
	"testing"
	"unicode/utf8"
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
