package rules

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// personCount counts as a map does, in its short list and past it.
func TestPersonCountIsAMap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, people := range []int{3, smallPeople, 3 * smallPeople} {
		var c personCount
		want := map[string]int{}
		for range 2000 {
			p := fmt.Sprint("p", rnd.IntN(people))
			n := 1
			if want[p] > 0 && rnd.IntN(2) == 0 {
				n = -1
			}
			c.add(p, n)
			if want[p] += n; want[p] == 0 {
				delete(want, p)
			}
			if c.len() != len(want) {
				t.Fatalf("%d people: len %d, want %d", people, c.len(), len(want))
			}
		}
		c.reset()
		if c.len() != 0 {
			t.Fatalf("after reset: %d", c.len())
		}
	}
}
