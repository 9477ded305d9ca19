package ssh

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/rondanet/ronda/internal/hostparse"
)

// node_exporter's defaults as it writes them.
var (
	nodeMountPointsExclude = regexp.MustCompile(`^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`)
	nodeFSTypesExclude     = regexp.MustCompile(`^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$`)
)

func TestExcludesMatchNodeExporter(t *testing.T) {
	for _, mp := range []string{"/", "/dev", "/dev/", "/dev/shm", "/devices", "/proc", "/proc/sys/fs/binfmt_misc", "/process",
		"/sys", "/sys/fs/cgroup", "/system", "/run", "/run/credentials", "/run/credentials/", "/run/credentials/x.service",
		"/var/lib/docker", "/var/lib/docker/", "/var/lib/docker/overlay2/abc/merged", "/var/lib/dockerd",
		"/var/lib/containers/storage", "/var/lib/containers/storage/overlay", "/home", "/srv/backup", "/mnt/usb disk", ""} {
		if got, want := excludedMountPoint(mp), nodeMountPointsExclude.MatchString(mp); got != want {
			t.Errorf("mount point %q: excluded %v, node_exporter %v", mp, got, want)
		}
	}
	for _, fs := range []string{"ext4", "xfs", "tmpfs", "vfat", "cgroup", "cgroup2", "cgroup3", "overlay", "overlayfs",
		"squashfs", "nfs4", "fuse.sshfs", "sysfs", "erofs", "tracefs", "autofs", ""} {
		if got, want := excludedFSTypes[fs], nodeFSTypesExclude.MatchString(fs); got != want {
			t.Errorf("type %q: excluded %v, node_exporter %v", fs, got, want)
		}
	}
}

func TestFilesystemsJoin(t *testing.T) {
	mounts := []hostparse.Mount{
		{Device: "/dev/root", MountPoint: "/", FSType: "ext4"},
		{Device: "proc", MountPoint: "/proc", FSType: "proc"},
		{Device: "/dev/root", MountPoint: "/", FSType: "ext4"}, // listed twice (bind mount)
		{Device: "overlay", MountPoint: "/merged", FSType: "overlay"},
		{Device: "nfs:/x", MountPoint: "/mnt/nfs", FSType: "nfs4", ReadOnly: true},
	}
	bytes := []hostparse.DFEntry{{MountPoint: "/", Total: 100, Used: 40, Avail: 50}}
	fs := filesystems(mounts, bytes, nil)
	if len(fs) != 2 || fs[0].mount.MountPoint != "/" || fs[0].bytes == nil || fs[0].bytes.Total != 100 ||
		fs[1].mount.MountPoint != "/mnt/nfs" || fs[1].bytes != nil || !fs[1].mount.ReadOnly {
		t.Errorf("%+v", fs)
	}
}

