package casbsim

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// Risk levels. Only "Normal" appears in Oracle's docs; the others are our
// guess at the scale and are marked as such wherever they are shown.
const (
	LevelNormal   = "Normal"
	LevelLow      = "Low"      // invented
	LevelMedium   = "Medium"   // invented
	LevelHigh     = "High"     // invented
	LevelCritical = "Critical" // invented
)

// Reason codes. The first two are in Oracle's sample; the rest are
// invented, plausible names for the signals the shared world produces.
const (
	CodeNoRisk        = "MSG_NO_RISK_FACTORS"   // confirmed
	CodeNetPrefix     = "NETWRK_PREFIX_EVENTS"  // confirmed
	CodeFailedLogins  = "FAILED_LOGIN_EVENTS"   // invented
	CodeBadNetwork    = "BAD_IP_NETWORK_EVENTS" // invented
	CodeDataTransfer  = "SENSITIVE_DATA_EVENTS" // invented
	CodeMaliciousFile = "MALWARE_FILE_EVENTS"   // invented
)

var reasonText = map[string]string{
	CodeNoRisk:        "No risk factors",
	CodeNetPrefix:     "Total IP network prefix for all events",
	CodeFailedLogins:  "Failed sign-in attempts",
	CodeBadNetwork:    "Sign-in attempts from a credential-stuffing network",
	CodeDataTransfer:  "Unusual downloads of sensitive data",
	CodeMaliciousFile: "Interaction with a malicious file",
}

// ReasonText is the text the simulator gives a reason code, before the
// hostile knob.
func ReasonText(code string) string { return reasonText[code] }

// Reason is one reason code on a row, with the numbers CASB puts in
// ReasonsCounts (events in the window) and ReasonsAverage (per active day;
// our reading of an undocumented field).
type Reason struct {
	Code    string
	Count   int
	Average float64
}

// Row is one line of the report before it is rendered: one person on one
// application they used within the window.
type Row struct {
	Person        int
	UserName      string // as CASB shows it; some are Mixed-Case
	AppType       string // appname, e.g. "SFDC"
	AppInstance   string
	AppInstanceID string
	Level         string
	Score         int
	Reasons       []Reason // CodeNoRisk alone when nothing stands out
	Last          time.Time
}

