// Package backoff computes how long to wait before reconnecting to a device that failed.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Jittered is the wait before dialling again after failures consecutive failures: minWait
// doubled per failure up to maxWait, then jittered into [d/2, d] so devices that failed
// together (a power cut on a whole site) are not all dialled in the same instant.
func Jittered(failures int, minWait, maxWait time.Duration) time.Duration {
	d := minWait
	for i := 1; i < failures && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + rand.N(d-half+1)
}
