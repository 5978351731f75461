package model

import (
	"fmt"
	"strings"
)

// Level is the one risk scale every vendor maps onto.
type Level int

const (
	LevelUnknown  Level = iota // no reading
	LevelNone                  // OneLogin minimal, CASB Normal: no risk factors
	LevelLow                   // OneLogin low, Cloudflare/Okta low
	LevelMedium                // OneLogin medium, Cloudflare/Okta medium
	LevelHigh                  // OneLogin high, Cloudflare/Okta high
	LevelCritical              // OneLogin very high, CASB Critical
)

// Levels from least to most risky, for legends and charts.
var Levels = [...]Level{LevelNone, LevelLow, LevelMedium, LevelHigh, LevelCritical}

// String is the level's key in config, JSON and the store.
func (l Level) String() string {
	switch l {
	case LevelNone:
		return "none"
	case LevelLow:
		return "low"
	case LevelMedium:
		return "medium"
	case LevelHigh:
		return "high"
	case LevelCritical:
		return "critical"
	}
	return "unknown"
}

// Label is the level's name for people.
func (l Level) Label() string {
	switch l {
	case LevelNone:
		return "None"
	case LevelLow:
		return "Low"
	case LevelMedium:
		return "Medium"
	case LevelHigh:
		return "High"
	case LevelCritical:
		return "Critical"
	}
	return "—"
}

// Describe is a reading in the one vocabulary every screen, export and
// command uses: the level, with the vendor's own score beside it when it
// has one ("Critical (OneLogin 99)"), so a score never reads as a second
// scale of its own.
func (l Level) Describe(vendor string, score int) string {
	if score == NoScore || vendor == "" {
		return l.Label()
	}
	return fmt.Sprintf("%s (%s %d)", l.Label(), vendor, score)
}

// DescribeWord is a reading of a vendor without scores: the level, with
// the vendor's own word beside it only where it says something else
// ("None (Oracle CASB Normal)", but "High" for Cloudflare's "high").
func (l Level) DescribeWord(vendor, word string) string {
	w := strings.TrimSpace(word)
	if vendor == "" || w == "" || strings.EqualFold(strings.ReplaceAll(w, "_", " "), l.Label()) {
		return l.Label()
	}
	return fmt.Sprintf("%s (%s %s)", l.Label(), vendor, w)
}

// ParseLevel reads a level's key or label, case-insensitively.
func ParseLevel(s string) (Level, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none", "minimal":
		return LevelNone, true
	case "low":
		return LevelLow, true
	case "medium":
		return LevelMedium, true
	case "high":
		return LevelHigh, true
	case "critical", "very_high", "very high":
		return LevelCritical, true
	case "unknown", "":
		return LevelUnknown, true
	}
	return LevelUnknown, false
}

// Max returns the riskier of two levels.
func Max(a, b Level) Level {
	if b > a {
		return b
	}
	return a
}

// Level maps a OneLogin bucket onto the shared scale.
func (b Bucket) Level() Level {
	switch b {
	case BucketMinimal:
		return LevelNone
	case BucketLow:
		return LevelLow
	case BucketMedium:
		return LevelMedium
	case BucketHigh:
		return LevelHigh
	case BucketVeryHigh:
		return LevelCritical
	}
	return LevelUnknown
}

// LevelOfScore maps a 0–100 risk score through OneLogin's buckets; a
// negative score means no score.
func LevelOfScore(score int) Level {
	if score < 0 {
		return LevelUnknown
	}
	return BucketOf(score).Level()
}

// LevelOfLowMediumHigh maps the three-word scale several vendors use
// (low, medium, high in any case) onto the shared one; anything else is
// LevelUnknown.
func LevelOfLowMediumHigh(s string) Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return LevelLow
	case "medium":
		return LevelMedium
	case "high":
		return LevelHigh
	}
	return LevelUnknown
}
