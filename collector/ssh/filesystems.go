package ssh

import (
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
	byMount := func(entries []hostparse.DFEntry) map[string]*hostparse.DFEntry {
		m := make(map[string]*hostparse.DFEntry, len(entries))
		for i := range entries {
			m[entries[i].MountPoint] = &entries[i] // df lists the last mount on a point
		}
		return m
	}
	b, in := byMount(bytes), byMount(inodes)
	type key struct{ device, mountPoint, fstype string }
	seen := map[key]bool{}
	var out []filesystem
	for _, m := range mounts {
		if excludedMountPoint(m.MountPoint) || excludedFSTypes[m.FSType] {
			continue
		}
		k := key{m.Device, m.MountPoint, m.FSType}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, filesystem{mount: m, bytes: b[m.MountPoint], inodes: in[m.MountPoint]})
	}
	return out
}
