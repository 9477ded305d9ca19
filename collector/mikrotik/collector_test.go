package mikrotik_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/collector/mikrotik"
	"github.com/rondanet/ronda/config"
	sim "github.com/rondanet/ronda/internal/sim/routeros"
	"github.com/rondanet/ronda/internal/testtool"
)

const latin1Name = "Caf\xe9" // typed on a Windows box: Windows-1252, not UTF-8

// hotspotLab builds the router most tests scrape, at t0+75m:
//
//	alice  profile 1jam, limit 1h, stored uptime 10m; two sessions (15m and 10m)
//	bob    profile default, unlimited, stored uptime 2h; one session (10m)
//	Café   (latin-1 name) profile 1jam, server hs-lobby, limit 2h; one session (10m)
//	dewi   profile harian, limit 24h, disabled; offline
func hotspotLab(t *testing.T) *lab {
	l := newLab(t, sim.Options{
		Identity: "Pasar Baru", Version: "7.16.1 (stable)", Board: "hAP ac2",
		CPULoad: 7, FreeMemory: 48 << 20, TotalMemory: 128 << 20, AllowShared: true,
	})
	l.addUsers(t,
		sim.User{Name: "alice", Profile: "1jam", LimitUptime: time.Hour, Uptime: 10 * time.Minute, BytesIn: 1000, BytesOut: 2000},
		sim.User{Name: "bob", Uptime: 2 * time.Hour, BytesIn: 5, BytesOut: 6},
		sim.User{Name: latin1Name, Profile: "1jam", Server: "hs-lobby", LimitUptime: 2 * time.Hour},
		sim.User{Name: "dewi", Profile: "harian", LimitUptime: 24 * time.Hour, Disabled: true},
	)
	l.clock.Advance(time.Hour)
	l.login(t, "alice", "10.5.50.2")
	l.clock.Advance(5 * time.Minute)
	l.login(t, "alice", "10.5.50.3")
	l.login(t, "bob", "10.5.50.4")
	l.login(t, latin1Name, "10.5.50.5")
	l.clock.Advance(10 * time.Minute)
	return l
}

// systemSamples are hotspotLab's system series.
func systemSamples() []string {
	return []string{
		"mikrotik_system_uptime_seconds 4500",
		fmt.Sprintf("mikrotik_system_boot_time_seconds %d", t0.Unix()),
		"mikrotik_system_cpu_load_ratio 0.07",
		fmt.Sprintf("mikrotik_system_memory_free_bytes %d", 48<<20),
		fmt.Sprintf("mikrotik_system_memory_total_bytes %d", 128<<20),
		`mikrotik_system_info{board="hAP ac2",identity="Pasar Baru",version="7.16.1 (stable)"} 1`,
	}
}

// totalSamples are hotspotLab's totals, the same in every mode.
func totalSamples() []string {
	return []string{
		`mikrotik_hotspot_users{profile="1jam",server="all"} 1`,
		`mikrotik_hotspot_users{profile="default",server="all"} 1`,
		`mikrotik_hotspot_users{profile="1jam",server="hs-lobby"} 1`,
		`mikrotik_hotspot_users{profile="harian",server="all"} 1`,
		`mikrotik_hotspot_active_sessions{profile="1jam",server="hotspot1"} 2`,
		`mikrotik_hotspot_active_sessions{profile="default",server="hotspot1"} 1`,
		`mikrotik_hotspot_active_sessions{profile="1jam",server="hs-lobby"} 1`,
		"mikrotik_hotspot_hosts 4",
	}
}

