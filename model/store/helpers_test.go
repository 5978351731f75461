package store

import (
	"encoding/json"
	"testing"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// jsonRoundTrip is what encoding/json makes of a map: invalid UTF-8
// becomes U+FFFD in keys and values.
func jsonRoundTrip(m map[string]string) (map[string]string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]string
	err = json.Unmarshal(b, &out)
	return out, err
}
