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

// alertsSchema is the alerts area's tables.
const alertsSchema = ``

var errTodoAlerts = errors.New("postgres: alerts: not yet ported")

func (s *Store) PutAlerts(ctx context.Context, now time.Time, findings []model.Alert, merge store.AlertMerge, cursors map[string]string) ([]model.Alert, error) {
	return nil, errTodoAlerts
}

func (s *Store) Alerts(ctx context.Context, q store.AlertQuery) ([]model.Alert, error) {
	return nil, errTodoAlerts
}

func (s *Store) Alert(ctx context.Context, id int64) (model.Alert, error) {
	return model.Alert{}, errTodoAlerts
}

func (s *Store) AlertChanges(ctx context.Context, afterSeq int64, limit int) ([]model.Alert, error) {
	return nil, errTodoAlerts
}

func (s *Store) AlertSeq(ctx context.Context) (int64, error) {
	return 0, errTodoAlerts
}

func (s *Store) LiveAlerts(ctx context.Context, keys []string) (map[string]model.Alert, error) {
	return nil, errTodoAlerts
}

func (s *Store) CountAlerts(ctx context.Context) (map[model.AlertState]int, error) {
	return nil, errTodoAlerts
}

func (s *Store) SetAlertState(ctx context.Context, id int64, to model.AlertState, actor string, at time.Time) (model.Alert, error) {
	return model.Alert{}, errTodoAlerts
}

func (s *Store) PruneAlerts(ctx context.Context, before time.Time) (int, error) {
	return 0, errTodoAlerts
}

func (s *Store) Prune(ctx context.Context, before time.Time) (store.PruneStats, error) {
	return store.PruneStats{}, errTodoAlerts
}
