package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bubbletable "github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendors"
)

// The 1,000,000-event store the benchmarks draw from is built once (about
// two minutes) and kept in a temp file between runs; delete it to rebuild.
const benchEvents = 1_000_000

var (
	bigStoreOnce sync.Once
	bigStorePath string
	bigStoreErr  error
)

func bigStore(b *testing.B) *store.SQLite {
	b.Helper()
	bigStoreOnce.Do(func() {
		bigStorePath = filepath.Join(os.TempDir(), "risktop-ui-bench-1m.v1.db")
		if _, err := os.Stat(bigStorePath); err == nil {
			return
		}
		tmp := bigStorePath + ".building"
		os.Remove(tmp)
		st, err := store.Open(tmp, store.Options{})
		if err != nil {
			bigStoreErr = err
			return
		}
		start := time.Now()
		ctx := context.Background()
		const batch = 5000
		for i := 0; i < benchEvents; i += batch {
			evs := make([]model.Event, 0, batch)
			for j := i; j < i+batch; j++ {
				evs = append(evs, benchEvent(j))
			}
			if _, err := st.PutEvents(ctx, evs); err != nil {
				bigStoreErr = err
				st.Close()
				return
			}
		}
		st.Close()
		bigStoreErr = os.Rename(tmp, bigStorePath)
		fmt.Fprintf(os.Stderr, "built the %d-event store in %s\n", benchEvents, time.Since(start).Round(time.Second))
	})
	if bigStoreErr != nil {
		b.Fatal(bigStoreErr)
	}
	st, err := store.Open(bigStorePath, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// benchEvent i is a sign-in from 90 days back to fixtureNow, by one of
// 5,000 people, newest last.
func benchEvent(i int) model.Event {
	p := fixturePeople[i%len(fixturePeople)]
	person := i % 5000
	score := (i * 37) % 101
	name := fmt.Sprintf("%s %d", p.name, person)
	ip := fmt.Sprintf("198.51.100.%d", 1+i%250)
	if i%9 == 0 {
		ip = fmt.Sprintf("203.0.113.%d", 10+i%200)
	}
	span := 90 * 24 * time.Hour
	at := fixtureNow.Add(-span + time.Duration(int64(span)/benchEvents*int64(i)))
	return model.Event{
		Vendor: "onelogin", ID: fmt.Sprint(100_000_000 + i), Time: at, Type: 5 + i%2,
		TypeName: "USER_LOGGED_INTO_ONELOGIN", UserID: fmt.Sprint(40_000_000 + person), UserName: name,
		UserKey: fmt.Sprintf("user%d@example.com", person), IP: ip, Score: score, Level: model.LevelOfScore(score),
		App: "Salesforce", Reasons: "Infrequent access from " + ip + " (13%)\nNew device (20%)",
		Fields: map[string]string{"notes": "Authentication method: password.", "browser_fingerprint": "71f0abc"},
	}
}

// benchApp is the dashboard at 160×48 on the 1M store, on a tab.
func benchApp(b *testing.B, st store.Store, keys ...string) *App {
	a := New(Deps{Vendors: vendors.Infos(), Store: st, Theme: asciiTheme(), Title: "acme", Now: func() time.Time { return fixtureNow }, After: noTimers})
	drive(a, tea.WindowSizeMsg{Width: 160, Height: 48})
	drive(a, a.Init())
	drive(a, hubMsg(fixtureMsgs()))
	for _, k := range keys {
		drive(a, press(k))
	}
	return a
}

// timed runs op b.N times and reports the median and the 95th percentile,
// which the targets are stated in.
func timed(b *testing.B, op func()) {
	b.Helper()
	d := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		op()
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(d[len(d)*95/100].Nanoseconds()), "p95-ns")
}

// BenchmarkView draws each screen at 160×48 over the 1M-event store, and
// bubbles' own table doing SetRows+View on 100,000 rows beside it, as the
// issue asks. Target: every screen's median under 1 ms, and no slower than
// the bubbles table.
func BenchmarkView(b *testing.B) {
	st := bigStore(b)
	for _, sc := range []struct {
		name string
		keys []string
	}{
		{"overview", nil}, {"events", []string{"2"}}, {"events-detail", []string{"2", "enter"}},
		{"users", []string{"3"}}, {"drill", []string{"3", "enter"}}, {"behaviors", []string{"4"}},
		{"integrations", []string{"5"}}, {"outbox", []string{"6"}}, {"help", []string{"?"}},
	} {
		b.Run(sc.name, func(b *testing.B) {
			a := benchApp(b, st, sc.keys...)
			var sink string
			timed(b, func() { sink = a.View() })
			_ = sink
		})
	}
	// A dialog and a form drawn over a screen.
	for _, sc := range []struct {
		name string
		keys []string
	}{{"reset-dialog", []string{"3", "R"}}, {"push-form", []string{"2", "p"}}} {
		b.Run(sc.name, func(b *testing.B) {
			a := benchApp(b, st)
			setDeps(a, func(d *Deps) { d.Actions = &fakeActions{linked: true} })
			for _, k := range sc.keys {
				drive(a, press(k))
			}
			if a.modal == nil {
				b.Fatal("no modal")
			}
			var sink string
			timed(b, func() { sink = a.View() })
			_ = sink
		})
	}
	b.Run("bubbles-table-SetRows+View-100k", func(b *testing.B) {
		cols := []bubbletable.Column{{Title: "Time", Width: 8}, {Title: "Src", Width: 4}, {Title: "Score", Width: 5},
			{Title: "Level", Width: 8}, {Title: "User", Width: 40}, {Title: "IP", Width: 15}, {Title: "Event", Width: 26}, {Title: "Reasons", Width: 40}}
		rows := make([]bubbletable.Row, 100_000)
		for i := range rows {
			e := benchEvent(i)
			rows[i] = bubbletable.Row{e.Time.Format("15:04:05"), "OL", fmt.Sprint(e.Score), e.Level.Label(), e.UserName, e.IP, e.TypeName, "Infrequent access"}
		}
		t := bubbletable.New(bubbletable.WithColumns(cols), bubbletable.WithHeight(46), bubbletable.WithFocused(true))
		var sink string
		timed(b, func() {
			t.SetRows(rows)
			sink = t.View()
		})
		_ = sink
	})
}

// BenchmarkKeyToFrame is a key press to its new frame: Update and View,
// as Bubble Tea runs them. The page turn also runs the store read the key
// starts and applies its answer, so it measures the key to the new rows
// on screen.
func BenchmarkKeyToFrame(b *testing.B) {
	st := bigStore(b)
	frame := func(a *App, k string) {
		a.Update(press(k))
		_ = a.View()
	}
	b.Run("events-cursor", func(b *testing.B) {
		a := benchApp(b, st, "2")
		i := 0
		timed(b, func() {
			frame(a, []string{"j", "k"}[i%2])
			i++
		})
	})
	b.Run("tab-switch", func(b *testing.B) {
		a := benchApp(b, st, "2")
		i := 0
		timed(b, func() {
			frame(a, []string{"3", "2"}[i%2])
			i++
		})
	})
	b.Run("users-cursor", func(b *testing.B) {
		a := benchApp(b, st, "3")
		i := 0
		timed(b, func() {
			frame(a, []string{"j", "k"}[i%2])
			i++
		})
	})
	// The page's rows on screen, as the program runs it (each command in
	// its own goroutine): the count of where the page stands (page n of
	// m, "N newer") is read after the rows, and their frame does not wait
	// for it.
	b.Run("events-page-turn-rows-shown", func(b *testing.B) {
		a := benchApp(b, st, "2")
		d := make([]time.Duration, 0, 1024)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			start := time.Now()
			finish := driveUntil(a, press([]string{"]", "["}[i%2]), "events.eventsPage")
			_ = a.View()
			d = append(d, time.Since(start))
			finish()
			i++
		}
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(d[len(d)*95/100].Nanoseconds()), "p95-ns")
	})
	b.Run("events-page-turn-with-store-read", func(b *testing.B) {
		a := benchApp(b, st, "2")
		i := 0
		timed(b, func() {
			drive(a, press([]string{"]", "["}[i%2]))
			_ = a.View()
			i++
		})
	})
}

// driveUntil drives m as the program does, each command in its own
// goroutine, and returns once a message of the type named (as %T prints
// it) has been applied; finish waits for the commands still running and
// applies what they send, for the caller to run outside its timing.
func driveUntil(a *App, m tea.Msg, want string) (finish func()) {
	msgs := make(chan any, 1024)
	var wg sync.WaitGroup
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, x := range runCmd(c) {
				if c, ok := x.(tea.Cmd); ok {
					if c != nil {
						run(c)
					}
					continue
				}
				msgs <- x
			}
		}()
	}
	apply := func(x tea.Msg) {
		if _, cmd := a.Update(x); cmd != nil {
			run(cmd)
		}
	}
	apply(m)
	for x := range msgs {
		apply(x)
		if fmt.Sprintf("%T", x) == want {
			break
		}
	}
	return func() {
		go func() { wg.Wait(); close(msgs) }()
		for x := range msgs {
			drive(a, x)
		}
	}
}
