package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/vendorkit"
)

var (
	topKeys   = []string{"refresh", "read_only", "store", "retention", "audit_log", "export_dir", "serve", "sources", "rules", "notify"}
	serveKeys = []string{"idle_timeout", "max_sessions"}
)

// topHints answer mistakes common enough to deserve their own answer; a
// vendor's name at the top level is one more (see hintsAtTop).
var topHints = map[string]string{
	"interval":     "unknown key; the default poll interval is called refresh",
	"idle_timeout": "belongs under serve:, indented",
	"max_sessions": "belongs under serve:, indented",
}

// hintsAtTop are topHints and, for each vendor, where its section belongs.
func hintsAtTop(vendors []vendorkit.Descriptor) map[string]string {
	out := make(map[string]string, len(topHints)+len(vendors))
	for k, v := range topHints {
		out[k] = v
	}
	for _, v := range vendors {
		out[v.Name] = "a source belongs under sources:, indented"
	}
	return out
}

// vendorNames are the keys sources: takes.
func vendorNames(vendors []vendorkit.Descriptor) []string {
	out := make([]string, len(vendors))
	for i, v := range vendors {
		out[i] = v.Name
	}
	return out
}

// keyNames are the keys a vendor's section takes: a secret's key and its
// key_file.
func keyNames(v vendorkit.Descriptor) []string {
	var out []string
	for _, k := range v.Config.Keys {
		out = append(out, k.Name)
		if k.Kind == vendorkit.Secret {
			out = append(out, k.Name+"_file")
		}
	}
	return out
}

type entry struct{ key, val *yaml.Node }

type literal struct {
	path string
	line int
}

type decoder struct {
	file     string
	dir      string // relative paths in the file are relative to it
	env      Env
	vendors  []vendorkit.Descriptor
	probs    []Problem
	warns    []Warning
	literals []literal // secrets written into the file itself
	// typos holds the key paths offered as "did you mean", so the key is
	// not also reported missing.
	typos map[string]bool
	// fromVars holds the key paths whose value came from ${VAR}, with the
	// names: such a value may be a secret put in the wrong key.
	fromVars map[string][]string
}

// val is what a message shows of the value at path: display (the value,
// or something derived from it, as the message would quote it), or, when
// the value came from ${VAR}, the variable's name instead, so a secret in
// the wrong key (interval: "${OL_SECRET}") never reaches the screen.
func (d *decoder) val(path, display string) string {
	refs := d.fromVars[path]
	switch len(refs) {
	case 0:
		return display
	case 1:
		return "the value of ${" + refs[0] + "}"
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = "${" + r + "}"
	}
	return "the value made of " + strings.Join(names, "")
}

// quoted is val of the value quoted, cut to max characters.
func (d *decoder) quoted(path, v string, max int) string {
	return d.val(path, strconv.Quote(sanitize.LineN(v, max)))
}

// hidden reports whether the value at path came from ${VAR}.
func (d *decoder) hidden(path string) bool { return len(d.fromVars[path]) > 0 }

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.probs = append(d.probs, p)
}

func (d *decoder) warn(n *yaml.Node, path, format string, args ...any) {
	w := Warning{File: d.file, Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		w.Line, w.Column = n.Line, n.Column
	}
	d.warns = append(d.warns, w)
}

func parse(name string, data []byte, env Env, vendors []vendorkit.Descriptor, mode fs.FileMode) (*Config, []Warning, error) {
	d := &decoder{file: name, dir: filepath.Dir(name), env: env, vendors: vendors}
	root, ok := d.document(data)
	var cfg *Config
	if ok {
		cfg = d.config(root)
	}
	if len(d.literals) > 0 && mode&0o077 != 0 {
		d.literalWarning(mode)
	}
	if len(d.probs) > 0 {
		sortProblems(d.probs)
		return nil, d.warns, &Errors{File: name, Problems: d.probs}
	}
	if len(cfg.sources) == 0 {
		d.warn(nil, "sources", "no sources are configured, so the dashboard will stay empty; add %s under sources:", list(vendorNames(d.vendors), "or"))
	}
	cfg.Path = name
	return cfg, d.warns, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses the YAML; a syntax error ends the run, since nothing
// after it can be trusted. root is nil for an empty file.
func (d *decoder) document(data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return nil, true
	case err != nil:
		d.syntaxError(data, err)
		return nil, false
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(data, err)
		return nil, false
	default:
		d.add(&next, "", "a second YAML document (after ---); risktop reads one, so merge them")
	}
	if len(doc.Content) == 0 {
		return nil, true
	}
	return doc.Content[0], true
}

