package simkit

import (
	"bytes"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
)

// Faults are the knobs a test (or a presenter) turns to make a vendor
// misbehave. The zero value is a healthy vendor.
type Faults struct {
	Latency    time.Duration `json:"latency,omitempty"`     // before every answer
	ErrorRate  float64       `json:"error_rate,omitempty"`  // 0–1: share of requests answered 503
	FailNext   int           `json:"fail_next,omitempty"`   // the next N requests get 503
	Throttle   int           `json:"throttle,omitempty"`    // the next N requests get 429
	RetryAfter time.Duration `json:"retry_after,omitempty"` // Retry-After on those 429s; 0 sends none
	Malformed  bool          `json:"malformed,omitempty"`   // 2xx bodies are not valid JSON
	Truncate   bool          `json:"truncate,omitempty"`    // 2xx bodies are cut in half
	Oversize   int64         `json:"oversize,omitempty"`    // 2xx bodies are padded to this many bytes
	Drip       time.Duration `json:"drip,omitempty"`        // pause between 64-byte chunks of the body
	Refuse     bool          `json:"refuse,omitempty"`      // drop the connection without answering
	Hostile    bool          `json:"hostile,omitempty"`     // escape sequences and worse in every text field
}

// Vendor is what the fault layer needs to know to fail like a given vendor.
type Vendor struct {
	Name string
	// ErrorBody writes the vendor's own error body for an injected status.
	ErrorBody func(w http.ResponseWriter, status int, message string)
}

// FaultSet holds one vendor's current faults and counts its requests.
type FaultSet struct {
	vendor Vendor

	mu       sync.Mutex
	f        Faults
	rng      *rand.Rand
	requests int64
	injected int64
}

// NewFaultSet starts healthy.
func NewFaultSet(v Vendor, seed uint64) *FaultSet {
	return &FaultSet{vendor: v, rng: rand.New(rand.NewPCG(seed, 0xfa17))}
}

// Set replaces the faults.
func (s *FaultSet) Set(f Faults) {
	s.mu.Lock()
	s.f = f
	s.mu.Unlock()
}

// Get returns the current faults.
func (s *FaultSet) Get() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}

// Requests is how many requests reached the vendor, faults included.
func (s *FaultSet) Requests() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Hostile reports whether text fields should carry hostile strings now.
func (s *FaultSet) Hostile() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Hostile
}

// Text returns s, or under the hostile fault s wrapped in one of the
// corpus's hostile strings (chosen by s, so the same field stays the same).
// The original text stays in the result so the screen can still show it.
func (s *FaultSet) Text(v string) string {
	if !s.Hostile() {
		return v
	}
	return HostileText(v)
}

// HostileText wraps v in a hostile string from the corpus.
func HostileText(v string) string {
	corpus := sanitize.Hostile()
	h := fnv.New32a()
	h.Write([]byte(v))
	c := corpus[int(h.Sum32())%len(corpus)]
	return c.Raw + v
}

// decision is what the fault layer does with one request.
type decision struct {
	latency    time.Duration
	refuse     bool
	status     int
	retryAfter time.Duration
	body       Faults // body transforms
}

func (s *FaultSet) decide() decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	d := decision{latency: s.f.Latency, refuse: s.f.Refuse, body: s.f}
	switch {
	case s.f.Refuse:
	case s.f.Throttle > 0:
		s.f.Throttle--
		d.status, d.retryAfter = http.StatusTooManyRequests, s.f.RetryAfter
	case s.f.FailNext > 0:
		s.f.FailNext--
		d.status = http.StatusServiceUnavailable
	case s.f.ErrorRate > 0 && s.rng.Float64() < s.f.ErrorRate:
		d.status = http.StatusServiceUnavailable
	}
	if d.status != 0 || d.refuse {
		s.injected++
	}
	return d
}

// Middleware applies the current faults in front of next.
func (s *FaultSet) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := s.decide()
		if d.latency > 0 {
			select {
			case <-time.After(d.latency):
			case <-r.Context().Done():
				return
			}
		}
		if d.refuse {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if d.status != 0 {
			if d.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(CeilSeconds(d.retryAfter)))
			}
			msg := "injected fault: service unavailable"
			if d.status == http.StatusTooManyRequests {
				msg = "injected fault: too many requests"
			}
			s.vendor.ErrorBody(w, d.status, msg)
			return
		}
		b := d.body
		if !b.Malformed && !b.Truncate && b.Oversize == 0 && b.Drip == 0 {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		ok := rec.Code >= 200 && rec.Code < 300
		if ok && b.Oversize > 0 {
			body = pad(body, b.Oversize)
		}
		if ok && b.Malformed {
			body = malform(body)
		}
		if ok && b.Truncate {
			body = body[:len(body)/2]
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		if b.Drip <= 0 {
			w.Write(body)
			return
		}
		for len(body) > 0 {
			n := min(64, len(body))
			if _, err := w.Write(body[:n]); err != nil {
				return
			}
			body = body[n:]
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			select {
			case <-time.After(b.Drip):
			case <-r.Context().Done():
				return
			}
		}
	})
}

// pad grows a JSON body to n bytes, keeping it valid JSON, so only a size
// cap can stop it: an object gets a filler field, an array (Okta's lists)
// leading whitespace.
func pad(body []byte, n int64) []byte {
	t := bytes.TrimSpace(body)
	if int64(len(t)) >= n || len(t) < 2 {
		return body
	}
	if t[0] == '[' {
		return append(bytes.Repeat([]byte(" "), int(n)-len(t)), t...)
	}
	if t[0] != '{' {
		return body
	}
	filler := strings.Repeat("x", int(n)-len(t))
	var b bytes.Buffer
	b.WriteString(`{"_padding":"`)
	b.WriteString(filler)
	b.WriteString(`"`)
	if len(t) > 2 {
		b.WriteByte(',')
	}
	b.Write(t[1:])
	return b.Bytes()
}

// malform keeps the start of the body, so a decoder gets going and then
// meets garbage, like a proxy error page spliced into JSON.
func malform(body []byte) []byte {
	cut := min(len(body), 40)
	return append(append([]byte(nil), body[:cut]...), []byte(`<html><body>502 Bad Gateway</body></html>`)...)
}
