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
	"slices"
	"syscall"
	"time"

	"github.com/rondanet/ronda/internal/durable"
	"github.com/rondanet/ronda/internal/routeros"
)

// Versions of the ledger file. A ledger holding an unconfirmed write (Record.Unconfirmed)
// is version 2; one without is version 1, as every ledger was before unconfirmed writes,
// so that a ronda-restore from then still reads it. Such a ronda-restore reads version 1
// only, and reads the ledger file before the journal: the file is raised to the version a
// record needs before the journal holds the record, so that it refuses the ledger for its
// version ("has version 2; this ronda-restore reads version 1") rather than call the
// journal damaged, or drop its last line as torn. Later versions must keep to that.
const (
	ledgerVersionPlain       = 1
	ledgerVersionUnconfirmed = 2
	ledgerVersionNewest      = ledgerVersionUnconfirmed // the newest this ronda-restore reads
)

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
	// Unconfirmed marks a write whose reply never came (the connection dropped after it
	// was sent), recorded before knowing whether the router took it. Reading the users back
	// replaces it with a plain record (taken) or removes it (not taken); until then the
	// user's limit tells: still OldLimit, the write was not taken (see find).
	Unconfirmed bool `json:"unconfirmed,omitempty"`
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

// ledger is the ledger's content. On disk it is two files: the ledger itself, rewritten
// atomically, and a journal next to it (LEDGER.journal) that Apply appends each record to,
// synced, as soon as the router has taken a write: rewriting the whole ledger after every
// one of 2,000 writes would cost tens of seconds. The journal is folded into the ledger
// (atomically) when Apply ends, and by the next run if one was cut short.
type ledger struct {
	path    string
	records []Record
	byUser  map[[2]string][]int // (router, user) → indexes into records
	// journaled reports that the journal holds records not yet in the ledger file, or a
	// torn line, or that the file's version is higher than its records need: compact must
	// fold the journal in, remove it and write the file.
	journaled bool
	journal   *os.File // open for appending while Apply runs
	// fileVersion is the ledger file's version on disk (0: no file yet).
	fileVersion int
}

func journalPath(path string) string { return path + ".journal" }

// readLedger reads the ledger and its journal; missing files are an empty ledger. A file
// that cannot be read is an error, never treated as empty: that would restore everything
// again.
func readLedger(path string) (*ledger, error) {
	l := &ledger{path: path, byUser: map[[2]string][]int{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, refused("ledger %s: %v", path, err)
	default:
		// The version first, leniently: a newer ronda-restore's ledger may hold fields
		// this one does not know, and nothing is wrong with it.
		var v struct {
			Version int `json:"version"`
		}
		if json.Unmarshal(data, &v) == nil && v.Version > ledgerVersionNewest {
			return nil, refused("ledger %s was written by a newer ronda-restore (ledger version %d; this one reads up to %d): upgrade ronda-restore to use it", path, v.Version, ledgerVersionNewest)
		}
		var f ledgerFile
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, refused("ledger %s is damaged (%v): fix or move it; without it, restores already made would be made again", path, err)
		}
		if f.Version < ledgerVersionPlain {
			return nil, refused("ledger %s has version %d; this ronda-restore reads versions %d to %d", path, f.Version, ledgerVersionPlain, ledgerVersionNewest)
		}
		l.fileVersion = f.Version
		for _, rec := range f.Records {
			l.index(rec)
		}
	}
	if err := l.readJournal(); err != nil {
		return nil, err
	}
	if l.fileVersion > l.version() {
		l.journaled = true // a run cut short before it wrote the file back as version 1
	}
	return l, nil
}

// version is the version of the ledger file its records need.
func (l *ledger) version() int {
	for _, rec := range l.records {
		if rec.Unconfirmed {
			return ledgerVersionUnconfirmed
		}
	}
	return ledgerVersionPlain
}

// readJournal adds the journal's records. A last line cut short (the machine lost power
// while appending it) is left out; any other bad line means the journal is damaged.
func (l *ledger) readJournal() error {
	name := journalPath(l.path)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return refused("ledger journal %s: %v", name, err)
	}
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			if i == len(lines)-1 {
				// A torn last append, never completed. Left in the journal, the next
				// append would join it and make a line no run can read: have compact
				// rewrite the journal away.
				l.journaled = true
				break
			}
			return refused("ledger journal %s is damaged at line %d (%v): fix or move it; without it, restores already made would be made again", name, i+1, err)
		}
		l.journaled = true
		if !l.has(rec) { // already folded in by a run that stopped before removing the journal
			l.index(rec)
		}
	}
	return nil
}

func (l *ledger) index(rec Record) {
	key := [2]string{rec.Router, rec.User}
	l.byUser[key] = append(l.byUser[key], len(l.records))
	l.records = append(l.records, rec)
}

func (l *ledger) has(rec Record) bool {
	for _, i := range l.byUser[[2]string{rec.Router, rec.User}] {
		if l.records[i] == rec {
			return true
		}
	}
	return false
}