// userSamples are the per-user series of the named hotspotLab users.
func userSamples(names ...string) []string {
	all := map[string][]string{
		"alice": {
			`mikrotik_hotspot_user_uptime_seconds{user="alice"} 600`,
			`mikrotik_hotspot_user_limit_uptime_seconds{user="alice"} 3600`,
			`mikrotik_hotspot_user_bytes_in_total{user="alice"} 1000`,
			`mikrotik_hotspot_user_bytes_out_total{user="alice"} 2000`,
			`mikrotik_hotspot_user_info{disabled="false",profile="1jam",server="all",user="alice"} 1`,
		},
		"bob": {
			`mikrotik_hotspot_user_uptime_seconds{user="bob"} 7200`,
			`mikrotik_hotspot_user_bytes_in_total{user="bob"} 5`,
			`mikrotik_hotspot_user_bytes_out_total{user="bob"} 6`,
			`mikrotik_hotspot_user_info{disabled="false",profile="default",server="all",user="bob"} 1`,
		},
		"Café": {
			`mikrotik_hotspot_user_uptime_seconds{user="Café"} 0`,
			`mikrotik_hotspot_user_limit_uptime_seconds{user="Café"} 7200`,
			`mikrotik_hotspot_user_bytes_in_total{user="Café"} 0`,
			`mikrotik_hotspot_user_bytes_out_total{user="Café"} 0`,
			`mikrotik_hotspot_user_info{disabled="false",profile="1jam",server="hs-lobby",user="Café"} 1`,
		},
		"dewi": {
			`mikrotik_hotspot_user_uptime_seconds{user="dewi"} 0`,
			`mikrotik_hotspot_user_limit_uptime_seconds{user="dewi"} 86400`,
			`mikrotik_hotspot_user_bytes_in_total{user="dewi"} 0`,
			`mikrotik_hotspot_user_bytes_out_total{user="dewi"} 0`,
			`mikrotik_hotspot_user_info{disabled="true",profile="harian",server="all",user="dewi"} 1`,
		},
	}
	var out []string
	for _, n := range names {
		out = append(out, all[n]...)
	}
	return out
}

// activeSamples are the per-user session series of the named hotspotLab users. Byte
// counts come from the simulator (it makes traffic up per user); everything else is the
// arithmetic in hotspotLab's comment.
func activeSamples(l *lab, names ...string) []string {
	type totals struct{ in, out int64 }
	bytes := map[string]*totals{}
	var info []string
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	for _, s := range l.router.Active() {
		user := strings.ReplaceAll(s.User, latin1Name, "Café")
		if !wanted[user] {
			continue
		}
		if bytes[user] == nil {
			bytes[user] = &totals{}
		}
		bytes[user].in += s.BytesIn
		bytes[user].out += s.BytesOut
		info = append(info, fmt.Sprintf(`mikrotik_hotspot_active_info{address=%q,login_by="http-chap",mac_address=%q,server=%q,user=%q} 1`,
			s.Address, s.MACAddress, s.Server, user))
	}
	perUser := map[string][]string{
		"alice": {
			`mikrotik_hotspot_active_uptime_seconds{user="alice"} 1500`,            // 15m + 10m
			`mikrotik_hotspot_active_session_time_left_seconds{user="alice"} 2100`, // 1h - 10m - 15m, the lesser
			`mikrotik_hotspot_active_idle_seconds{user="alice"} 0`,
		},
		"bob": {
			`mikrotik_hotspot_active_uptime_seconds{user="bob"} 600`,
			`mikrotik_hotspot_active_idle_seconds{user="bob"} 0`,
		},
		"Café": {
			`mikrotik_hotspot_active_uptime_seconds{user="Café"} 600`,
			`mikrotik_hotspot_active_session_time_left_seconds{user="Café"} 6600`, // 2h - 10m
			`mikrotik_hotspot_active_idle_seconds{user="Café"} 0`,
		},
	}
	out := info
	for _, n := range names {
		out = append(out, perUser[n]...)
		if b := bytes[n]; b != nil {
			out = append(out,
				fmt.Sprintf(`mikrotik_hotspot_active_bytes_in_total{user=%q} %d`, n, b.in),
				fmt.Sprintf(`mikrotik_hotspot_active_bytes_out_total{user=%q} %d`, n, b.out))
		}
	}
	return out
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// compare scrapes through a registry and compares with the expected samples.
func compare(t *testing.T, l *lab, samples []string) {
	t.Helper()
	sc := &scrapeCollector{t: t, l: l}
	if err := testutil.CollectAndCompare(sc, strings.NewReader(exposition(samples...))); err != nil {
		t.Error(err)
	}
	if sc.err != nil {
		t.Errorf("scrape failed: %v", sc.err)
	}
}

func TestScrapeAllUsers(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersAll)
	compare(t, l, concat(systemSamples(), totalSamples(),
		userSamples("alice", "bob", "Café", "dewi"),
		activeSamples(l, "alice", "bob", "Café")))
}

