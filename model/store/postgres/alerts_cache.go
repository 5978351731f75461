package postgres

import (
	"sync"

	"github.com/risktop/risktop/model"
)

// alertCache keeps the live alerts this store last wrote, by key, so
// PutAlerts need not read and decode one back: it checks the stored seq
// is still the one it wrote (an acknowledgement, another instance or a
// prune changes or removes it, and then it reads the row). One per
// store: another instance's writes always show as a changed seq.
type alertCache struct {
	mu sync.Mutex
	m  map[string]model.Alert
}

// maxCachedAlerts bounds the cache (an alert holds up to 1,500 evidence
// items); past it the cache starts over.
const maxCachedAlerts = 2000

func (c *alertCache) get(key string) (model.Alert, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[key]
	return a, ok
}

func (c *alertCache) put(as map[string]model.Alert) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(as) > maxCachedAlerts {
		c.m = make(map[string]model.Alert, len(as))
	}
	for k, a := range as {
		if a.Live() {
			c.m[k] = a
		} else {
			delete(c.m, k)
		}
	}
}
