package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/internal/testtool"
)

// The end-to-end tests run ronda's real rules and the real Alertmanager example, but cannot
// wait the 3 minutes of an alert's `for` plus Alertmanager's 30s group_wait and 5m
// group_interval. Instead of editing rules/ or examples/, they load copies made here from
// those very files: every alert's `for` divided by forDivisor, and Alertmanager's group
// timers shortened. Nothing else changes, so expressions, labels, annotations, routes and
// inhibitions are the ones shipped.
const forDivisor = 12

// fastRules writes rules/*.yml into a new folder with every `for` divided by forDivisor
// (at least 1s), and returns the folder.
func fastRules(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testtool.Root(), "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("rules/*.yml: %v %v", files, err)
	}
	dir := t.TempDir()
	shortened := 0
	for _, f := range files {
		doc := readYAMLNode(t, f)
		for _, group := range seq(mapValue(doc, "groups")) {
			for _, rule := range seq(mapValue(group, "rules")) {
				n := mapValue(rule, "for")
				if n == nil {
					continue
				}
				d, err := model.ParseDuration(n.Value)
				if err != nil {
					t.Fatalf("%s: for %q: %v", f, n.Value, err)
				}
				n.Value = model.Duration(max(time.Duration(d)/forDivisor, time.Second)).String()
				shortened++
			}
		}
		writeYAMLNode(t, filepath.Join(dir, filepath.Base(f)), doc)
	}
	if shortened < 10 {
		t.Fatalf("only %d rules with a for in rules/: has the file layout changed?", shortened)
	}
	return dir
}

// fastAlertmanager writes examples/alertmanager.yml with group_wait and group_interval
// shortened wherever they are set, and returns the file. Its webhook addresses
// (127.0.0.1:9851) are the demo's, which the tests run.
func fastAlertmanager(t *testing.T) string {
	t.Helper()
	doc := readYAMLNode(t, filepath.Join(testtool.Root(), "examples", "alertmanager.yml"))
	set := map[string]string{"group_wait": "2s", "group_interval": "5s"}
	changed := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if v, ok := set[n.Content[i].Value]; ok {
					n.Content[i+1].Value = v
					changed++
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc)
	if changed < 2 {
		t.Fatalf("examples/alertmanager.yml: group_wait and group_interval not found")
	}
	file := filepath.Join(t.TempDir(), "alertmanager.yml")
	writeYAMLNode(t, file, doc)
	return file
}

func readYAMLNode(t *testing.T, file string) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &doc
}

func writeYAMLNode(t *testing.T, file string, doc *yaml.Node) {
	t.Helper()
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mapValue is the value of key in a mapping node (or a document holding one), or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// TestFastCopies: the copies differ from the shipped files only where they should.
func TestFastCopies(t *testing.T) {
	promtool := testtool.Need(t, "promtool")
	dir := fastRules(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the copy: %v\n%s", err, out)
	}
	amtool := testtool.Need(t, "amtool")
	if out, err := exec.Command(amtool, "check-config", fastAlertmanager(t)).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config on the copy: %v\n%s", err, out)
	}
	orig := readYAMLNode(t, filepath.Join(testtool.Root(), "rules", "servers.yml"))
	fast := readYAMLNode(t, filepath.Join(dir, "servers.yml"))
	var got, want []string
	for i, group := range seq(mapValue(fast, "groups")) {
		for j, rule := range seq(mapValue(group, "rules")) {
			o := seq(mapValue(seq(mapValue(orig, "groups"))[i], "rules"))[j]
			if mapValue(rule, "expr").Value != mapValue(o, "expr").Value {
				t.Errorf("servers.yml group %d rule %d: expr changed", i, j)
			}
			if f := mapValue(rule, "for"); f != nil {
				got = append(got, fmt.Sprint(mapValue(rule, "alert").Value, " ", f.Value))
				d, _ := model.ParseDuration(mapValue(o, "for").Value)
				want = append(want, fmt.Sprint(mapValue(o, "alert").Value, " ", model.Duration(max(time.Duration(d)/forDivisor, time.Second))))
			}
		}
	}
	if len(got) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("for in the copy of servers.yml: %v, want %v", got, want)
	}
	for _, g := range got {
		if g == "SshHostDown 15s" {
			return
		}
	}
	t.Errorf("SshHostDown's 3m did not become 15s: %v", got)
}
