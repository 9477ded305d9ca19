package hostparse

import (
	"strconv"
	"strings"
)

// UserHZ is the tick rate of /proc/stat's CPU times. The kernel reports them in USER_HZ,
// which is 100 on every architecture Linux ships (sysconf(_SC_CLK_TCK)), and node_exporter
// assumes the same.
const UserHZ = 100

// CPUModes names the first eight CPU time columns of /proc/stat, in order, as node_exporter
// labels them. The ninth and tenth (guest, guest_nice) are already counted in user and nice.
var CPUModes = [...]string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}

// CPU is one per-CPU line of /proc/stat ("cpu3 …"), in seconds.
type CPU struct {
	// ID is the CPU number as written after "cpu" ("3").
	ID string
	// Seconds holds the time in each of CPUModes; older kernels print fewer columns, and
	// the missing ones are 0 (iowait, irq and softirq appeared in 2.5/2.6, steal in 2.6.11).
	Seconds [len(CPUModes)]float64
	// Guest and GuestNice are the time spent running guests (also counted in user, nice).
	Guest, GuestNice float64
}

// Stat is what the collector uses from /proc/stat.
type Stat struct {
	CPUs []CPU
	// BootTime is the btime line: the boot time in seconds since the epoch; 0 when absent.
	BootTime int64
}

// maxCPUs bounds the CPUs read from one host (node_exporter has no such limit; 4096 is
// the largest NR_CPUS distributions build).
const maxCPUs = 4096

// ParseStat reads /proc/stat. Lines it does not use (intr, ctxt, processes, …) are skipped;
// a cpu line that does not parse is a Problem and the other CPUs are still returned.
func ParseStat[T Text](b T) (Stat, []Problem) {
	text := string(b) // one copy, or none for a string
	var st Stat
	var problems []Problem
	full := false                   // the limit was reached and reported
	fields := make([]string, 0, 16) // reused for every line
	var lastNumber uint64           // of the last CPU read
	eachLine(text, func(n int, line string) {
		// Only cpu and btime lines are read; the intr line alone can hold thousands of
		// numbers, not worth splitting.
		if !strings.HasPrefix(line, "cpu") && !strings.HasPrefix(line, "btime") {
			return
		}
		fields = appendFields(fields[:0], line)
		if len(fields) == 0 {
			return
		}
		switch key := fields[0]; {
		case key == "btime":
			if len(fields) != 2 {
				problems = append(problems, problem(Malformed, n, "btime line %s", quote(line)))
				return
			}
			v, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || v <= 0 {
				problems = append(problems, problem(Malformed, n, "btime %s", quote(fields[1])))
				return
			}
			st.BootTime = v
		case key == "cpu": // the total over all CPUs: node_exporter exports per CPU only
		case strings.HasPrefix(key, "cpu"):
			id := key[3:]
			number, err := strconv.ParseUint(id, 10, 32)
			if err != nil {
				problems = append(problems, problem(Malformed, n, "cpu name %s", quote(key)))
				return
			}
			// The kernel lists each CPU once, in ascending order: a CPU at or below the last
			// one is a repeat, which would be exported twice (Prometheus refuses such
			// series), or out of order.
			if len(st.CPUs) > 0 && number <= lastNumber {
				problems = append(problems, problem(Malformed, n, "%s after cpu%d", quote(key), lastNumber))
				return
			}
			if len(st.CPUs) >= maxCPUs {
				if !full {
					problems = append(problems, problem(TooMany, n, "more than %d CPUs", maxCPUs))
					full = true
				}
				return
			}
			cpu, ok := parseCPU(id, fields[1:])
			if !ok {
				problems = append(problems, problem(Malformed, n, "cpu line %s", quote(line)))
				return
			}
			st.CPUs = append(st.CPUs, cpu)
			lastNumber = number
		}
	})
	if len(st.CPUs) == 0 {
		problems = append(problems, problem(Missing, 0, "no per-CPU lines"))
	}
	if st.BootTime == 0 && !hasProblemOn(problems, "btime") {
		problems = append(problems, problem(Missing, 0, "no btime line"))
	}
	return st, problems
}

func hasProblemOn(problems []Problem, word string) bool {
	for _, p := range problems {
		if strings.Contains(p.Detail, word) {
			return true
		}
	}
	return false
}

func parseCPU(id string, cols []string) (CPU, bool) {
	// Linux 2.4 printed 4 columns; today's kernels print 10.
	if len(cols) < 4 || len(cols) > 10 {
		return CPU{}, false
	}
	cpu := CPU{ID: id}
	for i, col := range cols {
		ticks, err := strconv.ParseUint(col, 10, 64)
		if err != nil {
			return CPU{}, false
		}
		secs := float64(ticks) / UserHZ
		switch {
		case i < len(CPUModes):
			cpu.Seconds[i] = secs
		case i == 8:
			cpu.Guest = secs
		default:
			cpu.GuestNice = secs
		}
	}
	return cpu, true
}
