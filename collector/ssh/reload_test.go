package ssh_test

import (
	"log/slog"
	"testing"

	sshcollector "github.com/rondanet/ronda/collector/ssh"
	"github.com/rondanet/ronda/config"
)

// TestReloadKeepsConnection: a reload that changes what is read (units, commands) keeps
// the host's connection; one that changes how it is reached logs in again; a host
// removed from the configuration has its connection closed.
func TestReloadKeepsConnection(t *testing.T) {
	hosts, cfg := simHosts(t, 2, nil, nil)
	c := sshcollector.New(slog.New(slog.DiscardHandler), sshcollector.Options{})
	defer c.Close()
	c.Reload(cfg)
	for _, name := range []string{"sim-000", "sim-001"} {
		if _, err := scrapeDirect(t, c, name); err != nil {
			t.Fatal(err)
		}
	}

	changed := *cfg
	changed.SSH = append([]config.SSHTarget(nil), cfg.SSH[0])
	changed.SSH[0].Units = []string{"cron.service"}
	changed.SSH[0].Commands = []config.SSHCommand{{Name: "n", Command: "echo 4", Timeout: config.Duration(5e9), Value: config.SSHValueFirstNumber}}
	c.Reload(&changed)
	got, err := scrapeDirect(t, c, "sim-000")
	if err != nil {
		t.Fatal(err)
	}
	want(t, got, "node_systemd_unit_state,name=cron.service,state=active,type=notify", 1)
	if _, ok := got["ssh_command_value,command=n"]; !ok {
		t.Error("the new command did not run: the script was not rebuilt")
	}
	if hosts[0].Logins() != 1 || got["ssh_connection_reused"] != 1 {
		t.Errorf("new units and commands cost a login (%d logins)", hosts[0].Logins())
	}
	if _, err := scrapeDirect(t, c, "sim-001"); err == nil {
		t.Error("a removed host is still scraped")
	}

	changed.SSH[0].User = "someone-else"
	c.Reload(&changed)
	if _, err := scrapeDirect(t, c, "sim-000"); err != nil {
		t.Fatal(err)
	}
	if hosts[0].Logins() != 2 {
		t.Errorf("a new user did not log in again (%d logins)", hosts[0].Logins())
	}
}
