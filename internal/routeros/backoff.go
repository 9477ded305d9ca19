package routeros

import (
	"math/rand/v2"
	"time"
)

// Default reconnect backoff: the first retry after about a second, then doubling up to half
// a minute, so a dead router costs one quick failure per scrape rather than a dial each time.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 30 * time.Second
)

// backoff is how long to wait before dialling again after failures consecutive failures:
// min doubled per failure up to max, then jittered into [d/2, d] so routers that failed
// together (a power cut on a whole site) are not all dialled in the same instant.
func backoff(failures int, minWait, maxWait time.Duration) time.Duration {
	d := minWait
	for i := 1; i < failures && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + rand.N(d-half+1)
}
