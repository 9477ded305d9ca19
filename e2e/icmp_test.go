package e2e

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rondanet/ronda/internal/testtool"
)

// nobody is the unprivileged user the exporter runs as in TestICMPWithoutPrivileges.
const nobodyID = 65534

// TestICMPWithoutPrivileges runs the built exporter without root (as nobody when the test
// is root) and probes 127.0.0.1 over ICMP: where net.ipv4.ping_group_range admits the
// exporter's group, the probe must succeed over an unprivileged datagram socket; where it
// does not, raw sockets are refused too, and the probe must fail with reason config and
// an error that says what to set.
func TestICMPWithoutPrivileges(t *testing.T) {
	bin := testtool.Binaries(t)
	dir, err := os.MkdirTemp("", "ronda-icmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The exporter and its config must be readable by nobody.
	exe := filepath.Join(dir, "ronda-exporter")
	copyFile(t, filepath.Join(bin, "ronda-exporter"), exe, 0o755)
	cfg := filepath.Join(dir, "ronda.yml")
	if err := os.WriteFile(cfg, []byte("# ad-hoc probes only\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	addr := testtool.Addr(testtool.FreePort(t))
	uid, gid := os.Getuid(), os.Getgid()
	var cred *syscall.Credential
	if uid == 0 {
		uid, gid = nobodyID, nobodyID
		cred = &syscall.Credential{Uid: nobodyID, Gid: nobodyID, NoSetGroups: true}
	}
	p := testtool.StartAs(t, cred, exe, "--config.file="+cfg, "--web.listen-address="+addr)
	p.WaitHTTP(t, "http://"+addr+"/-/ready")

	body := httpGet(t, "http://"+addr+"/probe?target=127.0.0.1&module=icmp&debug=true", nil)
	if groupInPingRange(t, gid) {
		if !strings.Contains(body, "\nprobe_success 1\n") {
			t.Errorf("ping_group_range admits gid %d (uid %d), but the datagram probe failed:\n%s", gid, uid, body)
		}
		return
	}
	for _, want := range []string{"\nprobe_success 0\n", `probe_failure_reason{reason="config"} 1`, "ping_group_range", "CAP_NET_RAW"} {
		if !strings.Contains(body, want) {
			t.Errorf("without privileges (uid %d), the answer lacks %q:\n%s", uid, want, body)
		}
	}
}

// groupInPingRange reads net.ipv4.ping_group_range as the kernel applies it.
func groupInPingRange(t *testing.T, gid int) bool {
	t.Helper()
	data, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		t.Fatal(err)
	}
	var lo, hi int64
	if _, err := fmt.Sscan(string(data), &lo, &hi); err != nil {
		t.Fatalf("ping_group_range %q: %v", data, err)
	}
	return int64(gid) >= lo && int64(gid) <= hi
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
