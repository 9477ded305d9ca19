package sshconn

import "time"

// Default reconnect backoff: a dead host costs one quick failure per scrape, not a dial
// and a handshake timeout each time.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 30 * time.Second
)
