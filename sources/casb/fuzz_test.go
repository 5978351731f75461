package casb

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sanitize"
)

// The seed corpus below runs in every `go test`; `go test -fuzz
// FuzzDecodeReport -fuzzminimizetime 2s ./sources/casb` explores from it
// (the default minimization of the 7 KB sample stalls the progress line
// for up to a minute, which looks like a hang but is not).

func FuzzDecodeReport(f *testing.F) {
	sample := readSample(f)
	f.Add(sample)
	f.Add(sample[:len(sample)/2])
	f.Add(bytes.Replace(sample, []byte(`"00"`), []byte(`"x"`), 1))
	f.Add(bytes.Replace(sample, []byte(`\"2017-10-24T23:29:38Z\", {`), []byte(`{`), 1))
	f.Add(bytes.Replace(sample, []byte(`"displayname": "Reasons"`), []byte(`"displayname": 7`), 1))
	f.Add(bytes.Replace(sample, []byte(`"totalCount": 6`), []byte(`"totalCount": "6", "nextMarkerPosition": "abc"`), 1))
	f.Add(bytes.Replace(sample, []byte(`andylemarc`), []byte(`\u001b]52;c;ZXZpbA==\u0007andy\u202e`), 1))
	f.Add(bytes.Replace(sample, []byte(`No risk factors`), []byte(`\\u001b[2Jno\\u0000risk`), 1))
	f.Add([]byte(`{"userRiskScores":[null,1,"s",[],{},{"userRiskDetails":[null,{},{"displayname":"Reasons","value":"[1,2,3,4]"}]}]}`))
	f.Add([]byte(`{"userRiskScores":[{"userRiskDetails":[{"displayname":"ReasonsCounts","value":"{\"A\":\"1e999\"}"},{"displayname":"Reasons","value":"[\"a\",\"b\",{\"c\":{}}]"}]}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePage(body)
		if err != nil {
			if !sanitize.Valid(err.Error()) {
				t.Errorf("error text not sanitized: %q", err)
			}
			return
		}
		assertClean(t, p)
		for i := range p.Rows {
			if err := p.Rows[i].Err(); err != nil && !sanitize.Valid(err.Error()) {
				t.Errorf("row error not sanitized: %q", err)
			}
		}
	})
}

// FuzzDecodeRow puts arbitrary strings in every detail of one row, so the
// JSON-inside-a-string fields get explored directly.
func FuzzDecodeRow(f *testing.F) {
	f.Add("Normal", "andylemarc@mycompany.com", "00",
		`["bd4716ef-d9b3-4348-8793-347134edce7a", "2017-10-24T23:29:38Z", {"MSG_NO_RISK_FACTORS":"No risk factors"}]`,
		"{}", `{"NETWRK_PREFIX_EVENTS":"3"}`, "2017-10-24T00:00:00Z", "Extra name")
	f.Add("", "", "x", `["a", "b"]`, `{"A":"NaN"}`, `{"A":"1.5"}`, "24/10/2017", "")
	f.Add("\x1b[31mHigh", "eve\x1b]0;t\x07", "-1", `["\u001b", "1508887778", {"\u202e":"\u0000"}]`,
		`{"A":1e308}`, `{"A":-9007199254740993}`, "9999999999999999", "Risk Level")
	f.Add("Normal", "u", "99999999999999999999", `[`, `{`, `[]`, "", "user name")
	f.Fuzz(func(t *testing.T, level, user, score, reasons, avg, counts, detected, extraName string) {
		details := []map[string]string{
			{"displayname": "Risk Level", "value": level},
			{"displayname": "User name", "value": user},
			{"displayname": "Maximum Risk Score", "value": score},
			{"displayname": "Reasons", "value": reasons},
			{"displayname": "Detected Date", "value": detected},
			{"displayname": "ReasonsAverage", "value": avg},
			{"displayname": "ReasonsCounts", "value": counts},
			{"displayname": extraName, "value": reasons},
		}
		body, err := json.Marshal(map[string]any{"userRiskScores": []any{
			map[string]any{"appname": level, "appinstance": user, "userRiskDetails": details},
		}})
		if err != nil {
			t.Skip()
		}
		p, err := decodePage(body)
		if err != nil {
			t.Fatalf("a valid report envelope failed: %v", err)
		}
		if len(p.Rows) != 1 {
			t.Fatalf("%d rows", len(p.Rows))
		}
		assertClean(t, p)
		u := p.Rows[0]
		if strings.TrimSpace(user) == "" && u.Err() == nil {
			t.Error("a row without a user name has no error")
		}
	})
}
