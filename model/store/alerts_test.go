package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// The event feed numbers events in the order stored: an event fetched
// late (older than those stored before it) comes after them in the feed,
// though its seq sorts before theirs. Events already stored take no number.
func TestEventFeedIsInsertionOrdered(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	ev := func(id string, at time.Time) model.Event {
		return model.Event{Vendor: "onelogin", ID: id, Time: at, TypeName: "USER_FAILED_LOGIN", IP: "203.0.113.9",
			UserKey: "zoe@example.com", Score: model.NoScore}
	}
	put(t, s, []model.Event{ev("a", t0), ev("b", t0.Add(time.Minute))})
	put(t, s, []model.Event{ev("b", t0.Add(time.Minute)), ev("old", t0.Add(-time.Hour))})
	feed, err := s.EventFeed(ctx, 0, 10)
	must(t, err)
	var got []string
	for _, e := range feed {
		got = append(got, fmt.Sprintf("%s@%d", e.ID, e.Feed))
	}
	if !slices.Equal(got, []string{"a@1", "b@2", "old@3"}) {
		t.Fatalf("feed %v", got)
	}
	if e := feed[2]; !e.Time.Equal(t0.Add(-time.Hour)) || e.UserKey != "zoe@example.com" || e.IP != "203.0.113.9" {
		t.Errorf("feed event %+v", e)
	}
	if after, _ := s.EventFeed(ctx, 2, 10); len(after) != 1 || after[0].ID != "old" {
		t.Errorf("feed after 2: %+v", after)
	}
	if h, _ := s.FeedHead(ctx); h != 3 {
		t.Errorf("head %d", h)
	}
	// A reader at 2 has seen a and b of the window, not old.
	win, err := s.FeedEventsFrom(ctx, t0.Add(-2*time.Hour), 2, 100)
	must(t, err)
	if len(win) != 2 || win[0].ID != "a" || win[1].ID != "b" {
		t.Errorf("window at 2: %+v", win)
	}
}

// A store made at schema 4 migrates: its events have no feed number, a
// window read still finds them, and new events are numbered from 1.
func TestMigrateEventsToFeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	db, err := sql.Open("sqlite", path)
	must(t, err)
	ctx := context.Background()
	must(t, migrate(ctx, db, migrations[:4]))
	_, err = db.Exec(`INSERT INTO events (seq, vendor, id, type, type_name, ip, score, level, app, reasons, fields)
		VALUES (?, 'onelogin', 'old', 6, 'USER_FAILED_LOGIN', '203.0.113.5', -1, 0, '', '', '')`, seqOf(fixtureNow.UnixMilli(), 1))
	must(t, err)
	must(t, db.Close())
	s, err := Open(path, Options{})
	must(t, err)
	defer s.Close()
	put(t, s, []model.Event{{Vendor: "onelogin", ID: "new", Time: fixtureNow.Add(time.Second), Score: model.NoScore}})
	win, err := s.FeedEventsFrom(ctx, fixtureNow.Add(-time.Minute), 0, 10)
	must(t, err)
	if len(win) != 1 || win[0].ID != "old" || win[0].Feed != 0 {
		t.Errorf("window before the feed: %+v", win)
	}
	feed, err := s.EventFeed(ctx, 0, 10)
	must(t, err)
	if len(feed) != 1 || feed[0].ID != "new" || feed[0].Feed != 1 {
		t.Errorf("feed %+v", feed)
	}
}
