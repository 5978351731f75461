package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// The Outbox lists a person's push with their email where an address's
// push shows the IP (the Target column), and its level.
func TestOutboxShowsAPersonsPush(t *testing.T) {
	a := newFixtureApp(t, 160, 40, 50)
	at := fixtureNow.Add(-2 * time.Hour)
	if _, err := a.c.Store.Enqueue(context.Background(), []model.OutboxItem{
		{IP: "198.51.100.7", Level: model.LevelHigh, Created: at, Actor: "ops"},
		{Subject: "zoe@example.com", Level: model.LevelCritical, Previous: model.LevelLow, Source: "casb", Created: at, Actor: "ops"},
	}); err != nil {
		t.Fatal(err)
	}
	keysOf(a, "6")
	v := a.View()
	if !strings.Contains(v, "Target") {
		t.Fatalf("no Target column:\n%s", v)
	}
	var person, address string
	for _, line := range strings.Split(v, "\n") {
		if strings.Contains(line, "zoe@example.com") {
			person = line
		}
		if strings.Contains(line, "198.51.100.7") {
			address = line
		}
	}
	if !strings.Contains(person, "queued") || !strings.Contains(person, "Critical") {
		t.Fatalf("the person's row %q:\n%s", person, v)
	}
	if !strings.Contains(address, "High") {
		t.Fatalf("the address's row %q:\n%s", address, v)
	}
}
