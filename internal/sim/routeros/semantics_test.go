package routeros

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests drive time with a ManualClock and check the hotspot behaves like RouterOS:
// uptime is stored only when a session ends, and an abrupt power loss throws it away.

func newClockedRouter(t *testing.T) (*Router, *ManualClock) {
	t.Helper()
	clock := NewManualClock(testTime)
	r := startRouter(t, Options{Clock: clock})
	seedUsers(t, r)
	return r, clock
}

func mustUser(t *testing.T, r *Router, name string) User {
	t.Helper()
	u, ok := r.User(name)
	if !ok {
		t.Fatalf("no user %s", name)
	}
	return u
}

func TestSessionUptimeGrowsWithTheClock(t *testing.T) {
	r, clock := newClockedRouter(t)
	if _, err := r.Login("alice", "", ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10*time.Minute + 500*time.Millisecond)
	c := login(t, r)
	reply, err := c.Run("/ip/hotspot/active/print", "=.proplist=user,uptime,session-time-left")
	if err != nil {
		t.Fatal(err)
	}
	m := reply.Re[0].Map
	// alice: limit 2h, stored 30m, online 10m → 1h20m left. Whole seconds only.
	if m["user"] != "alice" || m["uptime"] != "10m" || m["session-time-left"] != "1h20m" {
		t.Fatalf("active %v", m)
	}
	if got := mustUser(t, r, "alice").Uptime; got != 30*time.Minute {
		t.Fatalf("stored uptime changed during the session: %v", got)
	}
	if err := r.Logout("alice"); err != nil {
		t.Fatal(err)
	}
	if got := mustUser(t, r, "alice").Uptime; got != 40*time.Minute {
		t.Fatalf("stored uptime after logout %v, want 40m", got)
	}
	if len(r.Active()) != 0 {
		t.Fatal("session still active")
	}
}

func TestUnlimitedSessionHasNoTimeLeft(t *testing.T) {
	r, clock := newClockedRouter(t)
	if _, err := r.Login("bob", "10.5.50.77", "02:00:00:00:00:01"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	c := login(t, r)
	reply, err := c.Run("/ip/hotspot/active/print")
	if err != nil {
		t.Fatal(err)
	}
	m := reply.Re[0].Map
	if _, ok := m["session-time-left"]; ok {
		t.Errorf("unlimited user has session-time-left %q", m["session-time-left"])
	}
	if m["address"] != "10.5.50.77" || m["mac-address"] != "02:00:00:00:00:01" || m["uptime"] != "1h" || m[".id"] != "*1" {
		t.Errorf("active %v", m)
	}
	if m["bytes-out"] == "0" {
		t.Errorf("traffic does not move: %v", m)
	}
}

func TestSessionEndsAtTheLimit(t *testing.T) {
	r, clock := newClockedRouter(t)
	if _, err := r.Login("alice", "", ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Hour) // the limit (2h, 30m used) is reached after 1h30m
	if a := r.Active(); len(a) != 0 {
		t.Fatalf("session still active: %v", a)
	}
	if got := mustUser(t, r, "alice").Uptime; got != 2*time.Hour {
		t.Fatalf("uptime %v, want capped at the 2h limit", got)
	}
	log := r.Log()
	last := log[len(log)-1]
	if !strings.Contains(last.Message, "alice") || !strings.Contains(last.Message, "uptime limit reached") || !last.Time.Equal(testTime.Add(90*time.Minute)) {
		t.Errorf("last log entry %+v", last)
	}
	if _, err := r.Login("alice", "", ""); !errors.Is(err, ErrLimitReached) {
		t.Fatalf("login after the limit: %v", err)
	}
}

func TestLoginRefusals(t *testing.T) {
	r, _ := newClockedRouter(t)
	if _, err := r.Login("bob", "", ""); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		user string
		want error
	}{
		{"nobody", ErrNoSuchUser},
		{"carol", ErrUserDisabled},
		{"dave", ErrLimitReached},
		{"bob", ErrAlreadyOnline},
	} {
		if _, err := r.Login(tt.user, "", ""); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.user, err, tt.want)
		}
	}
}

