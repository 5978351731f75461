package casb

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
)

// testdata/user-risk-report.json is the seed page's example body exactly as
// printed there (it is valid JSON, so no edits were needed).
func readSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/user-risk-report.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeSeedSampleExactly(t *testing.T) {
	p, err := decodePage(readSample(t))
	if err != nil {
		t.Fatal(err)
	}
	wantMeta := ReportMeta{
		Type:        "ReportResponse",
		TenantName:  "e6d29a75-cdaf-4dfa-b35d-90c77899eb10",
		ReportID:    "userrisk",
		Title:       "Users at risk",
		Description: "User risk scores based on LORIC's analysis of suspicious activity patterns",
		TotalCount:  6,
	}
	if p.ReportMeta != wantMeta {
		t.Errorf("meta = %+v\nwant   %+v", p.ReportMeta, wantMeta)
	}
	if p.MaxCount != 100 || p.Size != 6 || p.NextMarker != "" {
		t.Errorf("maxCount %d size %d next %q", p.MaxCount, p.Size, p.NextMarker)
	}

	const inst = "bd4716ef-d9b3-4348-8793-347134edce7a"
	stamp := time.Date(2017, 10, 24, 23, 29, 38, 0, time.UTC)
	day := time.Date(2017, 10, 24, 0, 0, 0, 0, time.UTC)
	noRisk := func(user string) UserRisk {
		return UserRisk{
			AppName: "SFDC", AppInstance: "publiceventsapi", AppInstanceID: inst,
			RiskLevel: "Normal", UserName: user, MaxRiskScore: 0,
			Reasons:      Reasons{AppInstanceID: inst, Timestamp: stamp, Codes: map[string]string{"MSG_NO_RISK_FACTORS": "No risk factors"}},
			DetectedDate: day,
		}
	}
	prefix := func(user string, count int) UserRisk {
		u := noRisk(user)
		u.Reasons.Codes = map[string]string{"NETWRK_PREFIX_EVENTS": "Total IP network prefix for all events"}
		u.ReasonsAverage = map[string]float64{"NETWRK_PREFIX_EVENTS": 1}
		u.ReasonsCounts = map[string]int{"NETWRK_PREFIX_EVENTS": count}
		return u
	}
	want := []UserRisk{
		noRisk("andylemarc@mycompany.com"),
		noRisk("carlagomez@mycompany.com"),
		noRisk("billwong@mycompany.com"),
		noRisk("suelee@mycompany.com"),
		prefix("sashakopek@mycompany.com", 1),
		prefix("leiamacintosh@mycompany.com", 3),
	}
	if len(p.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(p.Rows), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(p.Rows[i], want[i]) {
			t.Errorf("row %d:\n got  %+v\n want %+v", i, p.Rows[i], want[i])
		}
		if err := p.Rows[i].Err(); err != nil {
			t.Errorf("row %d: %v", i, err)
		}
	}
	if got := p.Rows[5].ReasonsCounts["NETWRK_PREFIX_EVENTS"]; got != 3 {
		t.Errorf("leiamacintosh ReasonsCounts = %d, want 3", got)
	}
}

// sampleRow is the seed's first row with one detail replaced, added or removed.
func sampleRow(edit func(details []map[string]string) []map[string]string) map[string]any {
	details := []map[string]string{
		{"displayname": "Risk Level", "value": "Normal"},
		{"displayname": "User name", "value": "andylemarc@mycompany.com"},
		{"displayname": "Maximum Risk Score", "value": "00"},
		{"displayname": "Reasons", "value": `["bd4716ef-d9b3-4348-8793-347134edce7a", "2017-10-24T23:29:38Z", {"MSG_NO_RISK_FACTORS":"No risk factors"}]`},
		{"displayname": "Detected Date", "value": "2017-10-24T00:00:00Z"},
		{"displayname": "ReasonsAverage", "value": "{}"},
		{"displayname": "ReasonsCounts", "value": "{}"},
		{"displayname": "Detected Date ISOFormat", "value": "2017-10-24T00:00:00Z"},
	}
	if edit != nil {
		details = edit(details)
	}
	return map[string]any{"appname": "SFDC", "appinstance": "publiceventsapi",
		"appInstanceId": "bd4716ef-d9b3-4348-8793-347134edce7a", "userRiskDetails": details}
}

