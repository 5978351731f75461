package rules

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// BenchmarkEvaluate1000 is the rules' own share of a poll: 1,000 new
// events (a minute of a 5,000-person tenant, a tenth of them a
// credential-stuffing burst from one /24) through every default rule,
// the windows already warm.
func BenchmarkEvaluate1000(b *testing.B) {
	rnd := rand.New(rand.NewPCG(3, 4))
	next := 0
	batch := func(at time.Time) []model.Event {
		evs := make([]model.Event, 1000)
		for i := range evs {
			next++
			r := rnd.Float64()
			u := int(r * r * r * 5000)
			e := model.Event{Vendor: "onelogin", ID: strconv.Itoa(next), Time: at.Add(time.Duration(rnd.Int64N(int64(time.Minute)))),
				TypeName: "USER_LOGGED_INTO_ONELOGIN", UserKey: fmt.Sprintf("p%d@example.com", u), Score: model.NoScore,
				IP: fmt.Sprintf("2001:db8:%x::1", u)}
			switch {
			case i < 100:
				e.IP, e.TypeName = "203.0.113."+strconv.Itoa(10+rnd.IntN(230)), "USER_FAILED_ONELOGIN_LOGIN"
			case rnd.IntN(5) == 0:
				e.IP = fmt.Sprintf("10.0.%d.%d", rnd.IntN(8), rnd.IntN(256))
			case rnd.IntN(20) == 0:
				e.TypeName = "USER_FAILED_ONELOGIN_LOGIN"
			case rnd.IntN(4) != 0:
				s := rnd.Float64()
				e.Score = int(s * s * 101)
			}
			evs[i] = e
		}
		return evs
	}
	ev := New(Defaults())
	at := t0
	for range 10 { // ten minutes of windows
		ev.Events(batch(at))
		at = at.Add(time.Minute)
	}
	var batches [][]model.Event
	for i := 0; b.Loop(); i++ {
		if i == len(batches) {
			b.StopTimer()
			for range 64 {
				batches = append(batches, batch(at))
				at = at.Add(time.Minute)
			}
			b.StartTimer()
		}
		ev.Events(batches[i])
		ev.Expire()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
}
