package ssh

import (
	"regexp"

	"github.com/rondanet/ronda/internal/hostparse"
)

// node_exporter's default excludes (collector/filesystem_linux.go): pseudo and container
// filesystems, which only add noise to disk-space dashboards and alerts.
var (
	excludedMountPoints = regexp.MustCompile(`^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`)
	excludedFSTypes     = regexp.MustCompile(`^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$`)
)

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
		if excludedMountPoints.MatchString(m.MountPoint) || excludedFSTypes.MatchString(m.FSType) {
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
