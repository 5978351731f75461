package simkit

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Options shape the generated world.
type Options struct {
	Seed            uint64
	People          int           // default 300
	History         time.Duration // activity generated before the start; default 72h
	EventsPerMinute float64       // background sign-in activity; default 4
	Speed           float64       // multiplies activity and the scenario's pace; default 1
	Scenario        bool          // run the live attack scenario
	Clock           Clock         // default the wall clock
}

func (o *Options) defaults() {
	if o.People <= 0 {
		o.People = 300
	}
	if o.History <= 0 {
		o.History = 72 * time.Hour
	}
	if o.EventsPerMinute <= 0 {
		o.EventsPerMinute = 4
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Clock == nil {
		o.Clock = WallClock{}
	}
}

// Person is one employee of the simulated tenant, known to every vendor.
type Person struct {
	Index        int
	First, Last  string // empty for a few people: OneLogin then shows the email
	Email        string // lower case
	OneLoginID   int64
	CloudflareID string // a UUID, as Access uses
	Home         netip.Addr
	Apps         []App
}

// Name is "First Last", or "" when the person has no name set.
func (p Person) Name() string { return strings.TrimSpace(p.First + " " + p.Last) }

// Kind is what happened in one piece of activity.
type Kind int

const (
	KindLogin          Kind = iota + 1 // signed in to the IdP (OneLogin event 5, carries a risk score)
	KindFailedLogin                    // OneLogin event 6
	KindLogout                         // OneLogin event 7
	KindAppLogin                       // OneLogin event 8
	KindPasswordChange                 // OneLogin event 11
	KindUserUpdated                    // OneLogin event 14
	KindUserLocked                     // OneLogin event 19
	KindOTPRegistered                  // OneLogin event 22
)

// Signal is a detection another vendor would raise for this activity.
type Signal int

const (
	SignalNone    Signal = iota
	SignalTravel         // impossible travel (Cloudflare imp_travel)
	SignalDLP            // many DLP matches (Cloudflare high_dlp)
	SignalMalware        // interaction with a malicious file
	SignalDomain         // visited a security-risk domain
)

// Activity is one thing a person did, seen by the IdP and, through Signal,
// by the other vendors.
type Activity struct {
	Seq     int64 // 1, 2, 3… in time order
	Time    time.Time
	Person  int
	Kind    Kind
	App     string // for KindAppLogin
	IP      netip.Addr
	Score   int      // OneLogin risk score 0–100, or -1 when none
	Reasons []string // "Infrequent access from 198.51.100.7 (13%)"
	Device  string   // browser fingerprint
	Attack  bool     // part of the credential-stuffing scenario
	Signal  Signal
}

// AttackNet is the /24 the scenario's credential stuffing comes from.
var AttackNet = netip.MustParsePrefix("203.0.113.0/24")

// World is the shared, generated state of the simulated tenant. Activity is
// generated lazily up to the clock's now whenever someone asks, so a
// ManualClock gives the same data on every run.
type World struct {
	opts      Options
	people    []Person
	liveStart time.Time

	mu      sync.Mutex
	rng     *rand.Rand
	acts    []Activity
	nextAt  time.Time
	lastSeq int64
	targets map[int][]int // attack cycle → people targeted
}

// NewWorld generates the people and the history up to the clock's now.
func NewWorld(opts Options) *World {
	opts.defaults()
	w := &World{
		opts:      opts,
		liveStart: opts.Clock.Now(),
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x7269736b746f70)),
		targets:   map[int][]int{},
	}
	w.people = makePeople(rand.New(rand.NewPCG(opts.Seed, 1)), opts.People)
	w.nextAt = w.liveStart.Add(-opts.History)
	w.mu.Lock()
	w.advance(w.liveStart)
	w.mu.Unlock()
	return w
}

// People is every person. The slice must not be modified.
func (w *World) People() []Person { return w.people }

// Clock is the world's clock.
func (w *World) Clock() Clock { return w.opts.Clock }

// Start is when generated history begins.
func (w *World) Start() time.Time { return w.liveStart.Add(-w.opts.History) }

