package dashboards

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// The dashboards every issue asks for, by file.
var wantDashboards = []string{"alerts", "mikrotik", "olt", "overview", "probes", "servers"}

func load(t *testing.T) map[string]*Dashboard {
	t.Helper()
	ds, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestDashboardsDecodeStrictly(t *testing.T) {
	ds := load(t)
	if got := Names(ds); !slices.Equal(got, wantDashboards) {
		t.Fatalf("dashboards: got %v, want %v", got, wantDashboards)
	}
	uids := map[string]string{}
	for name, d := range ds {
		// The uid is part of every link to a dashboard (/d/UID/…): it must never change, so
		// it is derived from the file name rather than left to Grafana.
		if want := "ronda-" + strings.TrimSuffix(name, ".json"); d.UID != want {
			t.Errorf("%s: uid %q, want %q", name, d.UID, want)
		}
		if prev, ok := uids[d.UID]; ok {
			t.Errorf("%s: uid %q already used by %s", name, d.UID, prev)
		}
		uids[d.UID] = name
		if d.SchemaVersion < 39 {
			t.Errorf("%s: schemaVersion %d, want 39 or later (Grafana 11)", name, d.SchemaVersion)
		}
		if d.ID != nil {
			t.Errorf("%s: id %d set: a provisioned dashboard is found by uid; leave id out", name, *d.ID)
		}
		if !strings.HasPrefix(d.Title, "ronda / ") || !slices.Contains(d.Tags, "ronda") {
			t.Errorf("%s: title %q and tags %v: want the \"ronda / \" prefix and the ronda tag (the header's dashboard list uses it)", name, d.Title, d.Tags)
		}
		ids := map[int]bool{}
		for _, p := range d.AllPanels() {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d used twice", name, p.ID)
			}
			ids[p.ID] = true
			if p.Title == "" {
				t.Errorf("%s: panel %d has no title", name, p.ID)
			}
		}
	}
}

