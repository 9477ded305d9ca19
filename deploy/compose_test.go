// Package deploy checks docker-compose.yml, the Dockerfile and the files they use
// (deploy/compose/, dashboards/provisioning/): there is no Docker engine on the machines
// that test ronda, so everything that can be checked without one is checked here.
package deploy

import (
	"context"
	"debug/elf"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/rondanet/ronda/config"
)

var update = flag.Bool("update", false, "rewrite deploy/compose's copies of examples/ files")

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func load(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	r := root(t)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  r,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(r, "docker-compose.yml")}},
		Environment: types.Mapping{}, // the defaults in the file, as on a machine without .env
	}, func(o *loader.Options) {
		o.SetProjectName("ronda", true)
		o.Profiles = profiles
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatalf("docker-compose.yml (profiles %v): %v", profiles, err)
	}
	return p
}

func TestComposeLoads(t *testing.T) {
	base := []string{"alertmanager", "grafana", "prometheus", "ronda-exporter", "ronda-restore", "ronda-webhook"}
	for _, tc := range []struct {
		profiles []string
		want     []string
	}{
		{nil, base},
		{[]string{"demo"}, append(slices.Clone(base), "ronda-sim")},
	} {
		p := load(t, tc.profiles...)
		got := p.ServiceNames()
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("profiles %v: services %v, want %v", tc.profiles, got, tc.want)
		}
	}
}

// listenPort is the port a service listens on, as its command or environment says: every
// service with a published port or a health check must say it, so that nothing here
// depends on a default remembered from somewhere else.
var listenFlag = regexp.MustCompile(`--(?:web|control)\.listen-address=\S*:(\d+)`)

func listenPort(t *testing.T, s types.ServiceConfig) int {
	t.Helper()
	cmd := strings.Join(append(slices.Clone(s.Entrypoint), s.Command...), " ")
	m := listenFlag.FindAllStringSubmatch(cmd, -1)
	if v := s.Environment["GF_SERVER_HTTP_PORT"]; v != nil {
		m = append(m, []string{"", *v})
	}
	if len(m) != 1 {
		t.Fatalf("service %s: want exactly one --web.listen-address, --control.listen-address or GF_SERVER_HTTP_PORT, found %d in %q", s.Name, len(m), cmd)
	}
	port, err := strconv.Atoi(m[0][1])
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestComposeServicesAreConsistent(t *testing.T) {
	p := load(t, "demo")
	r := root(t)
	published := map[string]string{}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		port := listenPort(t, s)

		// Health checks: present, and asking the port the service listens on.
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Test[0] != "CMD" {
			t.Errorf("%s: health check %+v: want test: [CMD, …]", name, hc)
		} else if u := healthURL(hc.Test); u == nil || u.Hostname() != "127.0.0.1" || u.Port() != strconv.Itoa(port) {
			t.Errorf("%s: health check %v does not ask http://127.0.0.1:%d", name, hc.Test, port)
		}

		// Published ports: each host address:port once, forwarded to the listening port.
		for _, pc := range s.Ports {
			key := fmt.Sprintf("%s:%s/%s", pc.HostIP, pc.Published, pc.Protocol)
			if other, ok := published[key]; ok {
				t.Errorf("%s: port %s already published by %s", name, key, other)
			}
			published[key] = name
			if int(pc.Target) != port {
				t.Errorf("%s: publishes %s to container port %d, but listens on %d", name, pc.Published, pc.Target, port)
			}
		}

		// Mounts: bind sources exist, named volumes are declared, config is read-only.
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeBind:
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount source %s: %v", name, v.Source, err)
				}
				if !v.ReadOnly {
					t.Errorf("%s: bind mount %s is writable: configuration and secrets are mounted read-only", name, v.Source)
				}
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s: volume %q is not declared under volumes:", name, v.Source)
				}
			default:
				t.Errorf("%s: mount %+v: only bind mounts and named volumes are expected", name, v)
			}
		}

		for dep := range s.DependsOn {
			if _, ok := p.Services[dep]; !ok {
				t.Errorf("%s: depends_on %q, which is no service", name, dep)
			}
		}

		// ronda services: built from this repository's Dockerfile, run a binary that exists.
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(s.Build.Context, "Dockerfile")); err != nil {
				t.Errorf("%s: build context %s has no Dockerfile", name, s.Build.Context)
			}
			if len(s.Entrypoint) != 1 || !strings.HasPrefix(s.Entrypoint[0], "/usr/local/bin/ronda-") {
				t.Errorf("%s: entrypoint %v: want one /usr/local/bin/ronda-* binary", name, s.Entrypoint)
				continue
			}
			bin := filepath.Base(s.Entrypoint[0])
			if _, err := os.Stat(filepath.Join(r, "cmd", bin, "main.go")); err != nil {
				t.Errorf("%s: runs %s, which is not under cmd/: %v", name, bin, err)
			}
			if !s.ReadOnly {
				t.Errorf("%s: want read_only: true (state goes to named volumes)", name)
			}
		}
	}
	// Every declared volume is used.
	for v := range p.Volumes {
		used := false
		for _, s := range p.Services {
			used = used || slices.ContainsFunc(s.Volumes, func(m types.ServiceVolumeConfig) bool { return m.Source == v })
		}
		if !used {
			t.Errorf("volume %q is declared but no service uses it", v)
		}
	}
}

