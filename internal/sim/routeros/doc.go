// Package routeros simulates a MikroTik router's API service (the RouterOS API wire protocol
// on plain TCP) with a hotspot: users, active sessions, the log, and the events that matter
// to ronda — power loss, clean reboot, sessions reaching their uptime limit — plus injectable
// protocol faults.
//
// It exists so the MikroTik collector and ronda-restore can be tested, demonstrated and
// benchmarked against a peer that speaks the real protocol and is checked with the real client
// library (github.com/go-routeros/routeros/v3). Time comes from a Clock, so tests drive it with
// a ManualClock instead of sleeping: everything that depends on time (session uptime, users
// reaching limit-uptime) is evaluated lazily whenever the router is looked at.
package routeros
