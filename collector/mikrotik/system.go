package mikrotik

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/internal/routeros"
)

var (
	resourceProps = []string{"uptime", "cpu-load", "free-memory", "total-memory", "version", "board-name"}
	identityProps = []string{"name"}
)

// systemSnapshot is what the system prints returned.
type systemSnapshot struct {
	resource  map[string]string
	identity  string
	scrapedAt time.Time // when the resource reply arrived: the uptime is as of then
}

func fetchSystem(ctx context.Context, conn *routeros.Conn, now func() time.Time) (*systemSnapshot, error) {
	resource, err := conn.Print(ctx, "/system/resource", resourceProps)
	if err != nil {
		return nil, err
	}
	scrapedAt := now()
	if len(resource) != 1 {
		return nil, collector.Failf(collector.ReasonProtocol, "%s /system/resource/print: want one entry, got %d", conn.Address(), len(resource))
	}
	identity, err := conn.Print(ctx, "/system/identity", identityProps)
	if err != nil {
		return nil, err
	}
	name := ""
	if len(identity) > 0 {
		name = identity[0].Map["name"]
	}
	return &systemSnapshot{resource: resource[0].Map, identity: name, scrapedAt: scrapedAt}, nil
}

func (s *systemSnapshot) emit(ch chan<- prometheus.Metric, boot *bootClock, bad *parseProblems) {
	res := s.resource
	if uptime, ok := duration(res, "uptime", bad); ok {
		ch <- systemUptime.Sample(uptime.Seconds())
		bootTime := boot.estimate(s.scrapedAt, uptime)
		ch <- systemBootTime.Sample(float64(bootTime.UnixNano()) / 1e9)
	}
	if load, ok := number(res, "cpu-load", bad); ok {
		ch <- systemCPULoad.Sample(load / 100)
	}
	if free, ok := number(res, "free-memory", bad); ok {
		ch <- systemMemoryFree.Sample(free)
	}
	if total, ok := number(res, "total-memory", bad); ok {
		ch <- systemMemoryTotal.Sample(total)
	}
	ch <- systemInfo.Sample(1,
		routeros.ToUTF8(s.identity), routeros.ToUTF8(res["version"]), routeros.ToUTF8(res["board-name"]))
}
