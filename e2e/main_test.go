// Package e2e runs ronda's built binaries against each other and against the real
// Prometheus, the way an operator runs them.
package e2e

import (
	"os"
	"testing"

	"github.com/rondanet/ronda/internal/testtool"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testtool.RemoveBinaries()
	os.Exit(code)
}
