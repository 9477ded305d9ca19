package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rondanet/ronda/internal/routeros"
)

// ledgerVersion is the format of the ledger file.
const ledgerVersion = 1

// sessionTolerance is how close two sessions' start times must be to be the same session.
// A session's start is worked out as the scrape time minus its uptime, in whole seconds,
// so two restore points of one session (a reboot's and a time picked with --at) may
// disagree by a second or two; two different sessions of one user are minutes apart.
const sessionTolerance = 3 * time.Second

// Record is one applied restore.
type Record struct {
	Router string `json:"router"`
	User   string `json:"user"`
	// BootTime identifies the reboot restored from (zero for a chosen time).
	BootTime time.Time `json:"boot_time,omitzero"`
	// At is the restore point.
	At time.Time `json:"at"`
	// SessionStart is when the lost session began (At minus its uptime then): it
	// identifies the session whichever point it was restored from.
	SessionStart time.Time `json:"session_start"`
	OldLimit     Duration  `json:"old_limit"`
	NewLimit     Duration  `json:"new_limit"`
	Lost         Duration  `json:"lost"`
	AppliedAt    time.Time `json:"applied_at"`
}

// Duration is written in RouterOS's form (1h2m3s) in the ledger.
type Duration time.Duration

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes 1h2m3s.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(routeros.FormatDuration(time.Duration(d))), nil
}

// UnmarshalText reads what MarshalText wrote.
func (d *Duration) UnmarshalText(b []byte) error {
	v, _, err := routeros.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

type ledgerFile struct {
	Version int      `json:"version"`
	Records []Record `json:"records"`
}

// ledger is the ledger file's content.
type ledger struct {
	path    string
	records []Record
}

// readLedger reads the ledger; a missing file is an empty ledger. A file that cannot be
// read is an error, never treated as empty: that would restore everything again.
func readLedger(path string) (*ledger, error) {
	l := &ledger{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, refused("ledger %s: %v", path, err)
	}
	var f ledgerFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, refused("ledger %s is damaged (%v): fix or move it; without it, restores already made would be made again", path, err)
	}
	if f.Version != ledgerVersion {
		return nil, refused("ledger %s has version %d; this ronda-restore reads version %d", path, f.Version, ledgerVersion)
	}
	l.records = f.Records
	return l, nil
}

// find reports whether the ledger holds e's restore from point p, and describes it.
func (l *ledger) find(p Point, e Entry) (string, bool) {
	start := p.At.Add(-e.SessionThen)
	for i := len(l.records) - 1; i >= 0; i-- {
		rec := &l.records[i]
		if rec.Router != p.Router || rec.User != e.User {
			continue
		}
		sameBoot := !p.BootTime.IsZero() && rec.BootTime.Equal(p.BootTime)
		if d := rec.SessionStart.Sub(start); sameBoot || (d <= sessionTolerance && d >= -sessionTolerance) {
			return fmt.Sprintf("restored on %s (limit-uptime %s → %s, %s given back)", rec.AppliedAt.Format(time.RFC3339),
				formatLimit(rec.OldLimit.D()), routeros.FormatDuration(rec.NewLimit.D()), routeros.FormatDuration(rec.Lost.D())), true
		}
	}
	return "", false
}

// add appends a record and writes the ledger to disk before returning.
func (l *ledger) add(rec Record) error {
	l.records = append(l.records, rec)
	if err := l.save(); err != nil {
		l.records = l.records[:len(l.records)-1]
		return err
	}
	return nil
}

// save writes the whole ledger atomically: a temporary file in the same folder, synced,
// renamed over the old one, and the folder synced, so a crash leaves either the old or
// the new ledger, never half of one.
func (l *ledger) save() error {
	data, err := json.MarshalIndent(ledgerFile{Version: ledgerVersion, Records: l.records}, "", " ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	return writeAtomic(l.path, data, 0o644)
}

func writeAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// lock is an exclusive flock on the ledger's lock file. The file itself is left in place
// when released: removing it would let two runs lock two different files.
type lock struct{ f *os.File }

// lockLedger takes the lock of the ledger at path, waiting up to wait for another holder.
func lockLedger(ctx context.Context, path string, wait time.Duration) (*lock, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, refused("lock file %s: %v", name, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &lock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, refused("lock file %s: %v", name, err)
		}
		if time.Now().After(deadline) {
			_ = f.Close()
			return nil, &Error{Failure: Incomplete, Err: fmt.Errorf("%w: %s", ErrLocked, name)}
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, &Error{Failure: Incomplete, Err: fmt.Errorf("%w: %s: %w", ErrLocked, name, ctx.Err())}
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (l *lock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
