package model

import "testing"

func TestDescribeNamesTheVendorsScoreBesideTheLevel(t *testing.T) {
	for _, c := range []struct {
		l      Level
		vendor string
		score  int
		want   string
	}{
		{LevelCritical, "OneLogin", 99, "Critical (OneLogin 99)"},
		{LevelHigh, "Okta", NoScore, "High"},
		{LevelNone, "OneLogin", 0, "None (OneLogin 0)"},
		{LevelMedium, "", 40, "Medium"},
	} {
		if got := c.l.Describe(c.vendor, c.score); got != c.want {
			t.Errorf("%v.Describe(%q, %d) = %q, want %q", c.l, c.vendor, c.score, got, c.want)
		}
	}
}

func TestDescribeWordOnlyWhereTheVendorSaysSomethingElse(t *testing.T) {
	for _, c := range []struct {
		l            Level
		vendor, word string
		want         string
	}{
		{LevelHigh, "Cloudflare", "high", "High"},
		{LevelHigh, "Cloudflare", " HIGH ", "High"},
		{LevelNone, "Oracle CASB", "Normal", "None (Oracle CASB Normal)"},
		{LevelCritical, "OneLogin", "very_high", "Critical (OneLogin very_high)"},
		{LevelMedium, "Okta", "", "Medium"},
		{LevelLow, "", "minimal", "Low"},
	} {
		if got := c.l.DescribeWord(c.vendor, c.word); got != c.want {
			t.Errorf("%v.DescribeWord(%q, %q) = %q, want %q", c.l, c.vendor, c.word, got, c.want)
		}
	}
}
