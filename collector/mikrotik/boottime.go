package mikrotik

import (
	"sync"
	"time"
)

// bootJitter is how far a new boot-time estimate may move before it counts as a new boot.
const bootJitter = 2 * time.Second

// bootClock keeps a router's boot time steady across scrapes. The estimate is scrape time
// minus uptime, and RouterOS reports uptime in whole seconds, so the estimate wobbles by up
// to a second (more when a reply is slow) from one scrape to the next. Exported as it is,
// every wobble would look like a reboot to changes() and to ronda-restore; so an estimate
// within bootJitter of the previous one keeps the previous value.
type bootClock struct {
	mu   sync.Mutex
	last time.Time
}

func (b *bootClock) estimate(now time.Time, uptime time.Duration) time.Time {
	boot := now.Add(-uptime)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		if d := boot.Sub(b.last); d >= -bootJitter && d <= bootJitter {
			return b.last
		}
	}
	b.last = boot
	return boot
}
