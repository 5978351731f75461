package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNotFound is wrapped by Find's error when there is no config file at
// all, so the caller can tell "none yet" from "named one is missing".
var ErrNotFound = errors.New("no config file")

// Problem is one mistake in the file. Line and Column are 1-based; 0 means
// the problem has no single place (a default that cannot be worked out).
type Problem struct {
	Path    string // key path, like sources.cloudflare.api_token
	Line    int
	Column  int
	Message string // what is wrong and what is expected
}

func (p Problem) String() string { return render("", p.Path, p.Line, p.Column, p.Message) }

// Errors lists every problem found in one file, sorted by position.
type Errors struct {
	File     string // the name given to Parse or the path given to Load
	Problems []Problem
}

// Error renders one problem a line, like a compiler:
//
//	config.yaml:7:5: sources.cloudflare.api_tokne: unknown key; did you mean "api_token"?
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = render(e.File, p.Path, p.Line, p.Column, p.Message)
	}
	return strings.Join(lines, "\n")
}

// Warning is something that works but should be fixed, like a readable
// file holding a secret.
type Warning struct {
	File    string
	Path    string // "" when the warning is about the whole file
	Line    int
	Column  int
	Message string
}

func (w Warning) String() string { return render(w.File, w.Path, w.Line, w.Column, w.Message) }

func render(file, path string, line, col int, msg string) string {
	var b strings.Builder
	if file != "" {
		b.WriteString(file)
		if line > 0 {
			fmt.Fprintf(&b, ":%d", line)
			if col > 0 {
				fmt.Fprintf(&b, ":%d", col)
			}
		}
		b.WriteString(": ")
	} else if line > 0 {
		fmt.Fprintf(&b, "line %d: ", line)
	}
	if path != "" {
		b.WriteString(path)
		b.WriteString(": ")
	}
	b.WriteString(msg)
	return b.String()
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
}

// suggest returns the known name closest to s, if it is close enough to be
// a typo rather than a different word.
func suggest(s string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		d := editDistance(strings.ToLower(s), k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	limit := max(1, min(3, len(s)/3))
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one, so
// "api_tokne" is one step from "api_token".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// list renders names for a message: "a, b or c" with conj "or".
func list(names []string, conj string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}