func TestScrapeDefaultModeIsAll(t *testing.T) {
	l := hotspotLab(t)
	l.configure("")
	compare(t, l, concat(systemSamples(), totalSamples(),
		userSamples("alice", "bob", "Café", "dewi"),
		activeSamples(l, "alice", "bob", "Café")))
}

func TestScrapeLimitedUsers(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersLimited)
	// bob has no limit-uptime: no series for him or his session, but he is in the totals.
	compare(t, l, concat(systemSamples(), totalSamples(),
		userSamples("alice", "Café", "dewi"),
		activeSamples(l, "alice", "Café")))
}

func TestScrapeTotalsOnly(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersNone)
	compare(t, l, concat(systemSamples(), totalSamples()))
}

func TestScrapeRouterWithoutHotspot(t *testing.T) {
	l := hotspotLab(t)
	l.addr = startProxy(t, l.router.Addr(), true).addr()
	l.configure(config.HotspotUsersAll)
	compare(t, l, systemSamples())
}

func TestScrapeEmptyHotspot(t *testing.T) {
	// RouterOS 7.18+ answers an empty print with !empty before !done.
	l := newLab(t, sim.Options{Identity: "kosong", EmptyReply: true})
	l.configure(config.HotspotUsersAll)
	metrics, err := l.scrape(t)
	if err != nil {
		t.Fatalf("scrape of a hotspot without users: %v", err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(&replay{metrics})
	if n, err := testutil.GatherAndCount(reg, "mikrotik_hotspot_hosts", "mikrotik_hotspot_users", "mikrotik_hotspot_user_info"); err != nil || n != 1 {
		t.Errorf("got %d hotspot series (%v), want only mikrotik_hotspot_hosts 0", n, err)
	}
}

// replay sends metrics collected earlier.
type replay struct{ metrics []prometheus.Metric }

func (r *replay) Describe(chan<- *prometheus.Desc) {}
func (r *replay) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r.metrics {
		ch <- m
	}
}

// TestEveryPrintAsksForTheFieldsUsed checks the words sent: a proplist on every print (only
// what each mode needs), count-only for the host total.
func TestEveryPrintAsksForTheFieldsUsed(t *testing.T) {
	perUser := map[string]string{
		"/system/resource/print":   "=.proplist=uptime,cpu-load,free-memory,total-memory,version,board-name",
		"/system/identity/print":   "=.proplist=name",
		"/ip/hotspot/user/print":   "=.proplist=name,profile,server,disabled,uptime,limit-uptime,bytes-in,bytes-out",
		"/ip/hotspot/active/print": "=.proplist=user,server,address,mac-address,login-by,uptime,session-time-left,idle-time,bytes-in,bytes-out",
		"/ip/hotspot/host/print":   "=count-only=",
	}
	totalsOnly := map[string]string{
		"/system/resource/print":   perUser["/system/resource/print"],
		"/system/identity/print":   perUser["/system/identity/print"],
		"/ip/hotspot/user/print":   "=.proplist=name,profile,server",
		"/ip/hotspot/active/print": "=.proplist=user,server",
		"/ip/hotspot/host/print":   "=count-only=",
	}
	for mode, want := range map[config.HotspotUsers]map[string]string{
		config.HotspotUsersAll: perUser, config.HotspotUsersLimited: perUser, config.HotspotUsersNone: totalsOnly,
	} {
		t.Run(string(mode), func(t *testing.T) {
			l := hotspotLab(t)
			proxy := startProxy(t, l.router.Addr(), false)
			l.addr = proxy.addr()
			l.configure(mode)
			if _, err := l.scrape(t); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, words := range proxy.recorded() {
				if words[0] == "/login" {
					continue
				}
				seen[words[0]] = true
				if len(words) != 2 || words[1] != want[words[0]] {
					t.Errorf("sent %q, want [%s %s]", words, words[0], want[words[0]])
				}
			}
			for cmd := range want {
				if !seen[cmd] {
					t.Errorf("%s was never sent", cmd)
				}
			}
		})
	}
}

func TestOneLoginAcrossScrapes(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersAll)
	for i := range 10 {
		if _, err := l.scrape(t); err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		l.clock.Advance(15 * time.Second)
	}
	if got := l.router.Logins(); got != 1 {
		t.Errorf("router saw %d API logins over 10 scrapes, want 1", got)
	}
}

