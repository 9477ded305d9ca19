package probe

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rondanet/ronda/internal/testtool"
)

func TestICMPLoopback(t *testing.T) {
	h := setup(t, testtool.SelfSigned(t), `
  - name: loopback
    address: 127.0.0.2
    labels: {unit: Pusat}
`)
	r := probeURL(t, h, "target=loopback", "5")
	wantSuccess(t, r)
	if r["probe_icmp_packets_sent"] != 3 || r["probe_icmp_packets_received"] != 3 || r["probe_icmp_packet_loss_ratio"] != 0 {
		t.Errorf("three pings, no loss expected:\n%s", r)
	}
	if r[`probe_icmp_duration_seconds{phase="rtt"}`] <= 0 || r[`probe_icmp_rtt_seconds{stat="max"}`] < r[`probe_icmp_rtt_seconds{stat="min"}`] {
		t.Errorf("round trips:\n%s", r)
	}
	if r["probe_ip_protocol"] != 4 {
		t.Errorf("probe_ip_protocol %v, want 4", r["probe_ip_protocol"])
	}
	// Ad hoc, as blackbox does.
	wantSuccess(t, probeURL(t, h, adHoc("127.0.0.3", "icmp"), "5"))
	wantFailure(t, probeURL(t, h, adHoc("no-such-host.invalid", "icmp"), "5"), "dns_resolve")
}

func TestDatagramAllowed(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, strconv.Itoa(len(s))+".range")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gid := os.Getegid()
	for _, tc := range []struct {
		content string
		want    bool
	}{
		{"1\t0\n", false}, // the kernel's default: nobody
		{"0\t2147483647\n", true},
		{strconv.Itoa(gid) + "\t" + strconv.Itoa(gid) + "\n", true},
		{strconv.Itoa(gid+1) + "\t" + strconv.Itoa(gid+5) + "\n", gid >= gid+1}, // other groups only
		{"garbage", false},
	} {
		if got := datagramAllowed(write(tc.content)); got != tc.want {
			t.Errorf("range %q: %v, want %v", tc.content, got, tc.want)
		}
	}
	if datagramAllowed(filepath.Join(dir, "missing")) {
		t.Error("a missing range file allowed datagram sockets")
	}
}
