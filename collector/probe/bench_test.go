package probe

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rondanet/ronda/internal/testtool"
)

// BenchmarkProbeCPU measures the CPU one probe costs the exporter, for ronda and for the
// real blackbox_exporter, probing the same loopback targets in the same run. Both run as
// separate processes (the built ronda-exporter and prometheus-blackbox-exporter), both are
// asked the same /probe?target=…&module=… one request at a time over a kept-alive
// connection, and both are measured the same way: the user+system CPU of the exporter's
// process (/proc/PID/stat utime+stime, all threads) over b.N probes, divided by b.N. The
// HTTP target and the client run in this test process and are counted for neither.
//
// /proc counts in clock ticks (10ms): run with -benchtime 2000x or more, e.g.
//
//	go test -run '^$' -bench ProbeCPU -benchtime 2000x -count 3 ./collector/probe/
//
// ICMP: blackbox sends one echo request per probe; ronda's default is three (for a loss
// ratio, 100ms apart), so both are set to one packet here.
func BenchmarkProbeCPU(b *testing.B) {
	blackboxBin := testtool.Need(b, "prometheus-blackbox-exporter")
	bin := testtool.Binaries(b)
	dir := b.TempDir()

	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	b.Cleanup(web.Close)

	rondaFile, blackboxFile := filepath.Join(dir, "ronda.yml"), filepath.Join(dir, "blackbox.yml")
	writeBenchFile(b, rondaFile, `probe_modules:
  http_2xx: {prober: http}
  icmp: {prober: icmp, icmp: {packets: 1}}
`)
	writeBenchFile(b, blackboxFile, `modules:
  http_2xx: {prober: http, http: {preferred_ip_protocol: ip4}}
  icmp: {prober: icmp, icmp: {preferred_ip_protocol: ip4}}
`)
	rondaAddr, blackboxAddr := testtool.Addr(testtool.FreePort(b)), testtool.Addr(testtool.FreePort(b))
	ronda := testtool.Start(b, filepath.Join(bin, "ronda-exporter"), "--config.file="+rondaFile, "--web.listen-address="+rondaAddr, "--log.level=warn")
	blackbox := testtool.Start(b, blackboxBin, "--config.file="+blackboxFile, "--web.listen-address="+blackboxAddr, "--log.level=warn")
	ronda.WaitHTTP(b, "http://"+rondaAddr+"/-/ready")
	blackbox.WaitHTTP(b, "http://"+blackboxAddr+"/-/healthy")

	exporters := []struct {
		name, addr string
		pid        int
	}{{"ronda", rondaAddr, ronda.Pid()}, {"blackbox", blackboxAddr, blackbox.Pid()}}
	probes := []struct{ name, module, target string }{
		{"http", "http_2xx", web.URL + "/"},
		{"icmp", "icmp", "127.0.0.1"},
	}
	client := &http.Client{}
	for _, p := range probes {
		for _, e := range exporters {
			b.Run(p.name+"/"+e.name, func(b *testing.B) {
				benchProbes(b, client, e.pid, "http://"+e.addr+"/probe?"+url.Values{"target": {p.target}, "module": {p.module}}.Encode())
			})
		}
	}
}

// benchProbes asks for b.N probes and reports the exporter's CPU per probe, and what that
// makes of 1,000 targets probed every 15s (the share of one core).
func benchProbes(b *testing.B, client *http.Client, pid int, u string) {
	probeOnce(b, client, u) // warm up: connections, first-use allocations
	before := processCPU(b, pid)
	b.ResetTimer()
	for range b.N {
		probeOnce(b, client, u)
	}
	b.StopTimer()
	perProbe := (processCPU(b, pid) - before) / float64(b.N)
	b.ReportMetric(perProbe*1e6, "cpu-µs/probe")
	b.ReportMetric(perProbe*1000/15, "cores@1000/15s")
}

func probeOnce(b *testing.B, client *http.Client, u string) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "probe_success 1") {
		b.Fatalf("%s: %d\n%s", u, resp.StatusCode, body)
	}
}

// processCPU is the user+system CPU time, in seconds, a process (all its threads) has used.
func processCPU(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) may hold spaces: count fields after its closing parenthesis.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, err1 := strconv.ParseFloat(fields[11], 64) // field 14
	stime, err2 := strconv.ParseFloat(fields[12], 64) // field 15
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	return (utime + stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Go
// supports (sysconf(_SC_CLK_TCK)).
const clockTicks = 100

func writeBenchFile(b *testing.B, path, text string) {
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
}
