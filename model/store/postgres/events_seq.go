package postgres

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
)

// An event's seq, tiebreak and fields column are SQLite's
// (store.SeqOf, store.TieOf, store.AppendFieldsJSON), so ordering by seq
// is ordering by time and a PageKey means the same on both stores.

// ipRange reads an address or CIDR prefix as the first and last address
// it covers, 16 bytes each (IPv4 mapped, as ip_bin stores them).
func ipRange(s string) (lo, hi [16]byte, err error) {
	bad := fmt.Errorf("bad IP filter %q: want an address like 203.0.113.7 or a prefix like 203.0.113.0/24", s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return lo, hi, bad
		}
		p = p.Masked()
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		lo = p.Addr().As16()
		hi = lo
		for i := bits; i < 128; i++ {
			hi[i/8] |= 0x80 >> (i % 8)
		}
		return lo, hi, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return lo, hi, bad
	}
	lo = a.Unmap().WithZone("").As16()
	return lo, lo, nil
}

// likeEscaper makes text literal in a LIKE pattern (backslash is
// PostgreSQL's default LIKE escape).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// asciiLower lowers ASCII letters only: SQLite's LIKE folds those and no
// others, and so does the free text here, whatever the database's locale.
func asciiLower(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// pgText is s as a PostgreSQL text value can hold it: TEXT refuses NUL
// and invalid UTF-8, which SQLite keeps. The sources sanitise vendor text
// before it reaches the store, so this only keeps a stray byte from
// failing (and so wedging) a whole batch.
func pgText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// identity is how a vendor named a user: one row of the users table.
type identity struct {
	vendor, userID, name, key string
}

// uidCache remembers users rows (which never change and are never
// deleted), so a batch from known users does not query the table.
type uidCache struct {
	mu sync.Mutex
	m  map[identity]int64
}

// maxCachedUIDs bounds the cache; past it the cache starts over.
const maxCachedUIDs = 200_000

func (c *uidCache) get(id identity) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	uid, ok := c.m[id]
	return uid, ok
}

func (c *uidCache) add(found map[identity]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(found) > maxCachedUIDs {
		c.m = make(map[identity]int64, len(found))
	}
	for id, uid := range found {
		c.m[id] = uid
	}
}
