// Package docs checks the documents against the code, so they cannot
// drift: docs/PERFORMANCE.md here (docs/RELIABILITY.md is written and
// checked by the fault suite in cmd/risktop/app).
package docs

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// benchmark is a Benchmark function: its package directory, from the
// repository root, and its name.
type benchmark struct{ dir, name string }

// repoBenchmarks parses every test file under root for top-level
// Benchmark functions.
func repoBenchmarks(t *testing.T, root string) []benchmark {
	t.Helper()
	var out []benchmark
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && isBenchmark(fn) {
				out = append(out, benchmark{filepath.ToSlash(rel), fn.Name.Name})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// isBenchmark: named Benchmark followed by a non-lowercase letter, with
// one *testing.B parameter, as go test finds them.
func isBenchmark(fn *ast.FuncDecl) bool {
	name := fn.Name.Name
	if !strings.HasPrefix(name, "Benchmark") || (len(name) > 9 && name[9] >= 'a' && name[9] <= 'z') {
		return false
	}
	ps := fn.Type.Params.List
	if len(ps) != 1 || len(ps[0].Names) > 1 {
		return false
	}
	star, ok := ps[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "B"
}

// command is a `go test -bench` line of the document's reproduce blocks.
type command struct {
	line    int
	text    string
	dir     string         // package directory from the root
	pattern *regexp.Regexp // the -bench pattern's top level (before any '/')
}

var (
	fence    = regexp.MustCompile("^```")
	cdLine   = regexp.MustCompile(`^cd\s+(\S+)\s*$`)
	goTest   = regexp.MustCompile(`^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*go test\s`) // env settings may lead
	benchArg = regexp.MustCompile(`-bench[ =]('[^']*'|"[^"]*"|\S+)`)
)

// reproduceCommands reads every `go test -bench` line in the document's
// fenced blocks, following a `cd` earlier in the same block.
func reproduceCommands(doc string) (cmds []command, problems []string) {
	in, cwd := false, "."
	for i, l := range strings.Split(doc, "\n") {
		l = strings.TrimSpace(l)
		if fence.MatchString(l) {
			in, cwd = !in, "."
			continue
		}
		if !in {
			continue
		}
		if m := cdLine.FindStringSubmatch(l); m != nil {
			cwd = path.Join(cwd, m[1])
			continue
		}
		if !goTest.MatchString(l) || !strings.Contains(l, "-bench") {
			continue
		}
		m := benchArg.FindStringSubmatch(l)
		if m == nil {
			problems = append(problems, fmt.Sprintf("PERFORMANCE.md:%d: no -bench pattern in %q", i+1, l))
			continue
		}
		pat := strings.Trim(m[1], `'"`)
		re, err := regexp.Compile(strings.SplitN(pat, "/", 2)[0])
		if err != nil {
			problems = append(problems, fmt.Sprintf("PERFORMANCE.md:%d: -bench %q: %v", i+1, pat, err))
			continue
		}
		pkg := "."
		for _, f := range strings.Fields(l) {
			if f == "." || strings.HasPrefix(f, "./") {
				pkg = f
			}
		}
		cmds = append(cmds, command{line: i + 1, text: l, dir: path.Join(cwd, strings.TrimSuffix(pkg, "/")), pattern: re})
	}
	return cmds, problems
}

// drift lists what the document and the code disagree on: a benchmark
// the document does not name or gives no reproduce command for, a
// benchmark it names that does not exist, a command that runs nothing.
func drift(doc string, benches []benchmark) []string {
	cmds, problems := reproduceCommands(doc)
	names := map[string]bool{}
	for _, b := range benches {
		names[b.name] = true
		if !regexp.MustCompile(`\b` + b.name + `\b`).MatchString(doc) {
			problems = append(problems, fmt.Sprintf("%s.%s is not named in PERFORMANCE.md", b.dir, b.name))
		}
		if !slices.ContainsFunc(cmds, func(c command) bool { return c.dir == b.dir && c.pattern.MatchString(b.name) }) {
			problems = append(problems, fmt.Sprintf("%s.%s has no reproduce command (a go test -bench line for ./%s that matches it)", b.dir, b.name, b.dir))
		}
	}
	for _, name := range regexp.MustCompile(`\bBenchmark\w+`).FindAllString(doc, -1) {
		if !names[name] {
			problems = append(problems, fmt.Sprintf("PERFORMANCE.md names %s, which no test file defines", name))
		}
	}
	for _, c := range cmds {
		if !slices.ContainsFunc(benches, func(b benchmark) bool { return b.dir == c.dir && c.pattern.MatchString(b.name) }) {
			problems = append(problems, fmt.Sprintf("PERFORMANCE.md:%d: %q runs no benchmark of %s", c.line, c.text, c.dir))
		}
	}
	return problems
}

// TestPerformanceNamesEveryBenchmark: every Benchmark function in the
// repository is named in docs/PERFORMANCE.md with a reproduce command
// that runs it, every benchmark the document names exists, and every
// command runs one.
func TestPerformanceNamesEveryBenchmark(t *testing.T) {
	raw, err := os.ReadFile("PERFORMANCE.md")
	if err != nil {
		t.Fatal(err)
	}
	benches := repoBenchmarks(t, "..")
	if len(benches) < 10 {
		t.Fatalf("found only %d benchmarks in the repository: %v", len(benches), benches)
	}
	for _, p := range drift(string(raw), benches) {
		t.Error(p)
	}
}

// The checker fails on each kind of drift.
func TestPerformanceCheckerCatchesDrift(t *testing.T) {
	benches := []benchmark{{"model/store", "BenchmarkKept"}, {"ui", "BenchmarkView"}, {"ui/table", "BenchmarkView"}, {"ui", "BenchmarkUnnamed"}}
	doc := "`BenchmarkKept`, `BenchmarkView` and `BenchmarkGone`.\n\n```sh\ncd model/store\n" +
		"go test -run '^$' -bench 'Kept' .\n```\n\n```sh\ngo test -bench 'BenchmarkView|Nothing' ./ui/\ngo test -bench Nothing ./ui/\n```\n"
	got := drift(doc, benches)
	want := []string{
		"ui/table.BenchmarkView has no reproduce command (a go test -bench line for ./ui/table that matches it)",
		"ui.BenchmarkUnnamed is not named in PERFORMANCE.md",
		"ui.BenchmarkUnnamed has no reproduce command (a go test -bench line for ./ui that matches it)",
		"PERFORMANCE.md names BenchmarkGone, which no test file defines",
		`PERFORMANCE.md:10: "go test -bench Nothing ./ui/" runs no benchmark of ui`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("drift found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
