package httpx

import (
	"context"
	"sync"
	"time"
)

// TokenCache holds one minted credential of type T until shortly before it
// expires, and mints at most one at a time however many requests need it.
type TokenCache[T any] struct {
	// Mint fetches a new credential and says when it expires (zero: never).
	Mint func(ctx context.Context) (T, time.Time, error)
	// Skew is how long before expiry a credential is replaced.
	Skew time.Duration
	Now  func() time.Time

	mu      sync.Mutex
	have    bool
	val     T
	expires time.Time
	minting chan struct{} // closed when the mint in flight ends
}

// Get returns the cached credential or mints one.
func (c *TokenCache[T]) Get(ctx context.Context) (T, error) {
	for {
		c.mu.Lock()
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		if c.have && (c.expires.IsZero() || now().Add(c.Skew).Before(c.expires)) {
			v := c.val
			c.mu.Unlock()
			return v, nil
		}
		if wait := c.minting; wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			}
		}
		done := make(chan struct{})
		c.minting = done
		c.mu.Unlock()

		v, exp, err := c.Mint(ctx)

		c.mu.Lock()
		c.minting = nil
		if err == nil {
			c.val, c.expires, c.have = v, exp, true
		}
		c.mu.Unlock()
		close(done)
		if err != nil {
			var zero T
			return zero, err
		}
		return v, nil
	}
}

// Invalidate drops the cached credential so the next Get mints again.
func (c *TokenCache[T]) Invalidate() {
	c.mu.Lock()
	c.have = false
	var zero T
	c.val = zero
	c.mu.Unlock()
}
