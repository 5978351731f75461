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

// outboxSchema is the outbox area's tables.
const outboxSchema = ``

var errTodoOutbox = errors.New("postgres: outbox: not yet ported")

func (s *Store) AppendAudit(ctx context.Context, e model.AuditEntry) (int64, error) {
	return 0, errTodoOutbox
}

func (s *Store) AppendAudits(ctx context.Context, es []model.AuditEntry) ([]int64, error) {
	return nil, errTodoOutbox
}

func (s *Store) Audit(ctx context.Context, beforeID int64, limit int) ([]model.AuditEntry, error) {
	return nil, errTodoOutbox
}

func (s *Store) Enqueue(ctx context.Context, items []model.OutboxItem) ([]int64, error) {
	return nil, errTodoOutbox
}

func (s *Store) EnqueueOnce(ctx context.Context, pushes []store.Push, now time.Time, ttl time.Duration) ([]store.Enqueued, error) {
	return nil, errTodoOutbox
}

func (s *Store) LivePushes(ctx context.Context, ips []string, now time.Time, ttl time.Duration) (map[string][]model.OutboxItem, error) {
	return nil, errTodoOutbox
}

func (s *Store) ClaimDue(ctx context.Context, now time.Time, limit int) ([]model.OutboxItem, error) {
	return nil, errTodoOutbox
}

func (s *Store) MarkSent(ctx context.Context, ids []int64, at time.Time) error {
	return errTodoOutbox
}

func (s *Store) MarkFailed(ctx context.Context, ids []int64, errText string, nextTry time.Time) error {
	return errTodoOutbox
}

func (s *Store) Requeue(ctx context.Context, id int64, at time.Time) error {
	return errTodoOutbox
}

func (s *Store) Drop(ctx context.Context, id int64) error {
	return errTodoOutbox
}

func (s *Store) Outbox(ctx context.Context, state model.OutboxState, limit int) ([]model.OutboxItem, error) {
	return nil, errTodoOutbox
}

func (s *Store) OutboxItems(ctx context.Context, ids []int64) ([]model.OutboxItem, error) {
	return nil, errTodoOutbox
}

func (s *Store) NextOutboxDue(ctx context.Context) (time.Time, bool, error) {
	return time.Time{}, false, errTodoOutbox
}

func (s *Store) EnqueueDeliveries(ctx context.Context, msgs []store.DeliveryMessage, channels []string, now time.Time) (int, error) {
	return 0, errTodoOutbox
}

func (s *Store) ClaimDeliveries(ctx context.Context, channel string, now time.Time, limit int) ([]store.Delivery, error) {
	return nil, errTodoOutbox
}

func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	return errTodoOutbox
}

func (s *Store) MarkDeliveryRetry(ctx context.Context, id int64, errText string, next time.Time) error {
	return errTodoOutbox
}

func (s *Store) MarkDeliveryFailed(ctx context.Context, id int64, reason string, at time.Time) error {
	return errTodoOutbox
}

func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64) error {
	return errTodoOutbox
}

func (s *Store) NextDeliveryDue(ctx context.Context, channel string) (time.Time, bool, error) {
	return time.Time{}, false, errTodoOutbox
}

func (s *Store) Deliveries(ctx context.Context, state store.DeliveryState, limit int) ([]store.Delivery, error) {
	return nil, errTodoOutbox
}

// closeSession ends this store's session (its outbox claims), on Close.
func (s *Store) closeSession() error { return nil }
