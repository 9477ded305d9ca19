package routeros

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"sync"
	"time"
)

// Errors returned by the Router's management methods.
var (
	ErrUserExists     = errors.New("user already exists")
	ErrNoSuchUser     = errors.New("no such user")
	ErrUserDisabled   = errors.New("user is disabled")
	ErrLimitReached   = errors.New("uptime limit reached")
	ErrAlreadyOnline  = errors.New("user already has an active session (shared-users=1)")
	ErrNotLoggedIn    = errors.New("user has no active session")
	ErrPoweredOff     = errors.New("router is powered off")
	ErrRouterClosed   = errors.New("router is closed")
	ErrEmptyUserName  = errors.New("user name is empty")
	ErrNegativeUptime = errors.New("uptime and limit-uptime cannot be negative")
)

type userState struct {
	id uint32
	User
}

type sessionState struct {
	id              uint32
	user            string
	server, address string
	mac, loginBy    string
	loginAt         time.Time
	rateIn, rateOut int64 // bytes per second, so counters move in demos
}

// Router is one simulated MikroTik router. All methods are safe for concurrent use.
type Router struct {
	opts  Options
	clock Clock

	mu            sync.Mutex
	users         []*userState // creation order
	byName        map[string]*userState
	nextUserID    uint32
	sessions      []*sessionState // login order
	nextSessionID uint32
	nextAddress   uint32
	bootTime      time.Time
	powered       bool
	abruptStop    bool // the last stop was a PowerOff, so the next boot logs it
	fault         Fault
	faultChanged  chan struct{} // closed and replaced on every SetFault
	emptyReply    bool
	log           []LogEntry
	logDropped    int // entries dropped from the front since boot, so .id values stay stable
	logins        int
	writes        []Write
	bootEpoch     int // counts boots, so a connection of a previous boot logs nothing
	addr          string
	closing       chan struct{} // closed by Close
	listeners     map[net.Listener]struct{}
	conns         map[*conn]struct{}
	closed        bool
	wg            sync.WaitGroup
}

// NewRouter returns a powered-on router with no users. It does not listen until Listen or
// Serve is called.
func NewRouter(opts Options) *Router {
	opts = opts.withDefaults()
	r := &Router{
		opts:          opts,
		clock:         opts.Clock,
		byName:        make(map[string]*userState),
		nextUserID:    1,
		nextSessionID: 1,
		powered:       true,
		faultChanged:  make(chan struct{}),
		emptyReply:    opts.EmptyReply,
		closing:       make(chan struct{}),
		listeners:     make(map[net.Listener]struct{}),
		conns:         make(map[*conn]struct{}),
	}
	r.bootTime = opts.BootTime
	if r.bootTime.IsZero() {
		r.bootTime = r.clock.Now()
	}
	return r
}

// now returns the clock's time with every time-driven change applied up to it.
// The caller holds r.mu.
func (r *Router) nowLocked() time.Time {
	now := r.clock.Now()
	r.expireLocked(now)
	return now
}

// expireLocked logs out the sessions whose user reached limit-uptime, at the moment the
// limit was reached. Evaluating this lazily on every look at the router is what lets a
// ManualClock drive it without a ticker.
func (r *Router) expireLocked(now time.Time) {
	kept := r.sessions[:0]
	for _, s := range r.sessions {
		u := r.byName[s.user]
		if u != nil && u.LimitUptime > 0 {
			left := u.LimitUptime - u.Uptime
			if left <= 0 || now.Sub(s.loginAt) >= left {
				end := s.loginAt.Add(max(left, 0))
				r.endSessionLocked(s, end, "uptime limit reached")
				continue
			}
		}
		kept = append(kept, s)
	}
	clear(r.sessions[len(kept):])
	r.sessions = kept
}

// sessionUptime is how long s has run at now, in the whole seconds RouterOS counts.
func sessionUptime(s *sessionState, now time.Time) time.Duration {
	return max(now.Sub(s.loginAt), 0).Truncate(time.Second)
}

func (s *sessionState) bytesAt(now time.Time) (in, out int64) {
	ms := max(now.Sub(s.loginAt), 0).Milliseconds()
	return s.rateIn * ms / 1000, s.rateOut * ms / 1000
}