// bootTime scrapes and returns mikrotik_system_boot_time_seconds.
func bootTime(t *testing.T, l *lab) float64 {
	t.Helper()
	metrics, err := l.scrape(t)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(&replay{metrics})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "mikrotik_system_boot_time_seconds" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no mikrotik_system_boot_time_seconds")
	return 0
}

func TestBootTimeIgnoresUptimeRoundingButSeesReboots(t *testing.T) {
	l := newLab(t, sim.Options{})
	l.configure(config.HotspotUsersAll)
	first := bootTime(t, l)
	if first != float64(t0.Unix()) {
		t.Fatalf("boot time %v, want %v", first, t0.Unix())
	}
	// Uptime counts whole seconds, so scrape time minus uptime moves by fractions of a
	// second between scrapes; none of that is a reboot.
	for _, step := range []time.Duration{10*time.Second + 600*time.Millisecond, 10*time.Second + 900*time.Millisecond, 15 * time.Second} {
		l.clock.Advance(step)
		if got := bootTime(t, l); got != first {
			t.Fatalf("boot time moved from %v to %v without a reboot", first, got)
		}
	}
	l.clock.Advance(time.Minute)
	l.router.PowerLoss()
	rebootAt := l.clock.Now()
	l.clock.Advance(30 * time.Second)
	if got := bootTime(t, l); got != float64(rebootAt.UnixNano())/1e9 {
		t.Errorf("after a power loss boot time is %v, want %v", got, rebootAt)
	}
}

func TestScrapeRecoversAfterPowerLoss(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersAll)
	if _, err := l.scrape(t); err != nil {
		t.Fatal(err)
	}
	l.router.PowerLoss()
	if _, err := l.scrape(t); err != nil {
		t.Fatalf("first scrape after the router came back: %v", err)
	}
}

func TestScrapeFailuresCarryTheirReasonAndSendNothing(t *testing.T) {
	tests := []struct {
		name  string
		fault sim.Fault
		want  collector.Reason
	}{
		{"stall", sim.FaultStall, collector.ReasonTimeout},
		{"garbage", sim.FaultGarbage, collector.ReasonProtocol},
		{"fatal", sim.FaultFatal, collector.ReasonDevice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := hotspotLab(t)
			l.configure(config.HotspotUsersAll)
			if _, err := l.scrape(t); err != nil {
				t.Fatal(err)
			}
			l.router.SetFault(tt.fault)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			ch := make(chan prometheus.Metric, 1000)
			err := l.coll.Scrape(ctx, routerName, nil, ch)
			if reason := collector.Classify(ctx, err); reason != tt.want {
				t.Errorf("reason %q (%v), want %q", reason, err, tt.want)
			}
			if len(ch) != 0 {
				t.Errorf("a failed scrape sent %d metrics", len(ch))
			}
			l.router.SetFault(sim.FaultNone)
			time.Sleep(10 * time.Millisecond) // past the test's backoff
			if _, err := l.scrape(t); err != nil {
				t.Errorf("scrape after the fault cleared: %v", err)
			}
		})
	}
}

