package routeros

// Power events. They are what ronda-restore exists for: an abrupt power loss throws away the
// uptime of every session in progress, a clean reboot does not.

// PowerOff cuts the power: every session in progress is lost without adding its uptime,
// every API connection drops, and new connections are closed at once until PowerOn.
func (r *Router) PowerOff() {
	r.mu.Lock()
	if !r.powered {
		r.mu.Unlock()
		return
	}
	r.nowLocked() // sessions that had already reached their limit ended before the cut
	r.powered = false
	r.abruptStop = true
	clear(r.sessions)
	r.sessions = r.sessions[:0]
	conns := r.takeConnsLocked()
	r.mu.Unlock()
	closeConns(conns)
}

// PowerOn boots the router: boot time becomes the clock's time and the log starts empty,
// holding "router was rebooted without proper shutdown" when the last stop was PowerOff.
func (r *Router) PowerOn() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.powered {
		return
	}
	r.bootLocked()
}

func (r *Router) bootLocked() {
	now := r.clock.Now()
	r.powered = true
	r.bootTime = now
	r.bootEpoch++
	// The default log action keeps entries in memory only, so a boot starts an empty log.
	r.log = nil
	r.logDropped = 0
	if r.abruptStop {
		r.logLocked(now, "system,error,critical", "router was rebooted without proper shutdown")
	}
	r.abruptStop = false
}

// PowerLoss is PowerOff followed at once by PowerOn.
func (r *Router) PowerLoss() {
	r.PowerOff()
	r.PowerOn()
}

// Reboot restarts the router cleanly: every session is logged out properly (its uptime is
// saved), connections drop, and boot time becomes the clock's time. A powered-off router is
// simply powered on.
func (r *Router) Reboot() {
	r.mu.Lock()
	if !r.powered {
		r.bootLocked()
		r.mu.Unlock()
		return
	}
	now := r.nowLocked()
	r.logoutLocked(now, func(*sessionState) bool { return true }, "router reboot")
	conns := r.takeConnsLocked()
	r.bootLocked()
	r.mu.Unlock()
	closeConns(conns)
}

// takeConnsLocked empties the connection set and returns what it held, to be closed once
// r.mu is released.
func (r *Router) takeConnsLocked() []*conn {
	out := make([]*conn, 0, len(r.conns))
	for c := range r.conns {
		out = append(out, c)
		delete(r.conns, c)
	}
	return out
}

func closeConns(conns []*conn) {
	for _, c := range conns {
		c.close()
	}
}