func (d *decoder) syntaxError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	// The parser's tab message does not say what to do about it.
	if strings.Contains(msg, "found character that cannot start any token") && bytes.Contains(data, []byte("\t")) {
		msg += "; indent with spaces, not tabs"
	}
	d.probs = append(d.probs, Problem{Line: line, Message: "YAML syntax error: " + msg})
}

func (d *decoder) config(root *yaml.Node) *Config {
	cfg := &Config{ReadOnly: true}
	top := d.mapping("", root, topKeys, hintsAtTop(d.vendors), "a mapping of settings (refresh:, sources:, …)")
	s := section{d: d, m: top}

	cfg.Refresh = DefaultRefresh
	if v, n, ok := s.duration("refresh"); ok {
		if v < MinRefresh {
			d.add(n, "refresh", "%s is below the minimum of %s: polling faster spends vendor budgets for no visible gain; use %s or more",
				d.val("refresh", FormatDuration(v)), FormatDuration(MinRefresh), FormatDuration(MinRefresh))
		} else {
			cfg.Refresh = v
		}
	}
	if e, ok := top["read_only"]; ok {
		if t, ok := d.scalar("read_only", e, ""); ok && t != "" {
			switch strings.ToLower(t) {
			case "true":
			case "false":
				cfg.ReadOnly = false
			default:
				d.add(e.val, "read_only", "%s is not a boolean; write true (actions hidden) or false (actions allowed)", d.quoted("read_only", t, 40))
			}
		}
	}
	cfg.StorePath, cfg.StoreURL = d.store(top)
	cfg.AuditLog, _ = d.optionalPath(top, "audit_log")
	cfg.ExportDir = d.exportDir(top)
	cfg.Retention = DefaultRetention
	retention, retNode, retSet := s.duration("retention")
	if retSet {
		if retention <= 0 {
			d.add(retNode, "retention", "must be longer than 0; the default is %s", FormatDuration(DefaultRetention))
		} else {
			cfg.Retention = retention
		}
	}

	cfg.Serve = d.serve(top)
	cfg.Rules = d.rules(top)
	cfg.Notify = d.notify(top)

	var srcNode *yaml.Node
	if e, ok := top["sources"]; ok {
		srcNode = e.val
	}
	sources := d.mapping("sources", srcNode, vendorNames(d.vendors), nil, "a mapping from source name to its settings")
	for _, v := range d.vendors {
		e, ok := sources[v.Name]
		if !ok {
			continue
		}
		path := "sources." + v.Name
		before := len(d.probs)
		vs := section{d: d, path: path, at: e.key, m: d.mapping(path, e.val, keyNames(v), v.Config.Hints, "a mapping of "+v.Name+" settings"),
			read: map[string]bool{}}
		if vs.m == nil {
			continue // wrong type, already reported
		}
		sec := vs.vendorSection(v, cfg.Refresh)
		cfg.sources = append(cfg.sources, source{v, sec})
		if len(d.probs) == before && v.Config.Backstop != nil {
			if err := v.Config.Backstop(sec); err != nil {
				d.add(vs.at, path, "%s", err)
			}
		}
	}

	if retSet && retention > 0 {
		for _, s := range cfg.sources {
			for _, k := range s.vendor.Config.Keys {
				path := "sources." + s.vendor.Name + "." + k.Name
				if w := s.section.Duration(k.Name); k.Kind == vendorkit.Duration && k.Retained != "" && retention < w {
					d.add(retNode, "retention", "%s is shorter than %s (%s), so %s; raise retention or lower %s",
						d.val("retention", FormatDuration(retention)), path, d.val(path, FormatDuration(w)), k.Retained, k.Name)
				}
			}
		}
	}
	return cfg
}

