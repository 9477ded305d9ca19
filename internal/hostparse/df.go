package hostparse

import (
	"strconv"
	"strings"
)

// DFEntry is one line of POSIX df output (`df -P`, `df -PT -B1`, `df -PTi`), in bytes for
// block listings and in inodes for -i listings.
type DFEntry struct {
	Device, FSType, MountPoint string
	// Total, Used and Avail are the three number columns: bytes (blocks × the header's
	// block size) or inodes. For inodes, Avail is the free count.
	Total, Used, Avail float64
}

// DFKind says what a df listing counts.
type DFKind int

// What a df listing counts.
const (
	DFBytes DFKind = iota
	DFInodes
)

// ParseDF reads `df -P` output in any of the forms the SSH script asks for: GNU coreutils'
// `df -PT -B1` and `df -PTi`, and BusyBox's `df -P` (1024-byte blocks, no type column) and
// `df -Pi`. The header says which: "Type" adds a column, "N-blocks" gives the block size,
// "Inodes" an inode listing. Mount points with spaces are kept (df does not escape them).
func ParseDF[T Text](b T) (entries []DFEntry, kind DFKind, problems []Problem) {
	text := string(b) // one copy, or none for a string
	var typed bool
	var unit float64
	header := false
	full := false                   // the limit was reached and reported
	fields := make([]string, 0, 16) // reused for every line
	eachLine(text, func(n int, line string) {
		fields = appendFields(fields[:0], line)
		if len(fields) == 0 {
			return
		}
		if !header {
			header = true
			typed, unit, kind = parseDFHeader(fields)
			if unit == 0 {
				problems = append(problems, problem(Malformed, n, "df header %s", quote(line)))
			}
			return
		}
		if unit == 0 {
			return
		}
		if len(entries) >= maxMounts {
			if !full {
				problems = append(problems, problem(TooMany, n, "more than %d df lines", maxMounts))
				full = true
			}
			return
		}
		e, ok := parseDFLine(fields, typed, unit)
		if !ok {
			problems = append(problems, problem(Malformed, n, "df line %s", quote(line)))
			return
		}
		if entries == nil { // one allocation for the whole listing
			entries = make([]DFEntry, 0, min(strings.Count(text, "\n"), maxMounts))
		}
		entries = append(entries, e)
	})
	if !header {
		problems = append(problems, problem(Missing, 0, "no df output"))
	}
	return entries, kind, problems
}

func parseDFHeader(fields []string) (typed bool, unit float64, kind DFKind) {
	if len(fields) < 2 || fields[0] != "Filesystem" {
		return false, 0, DFBytes
	}
	col := fields[1]
	if col == "Type" {
		typed = true
		if len(fields) < 3 {
			return false, 0, DFBytes
		}
		col = fields[2]
	}
	if col == "Inodes" {
		return typed, 1, DFInodes
	}
	size, ok := strings.CutSuffix(col, "-blocks")
	if !ok {
		return false, 0, DFBytes
	}
	u, err := strconv.ParseUint(size, 10, 32)
	if err != nil || u == 0 {
		return false, 0, DFBytes
	}
	return typed, float64(u), DFBytes
}

func parseDFLine(fields []string, typed bool, unit float64) (DFEntry, bool) {
	var e DFEntry
	want := 6 // device total used avail capacity mountpoint…
	if typed {
		want = 7
	}
	if len(fields) < want {
		return e, false
	}
	e.Device = fields[0]
	rest := fields[1:]
	if typed {
		e.FSType, rest = rest[0], rest[1:]
	}
	var nums [3]float64
	for i := range nums {
		if rest[i] == "-" { // GNU df's "no inode information" (vfat, some FUSE)
			return e, false
		}
		v, err := strconv.ParseUint(rest[i], 10, 64)
		if err != nil {
			return e, false
		}
		nums[i] = float64(v) * unit
	}
	if !strings.HasSuffix(rest[3], "%") && rest[3] != "-" {
		return e, false
	}
	e.Total, e.Used, e.Avail = nums[0], nums[1], nums[2]
	e.MountPoint = strings.Join(rest[4:], " ")
	return e, true
}
