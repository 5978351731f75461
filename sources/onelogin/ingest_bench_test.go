package onelogin

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/ingest"
)

var benchNames = []string{"Ava Chen", "Søren Müller", "山田 太郎", "Zoë O'Brien", "Nguyễn Văn An", "Priya Iyer", "ava.smith@example.com"}

// eventsBody is a Get Events page of 50 sign-ins shaped like the seed's
// sample, with ids from first.
func eventsBody(first int64) []byte {
	var b strings.Builder
	b.WriteString(`{"status":{"error":false,"code":200,"type":"success","message":"Success"},"pagination":{"before_cursor":null,"after_cursor":"xWNjb3VudF9pZDo6OjUzNDEzLS0jI2lkOjo6OTA0MjU3NTQ2","previous_link":null,"next_link":"https://acme.onelogin.com/api/1/events?after_cursor=xWNjb3VudF9pZDo6OjUzNDEzLS0jI2lkOjo6OTA0MjU3NTQ2"},"data":[`)
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	for i := int64(0); i < 50; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		id := first + i
		name, _ := json.Marshal(benchNames[id%int64(len(benchNames))])
		score := (id * 37) % 100
		fmt.Fprintf(&b, `{"id":%d,"created_at":%q,"account_id":55555,"user_id":%d,"event_type_id":5,`+
			`"notes":"Authentication method: password.","ipaddr":"198.51.100.%d","actor_user_id":%d,"assuming_acting_user_id":null,`+
			`"role_id":null,"app_id":null,"group_id":null,"otp_device_id":null,"policy_id":null,"actor_system":"","custom_message":null,`+
			`"role_name":null,"app_name":null,"group_name":null,"actor_user_name":%s,"user_name":%s,"policy_name":null,`+
			`"otp_device_name":null,"operation_name":null,"directory_sync_run_id":null,"directory_id":null,"resolution":null,`+
			`"client_id":null,"resource_type_id":null,"error_description":null,"proxy_ip":null,"risk_score":%d,`+
			`"risk_reasons":"Infrequent access from 198.51.100.%d (13%%)\nLow trust for session (15%%)\nNew device (9%%)",`+
			`"risk_cookie_id":"1cc3%04x-6a0d-4643-8111-b5%04x","browser_fingerprint":"71f%012xbc184748e5a6b"}`,
			id, t0.Add(time.Duration(id)*time.Second).Format("2006-01-02T15:04:05.000Z"), 40_000_000+id%300,
			id%254+1, 40_000_000+id%300, name, name, score, id%254+1, id%65536, id%65536, id)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkIngestVsDecode measures, in one run, decoding Get Events pages
// alone (json into the client's structs) and ingesting them the way the
// pollers do (decode, sanitize and map onto the model on one goroutine,
// store in SQLite on the pipeline's), and reports both rates and their
// ratio. The target is a ratio of at least 0.5: ingest at least half as
// fast as decoding alone. Each op is a run of pagesPerOp pages, like a
// stretch of back-fill.
func BenchmarkIngestVsDecode(b *testing.B) {
	const pagesPerOp = 20
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var decodeTime, ingestTime time.Duration
	var pages int64
	bodies := make([][]byte, pagesPerOp)
	for b.Loop() {
		b.StopTimer()
		for i := range bodies {
			bodies[i] = eventsBody(pages * 50)
			pages++
		}
		b.StartTimer()

		start := time.Now()
		for _, body := range bodies {
			var plain struct{ Data []Event }
			if err := json.Unmarshal(body, &plain); err != nil {
				b.Fatal(err)
			}
		}
		decodeTime += time.Since(start)

		start = time.Now()
		var stored int
		pl := ingest.Start(ctx, st)
		for _, body := range bodies {
			page, err := DecodeEventsPage(body)
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]model.Event, len(page.Events))
			for i, e := range page.Events {
				batch[i] = MapEvent(e, nil)
			}
			if err := pl.Put(ctx, ingest.Job{Events: batch, Done: func(n int) error { stored += n; return nil }}); err != nil {
				b.Fatal(err)
			}
		}
		if err := pl.Close(); err != nil || stored != pagesPerOp*50 {
			b.Fatalf("stored %d of %d: %v", stored, pagesPerOp*50, err)
		}
		ingestTime += time.Since(start)
	}
	events := float64(pages * 50)
	b.ReportMetric(events/decodeTime.Seconds(), "decode-events/s")
	b.ReportMetric(events/ingestTime.Seconds(), "ingest-events/s")
	b.ReportMetric(float64(decodeTime)/float64(ingestTime), "ingest/decode")
}
