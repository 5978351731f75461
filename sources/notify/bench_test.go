package notify

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/risktop/risktop/model/store"
)

func BenchmarkSyslogLine(b *testing.B) {
	m := burst().Clean()
	for b.Loop() {
		_ = Line(header0(), m, 0)
	}
}

func BenchmarkSlackBody(b *testing.B) {
	w, _ := NewWebhook(WebhookOptions{URL: secretURL(), Format: FormatSlack})
	m := burst().Clean()
	for b.Loop() {
		if _, err := w.Body(m); err != nil {
			b.Fatal(err)
		}
	}
}

// nopChannel takes everything at once: what is left is the outbox's cost.
type nopChannel struct{ n int }

func (c *nopChannel) Name() string                        { return "webhook" }
func (c *nopChannel) Where() string                       { return "nop://" }
func (c *nopChannel) Send(context.Context, Message) error { c.n++; return nil }

// BenchmarkNotifyAndDeliver is one alert's way through the outbox on a
// store file: queued for one channel, claimed, sent (to nothing), marked
// delivered. The receiver's own time comes on top.
func BenchmarkNotifyAndDeliver(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "risktop.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ch := &nopChannel{}
	n := New(Options{Store: st, Channels: []Channel{ch}})
	ctx := context.Background()
	m := burst()
	i := 0
	for b.Loop() {
		i++
		m.ID = fmt.Sprintf("alert-%d", i)
		if _, err := n.Notify(ctx, m); err != nil {
			b.Fatal(err)
		}
		if _, err := n.batch(ctx, ch); err != nil {
			b.Fatal(err)
		}
	}
	if ch.n != i {
		b.Fatalf("delivered %d of %d", ch.n, i)
	}
}