// LiveStart is when the simulator started; the scenario's cycles count from here.
func (w *World) LiveStart() time.Time { return w.liveStart }

// Seed is the seed the world was generated from, for vendor simulators
// that derive their own deterministic streams.
func (w *World) Seed() uint64 { return w.opts.Seed }

// Now advances activity to the clock's now and returns it.
func (w *World) Now() time.Time {
	now := w.opts.Clock.Now()
	w.mu.Lock()
	w.advance(now)
	w.mu.Unlock()
	return now
}

// Between returns a copy of the activity with from <= Time < to, in order.
func (w *World) Between(from, to time.Time) []Activity {
	w.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	i := sort.Search(len(w.acts), func(i int) bool { return !w.acts[i].Time.Before(from) })
	j := sort.Search(len(w.acts), func(i int) bool { return !w.acts[i].Time.Before(to) })
	if i >= j {
		return nil
	}
	return append([]Activity(nil), w.acts[i:j]...)
}

// After returns a copy of up to limit activities with Seq > seq, in order
// (limit <= 0: all of them).
func (w *World) After(seq int64, limit int) []Activity {
	w.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	i := sort.Search(len(w.acts), func(i int) bool { return w.acts[i].Seq > seq })
	j := len(w.acts)
	if limit > 0 && j-i > limit {
		j = i + limit
	}
	return append([]Activity(nil), w.acts[i:j]...)
}

// LastSeq is the Seq of the newest activity.
func (w *World) LastSeq() int64 {
	w.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastSeq
}

// Attack describes the scenario at a moment.
type Attack struct {
	Active  bool
	Cycle   int       // which attack this is; the first live one is 1, a planted historical one is 0
	Start   time.Time // of this attack
	End     time.Time
	Targets []int // people it goes after
}

// AttackAt tells whether the scenario's credential stuffing is under way at t.
func (w *World) AttackAt(t time.Time) Attack {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.attackAt(t)
}

// The scenario: a credential-stuffing burst of 6 minutes starting 2 minutes
// into every 20-minute cycle (all divided by Speed), plus one planted 6
// hours before the start so history has a spike to show.
const (
	cycleLen    = 20 * time.Minute
	attackDelay = 2 * time.Minute
	attackLen   = 6 * time.Minute
)

func (w *World) attackAt(t time.Time) Attack {
	if !w.opts.Scenario {
		return Attack{}
	}
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) / w.opts.Speed) }
	hist := w.liveStart.Add(-6 * time.Hour)
	if !t.Before(hist) && t.Before(hist.Add(attackLen)) {
		return Attack{Active: true, Cycle: 0, Start: hist, End: hist.Add(attackLen), Targets: w.targetsFor(0)}
	}
	if t.Before(w.liveStart) {
		return Attack{}
	}
	cycle := int(t.Sub(w.liveStart) / scale(cycleLen))
	start := w.liveStart.Add(time.Duration(cycle)*scale(cycleLen) + scale(attackDelay))
	end := start.Add(scale(attackLen))
	if t.Before(start) || !t.Before(end) {
		return Attack{}
	}
	return Attack{Active: true, Cycle: cycle + 1, Start: start, End: end, Targets: w.targetsFor(cycle + 1)}
}

func (w *World) targetsFor(cycle int) []int {
	if t, ok := w.targets[cycle]; ok {
		return t
	}
	r := rand.New(rand.NewPCG(w.opts.Seed, uint64(cycle)+100))
	n := min(40, len(w.people))
	t := r.Perm(len(w.people))[:n]
	w.targets[cycle] = t
	return t
}

// advance generates activity up to now. w.mu is held.
func (w *World) advance(now time.Time) {
	for !w.nextAt.After(now) {
		a := w.generate(w.nextAt)
		w.lastSeq++
		a.Seq = w.lastSeq
		w.acts = append(w.acts, a)
		rate := w.opts.EventsPerMinute * w.opts.Speed
		if w.attackAt(w.nextAt).Active {
			rate += 40 * w.opts.Speed
		}
		gap := time.Duration(w.rng.ExpFloat64() / rate * float64(time.Minute))
		w.nextAt = w.nextAt.Add(max(gap, time.Millisecond))
	}
	w.prune(now)
}