func setValue(name, value string) func([]map[string]string) []map[string]string {
	return func(ds []map[string]string) []map[string]string {
		for _, d := range ds {
			if d["displayname"] == name {
				d["value"] = value
			}
		}
		return ds
	}
}

func TestMalformedRowsAreRowErrors(t *testing.T) {
	cases := []struct {
		name      string
		row       any
		problem   string // in one of the row's problems; "" for a clean row
		check     func(t *testing.T, u UserRisk)
		wantClean bool
	}{
		{name: "bad Reasons JSON", row: sampleRow(setValue("Reasons", `["bd47", "2017-10-24T23:29:38Z", {`)),
			problem: "Reasons is not a JSON array",
			check: func(t *testing.T, u UserRisk) {
				if u.UserName != "andylemarc@mycompany.com" || u.RiskLevel != "Normal" {
					t.Errorf("other fields lost: %+v", u)
				}
			}},
		{name: "Reasons with 2 elements", row: sampleRow(setValue("Reasons", `["bd47", "2017-10-24T23:29:38Z"]`)),
			problem: "Reasons has 2 elements",
			check: func(t *testing.T, u UserRisk) {
				if u.Reasons.AppInstanceID != "bd47" || u.Reasons.Timestamp.IsZero() {
					t.Errorf("well-formed parts of Reasons lost: %+v", u.Reasons)
				}
			}},
		{name: "Reasons not a string timestamp", row: sampleRow(setValue("Reasons", `["bd47", 12, {}]`)),
			problem: "timestamp) is not a string"},
		{name: "Reasons bad timestamp", row: sampleRow(setValue("Reasons", `["bd47", "yesterday", {"A":"b"}]`)),
			problem: `timestamp "yesterday" does not parse`,
			check: func(t *testing.T, u UserRisk) {
				if u.Reasons.Codes["A"] != "b" {
					t.Errorf("codes lost: %+v", u.Reasons)
				}
			}},
		{name: "score x", row: sampleRow(setValue("Maximum Risk Score", "x")),
			problem: `Maximum Risk Score "x" is not a whole number`},
		{name: "score out of range", row: sampleRow(setValue("Maximum Risk Score", "101")),
			problem: "outside 0–100",
			check: func(t *testing.T, u UserRisk) {
				if u.MaxRiskScore != 101 {
					t.Errorf("score %d", u.MaxRiskScore)
				}
			}},
		{name: "score with spaces parses", row: sampleRow(setValue("Maximum Risk Score", " 42 ")), wantClean: true,
			check: func(t *testing.T, u UserRisk) {
				if u.MaxRiskScore != 42 {
					t.Errorf("score %d", u.MaxRiskScore)
				}
			}},
		{name: "bad detected date falls back", row: sampleRow(setValue("Detected Date ISOFormat", "24/10/2017")),
			problem: "Detected Date ISOFormat",
			check: func(t *testing.T, u UserRisk) {
				if !u.DetectedDate.Equal(time.Date(2017, 10, 24, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("DetectedDate %v: should fall back to Detected Date", u.DetectedDate)
				}
			}},
		{name: "ISO date preferred", row: sampleRow(setValue("Detected Date ISOFormat", "2017-10-25T00:00:00Z")), wantClean: true,
			check: func(t *testing.T, u UserRisk) {
				if u.DetectedDate.Day() != 25 {
					t.Errorf("DetectedDate %v: ISOFormat should win", u.DetectedDate)
				}
			}},
		{name: "missing displayname", row: sampleRow(func(ds []map[string]string) []map[string]string {
			return append(ds, map[string]string{"value": "orphan"})
		}), problem: "has no displayname",
			check: func(t *testing.T, u UserRisk) {
				if u.Extra["(detail 8)"] != "orphan" {
					t.Errorf("orphan value dropped: %v", u.Extra)
				}
			}},
		{name: "unknown displayname kept in Extra", row: sampleRow(func(ds []map[string]string) []map[string]string {
			return append(ds, map[string]string{"displayname": "Department", "value": "Sales"})
		}), wantClean: true,
			check: func(t *testing.T, u UserRisk) {
				if u.Extra["Department"] != "Sales" {
					t.Errorf("Extra = %v", u.Extra)
				}
			}},
		{name: "duplicate displayname", row: sampleRow(func(ds []map[string]string) []map[string]string {
			return append(ds, map[string]string{"displayname": "User name", "value": "mallory@example.com"})
		}), problem: "appears more than once",
			check: func(t *testing.T, u UserRisk) {
				if u.UserName != "andylemarc@mycompany.com" || u.Extra["User name (detail 8)"] != "mallory@example.com" {
					t.Errorf("user %q extra %v", u.UserName, u.Extra)
				}
			}},
		{name: "displayname case and spaces", row: sampleRow(func(ds []map[string]string) []map[string]string {
			ds[1]["displayname"] = "  user NAME "
			return ds
		}), wantClean: true},
		{name: "empty details", row: map[string]any{"appname": "SFDC", "userRiskDetails": []any{}},
			problem: "no userRiskDetails"},
		{name: "details missing", row: map[string]any{"appname": "SFDC"}, problem: "no userRiskDetails"},
		{name: "row not an object", row: 42, problem: "row 1 is not a userRiskScores object: it is a JSON number"},
		{name: "detail not an object", row: func() any {
			r := sampleRow(nil)
			r["userRiskDetails"] = append(anySlice(r["userRiskDetails"].([]map[string]string)), 42)
			return r
		}(), problem: "detail 8 is not a {displayname, value} object"},
		{name: "value not a string", row: func() any {
			r := sampleRow(nil)
			r["userRiskDetails"] = append(anySlice(r["userRiskDetails"].([]map[string]string)),
				map[string]any{"displayname": "Groups", "value": []string{"a"}})
			return r
		}(), problem: `detail "Groups" has a value that is not a string`,
			check: func(t *testing.T, u UserRisk) {
				if u.Extra["Groups"] != `["a"]` {
					t.Errorf("raw value not kept: %v", u.Extra)
				}
			}},
		{name: "numeric value accepted", row: func() any {
			r := sampleRow(nil)
			ds := anySlice(r["userRiskDetails"].([]map[string]string))
			ds[2] = map[string]any{"displayname": "Maximum Risk Score", "value": 7}
			r["userRiskDetails"] = ds
			return r
		}(), wantClean: true,
			check: func(t *testing.T, u UserRisk) {
				if u.MaxRiskScore != 7 {
					t.Errorf("score %d", u.MaxRiskScore)
				}
			}},
		{name: "counts not numeric", row: sampleRow(setValue("ReasonsCounts", `{"A":"many","B":"2"}`)),
			problem: `ReasonsCounts[A] = "many" is not a number`,
			check: func(t *testing.T, u UserRisk) {
				if !reflect.DeepEqual(u.ReasonsCounts, map[string]int{"B": 2}) {
					t.Errorf("counts %v", u.ReasonsCounts)
				}
			}},
		{name: "count fractional", row: sampleRow(setValue("ReasonsCounts", `{"A":"1.5"}`)),
			problem: "is not a number"},
		{name: "average fractional and numeric JSON", row: sampleRow(setValue("ReasonsAverage", `{"A":"1.5","B":2}`)), wantClean: true,
			check: func(t *testing.T, u UserRisk) {
				if !reflect.DeepEqual(u.ReasonsAverage, map[string]float64{"A": 1.5, "B": 2}) {
					t.Errorf("average %v", u.ReasonsAverage)
				}
			}},
		{name: "average NaN", row: sampleRow(setValue("ReasonsAverage", `{"A":"NaN"}`)), problem: "is not a number"},
		{name: "average not an object", row: sampleRow(setValue("ReasonsAverage", `[1]`)), problem: "ReasonsAverage is not a JSON object"},
		{name: "no user name", row: sampleRow(func(ds []map[string]string) []map[string]string { return append(ds[:1], ds[2:]...) }),
			problem: "no User name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{
				"type": "ReportResponse", "totalCount": 3,
				"userRiskScores": []any{sampleRow(nil), tc.row, sampleRow(setValue("User name", "after@mycompany.com"))},
			})
			if err != nil {
				t.Fatal(err)
			}
			p, err := decodePage(body)
			if err != nil {
				t.Fatalf("a bad row failed the whole page: %v", err)
			}
			if len(p.Rows) != 3 {
				t.Fatalf("%d rows", len(p.Rows))
			}
			for _, i := range []int{0, 2} {
				if err := p.Rows[i].Err(); err != nil || p.Rows[i].UserName == "" {
					t.Errorf("neighbour row %d harmed: %v", i, err)
				}
			}
			u := p.Rows[1]
			if tc.wantClean {
				if err := u.Err(); err != nil {
					t.Errorf("unexpected row error: %v", err)
				}
			} else {
				err := u.Err()
				if err == nil {
					t.Fatalf("no row error; row %+v", u)
				}
				if !strings.Contains(err.Error(), tc.problem) {
					t.Errorf("row error %q does not mention %q", err, tc.problem)
				}
			}
			if tc.check != nil {
				tc.check(t, u)
			}
		})
	}
}