// find reports whether the ledger holds e's restore from point p, and describes it. An
// unconfirmed write counts unless the user's limit (e.LimitNow) is still the one it
// replaced: never take a session twice, even when a top-up since hides whether it was.
func (l *ledger) find(p Point, e Entry) (string, bool) {
	start := p.At.Add(-e.SessionThen)
	var unconfirmed *Record
	for _, i := range slices.Backward(l.byUser[[2]string{p.Router, e.User}]) {
		rec := &l.records[i]
		sameBoot := !p.BootTime.IsZero() && rec.BootTime.Equal(p.BootTime)
		if d := rec.SessionStart.Sub(start); !sameBoot && (d > sessionTolerance || d < -sessionTolerance) {
			continue
		}
		if rec.Unconfirmed {
			if unconfirmed == nil {
				unconfirmed = rec
			}
			continue
		}
		return fmt.Sprintf("restored on %s (limit-uptime %s → %s, %s given back)", rec.AppliedAt.Format(time.RFC3339),
			formatLimit(rec.OldLimit.D()), routeros.FormatDuration(rec.NewLimit.D()), routeros.FormatDuration(rec.Lost.D())), true
	}
	switch rec := unconfirmed; {
	case rec == nil || e.LimitNow == rec.OldLimit.D():
		return "", false
	case e.LimitNow == rec.NewLimit.D():
		return fmt.Sprintf("restored on %s (limit-uptime %s → %s, %s given back): the reply to the write was lost, the limit now is the one it wrote",
			rec.AppliedAt.Format(time.RFC3339), formatLimit(rec.OldLimit.D()), routeros.FormatDuration(rec.NewLimit.D()), routeros.FormatDuration(rec.Lost.D())), true
	default:
		return fmt.Sprintf("limit-uptime %s → %s was sent on %s but its reply was lost, and the limit has changed since (%s now): whether the router took it cannot be told, so it is taken as written; restore by hand if it was not",
			formatLimit(rec.OldLimit.D()), routeros.FormatDuration(rec.NewLimit.D()), rec.AppliedAt.Format(time.RFC3339), formatLimit(e.LimitNow)), true
	}
}

// forget removes rec (an unconfirmed write found not taken, or replaced by its confirmed
// record). The journal may still hold it; compact rewrites the ledger without it and
// removes the journal, and a run cut short before then reads it back as unconfirmed.
func (l *ledger) forget(rec Record) {
	i := slices.Index(l.records, rec)
	if i < 0 {
		return
	}
	l.records = slices.Delete(l.records, i, i+1)
	clear(l.byUser)
	for j, r := range l.records {
		key := [2]string{r.Router, r.User}
		l.byUser[key] = append(l.byUser[key], j)
	}
	l.journaled = true // the ledger file must be rewritten without it
}

// add records rec in the journal, synced to disk, before returning.
func (l *ledger) add(rec Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if rec.Unconfirmed && l.fileVersion < ledgerVersionUnconfirmed {
		// The file says so before the journal holds one (see ledgerVersionUnconfirmed).
		if err := l.writeFile(ledgerVersionUnconfirmed); err != nil {
			return err
		}
	}
	if l.journal == nil {
		f, err := os.OpenFile(journalPath(l.path), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		if err := durable.SyncDir(filepath.Dir(l.path)); err != nil { // the new file's name must last too
			_ = f.Close()
			return err
		}
		l.journal = f
	}
	if _, err := l.journal.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := l.journal.Sync(); err != nil {
		return err
	}
	l.journaled = true
	l.index(rec)
	return nil
}

// compact folds the journal into the ledger file: the ledger is rewritten atomically (a
// temporary file in the same folder, synced, renamed over the old one, the folder synced),
// then the journal is removed. A crash in between leaves records in both, which reading
// merges.
func (l *ledger) compact() error {
	if l.journal != nil {
		_ = l.journal.Close()
		l.journal = nil
	}
	if !l.journaled {
		return nil
	}
	// The file keeps a higher version for as long as the journal is there: it may still
	// hold an unconfirmed write that has been settled since.
	if err := l.writeFile(max(l.version(), l.fileVersion)); err != nil {
		return err
	}
	if err := os.Remove(journalPath(l.path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	l.journaled = false
	if err := durable.SyncDir(filepath.Dir(l.path)); err != nil {
		return err
	}
	if v := l.version(); v < l.fileVersion {
		// No unconfirmed write left: readable again by a ronda-restore from before them.
		return l.writeFile(v)
	}
	return nil
}

// writeFile rewrites the ledger file, atomically, with every record, as version v.
func (l *ledger) writeFile(v int) error {
	data, err := json.MarshalIndent(ledgerFile{Version: v, Records: l.records}, "", " ")
	if err != nil {
		return err
	}
	if err := writeAtomic(l.path, append(data, '\n'), 0o644); err != nil {
		return err
	}
	l.fileVersion = v
	return nil
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
	return durable.SyncDir(dir)
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