func TestScrapeWrongPasswordIsAuth(t *testing.T) {
	l := hotspotLab(t)
	target := l.target(config.HotspotUsersAll)
	target.Password = "wrong"
	l.coll.Reload(&config.Config{MikroTik: []config.MikroTikTarget{target}})
	_, err := l.scrape(t)
	if reason := collector.Classify(context.Background(), err); reason != collector.ReasonAuth {
		t.Errorf("reason %q (%v), want auth", reason, err)
	}
}

func TestScrapeUnknownTargetIsConfig(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersAll)
	ch := make(chan prometheus.Metric, 10)
	err := l.coll.Scrape(context.Background(), "no-such-router", nil, ch)
	if reason := collector.Classify(context.Background(), err); reason != collector.ReasonConfig {
		t.Errorf("reason %q (%v), want config", reason, err)
	}
}

func TestReloadKeepsSessionsOfUnchangedRouters(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersAll)
	if _, err := l.scrape(t); err != nil {
		t.Fatal(err)
	}
	// Only the mode and labels change: the session stays.
	target := l.target(config.HotspotUsersNone)
	target.Labels = map[string]string{"unit": "Pasar Baru"}
	l.coll.Reload(&config.Config{MikroTik: []config.MikroTikTarget{target}})
	metrics, err := l.scrape(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.router.Logins(); got != 1 {
		t.Errorf("logins after a reload that kept the connection settings: %d, want 1", got)
	}
	for _, m := range metrics {
		if strings.Contains(m.Desc().String(), "mikrotik_hotspot_user_info") {
			t.Fatal("the new mode (none) was not applied")
		}
	}

	// A new address means a new session.
	l.addr = startProxy(t, l.router.Addr(), false).addr()
	l.configure(config.HotspotUsersNone)
	if _, err := l.scrape(t); err != nil {
		t.Fatal(err)
	}
	if got := l.router.Logins(); got != 2 {
		t.Errorf("logins after the address changed: %d, want 2", got)
	}
	waitForLogouts(t, l.router, 1) // the session to the old address was closed

	// A removed router is no longer scraped, and its session is closed.
	l.coll.Reload(&config.Config{})
	waitForLogouts(t, l.router, 2)
	_, err = l.scrape(t)
	if reason := collector.Classify(context.Background(), err); reason != collector.ReasonConfig {
		t.Errorf("scrape of a removed router: reason %q (%v), want config", reason, err)
	}
}

// TestNoDuplicateSeries: names that collide once made valid UTF-8, several sessions from
// one address, and a session of a user not in /ip/hotspot/user must never give the
// registry two series with the same labels.
func TestNoDuplicateSeries(t *testing.T) {
	l := newLab(t, sim.Options{AllowShared: true})
	l.addUsers(t,
		sim.User{Name: latin1Name, LimitUptime: time.Hour},
		sim.User{Name: "Café", LimitUptime: time.Hour},
		sim.User{Name: "budi"},
	)
	l.login(t, latin1Name, "10.5.50.9")
	l.login(t, "Café", "10.5.50.9")
	l.login(t, "budi", "10.5.50.7")
	l.login(t, "budi", "10.5.50.7")
	l.clock.Advance(time.Minute)
	l.configure(config.HotspotUsersAll)
	metrics, err := l.scrape(t)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(&replay{metrics})
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("the registry refused the scrape: %v", err)
	}
	n, err := testutil.GatherAndCount(reg, "mikrotik_hotspot_users")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("mikrotik_hotspot_users has %d series, want 1 (profile default, server all, value 3)", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exposition(
		`mikrotik_hotspot_users{profile="default",server="all"} 3`,
		`mikrotik_hotspot_active_sessions{profile="default",server="hotspot1"} 4`,
		`mikrotik_hotspot_active_uptime_seconds{user="Café"} 120`,
		`mikrotik_hotspot_active_uptime_seconds{user="budi"} 120`,
	)), "mikrotik_hotspot_users", "mikrotik_hotspot_active_sessions", "mikrotik_hotspot_active_uptime_seconds"); err != nil {
		t.Error(err)
	}
}