func TestDecodeRefusesWhatItDoesNotKnow(t *testing.T) {
	b, err := Files.ReadFile("overview.json")
	if err != nil {
		t.Fatal(err)
	}
	good := string(b)
	for _, tc := range []struct{ name, json, want string }{
		{"unknown top-level key", strings.Replace(good, "{", `{"uidd": "x", `, 1), `unknown field "uidd"`},
		{"__inputs", strings.Replace(good, "{", `{"__inputs": [{"name": "DS_PROMETHEUS"}], `, 1), `"__inputs" present`},
		{"unknown panel key", strings.Replace(good, `"gridPos":`, `"gridPosition": {}, "gridPos":`, 1), `unknown field "gridPosition"`},
		{"unknown target key", strings.Replace(good, `"expr":`, `"expression": "up", "expr":`, 1), `unknown field "expression"`},
		{"unknown variable query key", strings.Replace(mustRead(t, "mikrotik.json"), `"qryType":`, `"queryType": 1, "qryType":`, 1), `unknown field "queryType"`},
		{"trailing data", good + "{}", "after the JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.json == good {
				t.Fatal("the test's replacement did not apply")
			}
			_, err := Decode(strings.NewReader(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := Files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEveryPanelUsesTheDatasourceVariable(t *testing.T) {
	want := DatasourceRef{Type: "prometheus", UID: DatasourceVariable}
	for name, d := range load(t) {
		var dsVar *Variable
		for i, v := range d.Templating.List {
			if v.Name == "datasource" {
				dsVar = &d.Templating.List[i]
			}
			if v.Type == "query" && (v.Datasource == nil || *v.Datasource != want) {
				t.Errorf("%s: variable %q: datasource %+v, want %+v", name, v.Name, v.Datasource, want)
			}
		}
		if dsVar == nil || dsVar.Type != "datasource" || dsVar.Query.Query != "prometheus" {
			t.Errorf("%s: no datasource variable of type prometheus: %+v", name, dsVar)
		}
		for _, a := range d.Annotations.List {
			if a.BuiltIn == 0 && (a.Datasource == nil || *a.Datasource != want) {
				t.Errorf("%s: annotation %q: datasource %+v, want %+v", name, a.Name, a.Datasource, want)
			}
		}
		for _, p := range d.AllPanels() {
			switch p.Type {
			case "row", "text":
				if len(p.Targets) > 0 {
					t.Errorf("%s: %s panel %q has queries", name, p.Type, p.Title)
				}
				continue
			}
			if p.Datasource == nil || *p.Datasource != want {
				t.Errorf("%s: panel %q: datasource %+v, want %+v", name, p.Title, p.Datasource, want)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			refs := map[string]bool{}
			for _, q := range p.Targets {
				if q.Datasource == nil || *q.Datasource != want {
					t.Errorf("%s: panel %q query %s: datasource %+v, want %+v", name, p.Title, q.RefID, q.Datasource, want)
				}
				if refs[q.RefID] || q.RefID == "" {
					t.Errorf("%s: panel %q: refId %q empty or repeated", name, p.Title, q.RefID)
				}
				refs[q.RefID] = true
				if q.Instant == q.Range {
					t.Errorf("%s: panel %q query %s: instant=%v range=%v, want exactly one", name, p.Title, q.RefID, q.Instant, q.Range)
				}
			}
		}
	}
}

// TestLayout: panels stay on Grafana's 24-column grid and never overlap (Grafana would
// push overlapping panels around and the layout in the file would not be the one shown).
func TestLayout(t *testing.T) {
	for name, d := range load(t) {
		var placed []*Panel
		for _, p := range d.AllPanels() {
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
				t.Errorf("%s: panel %q: gridPos %+v off the 24-column grid", name, p.Title, g)
			}
			for _, o := range placed {
				h := o.GridPos
				if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
					t.Errorf("%s: panels %q %+v and %q %+v overlap", name, p.Title, g, o.Title, h)
				}
			}
			placed = append(placed, p)
		}
	}
}

func TestExpressionsParse(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for name, d := range load(t) {
		defined := map[string]bool{}
		for _, v := range d.Templating.List {
			defined[v.Name] = true
		}
		qs, err := d.Queries()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, q := range qs {
			for _, v := range VariablesUsed(q.Expr) {
				if !defined[v] {
					t.Errorf("%s: %s uses $%s, which the dashboard does not define", name, q.Where, v)
				}
			}
			expr := Expand(q.Expr, "5m", nil)
			if _, err := p.ParseExpr(expr); err != nil {
				t.Errorf("%s: %s: %v\n%s", name, q.Where, err, expr)
			}
		}
	}
}

func TestExpand(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`rate(x{instance=~"$instance"}[$__rate_interval])`, `rate(x{instance=~"a|b"}[5m])`},
		{`changes(x{pon=~"${pon}"}[$__range])`, `changes(x{pon=~".*"}[5m])`},
		{`x{a=~"${instance:regex}"} offset ${__range_s}s`, `x{a=~"a|b"} offset 300s`},
		{`x[${__interval}] * $__range_ms`, `x[5m] * 300000`},
	} {
		if got := Expand(tc.in, "5m", map[string]string{"instance": "a|b"}); got != tc.want {
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := VariablesUsed(`x{a=~"$instance", b=~"${pon}"}[$__rate_interval] + y{c="$instance"}`); !slices.Equal(got, []string{"instance", "pon"}) {
		t.Errorf("VariablesUsed = %v", got)
	}
}

// TestMetricNamesExist: every metric a dashboard reads is one ronda documents in README's
// metric tables, a recording rule in rules/, or a series Prometheus itself writes, so a
// typo in a panel (or a metric renamed without its dashboards) fails here.
func TestMetricNamesExist(t *testing.T) {
	known := documentedMetrics(t, filepath.Join("..", "README.md"))
	for _, rec := range recordingRules(t, filepath.Join("..", "rules")) {
		known.names[rec] = true
	}
	for _, s := range []string{"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped"} {
		known.names[s] = true
	}
	p := parser.NewParser(parser.Options{})
	used := map[string]bool{}
	for name, d := range load(t) {
		qs, err := d.Queries()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			expr, err := p.ParseExpr(Expand(q.Expr, "5m", nil))
			if err != nil {
				t.Fatalf("%s: %s: %v", name, q.Where, err)
			}
			for _, m := range metricNames(expr) {
				used[m] = true
				if !known.has(m) {
					t.Errorf("%s: %s reads %s, which is neither in README's metric tables, nor a recording rule in rules/, nor a Prometheus series", name, q.Where, m)
				}
			}
		}
	}
	// The check above is only as good as the README parsing: make sure it found families
	// of every kind, and that the dashboards cover every kind.
	for _, m := range []string{"mikrotik_hotspot_user_limit_uptime_seconds", "olt_onu_rx_power_dbm", "node_filesystem_avail_bytes",
		"node_memory_MemAvailable_bytes", "probe_icmp_packet_loss_ratio", "ronda_exporter_scrape_duration_seconds_bucket"} {
		if !known.has(m) {
			t.Errorf("README parsing missed %s", m)
		}
	}
	if known.has("mikrotik_hotspot_user_limit_uptime") || known.has("olt_onu_rx_power") {
		t.Error("README parsing accepts names that are not documented")
	}
	for _, m := range []string{"mikrotik_hotspot_active_sessions", "olt_onu_state", "node_cpu_seconds_total", "probe_success", "ALERTS"} {
		if !used[m] {
			t.Errorf("no dashboard reads %s", m)
		}
	}
}

func metricNames(expr parser.Expr) []string {
	var out []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		out = append(out, name)
		return nil
	})
	return out
}