func TestDecodeReportLevelFailures(t *testing.T) {
	sample := readSample(t)
	for name, body := range map[string]string{
		"empty":                 "",
		"html":                  "<html>502</html>",
		"array":                 "[]",
		"truncated":             string(sample[:len(sample)/2]),
		"rows not a list":       `{"userRiskScores":{"a":1}}`,
		"totalCount not number": `{"totalCount":"lots","userRiskScores":[]}`,
		"marker with escape":    `{"nextMarkerPosition":"a\u001b[2Jb","userRiskScores":[]}`,
	} {
		if p, err := decodePage([]byte(body)); err == nil {
			t.Errorf("%s: decoded to %+v, want an error", name, p)
		}
	}
	p, err := decodePage([]byte(`{"totalCount":"7","size":2.0,"nextMarkerPosition":12,"userRiskScores":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalCount != 7 || p.Size != 2 || p.MaxCount != -1 || p.NextMarker != "12" || len(p.Rows) != 0 {
		t.Errorf("lenient metadata: %+v", p)
	}
}

func TestParseTimeLayouts(t *testing.T) {
	want := time.Date(2017, 10, 24, 23, 29, 38, 0, time.UTC)
	for _, v := range []string{
		"2017-10-24T23:29:38Z", "2017-10-24T23:29:38.000Z", "2017-10-24T23:29:38+00:00",
		"2017-10-24T23:29:38+0000", "2017-10-25T01:29:38.000+0200", "2017-10-24T23:29:38",
		"2017-10-24 23:29:38", "2017-10-24 23:29:38Z", "Tue, 24 Oct 2017 23:29:38 GMT",
		"1508887778", "1508887778000",
	} {
		got, ok := parseTime(v)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v", v, got, ok)
		}
	}
	for _, v := range []string{"", "soon", "2017-13-40T00:00:00Z", "12", strings.Repeat("9", 80)} {
		if got, ok := parseTime(v); ok {
			t.Errorf("parseTime(%q) = %v, want failure", v, got)
		}
	}
}

// assertClean walks every string reachable from v and fails on one that is
// not sanitize-clean.
func assertClean(t testing.TB, v any) {
	t.Helper()
	walkStrings(reflect.ValueOf(v), "", func(path, s string) {
		if !sanitize.Valid(s) {
			t.Errorf("%s = %q is not sanitized", path, s)
		}
	})
}

func walkStrings(v reflect.Value, path string, visit func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		visit(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, visit)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, visit)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), path+"[]", visit)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			walkStrings(k, path+"{key}", visit)
			walkStrings(v.MapIndex(k), path+"{}", visit)
		}
	}
}

func anySlice(ds []map[string]string) []any {
	out := make([]any, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out
}