// serve reads risktop serve's section; absent keys take the defaults.
func (d *decoder) serve(top map[string]entry) Serve {
	out := Serve{IdleTimeout: DefaultIdleTimeout, MaxSessions: DefaultMaxSessions}
	var n *yaml.Node
	e, ok := top["serve"]
	if ok {
		n = e.val
	}
	m := d.mapping("serve", n, serveKeys, nil, "a mapping of risktop serve's settings (idle_timeout:, max_sessions:)")
	if m == nil {
		return out
	}
	s := section{d: d, path: "serve", at: e.key, m: m}
	if v, vn, ok := s.duration("idle_timeout"); ok {
		if v > 0 && v < MinIdleTimeout {
			d.add(vn, "serve.idle_timeout", "%s would close sessions while the operator reads a screen; use %s or more, or 0 for never",
				d.val("serve.idle_timeout", FormatDuration(v)), FormatDuration(MinIdleTimeout))
		} else {
			out.IdleTimeout = v
		}
	}
	if me, ok := m["max_sessions"]; ok {
		path := "serve.max_sessions"
		if t, ok := d.scalar(path, me, ""); ok && t != "" {
			v, err := strconv.Atoi(t)
			switch {
			case err != nil:
				d.add(resolve(me.val), path, "%s is not a whole number; use 1 to %d", d.quoted(path, t, 20), MaxMaxSessions)
			case v < 1 || v > MaxMaxSessions:
				d.add(resolve(me.val), path, "%s is out of range; use 1 to %d (each session is a dashboard of its own, a few MB)", d.val(path, strconv.Itoa(v)), MaxMaxSessions)
			default:
				out.MaxSessions = v
			}
		}
	}
	return out
}

// store reads store: a SQLite file's path, or a PostgreSQL URL for a
// team's instances to share. $RISKTOP_STORE, when set, stands in for it
// (a URL with a password stays out of the file).
func (d *decoder) store(top map[string]entry) (path, url string) {
	if v := d.env.getenv(StoreEnv); v != "" {
		if IsStoreURL(v) {
			if err := checkStoreURL(v, "the value of $"+StoreEnv); err != nil {
				d.add(nil, "store", "%v", err)
				return "", ""
			}
			return "", v
		}
		p, err := expandHome(v, d.env.getenv)
		if err != nil {
			d.add(nil, "store", "$%s: %v", StoreEnv, err)
			return "", ""
		}
		if !filepath.IsAbs(p) {
			d.add(nil, "store", "$%s must be an absolute path or a postgres:// URL", StoreEnv)
			return "", ""
		}
		return p, ""
	}
	if e, ok := top["store"]; ok {
		p, ok := d.scalar("store", e, "")
		if !ok {
			return "", ""
		}
		if IsStoreURL(p) {
			if err := checkStoreURL(p, d.val("store", RedactURL(p))); err != nil {
				d.add(e.val, "store", "%v", err)
				return "", ""
			}
			return "", p
		}
		if p != "" {
			return d.localPath("store", e.val, p), ""
		}
	}
	p, err := DefaultStorePath(d.env.getenv)
	if err != nil {
		d.add(nil, "store", "no store path given and %v, or set store: /path/to/risktop.db", err)
	}
	return p, ""
}

// optionalPath reads a path that may be left out or empty (""); ok is
// false when its value was wrong (and reported).
func (d *decoder) optionalPath(top map[string]entry, key string) (p string, ok bool) {
	e, set := top[key]
	if !set {
		return "", true
	}
	if p, ok = d.scalar(key, e, ""); !ok || p == "" {
		return "", ok
	}
	before := len(d.probs)
	p = d.localPath(key, e.val, p)
	return p, len(d.probs) == before
}

// exportDir is export_dir, or the default under the XDG state directory.
func (d *decoder) exportDir(top map[string]entry) string {
	p, ok := d.optionalPath(top, "export_dir")
	if !ok || p != "" {
		return p
	}
	p, err := DefaultExportDir(d.env.getenv)
	if err != nil {
		d.add(nil, "export_dir", "no export directory given and %v, or set export_dir: /path/to/exports", err)
	}
	return p
}

// localPath expands ~ and makes p relative to the config file's directory.
func (d *decoder) localPath(path string, n *yaml.Node, p string) string {
	p, err := expandHome(p, d.env.getenv)
	if err != nil {
		d.add(n, path, "%v", err)
		return ""
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(d.dir, p)
	}
	return p
}

