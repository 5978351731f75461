package config

import (
	"errors"
	"strings"
)

// expand replaces ${NAME} with the variable's value. $$ is a literal $, and
// any other $ stays as it is: $NAME without braces is not expanded, so a
// literal value holding a $ survives. It returns the names referenced and,
// separately, those that are not set. Errors never quote the value, which
// may be a literal secret.
func expand(s string, lookup func(string) (string, bool)) (out string, refs, missing []string, err error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", nil, nil, errors.New("has ${ without a closing }; write ${NAME}, or $${ for a literal ${")
			}
			name := s[i+2 : i+2+end]
			if !validName(name) {
				return "", nil, nil, errors.New("has ${…} around something other than a variable name; write ${NAME} with letters, digits and _ (defaults like ${NAME:-x} are not supported)")
			}
			refs = append(refs, name)
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				missing = append(missing, name)
			}
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), refs, missing, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
