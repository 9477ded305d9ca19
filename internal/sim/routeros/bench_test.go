package routeros

import (
	"bufio"
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkPrint measures the prints a collector scrape makes on a large hotspot:
// 10,000 users, 2,000 of them online.
func BenchmarkPrint(b *testing.B) {
	clock := NewManualClock(testTime)
	r := NewRouter(Options{Clock: clock})
	if err := r.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for i := range 10_000 {
		u := User{Name: fmt.Sprintf("vc%05d", i), Password: "p", Uptime: time.Duration(i) * time.Second, Comment: "vc-123-11.24.26-"}
		if i%5 != 0 {
			u.LimitUptime = 24 * time.Hour
		}
		if err := r.AddUser(u); err != nil {
			b.Fatal(err)
		}
		if i%5 == 1 {
			if _, err := r.Login(u.Name, "", ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	clock.Advance(time.Minute)
	for _, bc := range []struct {
		name  string
		words []string
		want  int
	}{
		{"users", []string{"/ip/hotspot/user/print", "=.proplist=name,uptime,limit-uptime,bytes-in,bytes-out"}, 10_000},
		{"active", []string{"/ip/hotspot/active/print", "=.proplist=user,uptime,session-time-left,bytes-in,bytes-out"}, 2_000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := login(b, r)
			b.ReportAllocs()
			for b.Loop() {
				reply, err := c.Run(bc.words...)
				if err != nil || len(reply.Re) != bc.want {
					b.Fatalf("%v rows, %v", len(reply.Re), err)
				}
			}
		})
	}
}

// BenchmarkEncodeUsers measures the simulator's own cost of a 10,000-user print, without
// the client: it must not allocate per word.
func BenchmarkEncodeUsers(b *testing.B) {
	r := NewRouter(Options{Clock: NewManualClock(testTime)})
	for i := range 10_000 {
		if err := r.AddUser(User{Name: fmt.Sprintf("vc%05d", i), LimitUptime: time.Hour, Uptime: time.Duration(i) * time.Second, Comment: "vc-123-11.24.26-"}); err != nil {
			b.Fatal(err)
		}
	}
	c := &conn{r: r, bw: bufio.NewWriterSize(io.Discard, 64<<10), loggedIn: true}
	words := []string{"/ip/hotspot/user/print"}
	b.ReportAllocs()
	for b.Loop() {
		c.execute(words)
		c.bw.Flush()
	}
}