// mapping checks that n is a mapping and returns its entries, reporting
// duplicate and unknown keys. A missing or null n is an empty mapping; a
// node of another kind is reported and gives nil.
func (d *decoder) mapping(path string, n *yaml.Node, keys []string, hints map[string]string, want string) map[string]entry {
	n = resolve(n)
	if n == nil || isNull(n) {
		return map[string]entry{}
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "expected %s, found %s", want, kindName(n))
		return nil
	}
	out := make(map[string]entry, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.add(k, path, "a key must be a plain name, found %s", kindName(k))
			continue
		}
		name := k.Value
		kp := join(path, shownKey(name))
		if prev, dup := out[name]; dup {
			d.add(k, kp, "duplicate key; already set at line %d, keep one", prev.key.Line)
			continue
		}
		if !slices.Contains(keys, name) {
			msg, typo := unknownKey(path, name, keys, hints)
			if typo != "" {
				d.typo(join(path, typo))
			}
			d.add(k, kp, "%s", msg)
			continue
		}
		out[name] = entry{k, v}
	}
	return out
}

// unknownKey explains an unknown key and names the key it is probably a
// typo of, if any.
func unknownKey(path, name string, keys []string, hints map[string]string) (msg, typo string) {
	if h, ok := hints[name]; ok {
		return h, ""
	}
	what := "key"
	if path == "sources" {
		what = "source"
	}
	if name == "<<" {
		return "YAML merge keys are not supported; write the keys out", ""
	}
	if s := suggest(name, keys); s != "" {
		return fmt.Sprintf("unknown %s; did you mean %q?", what, s), s
	}
	return fmt.Sprintf("unknown %s; expected %s", what, list(keys, "or")), ""
}

// typo records a suggested key; for <key>_file the key itself counts too.
func (d *decoder) typo(path string) {
	if d.typos == nil {
		d.typos = map[string]bool{}
	}
	d.typos[path] = true
	d.typos[strings.TrimSuffix(path, "_file")] = true
}

// shownKey is a key as messages show it: as written when it is a plain
// name, else quoted with its escapes visible, so a key holding a control
// character or a bidi override neither reaches the terminal raw nor hides
// what is wrong with it.
func shownKey(k string) string {
	const max = 64
	if len(k) <= max && sanitize.Valid(k) && !strings.ContainsAny(k, " \"") {
		return k
	}
	if r := []rune(k); len(r) > max {
		k = string(r[:max]) + sanitize.Ellipsis
	}
	return strconv.Quote(k)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	// Aliases are followed a bounded number of times: the schema is three
	// levels deep, so a cycle cannot recurse, only repeat.
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the single value %q", sanitize.LineN(n.Value, 40))
	}
	return "something else"
}

// scalar returns the value's text with ${VAR} expanded. A null value gives
// "". fileKey, when set, is offered as the alternative to a missing
// variable. ok is false when a problem was reported.
func (d *decoder) scalar(path string, e entry, fileKey string) (string, bool) {
	s, _, ok := d.scalarRefs(path, e, fileKey)
	return s, ok
}

func (d *decoder) scalarRefs(path string, e entry, fileKey string) (string, []string, bool) {
	n := resolve(e.val)
	if n.Kind != yaml.ScalarNode {
		d.add(n, path, "expected a single value, found %s", kindName(n))
		return "", nil, false
	}
	if isNull(n) {
		return "", nil, true
	}
	out, refs, missing, err := expand(n.Value, d.env.lookup)
	if err != nil {
		d.add(n, path, "%v", err)
		return "", nil, false
	}
	if len(missing) > 0 {
		noun, them := "environment variable "+missing[0]+" is", "it"
		if len(missing) > 1 {
			noun, them = "environment variables "+list(missing, "and")+" are", "them"
		}
		alt := ""
		if fileKey != "" {
			alt = ", or use " + fileKey + ": /path/to/file"
		}
		d.add(n, path, "%s not set; export %s before starting risktop%s", noun, them, alt)
		return "", nil, false
	}
	if len(refs) > 0 {
		if d.fromVars == nil {
			d.fromVars = map[string][]string{}
		}
		d.fromVars[path] = refs
	}
	return out, refs, true
}

// section reads one mapping's keys; at is the key the section hangs from,
// where a missing key is reported. read holds the keys whose value was
// taken from the file without a problem.
type section struct {
	d    *decoder
	path string
	at   *yaml.Node
	m    map[string]entry
	read map[string]bool
}

func (s section) has(key string) bool { _, ok := s.m[key]; return ok }

func (s section) missing(key, format string, args ...any) {
	if s.d.typos[join(s.path, strings.TrimSuffix(key, "_file"))] {
		return // reported as a misspelling already
	}
	s.d.add(s.at, join(s.path, key), "missing; "+format, args...)
}

