package app

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/vendors"
)

// The structure issue 13 set out, held by the code itself: config imports
// no vendor client and no source imports config, the dashboard imports no
// vendor client, and each vendor's name stays in a few packages besides
// its own and the simulators'.

// repoRoot is the module's root from this package's directory.
const repoRoot = "../../.."

// maxVendorPackages is how many packages outside a vendor's own and the
// simulators' may name it (import its package, or use an identifier
// containing its name).
const maxVendorPackages = 4

// goPackage is one package's non-test files: what they import from the
// module and the identifiers they use (not comments or string literals).
type goPackage struct {
	imports map[string]bool // module-relative paths
	idents  map[string]bool // lower case
}

func readPackages(t *testing.T) map[string]*goPackage {
	t.Helper()
	module := modulePath(t)
	pkgs := map[string]*goPackage{}
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != repoRoot && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, filepath.Dir(p))
		rel = filepath.ToSlash(rel)
		pkg := pkgs[rel]
		if pkg == nil {
			pkg = &goPackage{imports: map[string]bool{}, idents: map[string]bool{}}
			pkgs[rel] = pkg
		}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			if rest, ok := strings.CutPrefix(ip, module+"/"); ok {
				pkg.imports[rest] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				pkg.idents[strings.ToLower(id.Name)] = true
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if m, ok := strings.CutPrefix(sc.Text(), "module "); ok {
			return strings.TrimSpace(m)
		}
	}
	t.Fatal("go.mod names no module")
	return ""
}

// deps is every module package p imports, directly or not (go list -deps).
func deps(pkgs map[string]*goPackage, p string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for im := range pkgs[p].imports {
			if !seen[im] && pkgs[im] != nil {
				seen[im] = true
				walk(im)
			}
		}
	}
	walk(p)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func clientPackage(vendor string) string { return path.Join("sources", vendor) }

func TestConfigImportsNoVendorClient(t *testing.T) {
	pkgs := readPackages(t)
	all := deps(pkgs, "config")
	t.Logf("config depends on %s", strings.Join(all, ", "))
	for _, v := range vendors.Names() {
		if slices.Contains(all, clientPackage(v)) {
			t.Errorf("config depends on the %s client (%s)", v, clientPackage(v))
		}
	}
}

// Layers import downwards only: nothing under sources/ reaches up to
// config (the wiring hands each vendor its section's plain values).
func TestSourcesImportNoConfig(t *testing.T) {
	pkgs := readPackages(t)
	for p := range pkgs {
		if strings.HasPrefix(p, "sources/") && slices.Contains(deps(pkgs, p), "config") {
			t.Errorf("%s depends on config", p)
		}
	}
}

func TestDashboardImportsNoVendorClient(t *testing.T) {
	pkgs := readPackages(t)
	for p, pkg := range pkgs {
		if p != "ui" && !strings.HasPrefix(p, "ui/") {
			continue
		}
		for _, v := range vendors.Names() {
			if !pkg.imports[clientPackage(v)] {
				continue
			}
			t.Errorf("%s imports the %s client (%s)", p, v, clientPackage(v))
		}
	}
}

// namers are the packages outside the vendor's own and the simulators'
// that import its package or use an identifier containing its name.
func namers(pkgs map[string]*goPackage, vendor string) []string {
	var out []string
	for p, pkg := range pkgs {
		if p == clientPackage(vendor) || p == "sources/sim" || strings.HasPrefix(p, "sources/sim/") {
			continue
		}
		named := pkg.imports[clientPackage(vendor)]
		for id := range pkg.idents {
			named = named || strings.Contains(id, vendor)
		}
		if named {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func TestVendorNamedInFewPackages(t *testing.T) {
	pkgs := readPackages(t)
	for _, v := range vendors.Names() {
		in := namers(pkgs, v)
		t.Logf("%s is named in %d packages: %s", v, len(in), strings.Join(in, ", "))
		if len(in) > maxVendorPackages {
			t.Errorf("%s is named in %d packages, more than %d: %s", v, len(in), maxVendorPackages, strings.Join(in, ", "))
		}
	}
}

// The dashboard shows every vendor through what the registry says of it
// (vendorkit.Info, through ui.Deps.Vendors) and what the actions service
// says it acts on: no package under ui names one.
func TestDashboardNamesNoVendor(t *testing.T) {
	pkgs := readPackages(t)
	for _, v := range vendors.Names() {
		for _, p := range namers(pkgs, v) {
			if p == "ui" || strings.HasPrefix(p, "ui/") {
				t.Errorf("%s names %s (imports its package, or uses an identifier containing its name)", p, v)
			}
		}
	}
}
