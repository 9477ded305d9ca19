package routeros

import (
	"crypto/md5" //nolint:gosec // the pre-6.43 login is MD5 by definition
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

type handler func(c *conn, req *request, rw *replyWriter) (keepOpen bool)

var commands = map[string]handler{}

func init() {
	commands["/login"] = (*conn).cmdLogin
	commands["/quit"] = (*conn).cmdQuit
	commands["/cancel"] = (*conn).cmdCancel
	commands["/ip/hotspot/user/set"] = (*conn).cmdUserSet
	commands["/ip/hotspot/active/remove"] = (*conn).cmdActiveRemove
	for menu, t := range tables {
		commands[menu+"/print"] = printCommand(t)
		commands[menu+"/getall"] = printCommand(t) // the pre-print name some old clients still use
	}
}

// knownMenu reports whether a command's menu exists, to choose between RouterOS's two
// "unknown command" messages.
func knownMenu(command string) bool {
	i := strings.LastIndexByte(command, '/')
	if i <= 0 {
		return false
	}
	_, ok := tables[command[:i]]
	return ok
}

// handle applies the current fault, then runs one command. It returns false when the
// connection must close.
func (c *conn) handle(words []string) bool {
	fault, ok := c.waitOutStall()
	if !ok {
		return false
	}
	switch fault {
	case FaultFatal:
		c.writeFatal("session terminated on request")
		return false
	case FaultMalformedLength:
		c.writeRaw(malformedLengthReply())
		return false
	case FaultGarbage:
		c.writeRaw(garbageReply())
		return false
	case FaultDropMidReply:
		c.dropMidReply(words)
		return false
	}
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	keep := c.execute(words)
	return c.flush() && keep
}

// execute runs one command, writing its reply into c.bw without flushing.
func (c *conn) execute(words []string) bool {
	req := parseRequest(words)
	rw := &replyWriter{w: c.bw, tag: req.tag}
	if !strings.HasPrefix(req.command, "/") {
		rw.trap(categoryMissingItem, "no such command")
		return true
	}
	if !c.loggedIn && req.command != "/login" && req.command != "/quit" {
		c.r.opts.Logger.Debug("API command before login", "command", req.command, "remote", c.remote)
		rw.tag = ""
		rw.word("!fatal")
		rw.word("not logged in")
		rw.end()
		return false
	}
	h, ok := commands[req.command]
	if !ok {
		msg := "no such command prefix"
		if knownMenu(req.command) {
			msg = "no such command"
		}
		rw.trap(categoryMissingItem, msg)
		return true
	}
	if req.stray != "" {
		rw.trap(noCategory, "unknown parameter "+req.stray)
		return true
	}
	return h(c, &req, rw)
}

func (c *conn) cmdQuit(_ *request, rw *replyWriter) bool {
	rw.tag = ""
	rw.word("!fatal")
	rw.word("session terminated on request")
	rw.end()
	return false
}

// cmdCancel answers /cancel. Commands run one at a time here, so there is never anything
// in flight to cancel.
func (c *conn) cmdCancel(_ *request, rw *replyWriter) bool {
	rw.done()
	return true
}

const badLogin = "invalid user name or password (6)"

func (c *conn) cmdLogin(req *request, rw *replyWriter) bool {
	r := c.r
	name, _ := req.arg("name")
	if r.opts.LegacyLogin {
		response, ok := req.arg("response")
		if !ok {
			// Stage one of the pre-6.43 login: hand out a challenge (any name and password
			// sent along are ignored, which is what lets new clients fall back to it).
			c.challenge = make([]byte, 16)
			rand.Read(c.challenge)
			rw.doneRet(hex.EncodeToString(c.challenge))
			return true
		}
		challenge := c.challenge
		c.challenge = nil
		if challenge == nil || name != r.opts.Username || response != legacyResponse(r.opts.Password, challenge) {
			rw.trap(noCategory, badLogin)
			return true
		}
	} else {
		password, _ := req.arg("password")
		if name != r.opts.Username || password != r.opts.Password {
			rw.trap(noCategory, badLogin)
			return true
		}
	}
	c.loggedIn, c.user = true, name
	r.mu.Lock()
	r.logins++
	r.logLocked(r.clock.Now(), "system,info,account", fmt.Sprintf("user %s logged in from %s via api", name, c.remote))
	r.mu.Unlock()
	rw.done()
	return true
}

// legacyResponse is the pre-6.43 answer to a challenge: "00" then md5(0x00, password, challenge) in hex.
func legacyResponse(password string, challenge []byte) string {
	h := md5.New() //nolint:gosec
	h.Write([]byte{0})
	h.Write([]byte(password))
	h.Write(challenge)
	return "00" + hex.EncodeToString(h.Sum(nil))
}

// printArgs are the print arguments the simulator accepts; the ones that only change
// the console layout are ignored.
var printArgs = map[string]bool{"count-only": true, "detail": true, "without-paging": true, "terse": true, "brief": true, "stats": true}

func printCommand(t *table) handler {
	return func(c *conn, req *request, rw *replyWriter) bool {
		countOnly := false
		for _, a := range req.args {
			if !printArgs[a.name] {
				rw.trap(noCategory, "unknown parameter "+a.name)
				return true
			}
			countOnly = countOnly || a.name == "count-only"
		}
		q, err := compileQuery(req.queries)
		if err != nil {
			rw.trap(categoryArgument, "invalid query")
			return true
		}
		fields := t.fields
		if req.hasProplist {
			fields = req.proplist
		}
		r := c.r
		r.mu.Lock()
		now := r.nowLocked()
		records := t.snapshot(r, now)
		emptyReply := r.emptyReply
		r.mu.Unlock()

		var value []byte
		n := 0
		for _, rec := range records {
			if !q.match(rec) {
				continue
			}
			n++
			if countOnly {
				continue
			}
			rw.word("!re")
			for _, f := range fields {
				var ok bool
				if value, ok = rec.appendField(value[:0], f); ok {
					rw.attr(f, value)
				}
			}
			rw.end()
		}
		switch {
		case countOnly:
			rw.doneRet(fmt.Sprint(n))
			return true
		case n == 0 && emptyReply:
			rw.word("!empty")
			rw.end()
		}
		rw.done()
		return true
	}
}

// itemRefs reads the items a set or remove applies to: =.id=*1A or =numbers=a,b (ids or
// names).
func itemRefs(req *request) ([]string, bool) {
	if id, ok := req.arg(".id"); ok {
		return []string{id}, true
	}
	if nums, ok := req.arg("numbers"); ok {
		return strings.Split(nums, ","), true
	}
	return nil, false
}

func (c *conn) cmdUserSet(req *request, rw *replyWriter) bool {
	refs, ok := itemRefs(req)
	if !ok {
		rw.trap(categoryArgument, "missing value(s) of argument(s) numbers")
		return true
	}
	type change struct{ field, value string }
	var changes []change
	for _, a := range req.args {
		switch a.name {
		case ".id", "numbers":
			continue
		case "limit-uptime":
			if _, err := ParseDuration(a.value); err != nil {
				rw.trap(categoryArgument, "value of limit-uptime should be time interval")
				return true
			}
		case "disabled":
			if _, ok := parseBool(a.value); !ok {
				rw.trap(categoryArgument, "value of disabled should be yes or no")
				return true
			}
		case "comment", "password", "profile":
		default:
			// RouterOS rejects read-only properties (uptime, the counters) exactly like
			// properties it does not know: "unknown parameter <name>", without a category.
			// This is the message real routers give when a client tries to write uptime.
			rw.trap(noCategory, "unknown parameter "+a.name)
			return true
		}
		changes = append(changes, change{a.name, a.value})
	}

	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.nowLocked()
	targets := make([]*userState, 0, len(refs))
	for _, ref := range refs {
		st := r.lookupUserLocked(strings.TrimSpace(ref))
		if st == nil {
			rw.trap(noCategory, "no such item")
			return true
		}
		targets = append(targets, st)
	}
	for _, st := range targets {
		for _, ch := range changes {
			old := userField(&st.User, ch.field)
			applyUserField(&st.User, ch.field, ch.value)
			r.writes = append(r.writes, Write{Time: now, User: st.Name, Field: ch.field, Old: old, New: userField(&st.User, ch.field)})
		}
	}
	rw.done()
	return true
}

func (r *Router) lookupUserLocked(ref string) *userState {
	if id, ok := parseID(ref); ok {
		for _, st := range r.users {
			if st.id == id {
				return st
			}
		}
		return nil
	}
	return r.byName[ref]
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "yes":
		return true, true
	case "false", "no":
		return false, true
	}
	return false, false
}