// buildRows derives the report as of snap from the world's activity in
// (snap-window, snap]. Rows are sorted riskiest first, then by user and app,
// so pages are stable for a given snapshot.
func buildRows(w *simkit.World, seed uint64, snap time.Time, window time.Duration) []Row {
	acts := w.Between(snap.Add(-window), snap.Add(time.Nanosecond))
	people := w.People()

	// The latest attack cycle in the window: its victims are the riskiest.
	latest := -1
	var latestAtk simkit.Attack
	for i := len(acts) - 1; i >= 0; i-- {
		if acts[i].Attack {
			latestAtk = w.AttackAt(acts[i].Time)
			latest = latestAtk.Cycle
			break
		}
	}

	type personStats struct {
		failed, attackNow, attackOld int
		days                         map[string]bool
	}
	type appStats struct {
		prefixes     map[netip.Prefix]bool
		dlp, malware int
		last         time.Time
		person       int
		app          simkit.App
	}
	persons := map[int]*personStats{}
	apps := map[[2]int]*appStats{} // (person, app index in the person's list)
	for _, a := range acts {
		ps := persons[a.Person]
		if ps == nil {
			ps = &personStats{days: map[string]bool{}}
			persons[a.Person] = ps
		}
		ps.days[a.Time.UTC().Format(time.DateOnly)] = true
		switch {
		case a.Attack && latest >= 0 && !a.Time.Before(latestAtk.Start) && a.Time.Before(latestAtk.End):
			ps.attackNow++
		case a.Attack:
			ps.attackOld++
		case a.Kind == simkit.KindFailedLogin:
			ps.failed++
		}
		if a.Kind != simkit.KindAppLogin {
			continue
		}
		p := people[a.Person]
		ai := -1
		for i, app := range p.Apps {
			if app.Name == a.App {
				ai = i
				break
			}
		}
		if ai < 0 {
			continue
		}
		key := [2]int{a.Person, ai}
		as := apps[key]
		if as == nil {
			as = &appStats{prefixes: map[netip.Prefix]bool{}, person: a.Person, app: p.Apps[ai]}
			apps[key] = as
		}
		as.prefixes[netPrefix(a.IP)] = true
		switch a.Signal {
		case simkit.SignalDLP:
			as.dlp++
		case simkit.SignalMalware:
			as.malware++
		}
		if a.Time.After(as.last) {
			as.last = a.Time
		}
	}

	rows := make([]Row, 0, len(apps))
	for _, as := range apps {
		ps := persons[as.person]
		days := max(1, len(ps.days))
		var reasons []Reason
		add := func(code string, count int) {
			avg := math.Round(float64(count)/float64(days)*100) / 100
			reasons = append(reasons, Reason{Code: code, Count: count, Average: avg})
		}
		score := 0
		if ps.attackNow > 0 {
			score += 60 + min(30, 3*ps.attackNow)
		} else if ps.attackOld > 0 {
			score += 25 + min(10, ps.attackOld)
		}
		if n := ps.attackNow + ps.attackOld; n > 0 {
			add(CodeBadNetwork, n)
		}
		if perDay := float64(ps.failed) / float64(days); perDay >= 3 {
			score += min(30, 10+int(3*(perDay-3)))
			add(CodeFailedLogins, ps.failed)
		}
		if n := len(as.prefixes); n >= 2 {
			score += min(15, 5*(n-2))
			add(CodeNetPrefix, n)
		}
		if as.dlp > 0 {
			score += 20
			add(CodeDataTransfer, as.dlp)
		}
		if as.malware > 0 {
			score += 25
			add(CodeMaliciousFile, as.malware)
		}
		if len(reasons) == 0 {
			reasons = []Reason{{Code: CodeNoRisk}}
		}
		sort.Slice(reasons, func(i, j int) bool { return reasons[i].Code < reasons[j].Code })
		score = min(score, 99)
		p := people[as.person]
		rows = append(rows, Row{
			Person:        as.person,
			UserName:      displayUser(p),
			AppType:       as.app.Type,
			AppInstance:   instanceName(as.app),
			AppInstanceID: instanceID(seed, as.app),
			Level:         levelFor(score),
			Score:         score,
			Reasons:       reasons,
			Last:          as.last.UTC().Truncate(time.Second),
		})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if la, lb := strings.ToLower(a.UserName), strings.ToLower(b.UserName); la != lb {
			return la < lb
		}
		return a.AppType < b.AppType
	})
	return rows
}

func levelFor(score int) string {
	switch {
	case score < 20:
		return LevelNormal
	case score < 40:
		return LevelLow
	case score < 60:
		return LevelMedium
	case score < 80:
		return LevelHigh
	}
	return LevelCritical
}

// netPrefix is the /24 (IPv4) or /48 (IPv6) an address belongs to.
func netPrefix(a netip.Addr) netip.Prefix {
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 48
	}
	p, _ := a.Prefix(bits)
	return p
}

// displayUser is the person's email, in Mixed-Case for every fifth person:
// CASB shows user names as the application reports them, so a merge across
// vendors must compare them without case.
func displayUser(p simkit.Person) string {
	if p.Index%5 != 2 {
		return p.Email
	}
	var b strings.Builder
	upper := true
	for _, r := range p.Email {
		if upper && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		upper = r == '.' || r == '@'
		b.WriteRune(r)
	}
	return b.String()
}

// instanceName is the application instance's name, like the sample's
// "publiceventsapi".
func instanceName(app simkit.App) string {
	return strings.ToLower(strings.ReplaceAll(app.Name, " ", "")) + "-prod"
}

func instanceID(seed uint64, app simkit.App) string {
	return uuidFrom(seed, "instance/"+app.Type)
}

// uuidFrom derives a stable UUID-shaped id from the seed and a label.
func uuidFrom(seed uint64, label string) string {
	var b [16]byte
	for half := range 2 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d/%s", seed, half, label)
		v := h.Sum64()
		for i := range 8 {
			b[half*8+i] = byte(v >> (8 * i))
		}
	}
	return simkit.UUID(b)
}
