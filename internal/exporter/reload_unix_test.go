//go:build unix

package exporter

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A password file replaced by a FIFO fails the reload at once: a reload blocked on opening
// it would hold the reload lock, so every later reload, and shutdown, would wait forever.
func TestReloadWithAFIFOPasswordFileFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	r := start(t, writeConfig(t, dir, "router-a"), "", &http.Client{Timeout: 3 * time.Second})
	fifo := filepath.Join(dir, "router.password")
	if err := os.Remove(fifo); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		// Should the reload be stuck in open, a writer lets it go so the exporter can stop.
		for range 5 {
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	req, err := http.NewRequest(http.MethodPost, r.base+"/-/reload", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("POST /-/reload with a FIFO password file: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("POST /-/reload: got %d, want 500", resp.StatusCode)
	}
	done := make(chan error, 1)
	select {
	case r.reload <- done:
	case <-time.After(3 * time.Second):
		t.Fatal("the SIGHUP reload was not taken within 3s")
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("SIGHUP reload: %v, want an error saying the password file is not a regular file", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the SIGHUP reload did not answer within 3s")
	}
	if code, _ := r.do(t, http.MethodGet, "/mikrotik?target=router-a"); code != 200 {
		t.Errorf("router-a after the failed reload: got %d, want 200 (old config stays)", code)
	}
}