type metricSet struct {
	names    map[string]bool
	patterns []*regexp.Regexp
}

func (s metricSet) has(name string) bool {
	if s.names[name] {
		return true
	}
	for _, p := range s.patterns {
		if p.MatchString(name) {
			return true
		}
	}
	return false
}

var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// documentedMetrics reads the names in the first column of README's tables whose first
// header is "metric". It understands the shorthands the tables use: a placeholder
// (`node_memory_<Field>_bytes`), and a sibling written as a suffix after a full name
// (`node_filesystem_size_bytes`, `_free_bytes`, or `…_success_timestamp_seconds`), which
// stands for the full name's prefix (at any underscore) followed by the suffix.
func documentedMetrics(t *testing.T, readme string) metricSet {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set := metricSet{names: map[string]bool{}}
	inTable := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		first := strings.ToLower(strings.TrimSpace(cells[0]))
		if first == "metric" {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(first, "---") {
			continue
		}
		histogram := slices.ContainsFunc(cells[1:], func(c string) bool { return strings.TrimSpace(c) == "histogram" })
		var full string
		for _, tok := range backticked(cells[0]) {
			switch {
			case strings.Contains(tok, "<"):
				re := regexp.MustCompile(`<[^>]*>`).Split(tok, -1)
				for i := range re {
					re[i] = regexp.QuoteMeta(re[i])
				}
				set.patterns = append(set.patterns, regexp.MustCompile("^"+strings.Join(re, "[a-zA-Z0-9_]+")+"$"))
			case strings.HasPrefix(tok, "_") || strings.HasPrefix(tok, "…_"):
				suffix := strings.TrimPrefix(tok, "…")
				if full == "" {
					t.Fatalf("%s: %q follows no full metric name", readme, tok)
				}
				for i := range len(full) {
					if full[i] == '_' {
						set.names[full[:i]+suffix] = true
					}
				}
			case metricName.MatchString(tok):
				full = tok
				set.names[tok] = true
				if histogram {
					for _, s := range []string{"_bucket", "_sum", "_count"} {
						set.names[tok+s] = true
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(set.names) < 50 {
		t.Fatalf("%s: only %d metric names found in its tables; has the table format changed?", readme, len(set.names))
	}
	return set
}

func backticked(s string) []string {
	var out []string
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			out = append(out, part)
		}
	}
	return out
}

// recordingRules returns the names recorded by the rule files in dir (none if it has none yet).
func recordingRules(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var out []string
	for _, file := range append(files, more...) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var rf struct {
			Groups []struct {
				Rules []struct {
					Record string `yaml:"record"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &rf); err != nil {
			// Test files of promtool (rule_files, tests) are not rule files.
			continue
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					out = append(out, r.Record)
				}
			}
		}
	}
	return out
}

func ExampleExpand() {
	fmt.Println(Expand(`sum by (instance) (rate(node_cpu_seconds_total{instance=~"$instance"}[$__rate_interval]))`, "1m", map[string]string{"instance": "web-pasar"}))
	// Output: sum by (instance) (rate(node_cpu_seconds_total{instance=~"web-pasar"}[1m]))
}

// Names returns the dashboards' file names without the .json extension, sorted.
func Names(ds map[string]*Dashboard) []string {
	var out []string
	for name := range ds {
		out = append(out, strings.TrimSuffix(name, ".json"))
	}
	slices.Sort(out)
	return out
}
