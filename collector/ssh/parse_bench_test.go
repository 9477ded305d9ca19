package ssh

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/sim/sshhost"
	"github.com/rondanet/ronda/internal/sshconn"
)

// BenchmarkParseEmit reads one simulated host's output and adds its series to a batch, as
// a scrape does after its session: the part of BenchmarkHundredHosts' persistent scrape
// that is not SSH.
func BenchmarkParseEmit(b *testing.B) {
	sim := sshhost.New(sshhost.Options{Name: "sim-000"})
	if err := sim.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	conn := sshconn.New(sshconn.Config{Address: sim.Addr(), User: "ronda", Signer: signer, HostKeys: &sshconn.HostKeys{Insecure: true}})
	defer conn.Close()
	target := config.SSHTarget{Name: "sim-000", Units: []string{"nginx.service", "postgresql.service"},
		Commands: []config.SSHCommand{{Name: "queue", Command: "postqueue -p | tail -n1", Value: config.SSHValueFirstNumber}}}
	marker := newMarker()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := conn.Run(ctx, sshconn.Request{Command: buildScript(&target, 5).command(marker), Until: until(marker), Limit: maxOutput})
	if err != nil {
		b.Fatal(err)
	}
	h := &host{cfg: target, cpu: &cpuState{}}
	logger := slog.New(slog.DiscardHandler)
	b.SetBytes(int64(len(res.Stdout)))
	b.ReportAllocs()
	// One batch reused, as the framework's pool reuses them between scrapes.
	var batch collector.Batch
	for b.Loop() {
		batch.Reset()
		parseOutput(res.Stdout, marker, &h.cfg).emit(&batch, h, logger)
	}
}
