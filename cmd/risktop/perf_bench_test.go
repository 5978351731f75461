package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStartToFirstFrame measures, for the built binary in a real
// terminal (tmux), the time from starting `risktop demo` to its first frame
// on screen (the header drawn in the alternate screen). It includes tmux
// starting the process and the screen being polled every 2 ms, so it
// overstates risktop's own share. Target: under 300 ms.
func BenchmarkStartToFirstFrame(b *testing.B) {
	requireTmux(b)
	bin := buildRisktop(b)
	tmp := b.TempDir()
	var d []time.Duration
	for b.Loop() {
		start := time.Now()
		tt := startTmux(b, 120, 40, fmt.Sprintf("env TERM=xterm-256color TMPDIR=%s XDG_STATE_HOME=%s %s demo", shellQuote(tmp), shellQuote(tmp), shellQuote(bin)))
		for {
			if s, _ := tt.tmux("capture-pane", "-p", "-t", "t"); strings.Contains(s, "risktop · demo") {
				break
			}
			if time.Since(start) > 20*time.Second {
				b.Fatal("no first frame after 20s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		d = append(d, time.Since(start))
		tt.send("q")
		tt.waitExit(15 * time.Second)
		_, _ = tt.tmux("kill-server")
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(d[len(d)-1].Milliseconds()), "max-ms")
}

// BenchmarkIdleCPU runs `risktop demo --no-scenario` in tmux, waits until
// the history back-fill is done, then measures the process's CPU time over
// 60 s with no input: the pollers still poll (OneLogin every 30 s) and the
// embedded simulator still serves them. Target: under 1% of one core.
func BenchmarkIdleCPU(b *testing.B) {
	requireTmux(b)
	bin := buildRisktop(b)
	tmp := b.TempDir()
	var sum, worst float64
	runs := 0
	for b.Loop() {
		tt := startTmux(b, 120, 40, fmt.Sprintf("env TERM=xterm-256color TMPDIR=%s XDG_STATE_HOME=%s %s demo --no-scenario", shellQuote(tmp), shellQuote(tmp), shellQuote(bin)))
		tt.waitFor("● OneLogin", 30*time.Second)
		tt.waitUntil("the back-fill to finish", 10*time.Minute, func(s string) bool { return !strings.Contains(s, "OneLogin history") })
		pid := panePID(b, tt)
		time.Sleep(5 * time.Second) // the last page's store writes settle
		before, t0 := cpuTime(b, pid), time.Now()
		time.Sleep(60 * time.Second)
		used, wall := cpuTime(b, pid)-before, time.Since(t0)
		pct := 100 * used.Seconds() / wall.Seconds()
		sum, worst, runs = sum+pct, max(worst, pct), runs+1
		tt.send("q")
		tt.waitExit(15 * time.Second)
	}
	b.ReportMetric(sum/float64(runs), "mean-%cpu")
	b.ReportMetric(worst, "max-%cpu")
}

// panePID is the risktop process: the child of the pane's shell (env
// execs risktop in place).
func panePID(b *testing.B, tt *tmuxTerm) int {
	out, err := tt.tmux("list-panes", "-t", "t", "-F", "#{pane_pid}")
	if err != nil {
		b.Fatal(err)
	}
	shell := strings.TrimSpace(out)
	kids, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(kids))
	if len(f) == 0 {
		b.Fatal("risktop is not running in the pane")
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		b.Fatal(err)
	}
	return pid
}

// cpuTime is a process's user plus system time from /proc.
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}
