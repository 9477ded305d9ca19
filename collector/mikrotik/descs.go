package mikrotik

import "github.com/prometheus/client_golang/prometheus"

// Descriptors are built once: the per-user path only fills in values.
var (
	systemUptime = prometheus.NewDesc("mikrotik_system_uptime_seconds",
		"Time since the router booted.", nil, nil)
	systemBootTime = prometheus.NewDesc("mikrotik_system_boot_time_seconds",
		"When the router booted, as a Unix timestamp: scrape time minus uptime, kept steady within 2s between scrapes. A change means a reboot.", nil, nil)
	systemCPULoad = prometheus.NewDesc("mikrotik_system_cpu_load_ratio",
		"CPU load over the router's last sampling interval, 0 to 1.", nil, nil)
	systemMemoryFree = prometheus.NewDesc("mikrotik_system_memory_free_bytes",
		"Free memory on the router.", nil, nil)
	systemMemoryTotal = prometheus.NewDesc("mikrotik_system_memory_total_bytes",
		"Total memory on the router.", nil, nil)
	systemInfo = prometheus.NewDesc("mikrotik_system_info",
		"Router identity, RouterOS version and board; always 1.", []string{"identity", "version", "board"}, nil)

	userUptime = prometheus.NewDesc("mikrotik_hotspot_user_uptime_seconds",
		"Hotspot user's stored uptime: the time of the user's finished sessions (RouterOS adds a session when it ends).", []string{"user"}, nil)
	userLimitUptime = prometheus.NewDesc("mikrotik_hotspot_user_limit_uptime_seconds",
		"Hotspot user's limit-uptime; only users with a limit have this series.", []string{"user"}, nil)
	userBytesIn = prometheus.NewDesc("mikrotik_hotspot_user_bytes_in_total",
		"Bytes the hotspot user sent (RouterOS bytes-in) over finished sessions.", []string{"user"}, nil)
	userBytesOut = prometheus.NewDesc("mikrotik_hotspot_user_bytes_out_total",
		"Bytes the hotspot user received (RouterOS bytes-out) over finished sessions.", []string{"user"}, nil)
	userInfo = prometheus.NewDesc("mikrotik_hotspot_user_info",
		"Hotspot user's profile, server and whether the user is disabled; always 1.", []string{"user", "profile", "server", "disabled"}, nil)

	activeUptime = prometheus.NewDesc("mikrotik_hotspot_active_uptime_seconds",
		"Time the user's active hotspot sessions have lasted so far, summed over the user's sessions.", []string{"user"}, nil)
	activeTimeLeft = prometheus.NewDesc("mikrotik_hotspot_active_session_time_left_seconds",
		"Time left before the user's session is cut (the least over the user's sessions); absent for unlimited users.", []string{"user"}, nil)
	activeIdle = prometheus.NewDesc("mikrotik_hotspot_active_idle_seconds",
		"Time since the user's session last passed traffic (the least over the user's sessions).", []string{"user"}, nil)
	activeBytesIn = prometheus.NewDesc("mikrotik_hotspot_active_bytes_in_total",
		"Bytes the user sent in the active sessions, summed over the user's sessions.", []string{"user"}, nil)
	activeBytesOut = prometheus.NewDesc("mikrotik_hotspot_active_bytes_out_total",
		"Bytes the user received in the active sessions, summed over the user's sessions.", []string{"user"}, nil)
	activeInfo = prometheus.NewDesc("mikrotik_hotspot_active_info",
		"One series per active hotspot session, with its address, MAC address, login method and server; always 1.", []string{"user", "address", "mac_address", "login_by", "server"}, nil)

	hotspotUsers = prometheus.NewDesc("mikrotik_hotspot_users",
		"Hotspot users configured, by server and profile.", []string{"server", "profile"}, nil)
	hotspotActiveSessions = prometheus.NewDesc("mikrotik_hotspot_active_sessions",
		"Active hotspot sessions, by server and the profile of the session's user (empty when the user is not in /ip/hotspot/user).", []string{"server", "profile"}, nil)
	hotspotHosts = prometheus.NewDesc("mikrotik_hotspot_hosts",
		"Hosts the hotspot knows about (/ip/hotspot/host), logged in or not.", nil, nil)
)