// endSessionLocked adds the session's uptime and traffic to its user (uptime capped at the
// user's limit) and logs the logout. It does not remove s from r.sessions.
func (r *Router) endSessionLocked(s *sessionState, end time.Time, reason string) {
	u := r.byName[s.user]
	if u != nil {
		u.Uptime += sessionUptime(s, end)
		if u.LimitUptime > 0 && u.Uptime > u.LimitUptime {
			u.Uptime = u.LimitUptime
		}
		in, out := s.bytesAt(end)
		u.BytesIn += in
		u.BytesOut += out
	}
	r.logLocked(end, "hotspot,info,debug", fmt.Sprintf("%s (%s): logged out: %s", s.user, s.address, reason))
}

// maxLogEntries is RouterOS's default memory-lines for the log.
const maxLogEntries = 1000

func (r *Router) logLocked(t time.Time, topics, message string) {
	if len(r.log) == maxLogEntries {
		r.log = append(r.log[:0], r.log[1:]...)
		r.logDropped++
	}
	r.log = append(r.log, LogEntry{Time: t, Topics: topics, Message: message})
}

func validateUser(u User) error {
	if u.Name == "" {
		return ErrEmptyUserName
	}
	if u.Uptime < 0 || u.LimitUptime < 0 {
		return ErrNegativeUptime
	}
	return nil
}

func normaliseUser(u User) User {
	if u.Profile == "" {
		u.Profile = "default"
	}
	if u.Server == "" {
		u.Server = "all"
	}
	return u
}

// AddUser adds a hotspot user; the name must be new.
func (r *Router) AddUser(u User) error {
	if err := validateUser(u); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byName[u.Name]; ok {
		return fmt.Errorf("%w: %s", ErrUserExists, u.Name)
	}
	st := &userState{id: r.nextUserID, User: normaliseUser(u)}
	r.nextUserID++
	r.users = append(r.users, st)
	r.byName[u.Name] = st
	return nil
}

// SetUser replaces the stored fields of an existing user (its id and sessions stay).
func (r *Router) SetUser(u User) error {
	if err := validateUser(u); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.byName[u.Name]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoSuchUser, u.Name)
	}
	r.nowLocked() // settle sessions under the old limit first
	st.User = normaliseUser(u)
	return nil
}

// DeleteUser removes a user; its sessions end without adding uptime (there is nobody left
// to add it to).
func (r *Router) DeleteUser(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.byName[name]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	now := r.nowLocked()
	kept := r.sessions[:0]
	for _, s := range r.sessions {
		if s.user == name {
			r.logLocked(now, "hotspot,info,debug", fmt.Sprintf("%s (%s): logged out: user removed", s.user, s.address))
			continue
		}
		kept = append(kept, s)
	}
	clear(r.sessions[len(kept):])
	r.sessions = kept
	delete(r.byName, name)
	for i, u := range r.users {
		if u == st {
			r.users = append(r.users[:i], r.users[i+1:]...)
			break
		}
	}
	return nil
}

// User returns a user's stored state.
func (r *Router) User(name string) (User, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nowLocked()
	st, ok := r.byName[name]
	if !ok {
		return User{}, false
	}
	return st.User, true
}

// Users returns every user in creation order.
func (r *Router) Users() []User {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nowLocked()
	out := make([]User, len(r.users))
	for i, st := range r.users {
		out[i] = st.User
	}
	return out
}

// Login starts a hotspot session for user from address and mac (both made up when empty).
func (r *Router) Login(user, address, mac string) (Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.powered {
		return Session{}, ErrPoweredOff
	}
	now := r.nowLocked()
	st, ok := r.byName[user]
	switch {
	case !ok:
		return Session{}, fmt.Errorf("%w: %s", ErrNoSuchUser, user)
	case st.Disabled:
		return Session{}, fmt.Errorf("%w: %s", ErrUserDisabled, user)
	case st.LimitUptime > 0 && st.Uptime >= st.LimitUptime:
		return Session{}, fmt.Errorf("%w: %s", ErrLimitReached, user)
	}
	if !r.opts.AllowShared {
		for _, s := range r.sessions {
			if s.user == user {
				return Session{}, fmt.Errorf("%w: %s", ErrAlreadyOnline, user)
			}
		}
	}
	if address == "" {
		address = r.freeAddressLocked()
	}
	if mac == "" {
		mac = st.MACAddress
	}
	if mac == "" {
		mac = fakeMAC(user, r.nextSessionID)
	}
	h := hashName(user)
	s := &sessionState{
		id: r.nextSessionID, user: user, server: "hotspot1", address: address, mac: mac,
		loginBy: "http-chap", loginAt: now,
		rateIn: 500 + int64(h%1500), rateOut: 5000 + int64(h%20000),
	}
	if st.Server != "all" {
		s.server = st.Server
	}
	r.nextSessionID++
	r.sessions = append(r.sessions, s)
	r.logLocked(now, "hotspot,info,debug", fmt.Sprintf("%s (%s): logged in", user, address))
	return r.sessionLocked(s, now), nil
}

