package deploy

import (
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookCommandsFindRestoreFiles: a command channel of the example ronda-webhook.yml
// that runs ronda-restore (the hands-off restore) runs inside the ronda-webhook container.
// The files it names must be mounted there, its ledger must be the restore page's ledger
// (one ledger and one lock, so the page and the alert never give time back twice), and its
// Prometheus must be the stack's.
func TestWebhookCommandsFindRestoreFiles(t *testing.T) {
	p := load(t)
	r := root(t)
	var hook struct {
		Channels []struct {
			Name    string `yaml:"name"`
			Command *struct {
				Argv []string `yaml:"argv"`
			} `yaml:"command"`
		} `yaml:"channels"`
	}
	readYAML(t, filepath.Join(r, "examples/ronda-webhook.yml"), &hook)
	webhook, page := p.Services["ronda-webhook"], p.Services["ronda-restore"]
	flagOf := func(args []string, name string) string {
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
				return v
			}
		}
		return ""
	}
	mounted := func(file string) bool {
		for _, v := range webhook.Volumes {
			if file == v.Target || strings.HasPrefix(file, strings.TrimSuffix(v.Target, "/")+"/") {
				return true
			}
		}
		return false
	}
	addrs := serviceAddrs(t, p)
	found := 0
	for _, ch := range hook.Channels {
		if ch.Command == nil || len(ch.Command.Argv) == 0 || path.Base(ch.Command.Argv[0]) != "ronda-restore" {
			continue
		}
		found++
		argv := ch.Command.Argv
		for _, name := range []string{"config.file", "ledger.file"} {
			file := flagOf(argv, name)
			if file == "" || !path.IsAbs(file) {
				t.Errorf("channel %s: --%s=%q: want an absolute path in the container", ch.Name, name, file)
			} else if !mounted(file) {
				t.Errorf("channel %s: --%s=%s is on no mount of ronda-webhook", ch.Name, name, file)
			}
		}
		if got, want := flagOf(argv, "ledger.file"), flagOf(page.Command, "ledger.file"); got != want {
			t.Errorf("channel %s writes the ledger %s, the restore page %s: two ledgers can restore a reboot twice", ch.Name, got, want)
		}
		if got, want := flagOf(argv, "config.file"), flagOf(page.Command, "config.file"); got != want {
			t.Errorf("channel %s reads %s, the restore page %s", ch.Name, got, want)
		}
		if u, err := url.Parse(flagOf(argv, "prometheus.url")); err != nil || !addrs[u.Host] {
			t.Errorf("channel %s: --prometheus.url=%s is not the stack's Prometheus", ch.Name, flagOf(argv, "prometheus.url"))
		}
	}
	if found == 0 {
		t.Fatal("examples/ronda-webhook.yml has no command channel running ronda-restore: has the hands-off restore example moved?")
	}
}
