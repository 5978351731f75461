package simkit

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Tokens issues and checks a vendor's bearer tokens, and can expire or
// revoke them in the middle of a run.
type Tokens struct {
	clock  Clock
	prefix string

	mu     sync.Mutex
	issued map[string]time.Time // token → expiry
	minted int
}

// NewTokens issues tokens that start with prefix (CASB's start with "v2.").
func NewTokens(clock Clock, prefix string) *Tokens {
	return &Tokens{clock: clock, prefix: prefix, issued: map[string]time.Time{}}
}

// Issue mints a token valid for ttl.
func (t *Tokens) Issue(ttl time.Duration) (token string, expires time.Time) {
	var b [16]byte
	rand.Read(b[:])
	token = t.prefix + hex.EncodeToString(b[:])
	expires = t.clock.Now().Add(ttl)
	t.mu.Lock()
	t.issued[token] = expires
	t.minted++
	t.mu.Unlock()
	return token, expires
}

// Reuse returns a live token issued earlier, the way OneLogin hands back the
// same token for the same credentials until it expires.
func (t *Tokens) Reuse() (token string, expires time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	for tok, exp := range t.issued {
		if now.Before(exp) {
			return tok, exp, true
		}
	}
	return "", time.Time{}, false
}

// Valid reports whether token was issued and has not expired or been revoked.
func (t *Tokens) Valid(token string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.issued[token]
	return ok && t.clock.Now().Before(exp)
}

// RevokeAll invalidates every token issued so far.
func (t *Tokens) RevokeAll() {
	t.mu.Lock()
	t.issued = map[string]time.Time{}
	t.mu.Unlock()
}

// Minted counts tokens issued, so tests can see a client re-authenticate.
func (t *Tokens) Minted() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.minted
}
