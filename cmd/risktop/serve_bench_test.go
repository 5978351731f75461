package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/ui/remote/sshtest"
)

// Benchmarks of `risktop serve` (docs/PERFORMANCE.md, "Serving over SSH").
// Each measures over wall-clock windows, so run them once:
//
//	go test -run '^$' -bench 'Serve' -benchtime 1x ./cmd/risktop
//
// RISKTOP_BENCH_WINDOW (a Go duration) sets each window: default 20s,
// and 5m for the ten sessions (a whole cycle of the pollers).

func benchWindow(b *testing.B) time.Duration {
	if v := os.Getenv("RISKTOP_BENCH_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("RISKTOP_BENCH_WINDOW: %v", err)
		}
		return d
	}
	return 20 * time.Second
}

// serveConfig is a config for the simulator with every poll interval set
// to interval (CASB's at least 1m, its floor) and a one-hour back-fill,
// so the store settles quickly.
func serveConfig(b *testing.B, s *sim.Server, keyFile, interval string) string {
	b.Helper()
	text := s.Endpoints().Config(keyFile)
	casb := interval
	if d, _ := time.ParseDuration(interval); d < time.Minute {
		casb = "1m" // CASB's floor
	}
	text = strings.Replace(text, "interval: 30s", "interval: "+interval, 1)
	text = strings.Replace(text, "interval: 5m", "interval: "+casb, 1)
	text = strings.Replace(text, "interval: 60s", "interval: "+interval, 1)
	text = strings.Replace(text, "backfill: 24h", "backfill: 1h", 1)
	return writeConfig(b, text)
}

// quietFor waits until tt has sent nothing for quiet, and returns how
// many bytes it had sent by then.
func quietFor(b *testing.B, tt *sshtest.Term, quiet, timeout time.Duration) int {
	b.Helper()
	deadline := time.Now().Add(timeout)
	n, since := tt.Bytes(), time.Now()
	for {
		time.Sleep(20 * time.Millisecond)
		if m := tt.Bytes(); m != n {
			n, since = m, time.Now()
		} else if time.Since(since) >= quiet {
			return n
		}
		if time.Now().After(deadline) {
			b.Fatalf("the session never went quiet for %s", quiet)
		}
	}
}

// BenchmarkServeIdleBytes: bytes per second to a session on the Overview
// while no data changes (a quiet tenant, every poll 10 minutes apart,
// after the back-fill and the first polls have landed).
func BenchmarkServeIdleBytes(b *testing.B) {
	simSrv, keyFile := startBenchSim(b, true)
	k := sshtest.NewKey(b, "idle")
	s := startServe(b, "--config", serveConfig(b, simSrv, keyFile, "10m"),
		"--authorized-keys", sshtest.WriteKeys(b, "authorized_keys", k.Line))
	_, tt := s.connect(k)
	tt.WaitFor(30*time.Second, "● OL", "● CF", "● CASB")
	settled := quietFor(b, tt, 3*time.Second, 2*time.Minute)
	window := benchWindow(b)
	b.ResetTimer()
	for range b.N {
		start := tt.Bytes()
		time.Sleep(window)
		sent := tt.Bytes() - start
		b.ReportMetric(float64(sent)/window.Seconds(), "B/s")
	}
	b.StopTimer()
	b.ReportMetric(float64(settled), "B-to-settle")
}

// BenchmarkServeRepaint: bytes of one full repaint of each screen at
// 80×24 (a window change of the same size makes Bubble Tea repaint all).
func BenchmarkServeRepaint(b *testing.B) {
	simSrv, keyFile := startBenchSim(b, false)
	k := sshtest.NewKey(b, "repaint")
	s := startServe(b, "--config", serveConfig(b, simSrv, keyFile, "10m"),
		"--authorized-keys", sshtest.WriteKeys(b, "authorized_keys", k.Line))
	for _, profile := range []struct {
		name string
		env  map[string]string
	}{{"256colour", nil}, {"truecolour", map[string]string{"COLORTERM": "truecolor"}}} {
		c, err := sshtest.Dial(s.addr, k, gossh.FixedHostKey(s.hostKey))
		if err != nil {
			b.Fatal(err)
		}
		tt := sshtest.Open(b, c, "xterm-256color", 80, 24, profile.env)
		tt.WaitFor(30*time.Second, "● OL", "● CF", "● CASB")
		quietFor(b, tt, 2*time.Second, 2*time.Minute)
		for i, screen := range []string{"overview", "events", "users", "behaviors", "integrations", "outbox"} {
			tt.Key(fmt.Sprint(i + 1))
			quietFor(b, tt, time.Second, time.Minute)
			var total int
			for range b.N {
				before := tt.Bytes()
				tt.Resize(80, 24)
				total += quietFor(b, tt, 500*time.Millisecond, time.Minute) - before
			}
			b.ReportMetric(float64(total)/float64(b.N), "B/"+profile.name+"-"+screen)
		}
		c.Close()
	}
}

