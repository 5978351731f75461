package simkit

import "sync"

// Log keeps the newest requests a simulator answered, for tests to read,
// and counts every one.
type Log[T any] struct {
	max int

	mu    sync.Mutex
	items []T
	added int
}

// NewLog keeps the newest max entries.
func NewLog[T any](max int) *Log[T] { return &Log[T]{max: max} }

// Add records v, dropping the oldest entry when full.
func (l *Log[T]) Add(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.added++
	if len(l.items) >= l.max {
		l.items = append(l.items[:0], l.items[len(l.items)-l.max+1:]...)
	}
	l.items = append(l.items, v)
}

// Items returns a copy of the entries kept, oldest first.
func (l *Log[T]) Items() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]T(nil), l.items...)
}

// Count is how many entries were ever added.
func (l *Log[T]) Count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.added
}
