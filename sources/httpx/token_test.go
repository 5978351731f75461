package httpx

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTokenCacheMintsOnceForConcurrentCallers(t *testing.T) {
	var mints atomic.Int32
	release := make(chan struct{})
	c := &TokenCache[string]{Mint: func(context.Context) (string, time.Time, error) {
		mints.Add(1)
		<-release
		return "tok", time.Time{}, nil
	}}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.Get(context.Background()); err != nil || v != "tok" {
				t.Errorf("Get = %q, %v", v, err)
			}
		}()
	}
	close(release)
	wg.Wait()
	if mints.Load() != 1 {
		t.Fatalf("minted %d times", mints.Load())
	}
}

func TestTokenCacheRenewsBeforeExpiryAndAfterInvalidate(t *testing.T) {
	now := time.Unix(0, 0)
	n := 0
	c := &TokenCache[int]{Skew: time.Minute, Now: func() time.Time { return now },
		Mint: func(context.Context) (int, time.Time, error) { n++; return n, now.Add(10 * time.Minute), nil }}
	get := func() int {
		v, err := c.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if get() != 1 || get() != 1 {
		t.Fatal("cached token not reused")
	}
	now = now.Add(8*time.Minute + 59*time.Second)
	if get() != 1 {
		t.Fatal("renewed too early")
	}
	now = now.Add(2 * time.Second) // inside the skew
	if get() != 2 {
		t.Fatal("not renewed inside the skew")
	}
	c.Invalidate()
	if get() != 3 {
		t.Fatal("not renewed after Invalidate")
	}
}

func TestTokenCacheMintErrorIsNotCached(t *testing.T) {
	fail := true
	c := &TokenCache[string]{Mint: func(context.Context) (string, time.Time, error) {
		if fail {
			return "", time.Time{}, errors.New("boom")
		}
		return "ok", time.Time{}, nil
	}}
	if _, err := c.Get(context.Background()); err == nil {
		t.Fatal("want error")
	}
	fail = false
	if v, err := c.Get(context.Background()); err != nil || v != "ok" {
		t.Fatalf("Get = %q, %v", v, err)
	}
}