// BenchmarkServeTenSessions: the simulator's request rate with one
// session and with ten (one set of pollers: it must not change), and the
// heap each extra session costs (in use after GC; the test's clients
// discard what they are sent).
func BenchmarkServeTenSessions(b *testing.B) {
	simSrv, keyFile := startBenchSim(b, true)
	k := sshtest.NewKey(b, "many")
	// The fastest the config allows for OneLogin and Cloudflare.
	s := startServe(b, "--config", serveConfig(b, simSrv, keyFile, "10s"),
		"--authorized-keys", sshtest.WriteKeys(b, "authorized_keys", k.Line))
	// Each window holds one whole cycle of the pollers: OneLogin reads its
	// four score insights every 5 minutes, so shorter windows differ by
	// where that burst falls.
	window := 5 * time.Minute
	if os.Getenv("RISKTOP_BENCH_WINDOW") != "" {
		window = benchWindow(b)
	}
	requests := func() int64 {
		var n int64
		for _, v := range simSrv.State().Vendors {
			n += v.Requests
		}
		return n
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	var sessions []*discardSession
	defer func() {
		for _, d := range sessions {
			d.c.Close()
		}
	}()
	open := func() {
		d := openDiscard(b, s, k)
		sessions = append(sessions, d)
	}
	// CPU time of the whole process (server, its clients and the
	// simulator): the difference between the windows is the sessions'.
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	open()
	time.Sleep(15 * time.Second) // the back-fill and the first polls
	b.ResetTimer()
	for range b.N {
		h1 := heap()
		r0, c0 := requests(), cpu()
		time.Sleep(window)
		r1, c1 := requests(), cpu()
		for range 9 {
			open()
		}
		time.Sleep(2 * time.Second) // each draws its first frames
		h10 := heap()
		r2, c2 := requests(), cpu()
		time.Sleep(window)
		r3, c3 := requests(), cpu()
		// And back to one, so drift in the pollers' pace shows as such.
		for _, d := range sessions[1:] {
			d.c.Close()
		}
		sessions = sessions[:1]
		time.Sleep(2 * time.Second)
		r4 := requests()
		time.Sleep(window)
		r5 := requests()
		perMin := func(n int64) float64 { return float64(n) / window.Minutes() }
		b.ReportMetric(perMin(r1-r0), "req/min-1-session")
		b.ReportMetric(perMin(r3-r2), "req/min-10-sessions")
		b.ReportMetric(perMin(r5-r4), "req/min-1-session-again")
		b.ReportMetric(float64(int64(h10)-int64(h1))/9, "heapB/extra-session")
		share := func(d time.Duration) float64 { return 100 * d.Seconds() / window.Seconds() }
		b.ReportMetric(share(c1-c0), "%cpu-1-session")
		b.ReportMetric(share(c3-c2), "%cpu-10-sessions")
	}
}

// discardSession is a dashboard session whose output is counted and
// dropped, so the client's buffers do not weigh on the heap measured.
type discardSession struct {
	c    *gossh.Client
	sent atomic.Int64
}

func openDiscard(b *testing.B, s *served, k sshtest.Key) *discardSession {
	b.Helper()
	c, err := sshtest.Dial(s.addr, k, gossh.FixedHostKey(s.hostKey))
	if err != nil {
		b.Fatal(err)
	}
	sess, err := c.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	d := &discardSession{c: c}
	seen := make(chan struct{})
	var once sync.Once
	var tail []byte
	sess.Stdout = writerFunc(func(p []byte) (int, error) {
		d.sent.Add(int64(len(p)))
		tail = append(tail, p...)
		if bytes.Contains(tail, []byte("quit")) {
			once.Do(func() { close(seen) })
		}
		if len(tail) > 64 {
			tail = append(tail[:0], tail[len(tail)-64:]...)
		}
		return len(p), nil
	})
	sess.Stderr = io.Discard
	if err := sess.Shell(); err != nil {
		b.Fatal(err)
	}
	select {
	case <-seen:
	case <-time.After(30 * time.Second):
		b.Fatal("a session drew no dashboard in 30s")
	}
	return d
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// startBenchSim serves the demo's tenant size (300 people) with six
// hours of history and no scenario. quiet: next to no new activity (one
// sign-in every ~17 hours), so what the pollers fetch does not change from
// one window to the next and neither does the number of requests (a
// change in Cloudflare's summary, for one, fetches that user's detail);
// else the default 4 sign-ins a minute, whose history fills the screens.
func startBenchSim(b *testing.B, quiet bool) (*sim.Server, string) {
	b.Helper()
	o := simkit.Options{Seed: 1, History: 6 * time.Hour}
	if quiet {
		o.EventsPerMinute = 0.001
	}
	srv, err := sim.Start("127.0.0.1:0", sim.Options{World: o})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	keyFile := filepath.Join(b.TempDir(), "okta.pem")
	if err := os.WriteFile(keyFile, srv.OktaKeyPEM, 0o600); err != nil {
		b.Fatal(err)
	}
	return srv, keyFile
}