func TestPowerLossLosesSessionTime(t *testing.T) {
	r, clock := newClockedRouter(t)
	for _, u := range []string{"alice", "bob"} {
		if _, err := r.Login(u, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	c := login(t, r)
	clock.Advance(20 * time.Minute)
	r.PowerLoss()

	// The client's connection is gone.
	if _, err := c.Run("/system/identity/print"); err == nil {
		t.Fatal("command on a connection that survived a power loss")
	}
	if a := r.Active(); len(a) != 0 {
		t.Fatalf("sessions survived: %v", a)
	}
	if got := mustUser(t, r, "alice").Uptime; got != 30*time.Minute {
		t.Errorf("alice uptime %v: the 20m session should be lost", got)
	}
	if got := mustUser(t, r, "bob").Uptime; got != 5*time.Hour+3*time.Second {
		t.Errorf("bob uptime %v", got)
	}
	now := testTime.Add(20 * time.Minute)
	if !r.BootTime().Equal(now) {
		t.Errorf("boot time %v, want %v", r.BootTime(), now)
	}
	wantLog := []LogEntry{{Time: now, Topics: "system,error,critical", Message: "router was rebooted without proper shutdown"}}
	if got := r.Log(); !slices.Equal(got, wantLog) {
		t.Errorf("log after boot %v", got)
	}
	// The router serves again, with a fresh uptime.
	clock.Advance(5 * time.Second)
	c2 := login(t, r)
	reply, err := c2.Run("/system/resource/print", "=.proplist=uptime")
	if err != nil || reply.Re[0].Map["uptime"] != "5s" {
		t.Fatalf("uptime after boot %v %v", reply, err)
	}
	reply, err = c2.Run("/log/print", "?topics=system,error,critical")
	if err != nil || len(reply.Re) != 1 || reply.Re[0].Map["message"] != "router was rebooted without proper shutdown" || reply.Re[0].Map["time"] != "2025-03-01 08:20:00" {
		t.Fatalf("log print %v %v", reply, err)
	}
}

func TestPowerOffRefusesConnections(t *testing.T) {
	r, _ := newClockedRouter(t)
	r.PowerOff()
	if _, err := r.Login("bob", "", ""); !errors.Is(err, ErrPoweredOff) {
		t.Fatalf("hotspot login while off: %v", err)
	}
	rc := newRawConn(t, r)
	rc.send("/login", "=name=admin", "=password=")
	rc.expectClosed()
	r.PowerOn()
	login(t, r)
}

func TestRebootSavesSessionTime(t *testing.T) {
	r, clock := newClockedRouter(t)
	if _, err := r.Login("alice", "", ""); err != nil {
		t.Fatal(err)
	}
	c := login(t, r)
	clock.Advance(20 * time.Minute)
	r.Reboot()
	if _, err := c.Run("/system/identity/print"); err == nil {
		t.Fatal("connection survived a reboot")
	}
	if got := mustUser(t, r, "alice").Uptime; got != 50*time.Minute {
		t.Errorf("alice uptime %v, want 30m + 20m", got)
	}
	if !r.BootTime().Equal(testTime.Add(20 * time.Minute)) {
		t.Errorf("boot time %v", r.BootTime())
	}
	for _, e := range r.Log() {
		if strings.Contains(e.Message, "without proper shutdown") {
			t.Errorf("clean reboot logged %q", e.Message)
		}
	}
}

func TestLoweringTheLimitEndsTheSession(t *testing.T) {
	r, clock := newClockedRouter(t)
	if _, err := r.Login("alice", "", ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	c := login(t, r)
	if _, err := c.Run("/ip/hotspot/user/set", "=numbers=alice", "=limit-uptime=35m"); err != nil {
		t.Fatal(err)
	}
	if len(r.Active()) != 0 {
		t.Fatal("session outlived its new limit")
	}
	if got := mustUser(t, r, "alice").Uptime; got != 35*time.Minute {
		t.Fatalf("uptime %v", got)
	}
}

func TestActiveRemoveLogsOut(t *testing.T) {
	r, clock := newClockedRouter(t)
	s, err := r.Login("bob", "", "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	c := login(t, r)
	if _, err := c.Run("/ip/hotspot/active/remove", "=.id="+s.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustUser(t, r, "bob").Uptime; got != 5*time.Hour+time.Minute+3*time.Second {
		t.Fatalf("uptime %v", got)
	}
}

func TestUserManagement(t *testing.T) {
	r, _ := newClockedRouter(t)
	if err := r.AddUser(User{Name: "alice"}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("duplicate add: %v", err)
	}
	if err := r.SetUser(User{Name: "alice", Comment: "x"}); err != nil {
		t.Fatal(err)
	}
	if u := mustUser(t, r, "alice"); u.Comment != "x" || u.Profile != "default" {
		t.Fatalf("after SetUser %+v", u)
	}
	if err := r.DeleteUser("bob"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range r.Users() {
		got = append(got, u.Name)
	}
	if !slices.Equal(got, []string{"alice", "carol", "dave"}) {
		t.Fatalf("users %v", got)
	}
	if err := r.DeleteUser("bob"); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("second delete: %v", err)
	}
	// ids are never reused
	if err := r.AddUser(User{Name: "erin"}); err != nil {
		t.Fatal(err)
	}
	c := login(t, r)
	reply, err := c.Run("/ip/hotspot/user/print", "?name=erin", "=.proplist=.id")
	if err != nil || reply.Re[0].Map[".id"] != "*5" {
		t.Fatalf("erin %v %v", reply, err)
	}
}

func TestAPILoginsAreCounted(t *testing.T) {
	r, _ := newClockedRouter(t)
	c := login(t, r)
	for range 5 {
		if _, err := c.Run("/ip/hotspot/user/print", "=count-only="); err != nil {
			t.Fatal(err)
		}
	}
	if r.Logins() != 1 {
		t.Fatalf("Logins() = %d", r.Logins())
	}
	login(t, r)
	if r.Logins() != 2 {
		t.Fatalf("Logins() = %d", r.Logins())
	}
}
