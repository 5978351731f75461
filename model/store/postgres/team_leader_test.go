package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
)

const leaderRetry = 200 * time.Millisecond

// contenders runs WhileLeader for one name on several stores and records
// who runs: running counts the runs in progress, and a run that starts
// while another is in progress is an error.
type contenders struct {
	t       *testing.T
	running atomic.Int32
	started chan int // the contender's index, when its run starts
	stopped chan int // and when it returns
	// early, when set, makes contender i's next run return at once.
	mu    sync.Mutex
	early map[int]bool

	ctx   context.Context
	wg    sync.WaitGroup
	retry time.Duration
}

func newContenders(t *testing.T) *contenders {
	c := &contenders{t: t, started: make(chan int, 100), stopped: make(chan int, 100), early: map[int]bool{}, retry: leaderRetry}
	ctx, cancel := context.WithCancel(context.Background())
	c.ctx = ctx
	t.Cleanup(func() {
		cancel()
		c.wg.Wait()
		if n := c.running.Load(); n != 0 {
			t.Errorf("%d runs still in progress after WhileLeader returned", n)
		}
	})
	return c
}

// join starts contender i on st.
func (c *contenders) join(name string, i int, st *postgres.Store, onChange func(bool)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		st.WhileLeader(c.ctx, name, c.retry, func(ctx context.Context) { c.run(ctx, i) }, onChange)
	}()
}

// contend starts the stores as contenders 0, 1, … for name.
func contend(t *testing.T, name string, stores ...*postgres.Store) *contenders {
	c := newContenders(t)
	for i, st := range stores {
		c.join(name, i, st, nil)
	}
	return c
}

func (c *contenders) run(ctx context.Context, i int) {
	if n := c.running.Add(1); n > 1 {
		c.t.Errorf("contender %d started while %d other runs were in progress", i, n-1)
	}
	c.started <- i
	c.mu.Lock()
	early := c.early[i]
	delete(c.early, i)
	c.mu.Unlock()
	if !early {
		<-ctx.Done()
	}
	c.running.Add(-1)
	c.stopped <- i
}

// next waits for a message on ch for at most d.
func next(t *testing.T, ch <-chan int, d time.Duration, what string) int {
	t.Helper()
	select {
	case i := <-ch:
		return i
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
		return -1
	}
}

// quiet asserts nothing arrives on ch for d: no second leader starts while
// one holds the lock.
func quiet(t *testing.T, ch <-chan int, d time.Duration, what string) {
	t.Helper()
	select {
	case i := <-ch:
		t.Fatalf("contender %d: unexpected %s", i, what)
	case <-time.After(d):
	}
}

