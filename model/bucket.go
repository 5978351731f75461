package model

import "time"

// Bucket is one of OneLogin's five risk-score buckets.
type Bucket int

const (
	BucketMinimal Bucket = iota
	BucketLow
	BucketMedium
	BucketHigh
	BucketVeryHigh
)

// Buckets in order, for charts and tables.
var Buckets = [...]Bucket{BucketMinimal, BucketLow, BucketMedium, BucketHigh, BucketVeryHigh}

// ScoreWindows are the windows score insights are read for, which the
// overview cycles through.
var ScoreWindows = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour}

// BucketOf places a OneLogin risk score (0–100) in its bucket.
//
// OneLogin documents the buckets as Minimal (<5), Low (>5 and <26), Medium
// (>26 and <51), High (>51 and <76) and Very High (>76), which leaves 5, 26,
// 51 and 76 in no bucket. We read each boundary as the first score of the
// next bucket, so the buckets are the half-open ranges [0,5), [5,26),
// [26,51), [51,76) and [76,100]: every score has exactly one bucket, and a
// boundary score counts as the riskier reading.
func BucketOf(score int) Bucket {
	switch {
	case score < 5:
		return BucketMinimal
	case score < 26:
		return BucketLow
	case score < 51:
		return BucketMedium
	case score < 76:
		return BucketHigh
	}
	return BucketVeryHigh
}

// String is the bucket's name as OneLogin's score insights spell its key.
func (b Bucket) String() string {
	switch b {
	case BucketMinimal:
		return "minimal"
	case BucketLow:
		return "low"
	case BucketMedium:
		return "medium"
	case BucketHigh:
		return "high"
	case BucketVeryHigh:
		return "very_high"
	}
	return "unknown"
}

// Label is the bucket's name for people.
func (b Bucket) Label() string {
	switch b {
	case BucketMinimal:
		return "Minimal"
	case BucketLow:
		return "Low"
	case BucketMedium:
		return "Medium"
	case BucketHigh:
		return "High"
	case BucketVeryHigh:
		return "Very high"
	}
	return "Unknown"
}
