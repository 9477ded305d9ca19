//go:build unix

package testtool

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"
)

// ReplaceWithFIFO puts a FIFO at path (in place of the file there, if any) that hands
// content to every reader that opens it, until the test ends. Code that should refuse a
// FIFO without opening it, but opens it, then reads a good file instead of hanging: its
// test fails rather than blocks.
func ReplaceWithFIFO(t testing.TB, path string, content []byte) {
	t.Helper()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for a reader
			if err != nil {
				return
			}
			select {
			case <-stop:
				f.Close()
				return
			default:
			}
			_, _ = f.Write(content)
			f.Close()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		// A reader of our own lets the writer waiting in open go.
		if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer r.Close()
		}
		<-done
	})
}
