package postgres

// The events' fields column is the JSON text SQLite's store writes
// (model/store/fields.go), so `risktop migrate` copies it as it is and
// both stores read each other's. This is that file's encoder and fast
// parser, copied: the store package keeps them unexported.

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendFieldsJSON writes fields as a JSON object with sorted keys, as
// encoding/json would, at a fraction of its cost. Invalid UTF-8 becomes
// U+FFFD, as in encoding/json.
func appendFieldsJSON(b []byte, fields map[string]string) []byte {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, fields[k])
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// parseFieldsJSON reads what appendFieldsJSON writes, faster than
// encoding/json; anything else it hands to encoding/json.
func parseFieldsJSON(s string) (map[string]string, error) {
	if m, ok := parseFlatObject(s); ok {
		return m, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}

func parseFlatObject(s string) (map[string]string, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	m := make(map[string]string, 12)
	i := 1
	if s[i] == '}' {
		return m, i == len(s)-1
	}
	for {
		k, n, ok := parseJSONString(s, i)
		if !ok || n >= len(s) || s[n] != ':' {
			return nil, false
		}
		v, n2, ok := parseJSONString(s, n+1)
		if !ok || n2 >= len(s) {
			return nil, false
		}
		m[k] = v
		switch s[n2] {
		case ',':
			i = n2 + 1
		case '}':
			return m, n2 == len(s)-1
		default:
			return nil, false
		}
	}
}

// parseJSONString reads a string starting at s[i] and returns it and the
// index after it. It knows the escapes appendJSONString writes; others
// make it give up.
func parseJSONString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	i++
	start := i
	for i < len(s) && s[i] != '"' && s[i] != '\\' {
		i++
	}
	if i < len(s) && s[i] == '"' {
		return s[start:i], i + 1, true
	}
	b := []byte(s[start:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return string(b), i + 1, true
		case c != '\\':
			b = append(b, c)
			i++
			continue
		case i+1 >= len(s):
			return "", 0, false
		}
		switch s[i+1] {
		case '"', '\\':
			b = append(b, s[i+1])
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if i+6 > len(s) {
				return "", 0, false
			}
			switch hex := s[i+2 : i+6]; {
			case hex == "fffd":
				b = append(b, "\uFFFD"...)
			case hex[:2] == "00":
				v, err := strconv.ParseUint(hex, 16, 8)
				if err != nil || v >= 0x20 {
					return "", 0, false
				}
				b = append(b, byte(v))
			default:
				return "", 0, false
			}
			i += 4
		default:
			return "", 0, false
		}
		i += 2
	}
	return "", 0, false
}
