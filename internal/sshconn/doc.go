// Package sshconn keeps one persistent SSH connection per host for ronda's SSH collector
// and runs one session on it per scrape.
//
// Logging in is what makes SSH scraping expensive (key exchange, host key and user key
// signatures: milliseconds of CPU on both ends), so a Host dials once and keeps the
// connection: keepalives notice a dead peer, an idle connection is closed after a while,
// failures back off before the next dial, and the number of sessions at once is bounded
// below sshd's default MaxSessions (10). Every step has the caller's deadline, including
// the SSH handshake itself, which ssh.ClientConfig.Timeout does not cover.
//
// Host keys are always verified against a known_hosts file (HostKeys); errors carry a
// collector.Reason (hostkey, auth, connect, timeout) so a scrape says why it failed.
package sshconn
