package storetest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// EventGen makes OneLogin-like events: people with names and emails,
// addresses in the documentation ranges, skewed scores, two or three
// lines of reasons and about ten other fields. It is deterministic for a
// seed.
type EventGen struct {
	rnd *rand.Rand
	// Users are the people it picks from, the busiest first.
	Users []GenUser
	next  int // the next event id
}

// GenUser is one generated person.
type GenUser struct {
	ID, Name, Email string
}

var (
	genFirst = []string{"Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "John",
		"Radia", "Vint", "Hedy", "Tim", "Katherine", "Edsger", "Sophie", "Donald", "Joan", "Niklaus",
		"Amara", "Chidi", "Yuki", "Mateo", "Ingrid", "Ravi", "Olga", "Kwame", "Lucía", "Søren"}
	genLast = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
		"Allen", "McCarthy", "Perlman", "Cerf", "Lamarr", "Berners-Lee", "Johnson", "Dijkstra", "Wilson",
		"Knuth", "Clarke", "Wirth", "Okafor", "Mensah", "Tanaka", "García", "Larsen", "Iyer", "Petrova",
		"Nkrumah", "Fernández", "Kierkegaard", "Nakamura", "Silva", "Novak", "Byrne", "Haddad", "Kowalski",
		"Rossi", "Müller", "Dubois", "Jansen", "Andersson", "Horvat", "Popescu", "Yilmaz", "Cohen", "Ahmed",
		"Costa", "Nguyen", "Kim", "Singh", "Murphy", "Walsh", "Schmidt", "Moreau", "Bakker", "Lindqvist",
		"Varga", "Ionescu", "Demir", "Levi", "Rahman", "Pereira", "Tran", "Park", "Patel", "Kelly",
		"Brennan", "Fischer", "Laurent", "Visser", "Nyström", "Farkas", "Stan", "Kaya", "Katz", "Hossain"}
	genApps = []string{"Salesforce", "Slack", "GitHub", "AWS Console", "Zoom", "Workday", "Jira",
		"Google Workspace", "Okta Admin", "", ""}
	genPlaces = []string{"Lagos, NG", "São Paulo, BR", "Kyiv, UA", "Jakarta, ID", "Reykjavík, IS",
		"Toronto, CA", "Manila, PH", "Nairobi, KE", "Hanoi, VN", "Lima, PE", "Dublin, IE", "Osaka, JP"}
	genBrowsers = []string{"Firefox 128 on Linux", "Chrome 131 on Windows", "Safari 18 on macOS",
		"Edge 130 on Windows", "Chrome 131 on Android", "Safari on iOS 18"}
	// OneLogin event types, most common first; the tail is rare.
	genTypes = []int{5, 5, 5, 5, 5, 5, 6, 6, 6, 8, 13, 13, 17, 24, 110, 111, 5, 6, 8, 5}
)

// NewEventGen is a generator of users people.
func NewEventGen(seed uint64, users int) *EventGen {
	g := &EventGen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for i := range users {
		first := genFirst[i%len(genFirst)]
		last := genLast[(i/len(genFirst))%len(genLast)]
		suffix := ""
		if n := i / (len(genFirst) * len(genLast)); n > 0 {
			suffix = strconv.Itoa(n + 1)
		}
		email := strings.ToLower(asciiFold(first)+"."+asciiFold(last)) + suffix + "@example.com"
		g.Users = append(g.Users, GenUser{ID: strconv.Itoa(40000 + i), Name: first + " " + last + suffix, Email: email})
	}
	return g
}

// asciiFold spells the few non-ASCII letters of the name lists in ASCII,
// as an email address would.
func asciiFold(s string) string {
	return strings.NewReplacer("ü", "u", "í", "i", "ø", "o", "á", "a", "ã", "a", "é", "e", "ö", "o").Replace(s)
}

// user picks a person, a few of them far busier than the rest.
func (g *EventGen) user() GenUser {
	r := g.rnd.Float64()
	return g.Users[int(r*r*r*float64(len(g.Users)))]
}

func (g *EventGen) ip() string {
	switch n := g.rnd.IntN(10); {
	case n < 3:
		return "192.0.2." + strconv.Itoa(g.rnd.IntN(256))
	case n < 5:
		return "198.51.100." + strconv.Itoa(g.rnd.IntN(256))
	case n < 7:
		return "203.0.113." + strconv.Itoa(g.rnd.IntN(256))
	}
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	b[4], b[5] = byte(g.rnd.IntN(16)), byte(g.rnd.IntN(256))
	for i := 8; i < 16; i++ {
		b[i] = byte(g.rnd.IntN(256))
	}
	return netip.AddrFrom16(b).String()
}

// score is skewed low, as real sign-ins are; a quarter have none.
func (g *EventGen) score() int {
	if g.rnd.IntN(4) == 0 {
		return model.NoScore
	}
	r := g.rnd.Float64()
	return int(r * r * 101)
}

func (g *EventGen) reasons(score int) string {
	lines := []string{
		"New device: " + genBrowsers[g.rnd.IntN(len(genBrowsers))],
		"Unusual location: " + genPlaces[g.rnd.IntN(len(genPlaces))],
	}
	switch g.rnd.IntN(4) {
	case 0:
		lines = append(lines, "Impossible travel from "+genPlaces[g.rnd.IntN(len(genPlaces))])
	case 1:
		lines = append(lines, fmt.Sprintf("Many failed attempts (%d in 10 minutes)", 3+g.rnd.IntN(20)))
	case 2:
		lines = append(lines, "Sign-in from an anonymising proxy")
	}
	if score < 30 {
		lines = lines[:1+g.rnd.IntN(2)]
	}
	return strings.Join(lines, "\n")
}

func (g *EventGen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rnd.IntN(16)]
	}
	return string(b)
}

// Event makes one event at t.
func (g *EventGen) Event(t time.Time) model.Event {
	g.next++
	u := g.user()
	score := g.score()
	typ := genTypes[g.rnd.IntN(len(genTypes))]
	e := model.Event{
		Vendor:   "onelogin",
		ID:       strconv.Itoa(1_000_000_000 + g.next),
		Time:     t,
		Type:     typ,
		TypeName: "event type " + strconv.Itoa(typ),
		UserID:   u.ID,
		UserName: u.Name,
		UserKey:  u.Email,
		IP:       model.NormalizeIP(g.ip()),
		Score:    score,
		Level:    model.LevelOfScore(score),
		App:      genApps[g.rnd.IntN(len(genApps))],
		Fields: map[string]string{
			"account_id":          "184523",
			"actor_user_name":     u.Name,
			"actor_user_id":       u.ID,
			"app_id":              strconv.Itoa(900000 + g.rnd.IntN(40)),
			"client_id":           g.hex(24),
			"directory_id":        "7731",
			"policy_name":         "Default MFA policy",
			"risk_cookie_id":      g.hex(32),
			"browser_fingerprint": g.hex(40),
			"operation_name":      "authenticate",
		},
	}
	if score >= 0 {
		e.Reasons = g.reasons(score)
	}
	if g.rnd.IntN(20) == 0 {
		e.Vendor, e.Type, e.TypeName = "cloudflare", 0, "behavior"
		e.UserID = "cf-" + u.ID
	}
	return e
}

// Batch makes n events spread evenly over [from, from+span).
func (g *EventGen) Batch(n int, from time.Time, span time.Duration) []model.Event {
	out := make([]model.Event, n)
	for i := range out {
		out[i] = g.Event(from.Add(time.Duration(int64(span) / int64(n) * int64(i))))
	}
	return out
}