// str is an optional string; n is where it was written (nil if absent).
func (s section) str(key string) (v string, n *yaml.Node, ok bool) {
	e, present := s.m[key]
	if !present {
		return "", nil, true
	}
	v, ok = s.d.scalar(join(s.path, key), e, "")
	return strings.TrimSpace(v), resolve(e.val), ok
}

// need is a required string.
func (s section) need(key, what string) (string, *yaml.Node) {
	v, n, ok := s.str(key)
	if ok && v == "" {
		if n == nil {
			s.missing(key, "set it to %s", what)
		} else {
			s.d.add(n, join(s.path, key), "is empty; set it to %s", what)
		}
	}
	return v, n
}

// duration reads key; ok is false when it is absent or was reported.
func (s section) duration(key string) (time.Duration, *yaml.Node, bool) {
	e, present := s.m[key]
	if !present {
		return 0, nil, false
	}
	path := join(s.path, key)
	t, ok := s.d.scalar(path, e, "")
	n := resolve(e.val)
	if !ok || t == "" {
		return 0, nil, false
	}
	v, err := ParseDuration(t)
	switch {
	case err != nil && isDigits(t) && s.d.hidden(path):
		s.d.add(n, path, "%s has no unit; write a number and a unit, like 30s, 5m, 1h or 90d", s.d.val(path, t))
		return 0, nil, false
	case err != nil && isDigits(t):
		s.d.add(n, path, "%s has no unit; write %ss (or a unit of m, h or d)", t, t)
		return 0, nil, false
	case err != nil:
		s.d.add(n, path, "%s is not a duration; write a number and a unit, like 30s, 5m, 1h or 90d", s.d.quoted(path, t, 40))
		return 0, nil, false
	case v < 0:
		s.d.add(n, path, "%s is negative; durations count forward, like 30s", s.d.val(path, sanitize.LineN(t, 40)))
		return 0, nil, false
	}
	return v, n, true
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// interval reads the poll interval, defaulting to the larger of refresh and
// the vendor's default, and refuses one below the vendor's safe minimum.
func (s section) interval(key string, refresh time.Duration, sched vendorkit.Schedule) time.Duration {
	v, n, ok := s.duration(key)
	if !ok {
		return max(refresh, sched.Default, sched.Min)
	}
	if v < sched.Min {
		s.d.add(n, join(s.path, key), "%s is below the safe minimum of %s: %s; use %s or more",
			s.d.val(join(s.path, key), FormatDuration(v)), FormatDuration(sched.Min), sched.Why, FormatDuration(sched.Min))
	}
	return v
}

// secret reads key or key_file. given reports whether either was written,
// even if it could not be read, so the caller does not report it missing.
func (s section) secret(key string, required, pem bool, what string) (v secret.Value, given bool) {
	fileKey := key + "_file"
	e, inline := s.m[key]
	f, file := s.m[fileKey]
	path := join(s.path, key)
	switch {
	case inline && file:
		s.d.add(f.key, join(s.path, fileKey), "%s is set too; keep one of %s and %s", key, key, fileKey)
		return secret.Value{}, true
	case inline:
		text, refs, ok := s.d.scalarRefs(path, e, fileKey)
		if !ok {
			return secret.Value{}, true
		}
		n := resolve(e.val)
		if text == "" {
			if len(refs) > 0 {
				s.d.add(n, path, "is empty: %s expanded to nothing; set %s, or use %s: /path/to/file", list(refs, "and"), list(refs, "and"), fileKey)
			} else {
				s.d.add(n, path, "is empty; set it to %s, as \"${VAR}\" or with %s: /path/to/file", what, fileKey)
			}
			return secret.Value{}, true
		}
		if len(refs) == 0 {
			s.d.literals = append(s.d.literals, literal{path, n.Line})
		}
		if !s.checkSecret(pem, what, n, path, text, "") {
			return secret.Value{}, true
		}
		return secret.New(text), true
	case file:
		fp := join(s.path, fileKey)
		p, ok := s.d.scalar(fp, f, "")
		n := resolve(f.val)
		if !ok {
			return secret.Value{}, true
		}
		if strings.TrimSpace(p) == "" {
			s.d.add(n, fp, "is empty; give the path of the file holding %s", what)
			return secret.Value{}, true
		}
		if p = s.d.localPath(fp, n, p); p == "" {
			return secret.Value{}, true
		}
		data, err := s.d.env.readFile(p)
		if err != nil {
			s.d.add(n, fp, "cannot read %s: %v; check the path and that risktop's user may read it", p, plainErr(err))
			return secret.Value{}, true
		}
		text := strings.TrimRight(string(data), "\r\n")
		if strings.TrimSpace(text) == "" {
			s.d.add(n, fp, "%s is empty; put %s in it", p, what)
			return secret.Value{}, true
		}
		if !s.checkSecret(pem, what, n, fp, text, p) {
			return secret.Value{}, true
		}
		return secret.New(text), true
	}
	if required {
		s.missing(key, "set %s: \"${VAR}\" or %s: /path/to/file holding %s", key, fileKey, what)
	}
	return secret.Value{}, false
}

// checkSecret catches the copy-paste damage that makes a vendor answer
// 401, without ever showing the value.
func (s section) checkSecret(pem bool, what string, n *yaml.Node, path, text, file string) bool {
	where := "the value"
	if file != "" {
		where = file
	}
	if pem {
		if !strings.Contains(text, "-----BEGIN ") || !strings.Contains(text, "PRIVATE KEY-----") {
			s.d.add(n, path, "%s holds no PEM private key; expected %s, a -----BEGIN … PRIVATE KEY----- block (the content is not shown)", where, what)
			return false
		}
		return true
	}
	if strings.ContainsFunc(text, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		s.d.add(n, path, "%s contains spaces or control characters (an extra line or a stray space when pasting?); the content is not shown", where)
		return false
	}
	return true
}

// url checks a base URL: http(s), a host, and no path that risktop adds
// itself. def is used when the key is absent; a "" def makes it required.
func (s section) url(key, def, example string, checkPath func(u *url.URL) string) string {
	path := join(s.path, key)
	raw, n, ok := s.str(key)
	switch {
	case !ok:
		return ""
	case raw == "" && def != "":
		return def // an empty value means the default, like store: ""
	case raw == "" && n == nil:
		s.missing(key, "set it to the API's address, like %s", example)
		return ""
	case raw == "":
		s.d.add(n, path, "is empty; set it to the API's address, like %s", example)
		return ""
	}
	shown, hidden := s.d.quoted(path, raw, 80), s.d.hidden(path)
	if !strings.Contains(raw, "://") {
		if hidden {
			s.d.add(n, path, "%s has no scheme; start it with https://, like %s", shown, example)
		} else {
			s.d.add(n, path, "%s has no scheme; write https://%s", shown, sanitize.LineN(raw, 80))
		}
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		s.d.add(n, path, "%s is not a valid URL; write it like %s", shown, example)
		return ""
	case u.Scheme != "https" && u.Scheme != "http":
		s.d.add(n, path, "scheme %s is not supported; use https://, like %s", s.d.quoted(path, u.Scheme, 20), example)
		return ""
	case u.Host == "":
		s.d.add(n, path, "%s has no host; write it like %s", shown, example)
		return ""
	case u.User != nil && hidden:
		s.d.add(n, path, "%s must not carry credentials; put them in the secret keys, and write the URL like %s", shown, example)
		return ""
	case u.User != nil:
		s.d.add(n, path, "must not carry credentials; put them in the secret keys, and write the URL like %s", example)
		return ""
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#"):
		s.d.add(n, path, "%s has a query or fragment; write only scheme, host and any prefix, like %s", shown, example)
		return ""
	}
	if checkPath == nil {
		checkPath = func(*url.URL) string { return "" }
	}
	if msg := checkPath(u); msg != "" {
		if hidden { // the message quotes the path
			msg = fmt.Sprintf("%s has a path risktop does not expect (it adds the API paths itself); write it like %s", shown, example)
		}
		s.d.add(n, path, "%s", msg)
		return ""
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		s.d.warn(n, path, "plain http sends credentials unencrypted to %s; use https://", s.d.val(path, sanitize.LineN(u.Host, 80)))
	}
	return strings.TrimRight(raw, "/")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// vendorSection reads a vendor's section by its schema: each key by its
// kind, then the vendor's own rules.
func (s section) vendorSection(v vendorkit.Descriptor, refresh time.Duration) *vendorkit.Section {
	out := vendorkit.NewSection(v.Name)
	for key := range s.m {
		out.Wrote(key)
	}
	for _, k := range v.Config.Keys {
		out.Set(k.Name, s.value(k, refresh, v.Schedule))
	}
	if v.Config.Check != nil {
		v.Config.Check(out, sectionProblems{s})
	}
	return out
}

// value reads one key by its kind; an absent key gives its default.
func (s section) value(k vendorkit.Key, refresh time.Duration, sched vendorkit.Schedule) any {
	path := join(s.path, k.Name)
	switch k.Kind {
	case vendorkit.URL:
		def, _ := k.Default.(string)
		return s.url(k.Name, def, k.Example, k.CheckPath)
	case vendorkit.Secret:
		v, _ := s.secret(k.Name, k.Required, k.PEM, k.What)
		return v
	case vendorkit.Interval:
		return s.interval(k.Name, refresh, sched)
	case vendorkit.Duration:
		v, _ := k.Default.(time.Duration)
		if d, _, ok := s.duration(k.Name); ok {
			v = d
			s.read[k.Name] = true
		}
		return v
	case vendorkit.Int:
		v, _ := k.Default.(int)
		if t, e, ok := s.given(k.Name); ok {
			n, err := strconv.Atoi(t)
			switch {
			case err != nil:
				s.d.add(resolve(e.val), path, "%s is not a whole number; %s", s.d.quoted(path, t, 20), k.NotNumber)
			case n < k.Min || n > k.Max:
				s.d.add(resolve(e.val), path, "%s is out of range; %s", s.d.val(path, strconv.Itoa(n)), k.OutOfRange)
			default:
				v = n
				s.read[k.Name] = true
			}
		}
		return v
	case vendorkit.Bool:
		v, _ := k.Default.(bool)
		if t, e, ok := s.given(k.Name); ok {
			switch strings.ToLower(t) {
			case "true", "false":
				v = strings.ToLower(t) == "true"
				s.read[k.Name] = true
			default:
				s.d.add(resolve(e.val), path, "%q is not a boolean; %s", sanitize.LineN(t, 40), k.NotBool)
			}
		}
		return v
	}
	if k.Required {
		v, _ := s.need(k.Name, k.What)
		return v
	}
	v, n, ok := s.str(k.Name)
	switch {
	case n == nil:
		v, _ = k.Default.(string)
	case ok:
		s.read[k.Name] = true
	}
	return v
}

// given is key's text when the key is written with a value (not empty);
// ok is false when it is absent, empty or was reported.
func (s section) given(key string) (string, entry, bool) {
	e, present := s.m[key]
	if !present {
		return "", e, false
	}
	t, ok := s.d.scalar(join(s.path, key), e, "")
	return t, e, ok && t != ""
}

// sectionProblems is how a vendor's rules report into the section's file.
type sectionProblems struct{ s section }

func (p sectionProblems) At(key, format string, args ...any) {
	if e, ok := p.s.m[key]; ok {
		p.s.d.add(resolve(e.val), join(p.s.path, key), format, args...)
		return
	}
	path := p.s.path
	if key != "" {
		path = join(path, key)
	}
	p.s.d.add(p.s.at, path, format, args...)
}

func (p sectionProblems) Missing(key, format string, args ...any) { p.s.missing(key, format, args...) }

func (p sectionProblems) Misspelt(key string) bool { return p.s.d.typos[join(p.s.path, key)] }

func (p sectionProblems) Read(key string) bool { return p.s.read[key] }

func (p sectionProblems) Shown(key, display string) string {
	return p.s.d.val(join(p.s.path, key), display)
}

func (p sectionProblems) Quoted(key, v string, max int) string {
	return p.s.d.quoted(join(p.s.path, key), v, max)
}

func (d *decoder) literalWarning(mode fs.FileMode) {
	where := make([]string, len(d.literals))
	for i, l := range d.literals {
		where[i] = fmt.Sprintf("%s (line %d)", l.path, l.line)
	}
	noun := "a literal secret at "
	if len(where) > 1 {
		noun = "literal secrets at "
	}
	d.warns = append(d.warns, Warning{File: d.file, Message: fmt.Sprintf(
		"mode %04o lets other users read this file, and it holds %s%s; run chmod 600 %s, or move each secret to \"${VAR}\" or <key>_file: /path",
		mode.Perm(), noun, list(where, "and"), d.file)})
}
