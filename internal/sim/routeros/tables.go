package routeros

import (
	"strconv"
	"time"
)

// record is one item of a print. appendField appends the value of one property, formatted
// as RouterOS prints it, and reports false when the item has no such property (RouterOS
// leaves unset properties out of the reply instead of sending them empty).
type record interface {
	appendField(dst []byte, name string) ([]byte, bool)
}

// table is a printable menu: its default properties in RouterOS's order and a snapshot of
// its items taken under the router's lock.
type table struct {
	fields   []string
	snapshot func(r *Router, now time.Time) []record
}

var tables = map[string]*table{
	"/ip/hotspot/user": {
		fields: []string{".id", "name", "password", "profile", "server", "mac-address", "limit-uptime",
			"limit-bytes-total", "uptime", "bytes-in", "bytes-out", "packets-in", "packets-out", "comment", "disabled"},
		snapshot: (*Router).userRecords,
	},
	"/ip/hotspot/active": {
		fields: []string{".id", "server", "user", "address", "mac-address", "login-by", "uptime",
			"session-time-left", "idle-time", "idle-timeout", "keepalive-timeout", "bytes-in", "bytes-out",
			"packets-in", "packets-out", "radius"},
		snapshot: (*Router).activeRecords,
	},
	"/ip/hotspot/host": {
		fields: []string{".id", "mac-address", "address", "to-address", "server", "uptime", "idle-time",
			"keepalive-timeout", "bytes-in", "bytes-out", "packets-in", "packets-out", "authorized", "bypassed"},
		snapshot: (*Router).hostRecords,
	},
	"/ip/hotspot/user/profile": {
		fields: []string{".id", "name", "idle-timeout", "keepalive-timeout", "status-autorefresh",
			"shared-users", "add-mac-cookie", "mac-cookie-timeout", "transparent-proxy", "open-status-page", "default"},
		snapshot: (*Router).profileRecords,
	},
	"/log": {
		fields:   []string{".id", "time", "topics", "message"},
		snapshot: (*Router).logRecords,
	},
	"/system/resource": {
		fields: []string{"uptime", "version", "build-time", "factory-software", "free-memory", "total-memory",
			"cpu", "cpu-count", "cpu-frequency", "cpu-load", "free-hdd-space", "total-hdd-space",
			"write-sect-since-reboot", "write-sect-total", "bad-blocks", "architecture-name", "board-name", "platform"},
		snapshot: (*Router).resourceRecords,
	},
	"/system/identity": {
		fields:   []string{"name"},
		snapshot: (*Router).identityRecords,
	},
}

// packets estimates a packet count from bytes (an average packet of about 900 bytes).
func packets(bytes int64) int64 { return bytes / 900 }

type userRecord struct {
	id uint32
	User
}

func (u *userRecord) appendField(dst []byte, name string) ([]byte, bool) {
	switch name {
	case ".id":
		return appendID(dst, u.id), true
	case "name":
		return append(dst, u.Name...), true
	case "password":
		return append(dst, u.Password...), true
	case "profile":
		return append(dst, u.Profile...), true
	case "server":
		return append(dst, u.Server...), true
	case "mac-address":
		return append(dst, u.MACAddress...), u.MACAddress != ""
	case "limit-uptime":
		return appendDuration(dst, u.LimitUptime), u.LimitUptime > 0
	case "limit-bytes-total":
		return strconv.AppendInt(dst, u.LimitBytesTotal, 10), u.LimitBytesTotal > 0
	case "uptime":
		return appendDuration(dst, u.Uptime), true
	case "bytes-in":
		return strconv.AppendInt(dst, u.BytesIn, 10), true
	case "bytes-out":
		return strconv.AppendInt(dst, u.BytesOut, 10), true
	case "packets-in":
		return strconv.AppendInt(dst, packets(u.BytesIn), 10), true
	case "packets-out":
		return strconv.AppendInt(dst, packets(u.BytesOut), 10), true
	case "comment":
		return append(dst, u.Comment...), u.Comment != ""
	case "disabled":
		return appendBool(dst, u.Disabled), true
	}
	return dst, false
}

func (r *Router) userRecords(time.Time) []record {
	rows := make([]userRecord, len(r.users))
	out := make([]record, len(r.users))
	for i, st := range r.users {
		rows[i] = userRecord{id: st.id, User: st.User}
		out[i] = &rows[i]
	}
	return out
}

type activeRecord struct {
	Session
	id          uint32
	uptime      time.Duration
	timeLeft    time.Duration
	limited     bool
	idleTimeout string
}