// prune keeps memory bounded in a demo left running for days.
func (w *World) prune(now time.Time) {
	keep := max(w.opts.History, 7*24*time.Hour)
	cut := now.Add(-keep)
	i := sort.Search(len(w.acts), func(i int) bool { return !w.acts[i].Time.Before(cut) })
	if i > len(w.acts)/2 && i > 1024 {
		w.acts = append([]Activity(nil), w.acts[i:]...)
	}
}

func (w *World) generate(t time.Time) Activity {
	r := w.rng
	t = t.Truncate(time.Millisecond)
	if atk := w.attackAt(t); atk.Active && r.Float64() < 0.9 {
		return w.attackActivity(t, atk)
	}
	p := w.people[pickActive(r, len(w.people))]
	a := Activity{Time: t, Person: p.Index, IP: p.Home, Score: -1, Device: fingerprint(p.Index, 0)}
	if r.Float64() < 0.1 {
		a.IP = travelIP(r)
		a.Device = fingerprint(p.Index, 1+r.IntN(3))
	}
	switch x := r.Float64(); {
	case x < 0.55:
		a.Kind = KindLogin
		a.Score, a.Reasons = normalScore(r, a.IP, a.IP != p.Home)
		if a.Score >= 77 && a.IP != p.Home {
			a.Signal = SignalTravel
		}
	case x < 0.80:
		a.Kind = KindAppLogin
		a.App = p.Apps[r.IntN(len(p.Apps))].Name
		switch y := r.Float64(); {
		case y < 0.006:
			a.Signal = SignalDLP
		case y < 0.009:
			a.Signal = SignalMalware
		case y < 0.013:
			a.Signal = SignalDomain
		}
	case x < 0.88:
		a.Kind = KindFailedLogin
	case x < 0.93:
		a.Kind = KindLogout
	case x < 0.96:
		a.Kind = KindPasswordChange
	case x < 0.98:
		a.Kind = KindOTPRegistered
	case x < 0.99:
		a.Kind = KindUserLocked
	default:
		a.Kind = KindUserUpdated
	}
	return a
}

func (w *World) attackActivity(t time.Time, atk Attack) Activity {
	r := w.rng
	victim := atk.Targets[r.IntN(len(atk.Targets))]
	ip := AttackNet.Addr().As4()
	ip[3] = byte(10 + r.IntN(240))
	a := Activity{Time: t, Person: victim, IP: netip.AddrFrom4(ip), Score: -1, Attack: true,
		Device: fmt.Sprintf("bot%06x", r.IntN(1<<24))}
	switch x := r.Float64(); {
	case x < 0.82:
		a.Kind = KindFailedLogin
	case x < 0.95:
		a.Kind = KindLogin
		a.Score = 70 + r.IntN(30)
		a.Reasons = []string{
			fmt.Sprintf("Known bad IP address %s (35%%)", a.IP),
			"Anomalous location (25%)",
			"New device (20%)",
		}
		a.Signal = SignalTravel
	default:
		p := w.people[victim]
		a.Kind = KindAppLogin
		a.App = p.Apps[r.IntN(len(p.Apps))].Name
		a.Signal = SignalDLP
	}
	return a
}

// pickActive favours a core of busy people, as real sign-in logs do.
func pickActive(r *rand.Rand, n int) int {
	if r.Float64() < 0.5 {
		return r.IntN(max(1, n/5))
	}
	return r.IntN(n)
}

var reasonTexts = []string{
	"Infrequent access from %s",
	"Low trust for session",
	"New device",
	"Unusual time of day",
	"Infrequent location",
	"Velocity check",
}