// userField returns a writable user property as RouterOS prints it ("" when unset).
func userField(u *User, field string) string {
	switch field {
	case "limit-uptime":
		if u.LimitUptime == 0 {
			return ""
		}
		return FormatDuration(u.LimitUptime)
	case "disabled":
		return string(appendBool(nil, u.Disabled))
	case "comment":
		return u.Comment
	case "password":
		return u.Password
	case "profile":
		return u.Profile
	}
	return ""
}

// applyUserField sets a property already validated by cmdUserSet.
func applyUserField(u *User, field, value string) {
	switch field {
	case "limit-uptime":
		u.LimitUptime, _ = ParseDuration(value)
	case "disabled":
		u.Disabled, _ = parseBool(value)
	case "comment":
		u.Comment = value
	case "password":
		u.Password = value
	case "profile":
		u.Profile = value
	}
}

// cmdActiveRemove logs sessions out, as an operator does from Winbox.
func (c *conn) cmdActiveRemove(req *request, rw *replyWriter) bool {
	refs, ok := itemRefs(req)
	if !ok {
		rw.trap(categoryArgument, "missing value(s) of argument(s) numbers")
		return true
	}
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.nowLocked()
	ids := make(map[uint32]bool, len(refs))
	for _, ref := range refs {
		id, ok := parseID(strings.TrimSpace(ref))
		if !ok || !r.hasSessionLocked(id) {
			rw.trap(noCategory, "no such item")
			return true
		}
		ids[id] = true
	}
	r.logoutLocked(now, func(s *sessionState) bool { return ids[s.id] }, "admin reset")
	rw.done()
	return true
}

func (r *Router) hasSessionLocked(id uint32) bool {
	for _, s := range r.sessions {
		if s.id == id {
			return true
		}
	}
	return false
}
