package ssh

import (
	"sync"

	"github.com/rondanet/ronda/internal/hostparse"
)

// cpuState remembers each CPU's last times so that counters never go backwards: the
// kernel's iowait (and, on some hypervisors, idle and steal) can step back a little, and
// Prometheus would read a counter reset, a huge rate spike. Like node_exporter, a value
// lower than the last one is replaced by the last one. A reboot (a new boot time) starts
// afresh.
//
// The kernel derives btime from the wall clock (now minus uptime), so it moves by a second
// or so when NTP steps the clock: a boot time within bootTimeJitter of the last one is
// the same boot.
type cpuState struct {
	mu       sync.Mutex
	bootTime int64
	last     map[string]hostparse.CPU
}

// bootTimeJitter is how far btime may move without a reboot (in seconds). A reboot moves
// it by at least the previous boot's uptime.
const bootTimeJitter = 30

// monotonic raises each time of cpus to at least its last value, in place, remembers them,
// and returns cpus.
func (s *cpuState) monotonic(bootTime int64, cpus []hostparse.CPU) []hostparse.CPU {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil || bootTime > s.bootTime+bootTimeJitter || bootTime < s.bootTime-bootTimeJitter {
		s.last = make(map[string]hostparse.CPU, len(cpus))
	}
	s.bootTime = bootTime // followed, so that small steps never add up to a reboot
	for i, cpu := range cpus {
		if prev, ok := s.last[cpu.ID]; ok {
			for m := range cpu.Seconds {
				cpu.Seconds[m] = max(cpu.Seconds[m], prev.Seconds[m])
			}
			cpu.Guest = max(cpu.Guest, prev.Guest)
			cpu.GuestNice = max(cpu.GuestNice, prev.GuestNice)
		}
		s.last[cpu.ID] = cpu
		cpus[i] = cpu
	}
	return cpus
}
