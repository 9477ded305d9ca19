package routeros

import (
	"log/slog"
	"time"
)

// User is an entry of /ip/hotspot/user.
type User struct {
	Name, Password, Profile, Server, MACAddress, Comment string
	LimitUptime                                          time.Duration // 0 = unlimited
	Uptime                                               time.Duration // stored uptime: grows only when a session ends
	BytesIn, BytesOut                                    int64
	Disabled                                             bool
	LimitBytesTotal                                      int64 // 0 = unlimited; printed only when set
}

// Session is an entry of /ip/hotspot/active.
type Session struct {
	ID, User, Server, Address, MACAddress, LoginBy string
	LoginAt                                        time.Time
	BytesIn, BytesOut                              int64
}

// LogEntry is an entry of /log.
type LogEntry struct {
	Time    time.Time
	Topics  string
	Message string
}

// Write records one field changed by /ip/hotspot/user/set, so tests can prove what a client
// wrote (and that it wrote nothing else).
type Write struct {
	Time     time.Time
	User     string
	Field    string
	Old, New string
}

// Fault makes the router misbehave on every command, on every connection, until cleared.
type Fault int

// The faults, from none to the worst a router on a bad day does.
const (
	FaultNone            Fault = iota // behave
	FaultStall                        // read commands, never answer until the fault is cleared or the conn closes
	FaultDropMidReply                 // send part of a reply (ending in half a word), then close
	FaultFatal                        // answer !fatal "session terminated on request", then close
	FaultMalformedLength              // answer with a reserved control length byte (>= 0xF8), then close
	FaultGarbage                      // answer with random non-protocol bytes, then close
)

var faultNames = [...]string{"none", "stall", "drop-mid-reply", "fatal", "malformed-length", "garbage"}

// String returns the fault's name as used by ronda-sim (stall, drop-mid-reply, ...).
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "unknown"
}

// ParseFault reads a fault name as printed by Fault.String.
func ParseFault(name string) (Fault, bool) {
	for i, n := range faultNames {
		if n == name {
			return Fault(i), true
		}
	}
	return FaultNone, false
}

// Options configure a Router. The zero value is a working router.
type Options struct {
	Identity, Version, Board string    // defaults "MikroTik", "7.18.2 (stable)", "RB951Ui-2HnD"
	Architecture             string    // default "mipsbe"
	Username, Password       string    // API login; default "admin" with an empty password
	LegacyLogin              bool      // pre-6.43 challenge/response login
	EmptyReply               bool      // RouterOS 7.18+: !empty before !done when a print returns nothing
	AllowShared              bool      // let one user hold several sessions (profile shared-users > 1)
	Clock                    Clock     // default RealClock
	BootTime                 time.Time // default: the clock's time at NewRouter
	CPULoad                  int       // percent; default 3
	FreeMemory, TotalMemory  int64
	Logger                   *slog.Logger // default: discard
}

func (o Options) withDefaults() Options {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.Identity, "MikroTik")
	def(&o.Version, "7.18.2 (stable)")
	def(&o.Board, "RB951Ui-2HnD")
	def(&o.Architecture, "mipsbe")
	def(&o.Username, "admin")
	if o.Clock == nil {
		o.Clock = RealClock
	}
	if o.TotalMemory <= 0 {
		o.TotalMemory = 128 << 20
	}
	if o.FreeMemory <= 0 || o.FreeMemory > o.TotalMemory {
		o.FreeMemory = o.TotalMemory * 3 / 5
	}
	if o.CPULoad <= 0 || o.CPULoad > 100 {
		o.CPULoad = 3 // an idle hotspot router; 0 would look like a broken reading
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
