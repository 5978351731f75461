package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// The audit log's behaviour is in the conformance suite (storetest);
// here the table itself refuses changes.
func TestAuditTableIsAppendOnly(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.AppendAudit(ctx, model.AuditEntry{At: fixtureNow, Action: "push-ip", Target: fmt.Sprint(i), Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, stmt := range []string{`UPDATE audit SET result = 'refused'`, `DELETE FROM audit`, `DELETE FROM audit WHERE id = 2`} {
		if _, err := s.write.Exec(stmt); err == nil {
			t.Errorf("%s: no error", stmt)
		}
	}
	if es, _ := s.Audit(ctx, 0, 100); len(es) != 3 || es[0].Result != "ok" {
		t.Errorf("after refused changes: %+v", es)
	}
}

func enqueue(t *testing.T, s Store, n int, at time.Time) []int64 {
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

func itemIDs(items []model.OutboxItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}
