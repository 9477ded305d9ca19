package sshhost

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// render prints the script's output for the host's state now.
func (h *Host) render(s script) []byte {
	now := h.opts.Now()
	up := now.Sub(h.booted).Seconds()
	var b strings.Builder
	section := func(name string) { fmt.Fprintf(&b, "%s %s\n", s.marker, name) }

	section("stat")
	// Each CPU spends a wandering share of its time busy; the counters only grow.
	var total [8]uint64
	lines := make([]string, h.opts.CPUs)
	for i := range h.opts.CPUs {
		ticks := cpuTicks(up, i)
		for m := range total {
			total[m] += ticks[m]
		}
		lines[i] = fmt.Sprintf("cpu%d %d %d %d %d %d %d %d %d 0 0", i, ticks[0], ticks[1], ticks[2], ticks[3], ticks[4], ticks[5], ticks[6], ticks[7])
	}
	fmt.Fprintf(&b, "cpu  %d %d %d %d %d %d %d %d 0 0\n", total[0], total[1], total[2], total[3], total[4], total[5], total[6], total[7])
	b.WriteString(strings.Join(lines, "\n") + "\n")
	fmt.Fprintf(&b, "intr 123456 0 9 0\nctxt %d\nbtime %d\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n",
		uint64(up*900), h.booted.Unix(), 2000+uint64(up/30))

	section("meminfo")
	const totalKB = 4022392
	free := int(float64(totalKB) * (0.35 + 0.1*math.Sin(up/600)))
	cached := totalKB * 3 / 10
	for _, f := range []struct {
		name string
		kb   int
	}{
		{"MemTotal", totalKB}, {"MemFree", free}, {"MemAvailable", free + cached}, {"Buffers", 84120},
		{"Cached", cached}, {"SwapCached", 0}, {"Active", 1634216}, {"Inactive", 1012872},
		{"Active(anon)", 902144}, {"Inactive(anon)", 1024}, {"Active(file)", 732072}, {"Inactive(file)", 1011848},
		{"Unevictable", 0}, {"Mlocked", 0}, {"SwapTotal", 999420}, {"SwapFree", 999420},
		{"Dirty", 112}, {"Writeback", 0}, {"AnonPages", 903000}, {"Mapped", 220114},
		{"Shmem", 12544}, {"Slab", 180232}, {"SReclaimable", 120004}, {"SUnreclaim", 60228},
		{"KernelStack", 6880}, {"PageTables", 14572}, {"CommitLimit", 3010616}, {"Committed_AS", 2400124},
		{"VmallocTotal", 34359738367}, {"VmallocUsed", 25460}, {"HardwareCorrupted", 0}, {"AnonHugePages", 0},
	} {
		fmt.Fprintf(&b, "%-16s%8d kB\n", f.name+":", f.kb)
	}
	b.WriteString("HugePages_Total:       0\nHugePages_Free:        0\nHugepagesize:       2048 kB\n")

	section("loadavg")
	load := func(period float64) float64 { return 0.4 + 0.35*math.Sin(up/period) }
	fmt.Fprintf(&b, "%.2f %.2f %.2f 1/214 %d\n", load(60), load(300), load(900), 4000+int(up)%30000)

	section("uptime")
	fmt.Fprintf(&b, "%.2f %.2f\n", up, up*float64(h.opts.CPUs)*0.7)

	section("mounts")
	b.WriteString(`sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=1989744k,nr_inodes=497436,mode=755 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=402240k,mode=755 0 0
/dev/vda1 / ext4 rw,relatime,errors=remount-ro 0 0
/dev/vda15 /boot/efi vfat rw,relatime,fmask=0022,dmask=0022 0 0
/dev/vdb1 /srv/backup ext4 ro,relatime 0 0
`)

	section("clock")
	fmt.Fprintf(&b, "%d.%09d\n", now.Unix(), now.Nanosecond())

	section("uname")
	fmt.Fprintf(&b, "ostype=Linux\nhostname=%s\nosrelease=6.1.0-27-amd64\nversion=#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)\ndomainname=(none)\nmachine=x86_64\n", h.opts.Name)

	// The root filesystem fills from 8.4 GB at boot by 20 kB/s (logs, caches: 1.7 GB a
	// day), so a host 36 hours up at the simulator's start is at 32% and reaches the
	// shipped 85% disk warning 13 days later: a demo, even one left running for days,
	// sees it grow but no disk alert its timeline does not list. Whenever it would pass 90%
	// in use, a cleanup (old logs, the journal vacuumed) takes it back to 8.4 GB, so used
	// space stays within the disk however long the simulator runs.
	const rootSize, rootReserved, rootBase = 41_555_521_536, 2_100_000_000, 8_400_000_000
	const rootFull = rootSize*9/10 - rootReserved // used at 90% (1 - avail/size)
	used := uint64(rootBase + math.Mod(20_000*up, rootFull-rootBase))
	section("df")
	b.WriteString("Filesystem     Type     1-blocks        Used   Available Capacity Mounted on\n")
	fmt.Fprintf(&b, "udev           devtmpfs 2037497856 0 2037497856 0%% /dev\n")
	fmt.Fprintf(&b, "tmpfs          tmpfs    411893760 1155072 410738688 1%% /run\n")
	fmt.Fprintf(&b, "/dev/vda1      ext4     %d %d %d %d%% /\n", rootSize, used, rootSize-rootReserved-used, used*100/rootSize+1)
	fmt.Fprintf(&b, "/dev/vda15     vfat     129718272 12124160 117594112 10%% /boot/efi\n")
	fmt.Fprintf(&b, "/dev/vdb1      ext4     105089261568 61223067648 38485671936 62%% /srv/backup\n")
	section("dfi")
	b.WriteString("Filesystem     Type      Inodes  IUsed   IFree IUse% Mounted on\n")
	b.WriteString("udev           devtmpfs  497436    402  497034    1% /dev\n")
	b.WriteString("tmpfs          tmpfs     502368    801  501567    1% /run\n")
	b.WriteString("/dev/vda1      ext4     2588672 141233 2447439    6% /\n")
	b.WriteString("/dev/vda15     vfat           0      0       0     - /boot/efi\n")
	b.WriteString("/dev/vdb1      ext4     6553600  20931 6532669    1% /srv/backup\n")

	if len(s.units) > 0 {
		section("units")
		for i, u := range s.units {
			if i > 0 {
				b.WriteString("\n")
			}
			h.renderUnit(&b, u)
		}
	}
	for _, c := range s.commands {
		fmt.Fprintf(&b, "%s cmd %d\n", s.marker, c.index)
		// A custom command prints a number that wanders, like a queue's delay.
		fmt.Fprintf(&b, "%.1f\n\n", 5+4*math.Sin(up/120+float64(c.index)))
		fmt.Fprintf(&b, "%s end %d 0 %.2f %.2f\n", s.marker, c.index, up, up+0.01)
	}
	section("done")
	return []byte(b.String())
}