// leaderBackend is the server process holding name's lock.
func leaderBackend(t *testing.T, url string) int32 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid int32
	err = conn.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1`).Scan(&pid)
	if err != nil {
		t.Fatalf("the leader's lock: %v", err)
	}
	return pid
}

func openURL(t *testing.T, url string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Two instances, one name: one runs; when the server terminates its
// connection, its run is cancelled and the other runs within a retry
// and a bit, never both at once.
func TestWhileLeaderOneAtATimeAndTakeover(t *testing.T) {
	a, url := openDB(t)
	b := openURL(t, url)
	c := contend(t, "poll/okta", a, b)

	first := next(t, c.started, 10*time.Second, "leader")
	quiet(t, c.started, 3*leaderRetry, "second leader")
	leaders, err := a.Leaders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(leaders) != 1 || leaders["poll/okta"] == "" {
		t.Fatalf("Leaders = %v, want poll/okta's holder", leaders)
	}

	for range 3 {
		pid := leaderBackend(t, url)
		admin := openURL(t, url)
		if _, err := admin.Pool().Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if got := next(t, c.stopped, 5*time.Second, "stop after the leader's connection was terminated"); got != first {
			t.Fatalf("contender %d stopped, want the leader %d", got, first)
		}
		took := next(t, c.started, 5*time.Second, "takeover")
		if took == first {
			t.Fatalf("the leader that lost its connection led again before the other took over")
		}
		// Within retry (the other's next try) and retry/4 (its settling),
		// plus slack for a loaded machine.
		if d := time.Since(start); d > leaderRetry+leaderRetry/4+time.Second {
			t.Fatalf("takeover took %v", d)
		}
		first = took
		admin.Close()
	}
	quiet(t, c.started, 2*leaderRetry, "second leader")
}

// A run that returns on its own releases the lock at once: an instance
// that starts trying then leads, while the one that returned waits a
// retry before trying again.
func TestWhileLeaderRunReturningReleases(t *testing.T) {
	a, url := openDB(t)
	b := openURL(t, url)
	released := make(chan bool, 10)
	c := newContenders(t)
	c.retry = time.Second // the newcomer connects well within it
	c.early[0] = true
	c.join("detect", 0, a, func(leading bool) { released <- leading })
	next(t, c.started, 10*time.Second, "leader")
	next(t, c.stopped, 5*time.Second, "early return")
	if leading := <-released; !leading {
		t.Fatal("onChange(false) before onChange(true)")
	}
	if leading := <-released; leading {
		t.Fatal("onChange(true) twice")
	}
	c.join("detect", 1, b, nil)
	if got := next(t, c.started, 5*time.Second, "leader after the early return"); got != 1 {
		t.Fatalf("contender %d leads, want the newcomer: the lock was not released", got)
	}
	quiet(t, c.started, 2*c.retry, "second leader")
}

// A leader whose server restarts stops its run at once; after the
// restart one of them leads again.
func TestWhileLeaderSurvivesServerRestart(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	a := openURL(t, url)
	b := openURL(t, url)
	c := contend(t, "poll/cloudflare", a, b)
	first := next(t, c.started, 10*time.Second, "leader")

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := next(t, c.stopped, 5*time.Second, "stop when the server went down"); got != first {
		t.Fatalf("contender %d stopped, want %d", got, first)
	}
	quiet(t, c.started, 3*leaderRetry, "leader while the server is down")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	next(t, c.started, 10*time.Second, "leader after the restart")
	quiet(t, c.started, 3*leaderRetry, "second leader")
	leaders, err := a.Leaders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if leaders["poll/cloudflare"] == "" {
		t.Fatalf("Leaders = %v after the restart", leaders)
	}
}

// Names are independent: two names can be led at once, by either.
func TestWhileLeaderNamesAreIndependent(t *testing.T) {
	a, url := openDB(t)
	b := openURL(t, url)
	okta := contend(t, "poll/okta", a, b)
	casb := contend(t, "poll/casb", b, a)
	next(t, okta.started, 10*time.Second, "okta leader")
	next(t, casb.started, 10*time.Second, "casb leader")
	leaders, err := b.Leaders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(leaders) != 2 || leaders["poll/okta"] == "" || leaders["poll/casb"] == "" {
		t.Fatalf("Leaders = %v, want both names", leaders)
	}
}

// A leader whose database stops answering (its server process hangs, as
// behind a cut network) steps down after its check times out, though the
// lock is still held; once the server process goes on and sees its client
// gone, the lock is free and someone leads again.
func TestWhileLeaderStepsDownWhenTheDatabaseHangs(t *testing.T) {
	a, url := openDB(t)
	b := openURL(t, url)
	c := contend(t, "poll/casb", a, b)
	first := next(t, c.started, 10*time.Second, "leader")
	pid := int(leaderBackend(t, url))
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Skipf("cannot stop the server process: %v", err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume) // before the database is dropped
	start := time.Now()
	if got := next(t, c.stopped, 5*time.Second, "stop when the database hangs"); got != first {
		t.Fatalf("contender %d stopped, want %d", got, first)
	}
	// Within retry of waiting and retry for the check to time out.
	if d := time.Since(start); d > 2*leaderRetry+time.Second {
		t.Fatalf("stepping down took %v", d)
	}
	quiet(t, c.started, 3*leaderRetry, "leader while the old session still holds the lock")
	resume()
	next(t, c.started, 10*time.Second, "leader once the hung session is gone")
}
