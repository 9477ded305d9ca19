package mikrotik

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/collector"
)

// Families are declared once: the per-user path only fills in values.
var (
	systemUptime = collector.NewFamily("mikrotik_system_uptime_seconds",
		"Time since the router booted.", prometheus.GaugeValue)
	systemBootTime = collector.NewFamily("mikrotik_system_boot_time_seconds",
		"When the router booted, as a Unix timestamp: scrape time minus uptime, kept steady within 2s between scrapes. A change means a reboot.", prometheus.GaugeValue)
	systemCPULoad = collector.NewFamily("mikrotik_system_cpu_load_ratio",
		"CPU load over the router's last sampling interval, 0 to 1.", prometheus.GaugeValue)
	systemMemoryFree = collector.NewFamily("mikrotik_system_memory_free_bytes",
		"Free memory on the router.", prometheus.GaugeValue)
	systemMemoryTotal = collector.NewFamily("mikrotik_system_memory_total_bytes",
		"Total memory on the router.", prometheus.GaugeValue)
	systemInfo = collector.NewFamily("mikrotik_system_info",
		"Router identity, RouterOS version and board; always 1.", prometheus.GaugeValue, "identity", "version", "board")

	userUptime = collector.NewFamily("mikrotik_hotspot_user_uptime_seconds",
		"Hotspot user's stored uptime: the time of the user's finished sessions (RouterOS adds a session when it ends).", prometheus.GaugeValue, "user")
	userLimitUptime = collector.NewFamily("mikrotik_hotspot_user_limit_uptime_seconds",
		"Hotspot user's limit-uptime; only users with a limit have this series.", prometheus.GaugeValue, "user")
	userBytesIn = collector.NewFamily("mikrotik_hotspot_user_bytes_in_total",
		"Bytes the hotspot user sent (RouterOS bytes-in) over finished sessions.", prometheus.CounterValue, "user")
	userBytesOut = collector.NewFamily("mikrotik_hotspot_user_bytes_out_total",
		"Bytes the hotspot user received (RouterOS bytes-out) over finished sessions.", prometheus.CounterValue, "user")
	userInfo = collector.NewFamily("mikrotik_hotspot_user_info",
		"Hotspot user's profile, server and whether the user is disabled; always 1.", prometheus.GaugeValue, "user", "profile", "server", "disabled")

	activeUptime = collector.NewFamily("mikrotik_hotspot_active_uptime_seconds",
		"Time the user's active hotspot sessions have lasted so far, summed over the user's sessions.", prometheus.GaugeValue, "user")
	activeTimeLeft = collector.NewFamily("mikrotik_hotspot_active_session_time_left_seconds",
		"Time left before the user's session is cut (the least over the user's sessions); absent for unlimited users.", prometheus.GaugeValue, "user")
	activeIdle = collector.NewFamily("mikrotik_hotspot_active_idle_seconds",
		"Time since the user's session last passed traffic (the least over the user's sessions).", prometheus.GaugeValue, "user")
	activeBytesIn = collector.NewFamily("mikrotik_hotspot_active_bytes_in_total",
		"Bytes the user sent in the active sessions, summed over the user's sessions.", prometheus.CounterValue, "user")
	activeBytesOut = collector.NewFamily("mikrotik_hotspot_active_bytes_out_total",
		"Bytes the user received in the active sessions, summed over the user's sessions.", prometheus.CounterValue, "user")
	activeInfo = collector.NewFamily("mikrotik_hotspot_active_info",
		"One series per active hotspot session, with its address, MAC address, login method and server; always 1.", prometheus.GaugeValue, "user", "address", "mac_address", "login_by", "server")

	hotspotUsers = collector.NewFamily("mikrotik_hotspot_users",
		"Hotspot users configured, by server and profile.", prometheus.GaugeValue, "server", "profile")
	hotspotActiveSessions = collector.NewFamily("mikrotik_hotspot_active_sessions",
		"Active hotspot sessions, by server and the profile of the session's user (empty when the user is not in /ip/hotspot/user).", prometheus.GaugeValue, "server", "profile")
	hotspotHosts = collector.NewFamily("mikrotik_hotspot_hosts",
		"Hosts the hotspot knows about (/ip/hotspot/host), logged in or not.", prometheus.GaugeValue)
)
