package postgres

// TODO(issue 17): stub, replaced by the area's port.

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

var (
	_ = time.Second
	_ model.Level
)

// peopleSchema is the people area's tables.
const peopleSchema = ``

var errTodoPeople = errors.New("postgres: people: not yet ported")

func (s *Store) PutUserRisks(ctx context.Context, vendor string, at time.Time, views []model.UserRisk) error {
	return errTodoPeople
}

func (s *Store) UserRisks(ctx context.Context, vendor string) ([]model.UserRisk, error) {
	return nil, errTodoPeople
}

func (s *Store) RiskHistory(ctx context.Context, key string, since time.Time) ([]model.RiskPoint, error) {
	return nil, errTodoPeople
}

func (s *Store) HistoryFeed(ctx context.Context, after int64, limit int) ([]store.LevelChange, error) {
	return nil, errTodoPeople
}

func (s *Store) HistoryHead(ctx context.Context) (int64, error) {
	return 0, errTodoPeople
}

func (s *Store) LatestLevels(ctx context.Context, upTo int64) (map[string]map[string]model.Level, error) {
	return nil, errTodoPeople
}

func (s *Store) Rises(ctx context.Context, since time.Time, limit int) ([]store.Rise, error) {
	return nil, errTodoPeople
}

func (s *Store) PutScores(ctx context.Context, sc model.Scores) error {
	return errTodoPeople
}

func (s *Store) LatestScores(ctx context.Context, window time.Duration) (model.Scores, error) {
	return model.Scores{}, errTodoPeople
}

func (s *Store) ScoresHistory(ctx context.Context, window time.Duration, since time.Time) ([]model.Scores, error) {
	return nil, errTodoPeople
}

func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	return "", errTodoPeople
}

func (s *Store) SetCursor(ctx context.Context, name, value string) error {
	return errTodoPeople
}

func (s *Store) SaveView(ctx context.Context, owner string, v store.SavedView) error {
	return errTodoPeople
}

func (s *Store) SavedViews(ctx context.Context, owner string) ([]store.SavedView, error) {
	return nil, errTodoPeople
}

func (s *Store) Pref(ctx context.Context, owner, name string) (string, bool, error) {
	return "", false, errTodoPeople
}

func (s *Store) SetPref(ctx context.Context, owner, name, value string, at time.Time) error {
	return errTodoPeople
}

func (s *Store) Changes(ctx context.Context, q store.ChangesQuery) (model.Changes, error) {
	return model.Changes{}, errTodoPeople
}

func (s *Store) ChangeMark(ctx context.Context, owner string) (model.SeenMark, error) {
	return model.SeenMark{}, errTodoPeople
}

func (s *Store) SetChangeMark(ctx context.Context, owner string, m model.SeenMark) error {
	return errTodoPeople
}

func (s *Store) RecordHealth(ctx context.Context, h model.HealthChange) error {
	return errTodoPeople
}

func (s *Store) Trends(ctx context.Context, q store.TrendQuery) (model.Trend, error) {
	return model.Trend{}, errTodoPeople
}

// addRollups adds a PutEvents batch's new rows to the rollups the
// Changes and Trends read, in PutEvents' transaction (see SQLite's
// addRollups in model/store/changes.go).
func addRollups(ctx context.Context, tx pgx.Tx, rows []eventRow) error { return nil }