// TestOddMountPointsKeepTheirSizes: mount points with doubled, leading or trailing spaces,
// control characters and backslashes, and a device name with spaces, as /proc/mounts
// escapes them and df (GNU, BusyBox) prints them, captured from real mounts: each mount
// must find its df sizes. The one exception is BusyBox's newline, which splits its line.
func TestOddMountPointsKeepTheirSizes(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("../../internal/hostparse/testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mounts, problems := hostparse.ParseMounts(read("odd-mounts.txt"))
	if len(mounts) != 8 || len(problems) != 0 {
		t.Fatalf("%d mounts, problems %v", len(mounts), problems)
	}
	for _, tc := range []struct {
		bytes, inodes string
		unsized       []string // mount points df cannot name
	}{
		{"odd-df-bytes.txt", "odd-df-inodes.txt", nil},
		{"busybox135-odd-df-P.txt", "", []string{"/mnt/odd/nl\ny"}},
	} {
		t.Run(tc.bytes, func(t *testing.T) {
			bytes, _, _ := hostparse.ParseDF(read(tc.bytes))
			var inodes []hostparse.DFEntry
			if tc.inodes != "" {
				inodes, _, _ = hostparse.ParseDF(read(tc.inodes))
			}
			var unsized []string
			for _, fs := range filesystems(mounts, bytes, inodes) {
				if fs.bytes == nil || tc.inodes != "" && fs.inodes == nil {
					unsized = append(unsized, fs.mount.MountPoint)
				} else if fs.bytes.Device != fs.mount.Device {
					t.Errorf("%q joined with the df line of %q", fs.mount.MountPoint, fs.bytes.Device)
				}
			}
			if !reflect.DeepEqual(unsized, tc.unsized) {
				t.Errorf("mounts without sizes %q, want %q", unsized, tc.unsized)
			}
		})
	}
	// GNU df's '?' replaces control bytes only: a Latin-1 mount point keeps its bytes.
	if got, _ := maskControl("/mnt/caf\xe9\tx"); got != "/mnt/caf\xe9?x" {
		t.Errorf("masked %q", got)
	}
}

// TestFilesystemsScanAndMapsAgree: short lists are scanned and long ones indexed by maps;
// both must join as the plain map-based join does (the last df entry for a mount point,
// the first of repeated mounts), duplicates and all.
func TestFilesystemsScanAndMapsAgree(t *testing.T) {
	reference := func(mounts []hostparse.Mount, bytes, inodes []hostparse.DFEntry) []filesystem {
		byMount := func(entries []hostparse.DFEntry) map[string]*hostparse.DFEntry {
			m := map[string]*hostparse.DFEntry{}
			for i := range entries {
				m[entries[i].MountPoint] = &entries[i]
			}
			return m
		}
		b, in := byMount(bytes), byMount(inodes)
		seen := map[hostparse.Mount]bool{}
		var out []filesystem
		for _, m := range mounts {
			if excludedMountPoint(m.MountPoint) || excludedFSTypes[m.FSType] || seen[m] {
				continue
			}
			seen[m] = true
			out = append(out, filesystem{mount: m, bytes: b[m.MountPoint], inodes: in[m.MountPoint]})
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{3, scanLimit, scanLimit + 1, 300} {
		var mounts []hostparse.Mount
		var bytes, inodes []hostparse.DFEntry
		for range n {
			point := fmt.Sprintf("/srv/%d", rng.IntN(n/2+1)) // repeats
			m := hostparse.Mount{Device: fmt.Sprintf("/dev/sd%d", rng.IntN(3)), MountPoint: point, FSType: []string{"ext4", "xfs", "proc"}[rng.IntN(3)]}
			mounts = append(mounts, m)
			bytes = append(bytes, hostparse.DFEntry{MountPoint: point, Total: float64(rng.IntN(1000))})
			if rng.IntN(2) == 0 {
				inodes = append(inodes, hostparse.DFEntry{MountPoint: point, Total: float64(rng.IntN(1000))})
			}
		}
		got, want := filesystems(mounts, bytes, inodes), reference(mounts, bytes, inodes)
		if len(got) != len(want) {
			t.Fatalf("%d mounts: %d filesystems, want %d", n, len(got), len(want))
		}
		for i := range got {
			if got[i].mount != want[i].mount || got[i].bytes != want[i].bytes || got[i].inodes != want[i].inodes {
				t.Errorf("%d mounts: filesystem %d is %+v, want %+v", n, i, got[i], want[i])
			}
		}
	}
}

// TestMountPointsWithUnescapedBlanksKeepTheirSizes: /proc/mounts escapes only space, tab,
// newline and backslash, so a no-break or ideographic space (a USB disk's label) or a form
// feed is written as it is; GNU df (coreutils 9.1, LC_ALL=C) writes the Unicode ones as
// they are and the form feed as '?'. Captured from tmpfs mounts: each keeps its labels and
// finds its df sizes.
func TestMountPointsWithUnescapedBlanksKeepTheirSizes(t *testing.T) {
	const (
		procMounts = "tmpfs /mnt/odd/USB\u00a0DISK tmpfs ro,relatime 0 0\n" +
			"tmpfs /mnt/odd/\u6570\u636e\u3000\u5907\u4efd tmpfs rw,relatime 0 0\n" +
			"tmpfs /mnt/odd/form\ffeed tmpfs rw,relatime 0 0\n"
		df = "Filesystem              Type         1-blocks        Used   Available Capacity Mounted on\n" +
			"tmpfs                   tmpfs     12638248960           0 12638248960       0% /mnt/odd/USB\u00a0DISK\n" +
			"tmpfs                   tmpfs     12638248960           0 12638248960       0% /mnt/odd/\u6570\u636e\u3000\u5907\u4efd\n" +
			"tmpfs                   tmpfs     12638248960           0 12638248960       0% /mnt/odd/form?feed\n"
	)
	mounts, problems := hostparse.ParseMounts(procMounts)
	bytes, _, dfProblems := hostparse.ParseDF(df)
	if len(problems) != 0 || len(dfProblems) != 0 {
		t.Fatalf("problems %v, %v", problems, dfProblems)
	}
	var got []string
	for _, fs := range filesystems(mounts, bytes, nil) {
		got = append(got, fmt.Sprintf("%q %s ro=%v sized=%v", fs.mount.MountPoint, fs.mount.FSType, fs.mount.ReadOnly, fs.bytes != nil))
	}
	want := []string{
		`"/mnt/odd/USB\u00a0DISK" tmpfs ro=true sized=true`,
		`"/mnt/odd/数据\u3000备份" tmpfs ro=false sized=true`,
		`"/mnt/odd/form\ffeed" tmpfs ro=false sized=true`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
