package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rondanet/ronda/internal/testtool"
)

// TestSIGHUPReload sends real SIGHUPs to the built exporter: a valid edit is put in force,
// a broken one is refused (the old targets keep working) and the reload gauge says so.
func TestSIGHUPReload(t *testing.T) {
	bin := testtool.Binaries(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "ronda.yml")
	t.Setenv("RONDA_E2E_PASSWORD", "x")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	target := func(name string) string {
		return fmt.Sprintf("  - name: %s\n    address: 127.0.0.1:1\n    username: ronda\n    password_env: RONDA_E2E_PASSWORD\n", name)
	}
	write("mikrotik:\n" + target("first"))
	addr := testtool.Addr(testtool.FreePort(t))
	p := testtool.Start(t, filepath.Join(bin, "ronda-exporter"), "--config.file="+file, "--web.listen-address="+addr)
	base := "http://" + addr
	p.WaitHTTP(t, base+"/-/ready")

	write("mikrotik:\n" + target("first") + target("second"))
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testtool.Eventually(t, 10*time.Second, "second target discovered after SIGHUP", func(context.Context) error {
		if sd := httpGet(t, base+"/sd", nil); !strings.Contains(sd, `"instance": "second"`) {
			return fmt.Errorf("/sd:\n%s", sd)
		}
		return nil
	})

	write("mikrotik:\n" + target("first") + "    adress: typo\n")
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testtool.Eventually(t, 10*time.Second, "failed reload reported", func(context.Context) error {
		if m := httpGet(t, base+"/metrics", nil); !strings.Contains(m, "ronda_exporter_config_last_reload_successful 0") {
			return fmt.Errorf("reload gauge not 0 yet")
		}
		return nil
	})
	if sd := httpGet(t, base+"/sd", nil); !strings.Contains(sd, `"instance": "second"`) {
		t.Errorf("a broken config replaced the working one:\n%s", sd)
	}
	if out := p.Output(); !strings.Contains(out, "ronda.yml:6: mikrotik[0].adress: unknown key") {
		t.Errorf("the log does not name the file, line and key of the problem:\n%s", out)
	}
}