func TestEveryFamilyHasHelp(t *testing.T) {
	l := hotspotLab(t)
	l.configure(config.HotspotUsersAll)
	metrics, err := l.scrape(t)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(&replay{metrics})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != len(familiesExported) {
		t.Errorf("scrape exported %d families, want %d", len(families), len(familiesExported))
	}
	for _, f := range families {
		if strings.TrimSpace(f.GetHelp()) == "" {
			t.Errorf("%s has no HELP", f.GetName())
		}
		if !familiesExported[f.GetName()] {
			t.Errorf("unexpected family %s", f.GetName())
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

var familiesExported = func() map[string]bool {
	m := map[string]bool{}
	for name := range families {
		m[name] = true
	}
	return m
}()

func TestPasswordNeverInLogsOrErrors(t *testing.T) {
	l := hotspotLab(t)
	var logs testtool.LogBuffer
	coll := mikrotik.New(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		mikrotik.Options{Now: l.clock.Now, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
	t.Cleanup(func() { _ = coll.Close() })
	l.coll = coll

	var errs []string
	scrape := func() {
		if _, err := l.scrape(t); err != nil {
			errs = append(errs, err.Error())
		}
		time.Sleep(3 * time.Millisecond) // past the backoff
	}
	l.configure(config.HotspotUsersAll)
	scrape()
	for _, f := range []sim.Fault{sim.FaultGarbage, sim.FaultFatal, sim.FaultMalformedLength, sim.FaultNone} {
		l.router.SetFault(f)
		scrape()
	}
	wrong := l.target(config.HotspotUsersAll)
	wrong.Password = "wrong-" + testPassword
	coll.Reload(&config.Config{MikroTik: []config.MikroTikTarget{wrong}})
	scrape()
	scrape()

	if len(errs) < 4 {
		t.Fatalf("only %d scrapes failed; the test needs the faults and the wrong password to fail", len(errs))
	}
	for _, e := range errs {
		if strings.Contains(e, testPassword) {
			t.Errorf("error reveals the password: %s", e)
		}
	}
	if strings.Contains(logs.String(), testPassword) {
		t.Errorf("log reveals the password:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "invalid user name or password") {
		t.Errorf("the log does not say the login was refused:\n%s", logs.String())
	}
}

// waitForLogouts waits until the router has logged want API logouts: the collector closed
// that many sessions.
func waitForLogouts(t *testing.T, r *sim.Router, want int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		got := 0
		for _, e := range r.Log() {
			if strings.Contains(e.Message, "logged out from") && strings.HasSuffix(e.Message, "via api") {
				got++
			}
		}
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("router logged %d API logouts, want %d", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestScrapeUnusableCAFileIsConfig(t *testing.T) {
	l := hotspotLab(t)
	target := l.target(config.HotspotUsersAll)
	target.TLS = &config.TLSConfig{CAFile: t.TempDir() + "/missing-ca.pem"}
	l.coll.Reload(&config.Config{MikroTik: []config.MikroTikTarget{target}})
	_, err := l.scrape(t)
	if reason := collector.Classify(context.Background(), err); reason != collector.ReasonConfig {
		t.Errorf("reason %q (%v), want config", reason, err)
	}
	if got := l.router.Logins(); got != 0 {
		t.Errorf("the collector logged in %d times without its TLS settings", got)
	}
}
