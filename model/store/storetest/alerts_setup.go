package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// openAlerts is a fresh fixture.
func openAlerts(t *testing.T, open Opener) Fixture {
	t.Helper()
	return open(t)
}

// alertsCursor is the cursor PutAlerts wrote.
func alertsCursor(t *testing.T, s store.Store, name string) string {
	t.Helper()
	v, err := s.Cursor(context.Background(), name)
	alertsMust(t, err)
	return v
}

// alertsNow is the alerts cases' clock.
var alertsNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func alertsMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func burstFinding(rng string, failures int, from, to time.Time) model.Alert {
	f := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: model.LevelHigh,
		Key: "burst:" + rng, Title: "Burst of failed sign-ins from " + rng, Subject: rng,
		FirstSeen: from, LastSeen: to, Count: 1,
		Incident: &model.Incident{Range: rng, Addresses: 3, People: 2, Failures: failures, From: from, To: to},
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
	for i := range failures {
		f.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: fmt.Sprint(i)})
	}
	f.Evidence.AddAddress("203.0.113.10")
	f.Evidence.AddPerson("zoe@example.com")
	return f
}

// alertsPooled is a store on PostgreSQL (postgres.Store), whose TEXT
// cannot hold bytes that are not UTF-8 (testPutAlertsOddKeys).
type alertsPooled interface{ Pool() *pgxpool.Pool }
