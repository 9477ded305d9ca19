package ssh

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
)

// The families exported, named and labelled as node_exporter does so its dashboards and
// alerts work unchanged on hosts read over SSH.
var (
	cpuSeconds = collector.NewFamily("node_cpu_seconds_total",
		"Seconds the CPUs spent in each mode.", prometheus.CounterValue, "cpu", "mode")
	cpuGuestSeconds = collector.NewFamily("node_cpu_guest_seconds_total",
		"Seconds the CPUs spent in guests (VMs) for each mode.", prometheus.CounterValue, "cpu", "mode")
	load1  = collector.NewFamily("node_load1", "1m load average.", prometheus.GaugeValue)
	load5  = collector.NewFamily("node_load5", "5m load average.", prometheus.GaugeValue)
	load15 = collector.NewFamily("node_load15", "15m load average.", prometheus.GaugeValue)

	fsSize = collector.NewFamily("node_filesystem_size_bytes",
		"Filesystem size in bytes.", prometheus.GaugeValue, "device", "fstype", "mountpoint")
	fsFree = collector.NewFamily("node_filesystem_free_bytes",
		"Filesystem free space in bytes.", prometheus.GaugeValue, "device", "fstype", "mountpoint")
	fsAvail = collector.NewFamily("node_filesystem_avail_bytes",
		"Filesystem space available to non-root users in bytes.", prometheus.GaugeValue, "device", "fstype", "mountpoint")
	fsFiles = collector.NewFamily("node_filesystem_files",
		"Filesystem total file nodes.", prometheus.GaugeValue, "device", "fstype", "mountpoint")
	fsFilesFree = collector.NewFamily("node_filesystem_files_free",
		"Filesystem total free file nodes.", prometheus.GaugeValue, "device", "fstype", "mountpoint")
	fsReadOnly = collector.NewFamily("node_filesystem_readonly",
		"Filesystem read-only status.", prometheus.GaugeValue, "device", "fstype", "mountpoint")

	unameInfo = collector.NewFamily("node_uname_info",
		"Labeled system information as provided by the uname system call.", prometheus.GaugeValue,
		"domainname", "machine", "nodename", "release", "sysname", "version")
	bootTime = collector.NewFamily("node_boot_time_seconds",
		"Node boot time, in unixtime.", prometheus.GaugeValue)
	timeSeconds = collector.NewFamily("node_time_seconds",
		"System time in seconds since epoch (1970).", prometheus.GaugeValue)

	unitState = collector.NewFamily("node_systemd_unit_state",
		"Systemd unit state: 1 for the unit's active state, 0 for the others.", prometheus.GaugeValue, "name", "state", "type")
	unitStart = collector.NewFamily("node_systemd_unit_start_time_seconds",
		"Start time of the unit since unix epoch in seconds; 0 if it is not active.", prometheus.GaugeValue, "name")
	serviceRestarts = collector.NewFamily("node_systemd_service_restart_total",
		"Service unit count of Restart triggers.", prometheus.CounterValue, "name")

	commandExit = collector.NewFamily("ssh_command_exit_code",
		"Exit status of the custom command (124 or 137: stopped at its timeout).", prometheus.GaugeValue, "command")
	commandValue = collector.NewFamily("ssh_command_value",
		"First number the custom command printed (value: first_number).", prometheus.GaugeValue, "command")
	commandDuration = collector.NewFamily("ssh_command_duration_seconds",
		"How long the custom command ran, measured on the host (10ms resolution).", prometheus.GaugeValue, "command")
	parseProblems = collector.NewFamily("ssh_parse_problems",
		"Things in this scrape's output that could not be read, by script section and reason (only sections with problems are listed).", prometheus.GaugeValue, "section", "reason")
	connectionReused = collector.NewFamily("ssh_connection_reused",
		"1 if this scrape ran on a connection kept from an earlier scrape, 0 if it had to log in.", prometheus.GaugeValue)
)

// unitStates are the active states node_systemd_unit_state is one-hot over.
var unitStates = []string{"activating", "active", "deactivating", "inactive", "failed"}

// memFamilies holds one family per meminfo field seen on any host: node_memory_<Field>_bytes
// (or without _bytes for counts like HugePages_Total), as node_exporter names them. The
// parser bounds the fields per host, and fields are the kernel's, so the set stays small.
// Keyed by the field alone (one map per kind), so a lookup allocates nothing.
var memFamilies, memCountFamilies sync.Map // field → *collector.Family

func memFamily(field string, bytes bool) *collector.Family {
	families := &memCountFamilies
	if bytes {
		families = &memFamilies
	}
	if f, ok := families.Load(field); ok {
		return f.(*collector.Family)
	}
	name := "node_memory_" + field
	if bytes {
		name += "_bytes"
	}
	f, _ := families.LoadOrStore(field, collector.NewFamily(name,
		"Memory information field "+field+".", prometheus.GaugeValue))
	return f.(*collector.Family)
}
