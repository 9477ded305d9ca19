package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// Checks that no config file can reach: they guard configs built in code and odd corners.

func TestInvalidUTF8LabelValue(t *testing.T) {
	c := &checker{lines: map[string]int{}, settled: map[string]bool{}, intended: map[string]bool{}}
	c.checkLabels("mikrotik[0].labels", map[string]string{"unit": "Pasar\xff"})
	if len(c.problems) != 1 || c.problems[0].Key != "mikrotik[0].labels.unit" || c.problems[0].Message != "the label value is not valid UTF-8" {
		t.Errorf("problems: %+v", c.problems)
	}
}

func TestSplitAddress(t *testing.T) {
	for address, want := range map[string]string{
		"192.0.2.1":           "192.0.2.1:8728",
		"192.0.2.1:1":         "192.0.2.1:1",
		"router.lan":          "router.lan:8728",
		"router.lan.":         "router.lan.:8728",
		"router_1.lan:65535":  "router_1.lan:65535",
		"2001:db8::1":         "[2001:db8::1]:8728",
		"[2001:db8::1]":       "[2001:db8::1]:8728",
		"[2001:db8::1]:8729":  "[2001:db8::1]:8729",
		"fe80::1%eth0":        "[fe80::1%eth0]:8728",
		"[fe80::1%eth0]:8729": "[fe80::1%eth0]:8729",
	} {
		if _, _, err := splitAddress(address); err != nil {
			t.Errorf("splitAddress(%q): %v", address, err)
		}
		if got := withDefaultPort(address, "8728"); got != want {
			t.Errorf("withDefaultPort(%q) = %q, want %q", address, got, want)
		}
	}
	for _, address := range []string{"", ":8728", "router.lan:", "router.lan:0", "router.lan:http", "a..b", "-", "[2001:db8::1", "router/1", "tcp://router", "a b", strings.Repeat("a", 64) + ".lan"} {
		if host, port, err := splitAddress(address); err == nil {
			t.Errorf("splitAddress(%q) = %q, %q; want an error", address, host, port)
		}
	}
}

func TestClosest(t *testing.T) {
	known := fieldsOf(typeOfMikroTikTarget).names
	for key, want := range map[string]string{
		"adress": "address", "Address": "address", "timout": "timeout", "hotspot-users": "hotspot_users",
		"label": "labels", "pasword_fil": "password_file", "passwd_env": "password_env", "tsl": "tls",
	} {
		if got, ok := closest(key, known); !ok || got != want {
			t.Errorf("closest(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
	for _, key := range []string{"colour", "x", "port", "community"} {
		if got, ok := closest(key, known); ok {
			t.Errorf("closest(%q) = %q, want no suggestion", key, got)
		}
	}
}

func TestExpandingAliasesAreBounded(t *testing.T) {
	// Each level merges the previous one ten times: 10^9 pairs if nothing stopped it.
	var b strings.Builder
	b.WriteString("anchors:\n  l0: &l0 {k: v}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d {<<: [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]}\n")
	}
	b.WriteString("mikrotik:\n  - name: r\n    labels: *l9\n")
	start := time.Now()
	_, err := Parse([]byte(b.String()), "ronda.yml")
	if err == nil || !strings.Contains(err.Error(), "too much data") {
		t.Errorf("got %v, want the expansion stopped", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("took %v", elapsed)
	}
}

func TestSelfMergingMappingIsBounded(t *testing.T) {
	_, err := Parse([]byte("mikrotik:\n  - &r\n    name: r\n    <<: *r\n"), "ronda.yml")
	if err == nil {
		t.Fatal("want an error")
	}
	if want := "ronda.yml:2: mikrotik[0]: merge keys (<<) nested too deeply"; err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestDuration(t *testing.T) {
	for text, want := range map[string]time.Duration{"500ms": 500 * time.Millisecond, "10s": 10 * time.Second, "1m30s": 90 * time.Second, "0": 0, "-5s": -5 * time.Second} {
		var d Duration
		if err := decodeScalarForTest(text, &d); err != nil || time.Duration(d) != want {
			t.Errorf("Duration(%q) = %v, %v; want %v", text, d, err, want)
		}
	}
	if got := Duration(90 * time.Second).String(); got != "1m30s" {
		t.Errorf("String() = %q", got)
	}
	for _, text := range []string{"ten", "10", "1.5s", "[1s]", "1s2m"} {
		var d Duration
		if err := decodeScalarForTest(text, &d); err == nil || !strings.HasPrefix(err.Error(), "expected a duration like 10s or 1m30s, got ") {
			t.Errorf("Duration(%q): %v, want an error in words", text, err)
		}
	}
}

var typeOfMikroTikTarget = reflect.TypeFor[MikroTikTarget]()

func decodeScalarForTest(text string, d *Duration) error {
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(text), &node); err != nil {
		return err
	}
	return node.Content[0].Decode(d)
}
