package backoff

import (
	"testing"
	"time"
)

func TestJitteredDoublesWithinJitterUpToMax(t *testing.T) {
	const minWait, maxWait = time.Second, 30 * time.Second
	tests := []struct {
		failures int
		ceiling  time.Duration
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{5, 16 * time.Second},
		{6, 30 * time.Second},
		{100, 30 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Jittered(tt.failures, minWait, maxWait)
			if d < tt.ceiling/2 || d > tt.ceiling {
				t.Fatalf("Jittered(%d) = %v, want within [%v, %v]", tt.failures, d, tt.ceiling/2, tt.ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Jittered(%d) always returned the same wait: no jitter", tt.failures)
		}
	}
}
