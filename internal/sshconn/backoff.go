package sshconn

import (
	"math/rand/v2"
	"time"
)

// Default reconnect backoff: a dead host costs one quick failure per scrape, not a dial
// and a handshake timeout each time.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 30 * time.Second
)

// backoff is the wait before dialling again after failures consecutive failures: min
// doubled per failure up to max, jittered into [d/2, d] so hosts that failed together (a
// power cut) are not all dialled in the same instant.
func backoff(failures int, minWait, maxWait time.Duration) time.Duration {
	d := minWait
	for i := 1; i < failures && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + rand.N(d-half+1)
}
