package okta

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// testdata holds the seed page's samples exactly as printed (valid JSON as
// they stand, "HIGH" , included): request_example.json is the curl -d body,
// risk_event_example.json the Risk Event example, risk_subject_example.json
// the second example (headed "Risk Event example" but a subject).
// error_e0000047.json is vendors.md §4.5's 429 body, not from the seed.

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestSeedRequestExample(t *testing.T) {
	raw := mustRead(t, "testdata/request_example.json")
	var events []RiskEvent
	if err := json.Unmarshal(raw, &events); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || len(events[0].Subjects) != 2 || len(events[1].Subjects) != 2 {
		t.Fatalf("decoded %+v", events)
	}
	want0 := time.Date(2021, 1, 20, 0, 0, 0, int(time.Millisecond), time.UTC)
	if !events[0].Timestamp.Equal(want0) || !events[1].Timestamp.Equal(want0.Add(time.Hour)) || !events[0].ExpiresAt.IsZero() {
		t.Fatalf("times %v %v", events[0].Timestamp, events[1].Timestamp)
	}
	s := events[0].Subjects[1]
	if s.IP != "1.1.1.1" || s.RiskLevel != High || s.Message != "Detected Attack tooling and suspicious activity" {
		t.Fatalf("subject %+v", s)
	}
	if events[1].Subjects[0].RiskLevel != Low || events[1].Subjects[1].IP != "2.2.2.2" {
		t.Fatalf("second event %+v", events[1])
	}
	// The sample is valid as the docs print it, spaces in the message included.
	if err := Validate(events, want0); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), compact(t, raw); got != want {
		t.Fatalf("round trip differs:\n got %s\nwant %s", got, want)
	}
}

func TestSeedRiskEventAndSubjectExamples(t *testing.T) {
	raw := mustRead(t, "testdata/risk_event_example.json")
	var e RiskEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(e)
	if string(out) != compact(t, raw) || len(e.Subjects) != 2 {
		t.Fatalf("event round trip: %s", out)
	}

	raw = mustRead(t, "testdata/risk_subject_example.json")
	var s RiskSubject
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s != (RiskSubject{IP: "6.7.6.7", RiskLevel: Medium, Message: "none"}) {
		t.Fatalf("subject %+v", s)
	}
	out, _ = json.Marshal(s)
	if string(out) != compact(t, raw) {
		t.Fatalf("subject round trip: %s", out)
	}
}

func TestTimesAreUTCMilliseconds(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	e := RiskEvent{
		Timestamp: time.Date(2026, 3, 2, 10, 0, 0, 123_456_789, zone), // 09:00 UTC
		ExpiresAt: time.Date(2026, 3, 2, 11, 0, 0, 0, zone),
		Subjects:  []RiskSubject{{IP: "192.0.2.1", RiskLevel: Low}},
	}
	out, _ := json.Marshal(e)
	want := `{"timestamp":"2026-03-02T09:00:00.123Z","expiresAt":"2026-03-02T10:00:00.000Z","subjects":[{"ip":"192.0.2.1","riskLevel":"LOW"}]}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	if out, _ := json.Marshal(RiskEvent{}); string(out) != `{"subjects":[]}` {
		t.Fatalf("empty event %s", out)
	}
}
