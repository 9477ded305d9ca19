// Package durable holds what files written to survive a crash share: a rename or a new
// file is only on disk once its directory is synced too.
package durable

import "os"

// SyncDir flushes dir's entries (a rename into it, a file created in it) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
