package postgres

// TODO(issue 17): stub, replaced by the area's port.

import (
	"context"
	"errors"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

var (
	_ = time.Second
	_ model.Level
)

// eventsSchema is the events area's tables.
const eventsSchema = ``

var errTodoEvents = errors.New("postgres: events: not yet ported")

func (s *Store) PutEvents(ctx context.Context, events []model.Event) (inserted int, err error) {
	return 0, errTodoEvents
}

func (s *Store) Events(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	return store.EventPage{}, errTodoEvents
}

func (s *Store) CountEvents(ctx context.Context, f store.EventFilter) (int, error) {
	return 0, errTodoEvents
}

func (s *Store) CountPage(ctx context.Context, q store.CountQuery) (store.PageCount, error) {
	return store.PageCount{}, errTodoEvents
}

func (s *Store) Event(ctx context.Context, vendor, id string) (model.Event, error) {
	return model.Event{}, errTodoEvents
}

func (s *Store) NewestEvent(ctx context.Context, vendor string) (model.Event, error) {
	return model.Event{}, errTodoEvents
}

func (s *Store) EventRate(ctx context.Context, f store.EventFilter, from, to time.Time, step time.Duration) ([]int, error) {
	return nil, errTodoEvents
}

func (s *Store) TopIPs(ctx context.Context, since time.Time, limit int) ([]model.IPRisk, error) {
	return nil, errTodoEvents
}

func (s *Store) DistinctIPs(ctx context.Context, f store.EventFilter, limit int) (ips []string, total int, err error) {
	return nil, 0, errTodoEvents
}

func (s *Store) EventUsers(ctx context.Context, vendor string, since time.Time) ([]model.UserRisk, error) {
	return nil, errTodoEvents
}

func (s *Store) EventFeed(ctx context.Context, after int64, limit int) ([]store.FeedEvent, error) {
	return nil, errTodoEvents
}

func (s *Store) FeedHead(ctx context.Context) (int64, error) {
	return 0, errTodoEvents
}

func (s *Store) FeedEventsFrom(ctx context.Context, from time.Time, upTo int64, limit int) ([]store.FeedEvent, error) {
	return nil, errTodoEvents
}