func (h *Host) renderUnit(b *strings.Builder, unit string) {
	stopped := false
	if v, ok := h.stopped.Load(unit); ok {
		stopped = v.(bool)
	}
	if strings.HasSuffix(unit, ".service") {
		fmt.Fprintf(b, "Type=notify\nNRestarts=%d\n", hash(unit)%3)
	}
	// A stopped unit keeps the time it last became active, as systemd does.
	active, sub, enter := "active", "running", uint64(4_000_000+hash(unit)%5_000_000)
	if stopped {
		active, sub = "inactive", "dead"
	}
	fmt.Fprintf(b, "Id=%s\nLoadState=loaded\nActiveState=%s\nSubState=%s\nActiveEnterTimestampMonotonic=%d\n", unit, active, sub, enter)
}

// cpuTicks splits one CPU's time since boot over the modes: about 70% idle, with a busy
// share that wanders slowly, different per CPU.
func cpuTicks(up float64, cpu int) [8]uint64 {
	ticks := up * 100
	busy := 0.25 + 0.05*math.Sin(float64(cpu))
	share := [8]float64{busy * 0.7, busy * 0.02, busy * 0.2, 1 - busy - 0.03, 0.02, 0, busy * 0.08, 0.01}
	var out [8]uint64
	for m, s := range share {
		out[m] = uint64(ticks * s)
	}
	return out
}

func hash(s string) uint64 {
	f := fnv.New64a()
	f.Write([]byte(s))
	return f.Sum64()
}
