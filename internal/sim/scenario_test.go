package sim

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rondanet/ronda/internal/sim/routeros"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestValidScenario(t *testing.T) {
	s, err := LoadScenario("testdata/scenarios/valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Routers) != 2 {
		t.Fatalf("%d routers", len(s.Routers))
	}
	r1 := s.Routers[0]
	if r1.API.Password != "p@ss: word" || !r1.LegacyLogin || !r1.EmptyReply || time.Duration(r1.Uptime) != 26*time.Hour {
		t.Errorf("router fields %+v", r1)
	}
	alice := r1.Users[0]
	want := UserSpec{
		Name: "alice", Password: "a", Profile: "1jam", Server: "hotspot1", MACAddress: "02:00:00:00:00:01",
		LimitUptime: Duration(time.Hour), Uptime: Duration(30 * time.Minute), Comment: "vc-123-11.24.26-",
		Online: true, Address: "10.5.50.200",
	}
	if alice != want {
		t.Errorf("alice\n got %+v\nwant %+v", alice, want)
	}
	if g := r1.Users[3].Generate; g == nil || g.Count != 20 || g.VoucherPrefix != "vc" || time.Duration(g.LimitUptime) != 3*time.Hour {
		t.Errorf("generate %+v", g)
	}
}

func TestInvalidScenarios(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"unknown-key", `line 6: unknown key "limit-uptime" in a user (known keys: name, password, profile, server, mac_address, limit_uptime, uptime, comment, disabled, online, address, generate)`},
		{"bad-duration", `line 5: invalid duration "soon" (use 1h30m, 1d, 1w2d3h4m5s)`},
		{"duplicate-router", `line 3: routers[1]: router name "r1" is used twice`},
		{"duplicate-listen", `line 3: routers[1] (r2): listen 127.0.0.1:8728 is already used by router r1`},
		{"user-and-generate", `line 6: router r1: users[1]: an entry is either a user or a generate block, not both`},
		{"bad-ratio", `line 5: router r1: users[0]: generate.online_ratio must be between 0 and 1`},
		{"over-limit", `line 5: router r1: users[0] (a): uptime is above limit_uptime`},
		{"no-routers", `no routers: list at least one under routers`},
		{"not-yaml", `line 1: did not find expected '-' indicator`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/scenarios/" + tt.file + ".yml"
			_, err := LoadScenario(path)
			want := "scenario " + path + ": " + tt.want
			if err == nil || err.Error() != want {
				t.Fatalf("error\n got %v\nwant %s", err, want)
			}
		})
	}
	if _, err := LoadScenario("testdata/scenarios/missing.yml"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ParseScenario(strings.NewReader("")); err == nil || err.Error() != "the file is empty: it needs a routers list" {
		t.Errorf("empty file: %v", err)
	}
}

func TestDemoScenario(t *testing.T) {
	example, err := os.ReadFile("../../examples/sim-scenario.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(example, DemoScenario) {
		t.Error("examples/sim-scenario.yml differs from the built-in internal/sim/scenarios/demo.yml")
	}
	s, err := LoadScenario("")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rs := range s.Routers {
		got = append(got, rs.Name+"@"+rs.Listen)
		if rs.API.Username != "ronda" || rs.API.Password != "demo-password" {
			t.Errorf("%s: api account %+v", rs.Name, rs.API)
		}
	}
	if want := []string{"hotspot-pasar@127.0.0.1:18728", "hotspot-masjid@127.0.0.1:18729"}; !slices.Equal(got, want) {
		t.Fatalf("routers %v, want %v (examples/ronda.yml points there)", got, want)
	}

	// Each demo hotspot is realistic: 30-60 users, limited and unlimited, vouchers, an
	// expired voucher, a disabled user, some online.
	clock := routeros.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	for _, rs := range s.Routers {
		r, err := newRouter(rs, clock, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		users := r.Users()
		var limited, unlimited, vouchers, expired, disabled int
		for _, u := range users {
			switch {
			case u.LimitUptime == time.Second:
				expired++
			case u.LimitUptime > 0:
				limited++
			default:
				unlimited++
			}
			if strings.HasPrefix(u.Comment, "vc-") {
				vouchers++
			}
			if u.Disabled {
				disabled++
			}
		}
		active := len(r.Active())
		if len(users) < 30 || len(users) > 60 || limited == 0 || unlimited == 0 || vouchers < 5 || expired != 1 || disabled != 1 || active < 3 {
			t.Errorf("%s: %d users, %d limited, %d unlimited, %d vouchers, %d expired, %d disabled, %d online",
				rs.Name, len(users), limited, unlimited, vouchers, expired, disabled, active)
		}
		if !r.BootTime().Equal(clock.Now().Add(-time.Duration(rs.Uptime))) {
			t.Errorf("%s: boot time %v", rs.Name, r.BootTime())
		}
	}
}

func TestGeneratedUsersAreDeterministic(t *testing.T) {
	s, err := LoadScenario("testdata/scenarios/valid.yml")
	if err != nil {
		t.Fatal(err)
	}
	build := func() ([]routeros.User, int) {
		clock := routeros.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		r, err := newRouter(s.Routers[0], clock, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		return r.Users(), len(r.Active())
	}
	a, activeA := build()
	b, activeB := build()
	if !slices.Equal(a, b) || activeA != activeB {
		t.Fatal("the same scenario gave different users")
	}
	// 3 explicit + 20 vouchers + 4 members; alice and 5 vouchers (a quarter) online.
	if len(a) != 27 || activeA != 6 {
		t.Fatalf("%d users, %d online", len(a), activeA)
	}
	var limited int
	for _, u := range a[3:23] {
		if !strings.HasPrefix(u.Name, "vc") || u.Password != u.Name || !strings.HasPrefix(u.Comment, "vc-") || u.Profile != "3jam" {
			t.Errorf("voucher %+v", u)
		}
		if u.LimitUptime == 3*time.Hour {
			limited++
		}
		if u.LimitUptime > 0 && u.Uptime >= u.LimitUptime {
			t.Errorf("voucher %s starts at its limit", u.Name)
		}
	}
	if limited != 10 {
		t.Errorf("%d of 20 vouchers limited, want 10 (limited_ratio 0.5)", limited)
	}
	if got := []string{a[23].Name, a[26].Name}; !slices.Equal(got, []string{"warga001", "warga004"}) {
		t.Errorf("member names %v", got)
	}
}
