package mikrotik

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/go-routeros/routeros/v3/proto"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/routeros"
)

// Properties asked for: exactly the fields each mode uses. Without per-user series only
// what the totals need is fetched, which keeps large hotspots cheap.
var (
	userPropsPerUser = []string{"name", "profile", "server", "disabled", "uptime", "limit-uptime", "bytes-in", "bytes-out"}
	userPropsTotals  = []string{"name", "profile", "server"}

	activePropsPerUser = []string{"user", "server", "address", "mac-address", "login-by", "uptime", "session-time-left", "idle-time", "bytes-in", "bytes-out"}
	activePropsTotals  = []string{"user", "server"}
)

// hotspotSnapshot is what the hotspot prints returned.
type hotspotSnapshot struct {
	mode   config.HotspotUsers
	users  []*proto.Sentence
	active []*proto.Sentence
	hosts  int
}

// fetchHotspot runs the hotspot prints. present is false when the router has no hotspot
// package (it answers "no such command"): not an error, the router just has nothing to say.
func fetchHotspot(ctx context.Context, conn *routeros.Conn, mode config.HotspotUsers) (snap *hotspotSnapshot, present bool, err error) {
	userProps, activeProps := userPropsPerUser, activePropsPerUser
	if mode == config.HotspotUsersNone {
		userProps, activeProps = userPropsTotals, activePropsTotals
	}
	users, err := conn.Print(ctx, "/ip/hotspot/user", userProps)
	if routeros.IsNoSuchCommand(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	active, err := conn.Print(ctx, "/ip/hotspot/active", activeProps)
	if err != nil {
		return nil, false, err
	}
	hosts, err := conn.CountOnly(ctx, "/ip/hotspot/host")
	if err != nil {
		return nil, false, err
	}
	return &hotspotSnapshot{mode: mode, users: users, active: active, hosts: hosts}, true, nil
}

// group is a (server, profile) pair the totals are counted by.
type group struct{ server, profile string }

// knownUser is what the active sessions need to know about their user.
type knownUser struct {
	profile string // label value
	limited bool   // has a limit-uptime above zero
}

// emit sends the hotspot series. Label values go through ToUTF8, and users are keyed by
// their label value, so two names that read the same once made valid UTF-8 can never
// produce duplicate series.
func (h *hotspotSnapshot) emit(ch chan<- prometheus.Metric, logger *slog.Logger, bad *parseProblems) {
	users, duplicates := h.emitUsers(ch, bad)
	if duplicates > 0 {
		logger.Warn("hotspot users share a name (on different servers, or once made valid UTF-8); only the first has per-user series", "count", duplicates)
	}
	h.emitActive(ch, users, bad)
	ch <- hotspotHosts.Sample(float64(h.hosts))
}

func (h *hotspotSnapshot) perUser(limited bool) bool {
	switch h.mode {
	case config.HotspotUsersNone:
		return false
	case config.HotspotUsersLimited:
		return limited
	default:
		return true
	}
}

func (h *hotspotSnapshot) emitUsers(ch chan<- prometheus.Metric, bad *parseProblems) (users map[string]knownUser, duplicates int) {
	users = make(map[string]knownUser, len(h.users))
	totals := make(map[group]int)
	for _, sen := range h.users {
		f := sen.Map
		name := routeros.ToUTF8(f["name"])
		profile := routeros.ToUTF8(f["profile"])
		totals[group{routeros.ToUTF8(f["server"]), profile}]++
		if _, dup := users[name]; dup {
			duplicates++
			continue
		}
		limit, hasLimit := duration(f, "limit-uptime", bad)
		limited := hasLimit && limit > 0
		users[name] = knownUser{profile: profile, limited: limited}
		if !h.perUser(limited) {
			continue
		}
		labels := []string{name}
		if uptime, ok := seconds(f, "uptime", bad); ok {
			ch <- userUptime.Sample(uptime, labels...)
		}
		if limited {
			ch <- userLimitUptime.Sample(limit.Seconds(), labels...)
		}
		if in, ok := number(f, "bytes-in", bad); ok {
			ch <- userBytesIn.Sample(in, labels...)
		}
		if out, ok := number(f, "bytes-out", bad); ok {
			ch <- userBytesOut.Sample(out, labels...)
		}
		ch <- userInfo.Sample(1,
			name, profile, routeros.ToUTF8(f["server"]), disabled(f["disabled"]))
	}
	for _, g := range sortedGroups(totals) {
		ch <- hotspotUsers.Sample(float64(totals[g]), g.server, g.profile)
	}
	return users, duplicates
}

// disabled normalises RouterOS's boolean (true/false, yes/no on some versions; absent when
// false) to "true" or "false".
func disabled(v string) string {
	switch v {
	case "true", "yes":
		return "true"
	default:
		return "false"
	}
}

// sessionSum adds up one user's active sessions (shared-users > 1 allows several). A sum
// is exported only when every session had its value: a partial sum would understate it.
type sessionSum struct {
	uptime, bytesIn, bytesOut       float64
	uptimeOK, bytesInOK, bytesOutOK bool
	timeLeft, idle                  float64
	hasTimeLeft, hasIdle            bool
}

func (s *sessionSum) add(f map[string]string, bad *parseProblems) {
	v, ok := seconds(f, "uptime", bad)
	s.uptime, s.uptimeOK = s.uptime+v, s.uptimeOK && ok
	v, ok = number(f, "bytes-in", bad)
	s.bytesIn, s.bytesInOK = s.bytesIn+v, s.bytesInOK && ok
	v, ok = number(f, "bytes-out", bad)
	s.bytesOut, s.bytesOutOK = s.bytesOut+v, s.bytesOutOK && ok
	if v, ok := seconds(f, "session-time-left", bad); ok && (!s.hasTimeLeft || v < s.timeLeft) {
		s.timeLeft, s.hasTimeLeft = v, true
	}
	if v, ok := seconds(f, "idle-time", bad); ok && (!s.hasIdle || v < s.idle) {
		s.idle, s.hasIdle = v, true
	}
}

func (h *hotspotSnapshot) emitActive(ch chan<- prometheus.Metric, users map[string]knownUser, bad *parseProblems) {
	totals := make(map[group]int)
	sums := make(map[string]*sessionSum)
	var order []string
	sessions := make(map[[5]string]struct{})
	for _, sen := range h.active {
		f := sen.Map
		name := routeros.ToUTF8(f["user"])
		user := users[name] // not found: a RADIUS or trial user, profile "", not limited
		server := routeros.ToUTF8(f["server"])
		totals[group{server, user.profile}]++
		if !h.perUser(user.limited) {
			continue
		}
		sum := sums[name]
		if sum == nil {
			sum = &sessionSum{uptimeOK: true, bytesInOK: true, bytesOutOK: true}
			sums[name] = sum
			order = append(order, name)
		}
		sum.add(f, bad)
		labels := [5]string{name, routeros.ToUTF8(f["address"]), routeros.ToUTF8(f["mac-address"]), routeros.ToUTF8(f["login-by"]), server}
		if _, dup := sessions[labels]; dup {
			continue // two sessions the labels cannot tell apart: one info series says enough
		}
		sessions[labels] = struct{}{}
		ch <- activeInfo.Sample(1, labels[:]...)
	}
	for _, name := range order {
		s, labels := sums[name], []string{name}
		if s.uptimeOK {
			ch <- activeUptime.Sample(s.uptime, labels...)
		}
		if s.hasTimeLeft {
			ch <- activeTimeLeft.Sample(s.timeLeft, labels...)
		}
		if s.hasIdle {
			ch <- activeIdle.Sample(s.idle, labels...)
		}
		if s.bytesInOK {
			ch <- activeBytesIn.Sample(s.bytesIn, labels...)
		}
		if s.bytesOutOK {
			ch <- activeBytesOut.Sample(s.bytesOut, labels...)
		}
	}
	for _, g := range sortedGroups(totals) {
		ch <- hotspotActiveSessions.Sample(float64(totals[g]), g.server, g.profile)
	}
}

// sortedGroups orders the totals' groups, so every scrape lists them the same way (the
// framework writes series in the order collectors send them).
func sortedGroups(totals map[group]int) []group {
	groups := slices.Collect(maps.Keys(totals))
	slices.SortFunc(groups, func(a, b group) int {
		return cmp.Or(strings.Compare(a.server, b.server), strings.Compare(a.profile, b.profile))
	})
	return groups
}
