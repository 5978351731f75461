package poll

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/risktop/risktop/model/hub"
)

// reloading counts Reloads.
type reloading struct {
	scripted
	reloads atomic.Int32
}

func (r *reloading) Reload() { r.reloads.Add(1) }

// RunSources polls only the sources named (a vendor's, while this
// instance leads it), and each term starts with a Reload of those that
// cache cursors.
func TestRunSourcesPollsOnlyThoseNamedAndReloadsThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		led := &reloading{scripted: scripted{name: "led"}}
		other := &scripted{name: "other"}
		r := NewRunner(hub.New(), Spec{Source: led, Interval: time.Minute}, Spec{Source: other, Interval: time.Minute})
		for term := 1; term <= 2; term++ {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { r.RunSources(ctx, []string{"led"}); close(done) }()
			time.Sleep(5 * time.Minute)
			synctest.Wait()
			cancel()
			<-done
			if got := led.reloads.Load(); got != int32(term) {
				t.Errorf("term %d: %d reloads", term, got)
			}
		}
		if n := len(led.times()); n < 8 {
			t.Errorf("the led source polled %d times in two 5-minute terms", n)
		}
		if n := len(other.times()); n != 0 {
			t.Errorf("a source not named polled %d times", n)
		}
	})
}
