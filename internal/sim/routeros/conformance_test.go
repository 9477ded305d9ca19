package routeros

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-routeros/routeros/v3/proto"
)

// These tests check the simulator against the real client library, go-routeros v3.0.1.

func seedUsers(t *testing.T, r *Router) {
	t.Helper()
	for _, u := range []User{
		{Name: "alice", Password: "a1", LimitUptime: 2 * time.Hour, Uptime: 30 * time.Minute, Comment: "vc-123-11.24.26-", Profile: "1jam", BytesIn: 1000, BytesOut: 9000},
		{Name: "bob", Password: "b2", Uptime: 5*time.Hour + 3*time.Second},
		{Name: "carol", LimitUptime: time.Hour, Disabled: true, MACAddress: "AA:BB:CC:00:11:22"},
		{Name: "dave", LimitUptime: time.Second, Uptime: time.Second, Comment: "vc-456-11.24.26-"},
	} {
		if err := r.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
}

func names(re []*proto.Sentence) []string {
	var out []string
	for _, s := range re {
		out = append(out, s.Map["name"])
	}
	return out
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name       string
		legacy     bool
		user, pass string
		wantErr    string
	}{
		{name: "plain", user: "ronda", pass: "s3cret"},
		{name: "plain wrong password", user: "ronda", pass: "nope", wantErr: "from RouterOS device: invalid user name or password (6)"},
		{name: "plain wrong user", user: "admin", pass: "s3cret", wantErr: "from RouterOS device: invalid user name or password (6)"},
		{name: "legacy challenge", legacy: true, user: "ronda", pass: "s3cret"},
		{name: "legacy wrong password", legacy: true, user: "ronda", pass: "nope", wantErr: "from RouterOS device: invalid user name or password (6)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRouter(t, Options{Username: "ronda", Password: "s3cret", LegacyLogin: tt.legacy})
			c := newClient(t, r)
			err := c.Login(tt.user, tt.pass)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("login error %v, want %q", err, tt.wantErr)
				}
				if r.Logins() != 0 {
					t.Fatalf("Logins() = %d after a failed login", r.Logins())
				}
				// The connection stays usable: a retry with the right password works.
				if err := c.Login("ronda", "s3cret"); err != nil {
					t.Fatalf("retry: %v", err)
				}
			} else if err != nil {
				t.Fatalf("login: %v", err)
			}
			if r.Logins() != 1 {
				t.Fatalf("Logins() = %d, want 1", r.Logins())
			}
			reply, err := c.Run("/system/identity/print")
			if err != nil || reply.Re[0].Map["name"] != "MikroTik" {
				t.Fatalf("identity after login: %v %v", reply, err)
			}
			if !slices.ContainsFunc(r.Log(), func(e LogEntry) bool {
				return strings.HasPrefix(e.Message, "user ronda logged in from 127.0.0.1 via api")
			}) {
				t.Errorf("no API login line in %v", r.Log())
			}
		})
	}
}

func TestLegacyLoginChallengeFormat(t *testing.T) {
	r := startRouter(t, Options{LegacyLogin: true, Password: "pw"})
	rc := newRawConn(t, r)
	rc.send("/login")
	reply := rc.readReply()
	if len(reply) != 1 || len(reply[0]) != 2 || !strings.HasPrefix(reply[0][1], "=ret=") || len(reply[0][1]) != len("=ret=")+32 {
		t.Fatalf("challenge reply %q, want !done =ret=<32 hex digits>", reply)
	}
}

func TestCommandBeforeLoginIsFatal(t *testing.T) {
	r := startRouter(t, Options{})
	rc := newRawConn(t, r)
	rc.send("/ip/hotspot/user/print")
	if got := rc.read(); !slices.Equal(got, []string{"!fatal", "not logged in"}) {
		t.Fatalf("got %q, want !fatal + reason word", got)
	}
	rc.expectClosed()
}