// normalScore draws a OneLogin risk score with the shape of the seed's
// sample (most sign-ins low, a thin tail high), now and then exactly on a
// bucket boundary (5, 26, 51, 76) so the bucketing rule gets exercised.
func normalScore(r *rand.Rand, ip netip.Addr, away bool) (int, []string) {
	var s int
	switch x := r.Float64(); {
	case x < 0.02:
		s = []int{5, 26, 51, 76}[r.IntN(4)]
	case x < 0.20:
		s = r.IntN(5)
	case x < 0.80:
		s = 6 + r.IntN(20)
	case x < 0.91:
		s = 27 + r.IntN(24)
	case x < 0.97:
		s = 52 + r.IntN(24)
	default:
		s = 77 + r.IntN(23)
	}
	if away && s < 27 {
		s += 20
	}
	if s <= 5 {
		return s, nil
	}
	var reasons []string
	left := s
	for i := r.IntN(len(reasonTexts)); left > 0 && len(reasons) < 3; i = (i + 1) % len(reasonTexts) {
		part := left
		if len(reasons) < 2 && left > 10 {
			part = 5 + r.IntN(left-5)
		}
		text := reasonTexts[i]
		if strings.Contains(text, "%s") {
			text = fmt.Sprintf(text, ip)
		}
		reasons = append(reasons, fmt.Sprintf("%s (%d%%)", text, part))
		left -= part
	}
	return s, reasons
}

func fingerprint(person, variant int) string {
	h := uint64(person)*0x9E3779B97F4A7C15 + uint64(variant)*0xBF58476D1CE4E5B9
	return fmt.Sprintf("%016x", h^(h>>31))
}

// travelIP is an address away from home, from the documentation ranges
// other than the attack net.
func travelIP(r *rand.Rand) netip.Addr {
	if r.Float64() < 0.15 {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xbe, 0xef, 14: byte(r.IntN(256)), 15: byte(1 + r.IntN(254))})
	}
	base := [][4]byte{{192, 0, 2, 0}, {198, 51, 100, 0}}[r.IntN(2)]
	base[3] = byte(1 + r.IntN(254))
	return netip.AddrFrom4(base)
}

func makePeople(r *rand.Rand, n int) []Person {
	people := make([]Person, 0, n)
	seen := map[string]bool{}
	for i := 0; len(people) < n; i++ {
		first := firstNames[r.IntN(len(firstNames))]
		last := lastNames[r.IntN(len(lastNames))]
		local := asciiFold(first) + "." + asciiFold(last)
		if asciiFold(first) == "" || asciiFold(last) == "" {
			local = fmt.Sprintf("user%d", 1000+len(people))
		}
		if seen[local] {
			local = fmt.Sprintf("%s%d", local, len(people))
		}
		seen[local] = true
		p := Person{
			Index:      len(people),
			First:      first,
			Last:       last,
			Email:      local + "@example.com",
			OneLoginID: 40_000_000 + int64(len(people))*37,
			Home:       homeIP(r, len(people)),
		}
		if len(people)%97 == 13 {
			p.First, p.Last = "", "" // OneLogin returns the email for these
		}
		p.CloudflareID = UUID4(r)
		for _, j := range r.Perm(len(apps))[:2+r.IntN(4)] {
			p.Apps = append(p.Apps, apps[j])
		}
		people = append(people, p)
	}
	return people
}

func homeIP(r *rand.Rand, i int) netip.Addr {
	switch x := r.Float64(); {
	case x < 0.6:
		return netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + i%254)})
	case x < 0.9:
		return netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + r.IntN(254))})
	default:
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, byte(i % 256), 15: 1})
	}
}

// UUID4 draws a version-4 UUID from r, so that a seed repeats its ids.
func UUID4(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return UUID(b)
}

// UUID writes b as a version-4 UUID (its version and variant bits set).
func UUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// asciiFold makes "Søren" into "soren" for an email address, and returns ""
// for names with no Latin letters at all.
func asciiFold(s string) string {
	repl := strings.NewReplacer("ø", "o", "Ø", "o", "ł", "l", "Ł", "l", "æ", "ae", "þ", "th", "Þ", "th", "ð", "d", "'", "", "-", "")
	var b strings.Builder
	for _, r := range norm.NFD.String(repl.Replace(s)) {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Mn, r):
		}
	}
	return b.String()
}
