package remote

import (
	"log/slog"
	"sync"
	"time"
)

// What a flood of connections may write to the log: of each kind of
// event (a connection refused at a cap, one cut at the auth timeout, a
// key refused, a failed handshake), the first logBurst in a logPeriod get
// a line each; the rest are counted and summed up in one line when the
// period ends, or when the server stops.
const (
	logBurst  = 10
	logPeriod = time.Minute
)

// logLimiter writes the connection log at most logBurst lines of a kind a
// period, and a summary of the rest.
type logLimiter struct {
	log    *slog.Logger
	burst  int
	period time.Duration

	mu      sync.Mutex
	kinds   map[string]*logKind
	stopped bool // after stop, every event is logged
}

// logKind is one kind of event in its current period.
type logKind struct {
	start  time.Time
	logged int
	more   int         // events not logged one by one
	msg    string      // the message they would have had
	timer  *time.Timer // writes the summary at the period's end; nil: none due
}

func newLogLimiter(log *slog.Logger) *logLimiter {
	return &logLimiter{log: log, burst: logBurst, period: logPeriod, kinds: map[string]*logKind{}}
}

// Info logs msg with args, or counts it when kind has had its burst
// this period.
func (l *logLimiter) Info(kind, msg string, args ...any) {
	l.mu.Lock()
	k := l.kinds[kind]
	if k == nil {
		k = &logKind{}
		l.kinds[kind] = k
	}
	now := time.Now()
	if k.logged == 0 || now.Sub(k.start) >= l.period {
		// A new period; the last one's summary is written by its timer.
		k.start, k.logged = now, 0
	}
	if k.logged < l.burst || l.stopped {
		k.logged++
		l.mu.Unlock()
		l.log.Info(msg, args...)
		return
	}
	k.more++
	k.msg = msg
	if k.timer == nil {
		k.timer = time.AfterFunc(k.start.Add(l.period).Sub(now), func() { l.summarize(kind, l.period) })
	}
	l.mu.Unlock()
}

// summarize writes how many events of kind were not logged one by one
// in the last d.
func (l *logLimiter) summarize(kind string, d time.Duration) {
	l.mu.Lock()
	k := l.kinds[kind]
	n, msg := k.more, k.msg
	k.more, k.timer = 0, nil
	l.mu.Unlock()
	if n > 0 {
		l.log.Info(msg+": and more, not logged one by one", "more", n, "in_the_last", d)
	}
}

// stop writes every summary due and logs every later event.
func (l *logLimiter) stop() {
	l.mu.Lock()
	l.stopped = true
	due := map[string]time.Duration{}
	for kind, k := range l.kinds {
		if k.timer != nil {
			k.timer.Stop()
			due[kind] = time.Since(k.start).Round(time.Millisecond)
		}
	}
	l.mu.Unlock()
	for kind, d := range due {
		l.summarize(kind, d)
	}
}