func TestQuit(t *testing.T) {
	r := startRouter(t, Options{})
	rc := newRawConn(t, r)
	rc.login(r)
	rc.send("/quit")
	if got := rc.read(); !slices.Equal(got, []string{"!fatal", "session terminated on request"}) {
		t.Fatalf("got %q", got)
	}
	rc.expectClosed()
}

func TestPrintUsers(t *testing.T) {
	r := startRouter(t, Options{})
	seedUsers(t, r)
	c := login(t, r)

	reply, err := c.Run("/ip/hotspot/user/print")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(reply.Re); !slices.Equal(got, []string{"alice", "bob", "carol", "dave"}) {
		t.Fatalf("users %v", got)
	}
	want := []proto.Pair{
		{Key: ".id", Value: "*1"}, {Key: "name", Value: "alice"}, {Key: "password", Value: "a1"},
		{Key: "profile", Value: "1jam"}, {Key: "server", Value: "all"}, {Key: "limit-uptime", Value: "2h"},
		{Key: "uptime", Value: "30m"}, {Key: "bytes-in", Value: "1000"}, {Key: "bytes-out", Value: "9000"},
		{Key: "packets-in", Value: "1"}, {Key: "packets-out", Value: "10"}, {Key: "comment", Value: "vc-123-11.24.26-"},
		{Key: "disabled", Value: "false"},
	}
	if !slices.Equal(reply.Re[0].List, want) {
		t.Errorf("alice:\n got %v\nwant %v", reply.Re[0].List, want)
	}
	bob := reply.Re[1].Map
	if _, ok := bob["limit-uptime"]; ok {
		t.Errorf("unlimited user has limit-uptime %q", bob["limit-uptime"])
	}
	if bob["profile"] != "default" || bob["uptime"] != "5h3s" || bob["comment"] != "" {
		t.Errorf("bob %v", bob)
	}
	if m := reply.Re[2].Map; m["disabled"] != "true" || m["mac-address"] != "AA:BB:CC:00:11:22" {
		t.Errorf("carol %v", m)
	}
}

func TestProplistLimitsAndOrdersFields(t *testing.T) {
	r := startRouter(t, Options{})
	seedUsers(t, r)
	c := login(t, r)
	reply, err := c.Run("/ip/hotspot/user/print", "=.proplist=uptime,name,limit-uptime,no-such-field")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]proto.Pair{
		{{Key: "uptime", Value: "30m"}, {Key: "name", Value: "alice"}, {Key: "limit-uptime", Value: "2h"}},
		{{Key: "uptime", Value: "5h3s"}, {Key: "name", Value: "bob"}},
		{{Key: "uptime", Value: "0s"}, {Key: "name", Value: "carol"}, {Key: "limit-uptime", Value: "1h"}},
		{{Key: "uptime", Value: "1s"}, {Key: "name", Value: "dave"}, {Key: "limit-uptime", Value: "1s"}},
	}
	for i, w := range want {
		if !slices.Equal(reply.Re[i].List, w) {
			t.Errorf("row %d: got %v, want %v", i, reply.Re[i].List, w)
		}
	}
}

