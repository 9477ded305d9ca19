package ssh

import (
	"slices"
	"strings"

	"github.com/rondanet/ronda/internal/hostparse"
)

// node_exporter's default excludes (collector/filesystem_linux.go): pseudo and container
// filesystems, which only add noise to disk-space dashboards and alerts. node_exporter
// writes them as regular expressions:
//
//	mount points: ^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)
//	types:        ^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$
//
// They are checked here without regexp: every mount of every scrape goes through them
// (filesystems_test.go checks both forms agree).
var excludedFSTypes = map[string]bool{}

func init() {
	for _, t := range strings.Split("autofs binfmt_misc bpf cgroup cgroup2 configfs debugfs devpts devtmpfs fusectl hugetlbfs iso9660 mqueue nsfs overlay proc procfs pstore rpc_pipefs securityfs selinuxfs squashfs erofs sysfs tracefs", " ") {
		excludedFSTypes[t] = true
	}
}

func excludedMountPoint(mp string) bool {
	for _, p := range [...]string{"/dev", "/proc", "/sys"} {
		if mp == p || strings.HasPrefix(mp, p) && mp[len(p)] == '/' {
			return true
		}
	}
	for _, p := range [...]string{"/run/credentials/", "/var/lib/docker/", "/var/lib/containers/storage/"} {
		if len(mp) > len(p) && strings.HasPrefix(mp, p) {
			return true
		}
	}
	return false
}

// filesystem is one exported mount: /proc/mounts gives the labels and read-only flag, df
// the sizes.
type filesystem struct {
	mount         hostparse.Mount
	bytes, inodes *hostparse.DFEntry
}

// filesystems joins mounts with the df listings by mount point, dropping excluded mounts
// and repeats of the same device on the same mount point (bind mounts listed twice).
func filesystems(mounts []hostparse.Mount, bytes, inodes []hostparse.DFEntry) []filesystem {
	b, in := newDFIndex(bytes), newDFIndex(inodes)
	type key struct{ device, mountPoint, fstype string }
	var seen map[key]bool // only once out is too long to scan
	out := make([]filesystem, 0, len(mounts))
	for _, m := range mounts {
		if excludedMountPoint(m.MountPoint) || excludedFSTypes[m.FSType] {
			continue
		}
		k := key{m.Device, m.MountPoint, m.FSType}
		if seen == nil && len(out) > scanLimit {
			seen = make(map[key]bool, len(mounts))
			for _, f := range out {
				seen[key{f.mount.Device, f.mount.MountPoint, f.mount.FSType}] = true
			}
		}
		if seen != nil {
			if seen[k] {
				continue
			}
			seen[k] = true
		} else if slices.ContainsFunc(out, func(f filesystem) bool {
			return f.mount.Device == m.Device && f.mount.MountPoint == m.MountPoint && f.mount.FSType == m.FSType
		}) {
			continue
		}
		out = append(out, filesystem{mount: m, bytes: b.find(m.MountPoint), inodes: in.find(m.MountPoint)})
	}
	return out
}

// scanLimit is the length up to which a list is scanned rather than indexed by a map: a
// host has a few dozen mounts, and every scrape joins them, so maps would cost more than
// they save; a host with hundreds (containers) gets them.
const scanLimit = 32

// dfIndex finds a df entry by mount point. df lists the last mount on a point, so the last
// entry for a point wins.
type dfIndex struct {
	entries []hostparse.DFEntry
	byMount map[string]*hostparse.DFEntry // nil up to scanLimit entries
}

func newDFIndex(entries []hostparse.DFEntry) dfIndex {
	x := dfIndex{entries: entries}
	if len(entries) > scanLimit {
		x.byMount = make(map[string]*hostparse.DFEntry, len(entries))
		for i := range entries {
			x.byMount[entries[i].MountPoint] = &entries[i]
		}
	}
	return x
}

// find returns the df entry of mountPoint. GNU df prints control characters (a tab or a
// newline in a mount point, which /proc/mounts escapes as \011 and \012) as '?': a mount
// point holding one that df did not list as written is looked up that way too. BusyBox df
// prints them as they are, which the exact match finds.
func (x dfIndex) find(mountPoint string) *hostparse.DFEntry {
	if e := x.findExact(mountPoint); e != nil {
		return e
	}
	if masked, ok := maskControl(mountPoint); ok {
		return x.findExact(masked)
	}
	return nil
}

func (x dfIndex) findExact(mountPoint string) *hostparse.DFEntry {
	if x.byMount != nil {
		return x.byMount[mountPoint]
	}
	for i := len(x.entries) - 1; i >= 0; i-- {
		if x.entries[i].MountPoint == mountPoint {
			return &x.entries[i]
		}
	}
	return nil
}

// maskControl writes s's ASCII control characters as '?', as GNU df does, byte by byte
// (a mount point need not be UTF-8); ok is false when s has none.
func maskControl(s string) (masked string, ok bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			if b == nil {
				b = []byte(s)
			}
			b[i] = '?'
		}
	}
	return string(b), b != nil
}