// freeAddressLocked hands out the next address of the hotspot pool (10.5.50.2-254, the
// RouterOS hotspot setup default) that no session holds; with the pool exhausted, addresses
// are reused.
func (r *Router) freeAddressLocked() string {
	used := make(map[string]bool, len(r.sessions))
	for _, s := range r.sessions {
		used[s.address] = true
	}
	var addr string
	for range 253 {
		addr = fmt.Sprintf("10.5.50.%d", 2+r.nextAddress%253)
		r.nextAddress++
		if !used[addr] {
			break
		}
	}
	return addr
}

func hashName(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}

// fakeMAC makes a stable, locally administered MAC address for a user.
func fakeMAC(user string, n uint32) string {
	h := hashName(user) ^ n*2654435761
	return fmt.Sprintf("02:5A:%02X:%02X:%02X:%02X", byte(h>>24), byte(h>>16), byte(h>>8), byte(h))
}

func (r *Router) sessionLocked(s *sessionState, now time.Time) Session {
	in, out := s.bytesAt(now)
	return Session{
		ID: formatID(s.id), User: s.user, Server: s.server, Address: s.address,
		MACAddress: s.mac, LoginBy: s.loginBy, LoginAt: s.loginAt, BytesIn: in, BytesOut: out,
	}
}

// Logout ends every session of user cleanly: the session's uptime is added to the user's
// stored uptime (capped at the limit).
func (r *Router) Logout(user string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.nowLocked()
	if r.logoutLocked(now, func(s *sessionState) bool { return s.user == user }, "user request") == 0 {
		return fmt.Errorf("%w: %s", ErrNotLoggedIn, user)
	}
	return nil
}

// logoutLocked ends the sessions matched by which, cleanly, and returns how many ended.
func (r *Router) logoutLocked(now time.Time, which func(*sessionState) bool, reason string) int {
	n := 0
	kept := r.sessions[:0]
	for _, s := range r.sessions {
		if which(s) {
			r.endSessionLocked(s, now, reason)
			n++
			continue
		}
		kept = append(kept, s)
	}
	clear(r.sessions[len(kept):])
	r.sessions = kept
	return n
}

// Active returns the sessions in progress, in login order.
func (r *Router) Active() []Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.nowLocked()
	out := make([]Session, len(r.sessions))
	for i, s := range r.sessions {
		out[i] = r.sessionLocked(s, now)
	}
	return out
}

// BootTime is when the router last booted; router uptime is the clock's time minus this.
func (r *Router) BootTime() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bootTime
}

// Log returns the router's log (lost at every boot, like the default memory log).
func (r *Router) Log() []LogEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nowLocked()
	return append([]LogEntry(nil), r.log...)
}

// Logins is the number of successful API logins so far.
func (r *Router) Logins() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logins
}

// Writes returns every field changed through /ip/hotspot/user/set, in order.
func (r *Router) Writes() []Write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Write(nil), r.writes...)
}

// SetEmptyReply switches the RouterOS 7.18+ !empty reply on or off.
func (r *Router) SetEmptyReply(on bool) {
	r.mu.Lock()
	r.emptyReply = on
	r.mu.Unlock()
}

// SetFault makes every later command on every connection misbehave (FaultNone clears it).
func (r *Router) SetFault(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f == r.fault {
		return
	}
	r.fault = f
	close(r.faultChanged)
	r.faultChanged = make(chan struct{})
}

// Fault returns the fault currently set.
func (r *Router) Fault() Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fault
}

func (r *Router) faultState() (Fault, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fault, r.faultChanged
}

// Powered reports whether the router is on.
func (r *Router) Powered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.powered
}
