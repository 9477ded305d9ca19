// Package rules holds no Go code: its tests check the Prometheus rule files beside them
// with promtool, and check that every alert is labelled, annotated and unit-tested, so an
// alert added without a test fails `make test`.
package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/internal/testtool"
	"github.com/rondanet/ronda/restore"
)

// ruleFile is the part of a Prometheus rule file these tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// testFile is the part of a promtool test file these tests read.
type testFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTests []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTests []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

var (
	severities = []string{"critical", "warning", "info"}
	priorities = []string{"critical", "high", "medium", "low"}
	// kinds are ronda-webhook's message formats (alertmanager-webhook/tmpl).
	kinds = []string{"onu", "reachability", "resource"}
)

func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files found: %v", err)
	}
	return files
}

func testFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("tests", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule test files found: %v", err)
	}
	return files
}

func decode[T any](t *testing.T, path string) T {
	t.Helper()
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestPromtoolCheck runs `promtool check rules` on every rule file: syntax, PromQL, templates.
func TestPromtoolCheck(t *testing.T) {
	promtool := testtool.Need(t, "promtool")
	args := append([]string{"check", "rules"}, ruleFiles(t)...)
	if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// TestPromtoolUnitTests runs every rules/tests/*.yml with `promtool test rules`.
func TestPromtoolUnitTests(t *testing.T) {
	promtool := testtool.Need(t, "promtool")
	for _, f := range testFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if out, err := exec.Command(promtool, "test", "rules", f).CombinedOutput(); err != nil {
				t.Fatalf("promtool test rules %s: %v\n%s", f, err, out)
			}
		})
	}
}

// alertCases is what the unit tests say about one alert name.
type alertCases struct {
	firing map[string]bool // severities seen firing
	// In one test group, a case where it must not fire before its first firing case (below
	// the threshold or within `for`), and one after it (resolved).
	quietBefore, quietAfter bool
}

func collectCases(t *testing.T) (map[string]*alertCases, map[string]bool, map[string]bool) {
	t.Helper()
	cases := map[string]*alertCases{}
	exprs := map[string]bool{}
	loaded := map[string]bool{}
	for _, f := range testFiles(t) {
		tf := decode[testFile](t, f)
		for _, rf := range tf.RuleFiles {
			p := filepath.Clean(filepath.Join(filepath.Dir(f), rf))
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s: rule file %s: %v", f, rf, err)
			}
			loaded[p] = true
		}
		for _, tc := range tf.Tests {
			// Per alert name in this group: when it first fires, when it is quiet.
			type span struct{ firstFiring time.Duration }
			firing := map[string]*span{}
			var quiet []struct {
				name string
				at   time.Duration
			}
			for _, at := range tc.AlertRuleTests {
				c := cases[at.Alertname]
				if c == nil {
					c = &alertCases{firing: map[string]bool{}}
					cases[at.Alertname] = c
				}
				when, err := time.ParseDuration(at.EvalTime)
				if err != nil {
					t.Fatalf("%s: eval_time %q: %v", f, at.EvalTime, err)
				}
				if len(at.ExpAlerts) == 0 {
					quiet = append(quiet, struct {
						name string
						at   time.Duration
					}{at.Alertname, when})
					continue
				}
				for _, a := range at.ExpAlerts {
					c.firing[a.ExpLabels["severity"]] = true
				}
				if sp := firing[at.Alertname]; sp == nil {
					firing[at.Alertname] = &span{when}
				} else {
					sp.firstFiring = min(sp.firstFiring, when)
				}
			}
			for _, q := range quiet {
				if sp := firing[q.name]; sp != nil {
					cases[q.name].quietBefore = cases[q.name].quietBefore || q.at < sp.firstFiring
					cases[q.name].quietAfter = cases[q.name].quietAfter || q.at > sp.firstFiring
				}
			}
			for _, pt := range tc.PromQLExprTests {
				exprs[pt.Expr] = true
			}
		}
	}
	return cases, exprs, loaded
}

