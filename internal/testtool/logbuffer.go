package testtool

import (
	"bytes"
	"sync"
)

// LogBuffer collects log output written from several goroutines (a collector's scrape and
// its connection), for tests that check what was, or was not, logged.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
