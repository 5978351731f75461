package cloudflare

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/risktop/risktop/sources/sanitize"
)

// Bounds on a flattened event_details: it is free-form JSON from the
// vendor, so neither its size nor its depth may cost us.
const (
	MaxDetails        = 32  // pairs kept per event
	MaxDetailKey      = 64  // runes
	MaxDetailValue    = 256 // runes
	maxDetailDepth    = 6
	maxDetailElements = 4096 // nodes visited before giving up
)

// Detail is one flattened event_details entry.
type Detail struct {
	Key   string // dotted path: "location.city", "files[0].name"
	Value string // a string as is; numbers, booleans and null as JSON text
}

// FlattenDetails turns event_details into sorted, sanitized key/value
// pairs. truncated reports that pairs were dropped or a subtree was too
// deep and kept as compact JSON. A scalar or unreadable value comes back
// under the key "value".
func FlattenDetails(raw json.RawMessage) (pairs []Detail, truncated bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []Detail{{Key: "value", Value: sanitize.LineN(string(raw), MaxDetailValue)}}, true
	}
	f := flattener{}
	f.walk("", v, 0)
	sort.SliceStable(f.out, func(i, j int) bool { return f.out[i].Key < f.out[j].Key })
	return f.out, f.cut
}

type flattener struct {
	out     []Detail
	visited int
	cut     bool
}

func (f *flattener) walk(key string, v any, depth int) {
	f.visited++
	if f.visited > maxDetailElements {
		f.cut = true
		return
	}
	switch t := v.(type) {
	case map[string]any:
		if depth >= maxDetailDepth {
			f.leaf(key, compact(t))
			f.cut = true
			return
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys) // which pairs survive the cap must not depend on map order
		for _, k := range keys {
			f.walk(join(key, k), t[k], depth+1)
		}
	case []any:
		if depth >= maxDetailDepth {
			f.leaf(key, compact(t))
			f.cut = true
			return
		}
		for i, child := range t {
			f.walk(key+"["+strconv.Itoa(i)+"]", child, depth+1)
		}
	case string:
		f.leaf(key, t)
	case json.Number:
		f.leaf(key, t.String())
	case bool:
		f.leaf(key, strconv.FormatBool(t))
	case nil:
		f.leaf(key, "null")
	}
}

func (f *flattener) leaf(key, value string) {
	if key == "" {
		key = "value"
	}
	if len(f.out) >= MaxDetails {
		f.cut = true
		return
	}
	f.out = append(f.out, Detail{Key: sanitize.LineN(key, MaxDetailKey), Value: sanitize.LineN(value, MaxDetailValue)})
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
