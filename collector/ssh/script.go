package ssh

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/rondanet/ronda/config"
)

// Section names the script prints after its marker.
const (
	sectionStat    = "stat"
	sectionMeminfo = "meminfo"
	sectionLoadavg = "loadavg"
	sectionUptime  = "uptime"
	sectionClock   = "clock"
	sectionUname   = "uname"
	sectionMounts  = "mounts"
	sectionDF      = "df"
	sectionDFI     = "dfi"
	sectionUnits   = "units"
	sectionCmd     = "cmd"
	sectionCmdEnd  = "end"
	sectionDone    = "done"
)

// unitProperties are the `systemctl show` properties read. JSON output would be easier
// to parse but needs systemd ≥ 246; EL8 has 239.
const unitProperties = "Id,LoadState,ActiveState,SubState,Type,NRestarts,ActiveEnterTimestampMonotonic"

// script is the remote shell script of one host, without its first line (M=marker),
// already quoted for sh: built once per host and timeout, since only the marker changes
// from one scrape to the next.
type script struct {
	quotedBody string
	dfSecs     int
}

// command is what the session runs for a scrape with marker: the script given to /bin/sh
// whatever the user's login shell is.
func (s *script) command(marker string) string {
	return "/bin/sh -c 'M=" + marker + "\n" + s.quotedBody + "'"
}

// until is the output that ends the script: once read, the session is done even if a
// command left a child holding stdout open.
func until(marker string) []byte { return []byte(marker + " " + sectionDone + "\n") }

// nonces draws the markers' nonces: ChaCha8, a cryptographically strong generator seeded
// from crypto/rand, so a nonce is as unguessable as one read from crypto/rand, without
// crypto/rand's getrandom system call on every scrape.
var nonces = struct {
	sync.Mutex
	*mrand.ChaCha8
}{ChaCha8: mrand.NewChaCha8(seed())}

func seed() (s [32]byte) {
	_, _ = rand.Read(s[:]) // never fails (crypto/rand panics rather than return an error)
	return s
}

// newMarker returns a marker holding a fresh nonce, so that no command's output can
// imitate a section line.
func newMarker() string {
	nonces.Lock()
	n := nonces.Uint64()
	nonces.Unlock()
	const prefix = "@@ronda-"
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], n)
	var b [len(prefix) + 16]byte
	copy(b[:], prefix)
	hex.Encode(b[len(prefix):], raw[:])
	return string(b[:])
}

// dfSeconds is df's time limit: a quarter of the scrape, since df can hang on a dead NFS
// server.
func dfSeconds(scrapeTimeout time.Duration) int {
	return max(1, int((scrapeTimeout / 4).Seconds()))
}

// buildScript writes the script for target: one session, one round trip. It is POSIX sh
// (dash, bash, BusyBox ash) and forks as little as it can, since it runs on every scrape:
// /proc files through cat, the uname(2) strings through the shell's read builtin.
func buildScript(t *config.SSHTarget, dfSecs int) *script {
	var b strings.Builder
	// Nothing may read the script's stdin; LC_ALL=C keeps df, date and systemctl unlocalised.
	b.WriteString("exec </dev/null\nexport LC_ALL=C\nPATH=$PATH:/usr/sbin:/sbin:/usr/bin:/bin\n")
	// rt SECS CMD… runs CMD under a time limit: GNU timeout with a kill after a grace
	// second, BusyBox's (old ones want -t), or no limit where there is no timeout(1) (the
	// scrape's deadline then still ends the session).
	b.WriteString(`if timeout -k 1 5 true 2>/dev/null; then rt() { timeout -k 1 "$@"; }
elif timeout 5 true 2>/dev/null; then rt() { timeout "$@"; }
elif timeout -t 5 true 2>/dev/null; then rt() { t=$1; shift; timeout -t "$t" "$@"; }
else rt() { shift; "$@"; }; fi
`)
	for _, s := range []struct{ name, path string }{
		{sectionStat, "/proc/stat"}, {sectionMeminfo, "/proc/meminfo"}, {sectionLoadavg, "/proc/loadavg"},
		{sectionUptime, "/proc/uptime"}, {sectionMounts, "/proc/mounts"},
	} {
		fmt.Fprintf(&b, "echo \"$M %s\"; cat %s\n", s.name, s.path)
	}
	fmt.Fprintf(&b, "echo \"$M %s\"; date +%%s.%%N\n", sectionClock)
	fmt.Fprintf(&b, "echo \"$M %s\"\nfor k in ostype hostname osrelease version domainname; do read -r v </proc/sys/kernel/$k && echo \"$k=$v\"; done\necho \"machine=$(uname -m)\"\n", sectionUname)

	// BusyBox df has no -B1 or -T: its POSIX listing in 1K blocks is read instead. Not
	// after a df stopped at its time limit (124 from GNU timeout, 137 once it had to kill,
	// 143 from BusyBox's): the same mounts would hang the second df too, and the inode
	// listing after it, costing a dead NFS server's scrape four df budgets. After a df that
	// hung, the inode listing is left out (its section stays empty).
	fmt.Fprintf(&b, "echo \"$M %s\"; o=$(rt %d df -PT -B1 2>/dev/null); e=$?; [ -n \"$o\" ] || [ $e -ge 124 ] || { o=$(rt %d df -P 2>/dev/null); e=$?; }; printf '%%s\\n' \"$o\"\n", sectionDF, dfSecs, dfSecs)
	fmt.Fprintf(&b, "echo \"$M %s\"; if [ $e -lt 124 ]; then o=$(rt %d df -PTi 2>/dev/null); e=$?; [ -n \"$o\" ] || [ $e -ge 124 ] || o=$(rt %d df -Pi 2>/dev/null); printf '%%s\\n' \"$o\"; fi\n", sectionDFI, dfSecs, dfSecs)

	if len(t.Units) > 0 {
		fmt.Fprintf(&b, "echo \"$M %s\"; systemctl show --property=%s --", sectionUnits, unitProperties)
		for _, u := range t.Units {
			b.WriteString(" " + shellQuote(u))
		}
		b.WriteString("\n")
	}
	for i, c := range t.Commands {
		secs := max(1, int(time.Duration(c.Timeout).Seconds()))
		// The uptime before and after gives the command's duration without a fork.
		fmt.Fprintf(&b, "echo \"$M %s %d\"; read -r t0 x </proc/uptime; rt %d /bin/sh -c %s; c=$?; read -r t1 x </proc/uptime; echo; echo \"$M %s %d $c $t0 $t1\"\n",
			sectionCmd, i, secs, shellQuote(c.Command), sectionCmdEnd, i)
	}
	fmt.Fprintf(&b, "echo \"$M %s\"\n", sectionDone)
	return &script{quotedBody: strings.ReplaceAll(b.String(), "'", `'\''`), dfSecs: dfSecs}
}

// shellQuote quotes s for sh: single quotes, each ' written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