// TestEveryAlertLabelledAndTested: each alert has severity and priority labels from the
// documented schemes, summary and description annotations, a test where it fires at each
// of its severities and a test where it stays quiet. Each rule file is loaded by a test.
func TestEveryAlertLabelledAndTested(t *testing.T) {
	cases, _, loaded := collectCases(t)
	alerts := 0
	for _, f := range ruleFiles(t) {
		if !loaded[f] {
			t.Errorf("%s is not loaded by any test in tests/", f)
		}
		rf := decode[ruleFile](t, f)
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				alerts++
				where := f + ": " + r.Alert
				if sev := r.Labels["severity"]; !slices.Contains(severities, sev) {
					t.Errorf("%s: severity %q, want one of %v", where, sev, severities)
				}
				if p := r.Labels["priority"]; !slices.Contains(priorities, p) {
					t.Errorf("%s: priority %q, want one of %v", where, p, priorities)
				}
				if k, ok := r.Labels["kind"]; ok && !slices.Contains(kinds, k) {
					t.Errorf("%s: kind %q is not a ronda-webhook format %v", where, k, kinds)
				}
				for _, a := range []string{"summary", "description"} {
					if strings.TrimSpace(r.Annotations[a]) == "" {
						t.Errorf("%s: no %s annotation", where, a)
					}
				}
				c := cases[r.Alert]
				switch {
				case c == nil:
					t.Errorf("%s: no test in tests/", where)
				case !c.firing[r.Labels["severity"]]:
					t.Errorf("%s: no test where it fires with severity %s", where, r.Labels["severity"])
				case !c.quietBefore:
					t.Errorf("%s: no test where it stays quiet before it fires (below the threshold, within `for`)", where)
				case !c.quietAfter:
					t.Errorf("%s: no test where it resolves after firing", where)
				}
			}
		}
	}
	if alerts < 20 {
		t.Errorf("found %d alerts; the YAML shape read here no longer matches the rule files?", alerts)
	}
}

// TestRecordingRulesTested: every recording rule is checked by a promql_expr_test, or read
// by an alert or by another recording rule (whose tests then cover it).
func TestRecordingRulesTested(t *testing.T) {
	_, exprs, _ := collectCases(t)
	var records []rule
	for _, f := range ruleFiles(t) {
		for _, g := range decode[ruleFile](t, f).Groups {
			records = append(records, g.Rules...)
		}
	}
	for _, rec := range records {
		if rec.Record == "" {
			continue
		}
		tested := false
		for e := range exprs {
			tested = tested || strings.Contains(e, rec.Record)
		}
		for _, other := range records {
			tested = tested || (other.Record != rec.Record && strings.Contains(other.Expr, rec.Record))
		}
		if !tested {
			t.Errorf("recording rule %s is neither read by an alert or another rule nor checked by a promql_expr_test", rec.Record)
		}
	}
}

// TestRebootThresholdMatchesRestore: MikrotikRebooted and ronda-restore count a reboot from
// the same jump of the boot time, so every reboot that alerts (and may run `ronda-restore
// auto`) is one ronda-restore finds in the history.
func TestRebootThresholdMatchesRestore(t *testing.T) {
	f := decode[ruleFile](t, "mikrotik.yml")
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "MikrotikRebooted" {
				continue
			}
			m := regexp.MustCompile(`min_over_time\(mikrotik_system_boot_time_seconds\[\w+\]\)\s*>\s*(\d+)\)`).FindStringSubmatch(r.Expr)
			if m == nil {
				t.Fatalf("MikrotikRebooted: no boot-time threshold found in %q", r.Expr)
			}
			if want := strconv.Itoa(int(restore.RebootThreshold.Seconds())); m[1] != want {
				t.Errorf("MikrotikRebooted counts a jump over %ss as a reboot, ronda-restore over %ss", m[1], want)
			}
			return
		}
	}
	t.Fatal("no MikrotikRebooted rule in mikrotik.yml")
}
