// Package testtool finds the external programs integration tests run (promtool, prometheus)
// and builds ronda's own binaries for end-to-end tests.
//
// A missing tool fails the test, in CI and everywhere else: a skipped integration test
// looks green while proving nothing. `make test` installs the tools first.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// packageOf names the Debian package that provides each tool.
var packageOf = map[string]string{
	"promtool":   "prometheus",
	"prometheus": "prometheus",
	"curl":       "curl",

	"prometheus-alertmanager":      "prometheus-alertmanager",
	"amtool":                       "prometheus-alertmanager",
	"prometheus-node-exporter":     "prometheus-node-exporter",
	"prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
	"sshd":                         "openssh-server",
	"ssh-keygen":                   "openssh-client",
	"victoria-metrics":             "victoria-metrics",
}

// Need returns the path of an external tool, or fails the test saying how to install it.
func Need(t testing.TB, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil && tool == "sshd" {
		path, err = exec.LookPath("/usr/sbin/sshd") // not on every PATH
	}
	if err != nil {
		pkg := packageOf[tool]
		if pkg == "" {
			pkg = tool
		}
		t.Fatalf("%s is needed by this test and is not installed: run `make test` as root, or `sudo apt-get install %s`", tool, pkg)
	}
	return path
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	buildOut  []byte
)

// Binaries builds every command of the module once per test process and returns the folder
// holding them (ronda-exporter, ronda-sim, …).
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ronda-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", buildDir+string(filepath.Separator), "./cmd/...")
		cmd.Dir = moduleRoot()
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building the binaries: %v\n%s", buildErr, buildOut)
	}
	return buildDir
}

// moduleRoot is the repository's top folder, found from this file's place in it.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Root returns the repository's top folder, for tests that read examples/ or testdata.
func Root() string { return moduleRoot() }

// RemoveBinaries deletes what Binaries built; call it from TestMain after m.Run.
func RemoveBinaries() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}
