package mikrotik_test

import (
	"fmt"
	"sort"
	"strings"
)

// families gives the HELP and TYPE of every family the collector exports, so expected
// exposition text in tests lists samples only.
var families = map[string][2]string{
	"mikrotik_system_uptime_seconds":                    {"gauge", "Time since the router booted."},
	"mikrotik_system_boot_time_seconds":                 {"gauge", "When the router booted, as a Unix timestamp: scrape time minus uptime, kept steady within 2s between scrapes. A change means a reboot."},
	"mikrotik_system_cpu_load_ratio":                    {"gauge", "CPU load over the router's last sampling interval, 0 to 1."},
	"mikrotik_system_memory_free_bytes":                 {"gauge", "Free memory on the router."},
	"mikrotik_system_memory_total_bytes":                {"gauge", "Total memory on the router."},
	"mikrotik_system_info":                              {"gauge", "Router identity, RouterOS version and board; always 1."},
	"mikrotik_hotspot_user_uptime_seconds":              {"gauge", "Hotspot user's stored uptime: the time of the user's finished sessions (RouterOS adds a session when it ends)."},
	"mikrotik_hotspot_user_limit_uptime_seconds":        {"gauge", "Hotspot user's limit-uptime; only users with a limit have this series."},
	"mikrotik_hotspot_user_bytes_in_total":              {"counter", "Bytes the hotspot user sent (RouterOS bytes-in) over finished sessions."},
	"mikrotik_hotspot_user_bytes_out_total":             {"counter", "Bytes the hotspot user received (RouterOS bytes-out) over finished sessions."},
	"mikrotik_hotspot_user_info":                        {"gauge", "Hotspot user's profile, server and whether the user is disabled; always 1."},
	"mikrotik_hotspot_active_uptime_seconds":            {"gauge", "Time the user's active hotspot sessions have lasted so far, summed over the user's sessions."},
	"mikrotik_hotspot_active_session_time_left_seconds": {"gauge", "Time left before the user's session is cut (the least over the user's sessions); absent for unlimited users."},
	"mikrotik_hotspot_active_idle_seconds":              {"gauge", "Time since the user's session last passed traffic (the least over the user's sessions)."},
	"mikrotik_hotspot_active_bytes_in_total":            {"counter", "Bytes the user sent in the active sessions, summed over the user's sessions."},
	"mikrotik_hotspot_active_bytes_out_total":           {"counter", "Bytes the user received in the active sessions, summed over the user's sessions."},
	"mikrotik_hotspot_active_info":                      {"gauge", "One series per active hotspot session, with its address, MAC address, login method and server; always 1."},
	"mikrotik_hotspot_users":                            {"gauge", "Hotspot users configured, by server and profile."},
	"mikrotik_hotspot_active_sessions":                  {"gauge", "Active hotspot sessions, by server and the profile of the session's user (empty when the user is not in /ip/hotspot/user)."},
	"mikrotik_hotspot_hosts":                            {"gauge", "Hosts the hotspot knows about (/ip/hotspot/host), logged in or not."},
}

// exposition turns sample lines ("name{labels} value") into exposition text with each
// family's HELP and TYPE.
func exposition(samples ...string) string {
	byFamily := map[string][]string{}
	for _, s := range samples {
		name := s[:strings.IndexAny(s, "{ ")]
		if _, ok := families[name]; !ok {
			panic("unknown family in expected samples: " + name)
		}
		byFamily[name] = append(byFamily[name], s)
	}
	names := make([]string, 0, len(byFamily))
	for name := range byFamily {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		f := families[name]
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, f[1], name, f[0])
		for _, s := range byFamily[name] {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}
