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
	full := false                    // the limit was reached and reported
	fields := make([]string, 0, 16)  // reused for every line
	columns := make([]column, 0, 16) // reused for every line
	eachLine(text, func(n int, line string) {
		if !header {
			fields = appendFields(fields[:0], line)
			if len(fields) == 0 {
				return
			}
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
		columns = appendColumns(columns[:0], line)
		if len(columns) == 0 {
			return
		}
		e, ok := parseDFLine(line, columns, typed, unit)
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

// column is where one blank-separated word of a df line starts and ends.
type column struct{ start, end int }

// appendColumns appends the blank-separated words of line to dst, with their offsets, so
// that a device or mount point can be taken from the line as written.
func appendColumns(dst []column, line string) []column {
	start := -1
	for i := 0; i < len(line); i++ {
		if asciiSpace[line[i]] {
			if start >= 0 {
				dst = append(dst, column{start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, column{start, len(line)})
	}
	return dst
}

// parseDFLine reads one df line. df pads its columns with blanks and escapes nothing, so
// a device or mount point holding blanks (`//nas/my  share`, `/mnt/a  b`, `/mnt/x `)
// cannot be cut on blanks: the line is anchored on its first run of three numbers and a
// capacity instead. What comes before is the device (and the type, for -T listings); the
// mount point is the rest of the line after the one blank that follows the capacity, so
// that it matches /proc/mounts byte for byte.
func parseDFLine(line string, columns []column, typed bool, unit float64) (DFEntry, bool) {
	word := func(i int) string { return line[columns[i].start:columns[i].end] }
	first := 1 // the device takes at least one column, the type one more
	if typed {
		first = 2
	}
	for i := first; i+4 < len(columns); i++ { // numbers at i…i+2, capacity at i+3, a mount point after
		nums, ok := dfNumbers(word(i), word(i+1), word(i+2), unit)
		if !ok {
			continue
		}
		if capacity := word(i + 3); !strings.HasSuffix(capacity, "%") && capacity != "-" {
			continue
		}
		var e DFEntry
		device := i
		if typed {
			device = i - 1
			e.FSType = word(device)
		}
		e.Device = line[columns[0].start:columns[device-1].end]
		e.Total, e.Used, e.Avail = nums[0], nums[1], nums[2]
		e.MountPoint = line[columns[i+3].end+1:]
		return e, true
	}
	return DFEntry{}, false
}

// dfNumbers reads the three number columns of a df line. GNU df's "-" (no inode
// information: vfat, some FUSE) is not a number.
func dfNumbers(total, used, avail string, unit float64) (nums [3]float64, ok bool) {
	for i, s := range [3]string{total, used, avail} {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nums, false
		}
		nums[i] = float64(v) * unit
	}
	return nums, true
}
