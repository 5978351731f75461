package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// outboxNow is the outbox cases' clock.
var outboxNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func outboxMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// enqueueAt queues n address pushes created at at and returns their ids.
func enqueueAt(t *testing.T, s store.Store, n int, at time.Time) []int64 {
	t.Helper()
	items := make([]model.OutboxItem, n)
	for i := range items {
		items[i] = model.OutboxItem{Created: at, IP: fmt.Sprintf("198.51.100.%d", i), Level: model.LevelHigh,
			Message: "seen in risktop", Actor: "alice"}
	}
	ids, err := s.Enqueue(context.Background(), items)
	if err != nil || len(ids) != n {
		t.Fatalf("enqueue: %v, %d ids", err, len(ids))
	}
	return ids
}

func outboxIDs(items []model.OutboxItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func sortedIDs(s []int64) []int64 {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func deliveryMsgs(ids ...string) []store.DeliveryMessage {
	out := make([]store.DeliveryMessage, len(ids))
	for i, id := range ids {
		out[i] = store.DeliveryMessage{ID: id, Payload: `{"id":"` + id + `"}`}
	}
	return out
}

// deliveryKeys names rows message/channel.
func deliveryKeys(ds []store.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.MessageID + "/" + d.Channel
	}
	return out
}
