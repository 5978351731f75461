// Package eventgen makes deterministic OneLogin-like events for the
// stores' tests and benchmarks (model/store, its conformance suite, the
// PostgreSQL store, migrate). It imports only model, so the store's own
// tests can use it.
package eventgen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// Gen makes OneLogin-like events: people with names and emails,
// addresses in the documentation ranges, skewed scores, two or three
// lines of reasons and about ten other fields. It is deterministic for a
// seed.
type Gen struct {
	// Rnd is its random source; a test may draw from it too.
	Rnd *rand.Rand
	// Users are the people it picks from, the busiest first.
	Users []User
	next  int // the next event id
}

// User is one generated person.
type User struct {
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

// New is a generator of users people.
func New(seed uint64, users int) *Gen {
	g := &Gen{Rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for i := range users {
		first := genFirst[i%len(genFirst)]
		last := genLast[(i/len(genFirst))%len(genLast)]
		suffix := ""
		if n := i / (len(genFirst) * len(genLast)); n > 0 {
			suffix = strconv.Itoa(n + 1)
		}
		email := strings.ToLower(asciiFold(first)+"."+asciiFold(last)) + suffix + "@example.com"
		g.Users = append(g.Users, User{ID: strconv.Itoa(40000 + i), Name: first + " " + last + suffix, Email: email})
	}
	return g
}

// asciiFold spells the few non-ASCII letters of the name lists in ASCII,
// as an email address would.
func asciiFold(s string) string {
	return strings.NewReplacer("ü", "u", "í", "i", "ø", "o", "á", "a", "ã", "a", "é", "e", "ö", "o").Replace(s)
}

// user picks a person, a few of them far busier than the rest.
func (g *Gen) user() User {
	r := g.Rnd.Float64()
	return g.Users[int(r*r*r*float64(len(g.Users)))]
}

func (g *Gen) ip() string {
	switch n := g.Rnd.IntN(10); {
	case n < 3:
		return "192.0.2." + strconv.Itoa(g.Rnd.IntN(256))
	case n < 5:
		return "198.51.100." + strconv.Itoa(g.Rnd.IntN(256))
	case n < 7:
		return "203.0.113." + strconv.Itoa(g.Rnd.IntN(256))
	}
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	b[4], b[5] = byte(g.Rnd.IntN(16)), byte(g.Rnd.IntN(256))
	for i := 8; i < 16; i++ {
		b[i] = byte(g.Rnd.IntN(256))
	}
	return netip.AddrFrom16(b).String()
}

// score is skewed low, as real sign-ins are; a quarter have none.
func (g *Gen) score() int {
	if g.Rnd.IntN(4) == 0 {
		return model.NoScore
	}
	r := g.Rnd.Float64()
	return int(r * r * 101)
}

func (g *Gen) reasons(score int) string {
	lines := []string{
		"New device: " + genBrowsers[g.Rnd.IntN(len(genBrowsers))],
		"Unusual location: " + genPlaces[g.Rnd.IntN(len(genPlaces))],
	}
	switch g.Rnd.IntN(4) {
	case 0:
		lines = append(lines, "Impossible travel from "+genPlaces[g.Rnd.IntN(len(genPlaces))])
	case 1:
		lines = append(lines, fmt.Sprintf("Many failed attempts (%d in 10 minutes)", 3+g.Rnd.IntN(20)))
	case 2:
		lines = append(lines, "Sign-in from an anonymising proxy")
	}
	if score < 30 {
		lines = lines[:1+g.Rnd.IntN(2)]
	}
	return strings.Join(lines, "\n")
}

func (g *Gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.Rnd.IntN(16)]
	}
	return string(b)
}

// Event makes one event at t.
func (g *Gen) Event(t time.Time) model.Event {
	g.next++
	u := g.user()
	score := g.score()
	typ := genTypes[g.Rnd.IntN(len(genTypes))]
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
		App:      genApps[g.Rnd.IntN(len(genApps))],
		Fields: map[string]string{
			"account_id":          "184523",
			"actor_user_name":     u.Name,
			"actor_user_id":       u.ID,
			"app_id":              strconv.Itoa(900000 + g.Rnd.IntN(40)),
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
	if g.Rnd.IntN(20) == 0 {
		e.Vendor, e.Type, e.TypeName = "cloudflare", 0, "behavior"
		e.UserID = "cf-" + u.ID
	}
	return e
}

// Batch makes n events spread evenly over [from, from+span).
func (g *Gen) Batch(n int, from time.Time, span time.Duration) []model.Event {
	out := make([]model.Event, n)
	for i := range out {
		out[i] = g.Event(from.Add(time.Duration(int64(span) / int64(n) * int64(i))))
	}
	return out
}
