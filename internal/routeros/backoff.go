package routeros

import "time"

// Default reconnect backoff: the first retry after about a second, then doubling up to half
// a minute, so a dead router costs one quick failure per scrape rather than a dial each time.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 30 * time.Second
)