func healthURL(test []string) *url.URL {
	for _, a := range test {
		if u, err := url.Parse(a); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			return u
		}
	}
	return nil
}

// serviceAddrs maps "service:port" to true for every service and the port it listens on.
func serviceAddrs(t *testing.T, p *types.Project) map[string]bool {
	out := map[string]bool{}
	for _, name := range p.ServiceNames() {
		out[net.JoinHostPort(name, strconv.Itoa(listenPort(t, p.Services[name])))] = true
	}
	return out
}

// TestStackWiring: the addresses in the files the services read (Prometheus's targets,
// Alertmanager's webhook, Grafana's datasources, ronda-exporter's devices in the demo) are
// services of the stack on the ports they listen on.
func TestStackWiring(t *testing.T) {
	p := load(t, "demo")
	addrs := serviceAddrs(t, p)
	r := root(t)
	check := func(file, addr string) {
		t.Helper()
		if !addrs[addr] {
			t.Errorf("%s: %s is no service:port of the stack (%v)", file, addr, keys(addrs))
		}
	}

	var prom struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			HTTPSD []struct {
				URL string `yaml:"url"`
			} `yaml:"http_sd_configs"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join(r, "deploy/compose/prometheus.yml"), &prom)
	var targets []string
	for _, am := range prom.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			targets = append(targets, sc.Targets...)
		}
	}
	for _, sc := range prom.ScrapeConfigs {
		for _, sd := range sc.HTTPSD {
			u, err := url.Parse(sd.URL)
			if err != nil || u.Path != "/sd" {
				t.Errorf("prometheus.yml: http_sd url %q: want http://ronda-exporter:PORT/sd", sd.URL)
				continue
			}
			targets = append(targets, u.Host)
		}
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	if len(targets) < 3 {
		t.Fatalf("prometheus.yml: only %v found: has its layout changed?", targets)
	}
	for _, tg := range targets {
		check("deploy/compose/prometheus.yml", tg)
	}
	// The rule files are the ones of rules/, mounted where rule_files looks.
	mounted := mountOf(t, p.Services["prometheus"], filepath.Join(r, "rules"))
	if len(prom.RuleFiles) != 1 || filepath.Dir(prom.RuleFiles[0]) != mounted {
		t.Errorf("prometheus.yml: rule_files %v, want one glob in %s (where rules/ is mounted)", prom.RuleFiles, mounted)
	} else if m, _ := filepath.Glob(filepath.Join(r, "rules", filepath.Base(prom.RuleFiles[0]))); len(m) == 0 {
		t.Errorf("rule_files %v matches no file of rules/", prom.RuleFiles)
	}

	// Grafana: datasources at services of the stack, dashboards where the provider reads.
	var ds struct {
		Datasources []struct {
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(r, "dashboards/provisioning/datasources/ronda.yml"), &ds)
	for _, d := range ds.Datasources {
		u, err := url.Parse(d.URL)
		if err != nil {
			t.Fatal(err)
		}
		check("datasources/ronda.yml", u.Host)
	}
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(r, "dashboards/provisioning/dashboards/ronda.yml"), &prov)
	if len(prov.Providers) != 1 || prov.Providers[0].Options.Path != mountOf(t, p.Services["grafana"], filepath.Join(r, "dashboards")) {
		t.Errorf("dashboard provider %+v does not read where dashboards/ is mounted", prov.Providers)
	}
	home := *p.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
	if _, err := os.Stat(filepath.Join(r, "dashboards", strings.TrimPrefix(home, prov.Providers[0].Options.Path))); err != nil {
		t.Errorf("Grafana's home dashboard %s: %v", home, err)
	}

	// Alertmanager: examples/alertmanager.yml with the webhook's address rewritten at start.
	am := strings.Join(p.Services["alertmanager"].Command, " ")
	if !strings.Contains(am, `sed 's#127\.0\.0\.1:9851#ronda-webhook:9851#g'`) {
		t.Fatalf("alertmanager's command no longer rewrites the webhook address: %s", am)
	}
	b, err := os.ReadFile(filepath.Join(r, "examples/alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	rewritten := strings.ReplaceAll(string(b), "127.0.0.1:9851", "ronda-webhook:9851")
	var amc struct {
		Receivers []struct {
			WebhookConfigs []struct {
				URL string `yaml:"url"`
			} `yaml:"webhook_configs"`
		} `yaml:"receivers"`
	}
	if err := yaml.Unmarshal([]byte(rewritten), &amc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rc := range amc.Receivers {
		for _, w := range rc.WebhookConfigs {
			u, err := url.Parse(w.URL)
			if err != nil {
				t.Fatal(err)
			}
			check("examples/alertmanager.yml (rewritten)", u.Host)
			n++
		}
	}
	if n == 0 {
		t.Error("examples/alertmanager.yml has no webhook receiver")
	}

	// ronda-exporter's demo config: every device address is ronda-sim:PORT, a port the
	// simulator's scenario listens on.
	listens := map[string]bool{"ronda-sim:18080": true}
	for _, m := range regexp.MustCompile(`listen: 0\.0\.0\.0:(\d+)`).FindAllStringSubmatch(readFile(t, filepath.Join(r, "deploy/compose/sim-scenario.yml")), -1) {
		listens["ronda-sim:"+m[1]] = true
	}
	cfg := readFile(t, filepath.Join(r, "deploy/compose/ronda.yml"))
	found := regexp.MustCompile(`ronda-sim:\d+`).FindAllString(cfg, -1)
	if len(found) < 5 {
		t.Fatalf("deploy/compose/ronda.yml: only %v", found)
	}
	for _, a := range found {
		if !listens[a] {
			t.Errorf("deploy/compose/ronda.yml: %s is not a port of the simulator's scenario", a)
		}
	}
}

// TestComposeExporterConfigLoads: ronda-exporter (and ronda-restore) accept the demo's
// config file laid out as in their containers: ronda.yml with secrets/ and the known
// hosts file beside it.
func TestComposeExporterConfigLoads(t *testing.T) {
	p := load(t, "demo")
	dir := t.TempDir()
	for _, v := range p.Services["ronda-exporter"].Volumes {
		rel, err := filepath.Rel("/etc/ronda", v.Target)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("ronda-exporter mounts %s outside /etc/ronda", v.Target)
		}
		copyTree(t, v.Source, filepath.Join(dir, rel))
	}
	cfg, err := config.Load(filepath.Join(dir, "ronda.yml"))
	if err != nil {
		t.Fatalf("deploy/compose/ronda.yml as ronda-exporter sees it: %v", err)
	}
	if cfg == nil {
		t.Fatal("no config")
	}
}

// The demo's copies of examples/ files differ from them only in addresses. -update
// rewrites them after an example changed.
func TestComposeCopiesFollowExamples(t *testing.T) {
	r := root(t)
	for _, c := range []struct {
		copy, example, header string
		rewrite               func(string) string
	}{
		{"deploy/compose/sim-scenario.yml", "examples/sim-scenario.yml",
			"# examples/sim-scenario.yml for docker-compose.yml: the devices listen on every interface of\n" +
				"# the ronda-sim container. Kept in step by deploy/compose_test.go (go test ./deploy -update).\n",
			func(s string) string { return strings.ReplaceAll(s, "listen: 127.0.0.1:", "listen: 0.0.0.0:") }},
		{"deploy/compose/ronda.yml", "examples/ronda.yml",
			"# examples/ronda.yml for docker-compose.yml: the demo devices are in the ronda-sim container.\n" +
				"# Kept in step by deploy/compose_test.go (go test ./deploy -update).\n",
			func(s string) string { return strings.ReplaceAll(s, "127.0.0.1", "ronda-sim") }},
		{"deploy/compose/demo_known_hosts", "examples/demo_known_hosts",
			"# examples/demo_known_hosts for docker-compose.yml. Kept in step by deploy/compose_test.go.\n",
			func(s string) string { return strings.ReplaceAll(s, "127.0.0.1", "ronda-sim") }},
	} {
		want := c.header + c.rewrite(readFile(t, filepath.Join(r, c.example)))
		for _, line := range strings.Split(want, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "127.0.0.1") {
				t.Errorf("%s: %q: 127.0.0.1 is left after the rewrite, and containers cannot reach each other there", c.copy, line)
			}
		}
		if *update {
			if err := os.WriteFile(filepath.Join(r, c.copy), []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got := readFile(t, filepath.Join(r, c.copy)); got != want {
			t.Errorf("%s is out of step with %s: go test ./deploy -update", c.copy, c.example)
		}
	}
}

var dockerBuildTargets = regexp.MustCompile(`\./cmd/([a-z-]+)`)

// TestMakeBuildBuildsEveryCommand: README's `make build` puts the binaries into bin/, all of
// them: ronda-healthcheck too, which a host's own health checks (systemd, cron) can use as
// the image's do.
func TestMakeBuildBuildsEveryCommand(t *testing.T) {
	r := root(t)
	cmd := exec.Command("make", "--dry-run", "--always-make", "build")
	cmd.Dir = r
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make --dry-run build: %v\n%s", err, out)
	}
	var built []string
	for _, m := range dockerBuildTargets.FindAllStringSubmatch(string(out), -1) {
		built = append(built, m[1])
	}
	slices.Sort(built)
	if cmds := commands(t, r); !slices.Equal(built, cmds) {
		t.Errorf("make build builds %v; cmd/ has %v", built, cmds)
	}
}

// commands are the folders under cmd/ that hold a main package.
func commands(t *testing.T, r string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(r, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(r, "cmd", e.Name(), "main.go")); err == nil {
			cmds = append(cmds, e.Name())
		}
	}
	return cmds
}

// TestDockerfile: what can be checked without a Docker engine. Its build command builds
// every binary under cmd/, static (no interpreter, no shared libraries), and the image runs
// them as a non-root user.
func TestDockerfile(t *testing.T) {
	r := root(t)
	df := readFile(t, filepath.Join(r, "Dockerfile"))
	var built []string
	for _, m := range dockerBuildTargets.FindAllStringSubmatch(df, -1) {
		built = append(built, m[1])
	}
	slices.Sort(built)
	if cmds := commands(t, r); !slices.Equal(built, cmds) {
		t.Errorf("Dockerfile builds %v; cmd/ has %v", built, cmds)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "USER 65532:65532", "FROM gcr.io/distroless/static", "HEALTHCHECK"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, line := range strings.Split(df, "\n") {
		if strings.HasPrefix(line, "FROM ") && strings.Contains(line, ":latest") {
			t.Errorf("Dockerfile: %q: pin the base image", line)
		}
	}

	if runtime.GOOS != "linux" {
		t.Fatalf("the build check needs linux (the image's OS), not %s", runtime.GOOS)
	}
	out := t.TempDir()
	args := append([]string{"build", "-trimpath", "-o", out + "/"}, prefixed("./cmd/", built)...)
	cmd := exec.Command("go", args...)
	cmd.Dir = r
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	for _, bin := range built {
		f, err := elf.Open(filepath.Join(out, bin))
		if err != nil {
			t.Fatal(err)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked (has an interpreter): it will not start on distroless/static", bin)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("%s needs shared libraries %v", bin, libs)
		}
		f.Close()
	}
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

func mountOf(t *testing.T, s types.ServiceConfig, source string) string {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Source == source {
			return v.Target
		}
	}
	t.Fatalf("%s does not mount %s", s.Name, source)
	return ""
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