func (a *activeRecord) appendField(dst []byte, name string) ([]byte, bool) {
	switch name {
	case ".id":
		return appendID(dst, a.id), true
	case "server":
		return append(dst, a.Server...), true
	case "user":
		return append(dst, a.User...), true
	case "address":
		return append(dst, a.Address...), true
	case "mac-address":
		return append(dst, a.MACAddress...), true
	case "login-by":
		return append(dst, a.LoginBy...), true
	case "uptime":
		return appendDuration(dst, a.uptime), true
	case "session-time-left":
		return appendDuration(dst, a.timeLeft), a.limited
	case "idle-time":
		return append(dst, "0s"...), true
	case "idle-timeout":
		return append(dst, a.idleTimeout...), true
	case "keepalive-timeout":
		return append(dst, "2m"...), true
	case "bytes-in":
		return strconv.AppendInt(dst, a.BytesIn, 10), true
	case "bytes-out":
		return strconv.AppendInt(dst, a.BytesOut, 10), true
	case "packets-in":
		return strconv.AppendInt(dst, packets(a.BytesIn), 10), true
	case "packets-out":
		return strconv.AppendInt(dst, packets(a.BytesOut), 10), true
	case "radius":
		return appendBool(dst, false), true
	}
	return dst, false
}

func (r *Router) activeRecords(now time.Time) []record {
	rows := make([]activeRecord, len(r.sessions))
	out := make([]record, len(r.sessions))
	for i, s := range r.sessions {
		row := activeRecord{Session: r.sessionLocked(s, now), id: s.id, uptime: sessionUptime(s, now), idleTimeout: "none"}
		if u := r.byName[s.user]; u != nil && u.LimitUptime > 0 {
			row.limited = true
			row.timeLeft = u.LimitUptime - u.Uptime - row.uptime
		}
		rows[i] = row
		out[i] = &rows[i]
	}
	return out
}

// hostRecord is an entry of /ip/hotspot/host: the simulator has one authorized host per
// active session.
type hostRecord struct{ activeRecord }

func (h *hostRecord) appendField(dst []byte, name string) ([]byte, bool) {
	switch name {
	case "to-address":
		return append(dst, h.Address...), true
	case "authorized":
		return appendBool(dst, true), true
	case "bypassed":
		return appendBool(dst, false), true
	case ".id", "mac-address", "address", "server", "uptime", "idle-time", "keepalive-timeout",
		"bytes-in", "bytes-out", "packets-in", "packets-out":
		return h.activeRecord.appendField(dst, name)
	}
	return dst, false
}

func (r *Router) hostRecords(now time.Time) []record {
	active := r.activeRecords(now)
	out := make([]record, len(active))
	for i, a := range active {
		out[i] = &hostRecord{*a.(*activeRecord)}
	}
	return out
}

// kvRecord is a small item given as ordered name/value pairs.
type kvRecord []kv

type kv struct{ name, value string }

func (r kvRecord) appendField(dst []byte, name string) ([]byte, bool) {
	for _, p := range r {
		if p.name == name {
			return append(dst, p.value...), true
		}
	}
	return dst, false
}

func (r *Router) profileRecords(time.Time) []record {
	names := []string{"default"}
	seen := map[string]bool{"default": true}
	for _, u := range r.users {
		if !seen[u.Profile] {
			seen[u.Profile] = true
			names = append(names, u.Profile)
		}
	}
	shared := "1"
	if r.opts.AllowShared {
		shared = "unlimited"
	}
	out := make([]record, len(names))
	for i, name := range names {
		out[i] = kvRecord{
			{".id", formatID(uint32(i + 1))}, {"name", name}, {"idle-timeout", "none"},
			{"keepalive-timeout", "2m"}, {"status-autorefresh", "1m"}, {"shared-users", shared},
			{"add-mac-cookie", "true"}, {"mac-cookie-timeout", "3d"}, {"transparent-proxy", "false"},
			{"open-status-page", "always"}, {"default", strconv.FormatBool(name == "default")},
		}
	}
	return out
}

// logTimeLayout is RouterOS 7.10+'s log time format.
const logTimeLayout = "2006-01-02 15:04:05"

func (r *Router) logRecords(time.Time) []record {
	out := make([]record, len(r.log))
	for i, e := range r.log {
		out[i] = kvRecord{
			{".id", formatID(uint32(r.logDropped + i + 1))}, {"time", e.Time.Format(logTimeLayout)},
			{"topics", e.Topics}, {"message", e.Message},
		}
	}
	return out
}

func (r *Router) resourceRecords(now time.Time) []record {
	o := r.opts
	return []record{kvRecord{
		{"uptime", FormatDuration(now.Sub(r.bootTime).Truncate(time.Second))},
		{"version", o.Version},
		{"build-time", "2025-03-11 11:59:04"},
		{"factory-software", "6.40.5"},
		{"free-memory", strconv.FormatInt(o.FreeMemory, 10)},
		{"total-memory", strconv.FormatInt(o.TotalMemory, 10)},
		{"cpu", "MIPS 24Kc V7.4"},
		{"cpu-count", "1"},
		{"cpu-frequency", "600"},
		{"cpu-load", strconv.Itoa(o.CPULoad)},
		{"free-hdd-space", "100749312"},
		{"total-hdd-space", "134217728"},
		{"write-sect-since-reboot", "2817"},
		{"write-sect-total", "2311450"},
		{"bad-blocks", "0"},
		{"architecture-name", o.Architecture},
		{"board-name", o.Board},
		{"platform", "MikroTik"},
	}}
}

func (r *Router) identityRecords(time.Time) []record {
	return []record{kvRecord{{"name", r.opts.Identity}}}
}
