package model

import "testing"

func TestBucketOfBoundaries(t *testing.T) {
	for score, want := range map[int]Bucket{
		0: BucketMinimal, 4: BucketMinimal,
		5: BucketLow, 6: BucketLow, 25: BucketLow,
		26: BucketMedium, 50: BucketMedium,
		51: BucketHigh, 75: BucketHigh,
		76: BucketVeryHigh, 77: BucketVeryHigh, 100: BucketVeryHigh,
	} {
		if got := BucketOf(score); got != want {
			t.Errorf("BucketOf(%d) = %s, want %s", score, got, want)
		}
	}
}
