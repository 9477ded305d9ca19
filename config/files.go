package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limits on the files a config points at. Both are far above any real password or CA
// bundle; they exist so that a mistaken path (/dev/zero, a FIFO, a log file) fails at load
// with a clear message instead of hanging or filling memory.
const (
	maxPasswordFileSize = 64 << 10
	maxCAFileSize       = 4 << 20
)

// errNotRegular is why a FIFO, device or folder given as a file is refused.
var errNotRegular = errors.New("not a regular file")

// readSmallFile reads a regular file of at most limit bytes.
func readSmallFile(path string, limit int64) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until something writes to it, which would
	// hang a load, and a reload (holding the exporter's reload lock) for good.
	if err := CheckRegularFile(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() { // replaced between the two looks
		return nil, errNotRegular
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d KiB", limit>>10)
	}
	return data, nil
}

// fileErrorReason is an error from readSmallFile without the path (the message names the
// path once, itself) and never with the file's content.
func fileErrorReason(err error) string {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}

// CheckRegularFile says whether path (followed through symlinks) is a regular file, without
// opening it: opening a FIFO blocks until something writes to it. A file the config names
// and that is read again after load (known_hosts at every dial, a CA bundle) is checked
// with it each time, as load checks it: a FIFO put in its place since is refused, not
// waited on. The error is a *fs.PathError.
func CheckRegularFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return &fs.PathError{Op: "stat", Path: path, Err: errNotRegular}
	}
	return nil
}
