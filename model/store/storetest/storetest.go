// Package storetest is the conformance suite of store.Store: every
// implementation (SQLite, PostgreSQL) runs the same cases and must
// answer alike. Each area keeps its cases in a file of its own
// (events.go, people.go, outbox.go, alerts.go).
package storetest

import (
	"strings"
	"testing"

	"github.com/risktop/risktop/model/store"
)

// Fixture is one fresh, empty store.
type Fixture struct {
	Store store.Store
	// Reopen closes the store and opens the same data again, as a
	// restarted process would.
	Reopen func(t *testing.T) store.Store
	// Second opens another store on the same data, as a second process
	// would (closed when the test ends).
	Second func(t *testing.T) store.Store
}

// Opener makes a fresh Fixture for a test; the opener closes what it
// opened when the test ends.
type Opener func(t *testing.T) Fixture

// Case is one conformance test.
type Case struct {
	Name string
	Run  func(t *testing.T, open Opener)
}

// Cases are all the cases, by area.
func Cases() []Case {
	var all []Case
	for _, area := range [][]Case{generalCases, eventsCases, peopleCases, outboxCases, alertsCases} {
		all = append(all, area...)
	}
	return all
}

// Run runs every case as a subtest, in parallel.
func Run(t *testing.T, open Opener) { RunCases(t, Cases(), open) }

// AlertCases are the cases about alerts (their names say so): a store
// runs them again with its alert cache bounded, to reach the paths a
// store with more live alerts than it lists takes.
func AlertCases(t *testing.T) []Case {
	var out []Case
	for _, c := range Cases() {
		if strings.Contains(c.Name, "Alert") {
			out = append(out, c)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d alert cases", len(out))
	}
	return out
}

// RunCases runs some cases as subtests, in parallel.
func RunCases(t *testing.T, cases []Case, open Opener) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			c.Run(t, open)
		})
	}
}

var generalCases = []Case{
	{"CloseTwice", func(t *testing.T, open Opener) {
		f := open(t)
		first := f.Store.Close()
		if second := f.Store.Close(); second != first {
			t.Fatalf("second Close = %v, first %v", second, first)
		}
	}},
}