func TestCountOnly(t *testing.T) {
	r := startRouter(t, Options{})
	seedUsers(t, r)
	c := login(t, r)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "4"},
		{[]string{"?limit-uptime"}, "3"},
		{[]string{"?name=nobody"}, "0"},
	} {
		reply, err := c.Run(append([]string{"/ip/hotspot/user/print", "=count-only="}, tt.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if len(reply.Re) != 0 || reply.Done.Map["ret"] != tt.want {
			t.Errorf("%v: %d !re, ret=%q, want ret=%s", tt.args, len(reply.Re), reply.Done.Map["ret"], tt.want)
		}
	}
}

func TestQueries(t *testing.T) {
	r := startRouter(t, Options{})
	seedUsers(t, r)
	c := login(t, r)
	tests := []struct {
		name    string
		queries []string
		want    []string
	}{
		{"equals", []string{"?name=bob"}, []string{"bob"}},
		{"equals bool", []string{"?disabled=true"}, []string{"carol"}},
		{"equals id", []string{"?.id=*3"}, []string{"carol"}},
		{"has", []string{"?comment"}, []string{"alice", "dave"}},
		{"has not", []string{"?-limit-uptime"}, []string{"bob"}},
		{"less duration", []string{"?<uptime=1h"}, []string{"alice", "carol", "dave"}},
		{"greater duration", []string{"?>limit-uptime=30m"}, []string{"alice", "carol"}},
		{"greater number", []string{"?>bytes-in=999"}, []string{"alice"}},
		{"less string", []string{"?<name=c"}, []string{"alice", "bob"}},
		{"consecutive queries are anded", []string{"?limit-uptime", "?disabled=false"}, []string{"alice", "dave"}},
		{"or", []string{"?name=alice", "?name=dave", "?#|"}, []string{"alice", "dave"}},
		{"not", []string{"?comment", "?#!"}, []string{"bob", "carol"}},
		{"and", []string{"?comment", "?<uptime=10m", "?#&"}, []string{"dave"}},
		{"nor", []string{"?name=alice", "?name=dave", "?#|!"}, []string{"bob", "carol"}},
		{"dot is a no-op", []string{"?name=bob", "?#."}, []string{"bob"}},
		{"index pushes a copy", []string{"?name=bob", "?name=carol", "?#1.|"}, []string{"bob"}},
		{"index at end replaces the stack", []string{"?name=bob", "?name=nobody", "?#1"}, []string{"bob"}},
		{"no match", []string{"?name=nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := c.Run(append([]string{"/ip/hotspot/user/print", "=.proplist=name"}, tt.queries...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(reply.Re); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBadQueryIsTrapped(t *testing.T) {
	r := startRouter(t, Options{})
	c := login(t, r)
	for _, q := range []string{"?#|", "?#!", "?#x", "?-"} {
		_, err := c.Run("/ip/hotspot/user/print", "?name=a", q)
		if q == "?#!" {
			// One value on the stack: ! is valid there.
			if err != nil {
				t.Errorf("%s: %v", q, err)
			}
			continue
		}
		if err == nil || deviceError(t, err).Sentence.Map["message"] != "invalid query" {
			t.Errorf("%s: error %v, want invalid query", q, err)
		}
	}
}

func TestTagIsEchoedOnEverySentence(t *testing.T) {
	r := startRouter(t, Options{EmptyReply: true})
	seedUsers(t, r)
	rc := newRawConn(t, r)
	rc.login(r)
	tests := []struct {
		words []string
		kinds []string
	}{
		{[]string{"/ip/hotspot/user/print", "?limit-uptime", "=.proplist=name", ".tag=t1"}, []string{"!re", "!re", "!re", "!done"}},
		{[]string{"/ip/hotspot/active/print", ".tag=t2"}, []string{"!empty", "!done"}},
		{[]string{"/nope", ".tag=t3"}, []string{"!trap", "!done"}},
	}
	for _, tt := range tests {
		tag := tt.words[len(tt.words)-1]
		rc.send(tt.words...)
		reply := rc.readReply()
		var kinds []string
		for _, s := range reply {
			kinds = append(kinds, s[0])
			if s[len(s)-1] != tag {
				t.Errorf("%v: sentence %q does not end with %s", tt.words[0], s, tag)
			}
		}
		if !slices.Equal(kinds, tt.kinds) {
			t.Errorf("%v: reply %q", tt.words[0], reply)
		}
	}
	// go-routeros reads the tag too.
	c := login(t, r)
	reply, err := c.Run("/system/identity/print", ".tag=via-client")
	if err != nil || reply.Re[0].Tag != "via-client" || reply.Done.Tag != "via-client" {
		t.Fatalf("%v %v", reply, err)
	}
}

func TestEmptyReply(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("empty-reply=", on), func(t *testing.T) {
			r := startRouter(t, Options{})
			r.SetEmptyReply(on)
			seedUsers(t, r)
			rc := newRawConn(t, r)
			rc.login(r)
			rc.send("/ip/hotspot/active/print")
			reply := rc.readReply()
			want := [][]string{{"!done"}}
			if on {
				want = [][]string{{"!empty"}, {"!done"}}
			}
			if !slices.EqualFunc(reply, want, slices.Equal) {
				t.Fatalf("reply %q, want %q", reply, want)
			}
			// A print that returns items never carries !empty.
			rc.send("/ip/hotspot/user/print", "?name=bob", "=.proplist=name")
			if reply := rc.readReply(); len(reply) != 2 || reply[0][0] != "!re" {
				t.Fatalf("reply %q", reply)
			}
			// go-routeros v3.0.1 understands !empty.
			c := login(t, r)
			got, err := c.Run("/ip/hotspot/active/print")
			if err != nil || len(got.Re) != 0 || got.Done == nil {
				t.Fatalf("client: %v %v", got, err)
			}
		})
	}
}

func TestTraps(t *testing.T) {
	r := startRouter(t, Options{})
	seedUsers(t, r)
	c := login(t, r)
	tests := []struct {
		words    []string
		category string // "" = no category word
		message  string
	}{
		{[]string{"/interface/print"}, "0", "no such command prefix"},
		{[]string{"/ip/hotspot/user/frobnicate"}, "0", "no such command"},
		{[]string{"/ip/hotspot/user/set", "=numbers=bob", "=uptime=0s"}, "", "unknown parameter uptime"},
		{[]string{"/ip/hotspot/user/set", "=numbers=bob", "=bytes-in=0"}, "", "unknown parameter bytes-in"},
		{[]string{"/ip/hotspot/user/set", "=numbers=nobody", "=limit-uptime=1h"}, "", "no such item"},
		{[]string{"/ip/hotspot/user/set", "=limit-uptime=1h"}, "1", "missing value(s) of argument(s) numbers"},
		{[]string{"/ip/hotspot/user/set", "=.id=*2", "=limit-uptime=soon"}, "1", "value of limit-uptime should be time interval"},
		{[]string{"/ip/hotspot/user/print", "=follow="}, "", "unknown parameter follow"},
	}
	for _, tt := range tests {
		_, err := c.Run(tt.words...)
		if err == nil {
			t.Errorf("%v: no error", tt.words)
			continue
		}
		m := deviceError(t, err).Sentence.Map
		if cat, ok := m["category"]; cat != tt.category || ok != (tt.category != "") || m["message"] != tt.message {
			t.Errorf("%v: trap %v, want category %q message %q", tt.words, m, tt.category, tt.message)
		}
	}
	if w := r.Writes(); len(w) != 0 {
		t.Errorf("refused sets wrote %v", w)
	}
	if u, _ := r.User("bob"); u.Uptime != 5*time.Hour+3*time.Second {
		t.Errorf("bob's uptime changed to %v", u.Uptime)
	}
	// The connection survives traps.
	if _, err := c.Run("/system/identity/print"); err != nil {
		t.Fatal(err)
	}
}

func TestUserSetLimitUptime(t *testing.T) {
	r := startRouter(t, Options{Clock: NewManualClock(testTime)})
	seedUsers(t, r)
	c := login(t, r)

	if _, err := c.Run("/ip/hotspot/user/set", "=.id=*1", "=limit-uptime=2h30m"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run("/ip/hotspot/user/set", "=numbers=bob,*3", "=limit-uptime=1d"); err != nil {
		t.Fatal(err)
	}
	reply, err := c.Run("/ip/hotspot/user/print", "=.proplist=name,limit-uptime,uptime,comment")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range reply.Re {
		got[s.Map["name"]] = s.Map["limit-uptime"]
	}
	want := map[string]string{"alice": "2h30m", "bob": "1d", "carol": "1d", "dave": "1s"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s limit-uptime %q, want %q", k, got[k], v)
		}
	}
	if reply.Re[0].Map["comment"] != "vc-123-11.24.26-" || reply.Re[0].Map["uptime"] != "30m" {
		t.Errorf("set touched other fields: %v", reply.Re[0].Map)
	}
	wantWrites := []Write{
		{Time: testTime, User: "alice", Field: "limit-uptime", Old: "2h", New: "2h30m"},
		{Time: testTime, User: "bob", Field: "limit-uptime", Old: "", New: "1d"},
		{Time: testTime, User: "carol", Field: "limit-uptime", Old: "1h", New: "1d"},
	}
	if w := r.Writes(); !slices.Equal(w, wantWrites) {
		t.Errorf("writes %v, want %v", w, wantWrites)
	}
	// limit-uptime=0s removes the limit.
	if _, err := c.Run("/ip/hotspot/user/set", "=numbers=bob", "=limit-uptime=0s"); err != nil {
		t.Fatal(err)
	}
	if u, _ := r.User("bob"); u.LimitUptime != 0 {
		t.Errorf("bob limit %v", u.LimitUptime)
	}
}

func TestSystemPrints(t *testing.T) {
	clock := NewManualClock(testTime)
	r := startRouter(t, Options{Clock: clock, Identity: "hotspot-pasar", CPULoad: 17, FreeMemory: 1000, TotalMemory: 4000})
	clock.Advance(9*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second)
	c := login(t, r)
	reply, err := c.Run("/system/resource/print")
	if err != nil {
		t.Fatal(err)
	}
	m := reply.Re[0].Map
	want := map[string]string{
		"uptime": "1w2d3h4m5s", "version": "7.18.2 (stable)", "board-name": "RB951Ui-2HnD", "cpu-load": "17",
		"free-memory": "1000", "total-memory": "4000", "architecture-name": "mipsbe",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	reply, err = c.Run("/system/identity/print")
	if err != nil || len(reply.Re) != 1 || reply.Re[0].Map["name"] != "hotspot-pasar" {
		t.Fatalf("identity %v %v", reply, err)
	}
}

func TestHostAndProfilePrints(t *testing.T) {
	r := startRouter(t, Options{Clock: NewManualClock(testTime)})
	seedUsers(t, r)
	if _, err := r.Login("alice", "10.5.50.9", ""); err != nil {
		t.Fatal(err)
	}
	c := login(t, r)
	reply, err := c.Run("/ip/hotspot/host/print", "=count-only=")
	if err != nil || reply.Done.Map["ret"] != "1" {
		t.Fatalf("host count %v %v", reply, err)
	}
	reply, err = c.Run("/ip/hotspot/host/print", "=.proplist=address,authorized")
	if err != nil || len(reply.Re) != 1 || reply.Re[0].Map["address"] != "10.5.50.9" || reply.Re[0].Map["authorized"] != "true" {
		t.Fatalf("hosts %v %v", reply, err)
	}
	reply, err = c.Run("/ip/hotspot/user/profile/print", "=.proplist=name,default")
	if err != nil || !slices.Equal(names(reply.Re), []string{"default", "1jam"}) || reply.Re[0].Map["default"] != "true" {
		t.Fatalf("profiles %v %v", reply, err)
	}
}

// TestWordLengthsThroughTheClient sends and receives words whose length prefixes take
// 1, 2, 3 and 4 bytes (the 5-byte form is tested on the codec: it needs 256 MiB words).
func TestWordLengthsThroughTheClient(t *testing.T) {
	r := startRouter(t, Options{})
	if err := r.AddUser(User{Name: "u"}); err != nil {
		t.Fatal(err)
	}
	c := login(t, r)
	for _, n := range []int{1, 0x7F - len("=comment="), 200, 0x3FFF - len("=comment="), 20_000, 0x1FFFFF - len("=comment="), 3 << 20} {
		comment := strings.Repeat(string(rune('a'+n%26)), n)
		if _, err := c.Run("/ip/hotspot/user/set", "=numbers=u", "=comment="+comment); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		reply, err := c.Run("/ip/hotspot/user/print", "=.proplist=comment")
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if got := reply.Re[0].Map["comment"]; got != comment {
			t.Fatalf("%d bytes: comment came back with %d bytes", n, len(got))
		}
	}
}
