package ssh

import (
	"log/slog"
	"slices"
	"strconv"

	"github.com/rondanet/ronda/collector"
	"github.com/rondanet/ronda/config"
	"github.com/rondanet/ronda/internal/hostparse"
)

// output is one scrape's parsed script output.
type output struct {
	stat      hostparse.Stat
	memory    []hostparse.MemField
	load      *hostparse.Load
	uptime    float64
	hasUptime bool
	clock     float64
	uname     *hostparse.Uname
	fs        []filesystem
	units     []hostparse.Unit
	commands  []commandResult
	problems  []sectionProblem
}

type commandResult struct {
	cfg      config.SSHCommand
	ran      bool
	exitCode int
	seconds  float64
	value    float64
	hasValue bool
	metrics  []exposed
}

type sectionProblem struct {
	section string
	hostparse.Problem
}

// requiredSections are the sections every script prints.
var requiredSections = [...]string{sectionStat, sectionMeminfo, sectionLoadavg, sectionUptime, sectionClock, sectionUname, sectionMounts, sectionDF, sectionDFI}

// parseOutput reads every section of the script's output.
func parseOutput(stdout []byte, marker string, t *config.SSHTarget) *output {
	sections, _ := hostparse.Split(stdout, marker)
	// The output as one string, each section's body a substring of it: one copy for the
	// whole output, which is what the parsed labels keep (stdout is recycled afterwards).
	text := string(stdout)
	body := func(s hostparse.Section) string { return text[s.Offset : s.Offset+len(s.Body)] }
	o := &output{commands: make([]commandResult, len(t.Commands))}
	for i, c := range t.Commands {
		o.commands[i].cfg = c
	}
	add := func(section string, problems []hostparse.Problem) {
		for _, p := range problems {
			o.problems = append(o.problems, sectionProblem{section, p})
		}
	}
	var seen [len(requiredSections) + 1]bool // the required sections, then units
	var mounts []hostparse.Mount
	var dfBytes, dfInodes []hostparse.DFEntry
	for i, s := range sections {
		if j := slices.Index(requiredSections[:], s.Name); j >= 0 {
			seen[j] = true
		} else if s.Name == sectionUnits {
			seen[len(requiredSections)] = true
		}
		switch s.Name {
		case sectionStat:
			var p []hostparse.Problem
			o.stat, p = hostparse.ParseStat(body(s))
			add(s.Name, p)
		case sectionMeminfo:
			var p []hostparse.Problem
			o.memory, p = hostparse.ParseMeminfo(body(s))
			add(s.Name, p)
		case sectionLoadavg:
			l, p := hostparse.ParseLoadavg(body(s))
			if p == nil {
				o.load = &l
			}
			add(s.Name, p)
		case sectionUptime:
			var p []hostparse.Problem
			o.uptime, p = hostparse.ParseUptime(body(s))
			o.hasUptime = p == nil
			add(s.Name, p)
		case sectionClock:
			var p []hostparse.Problem
			o.clock, p = hostparse.ParseClock(body(s))
			add(s.Name, p)
		case sectionUname:
			u, p := hostparse.ParseUname(body(s))
			if p == nil {
				o.uname = &u
			}
			add(s.Name, p)
		case sectionMounts:
			var p []hostparse.Problem
			mounts, p = hostparse.ParseMounts(body(s))
			add(s.Name, p)
		case sectionDF, sectionDFI:
			entries, kind, p := hostparse.ParseDF(body(s))
			want := hostparse.DFBytes
			if s.Name == sectionDFI {
				want = hostparse.DFInodes
			}
			if kind != want && len(entries) > 0 {
				p = append(p, hostparse.Problem{Reason: hostparse.Malformed, Detail: "df listing of the wrong kind"})
				entries = nil
			}
			if want == hostparse.DFBytes {
				dfBytes = entries
			} else {
				dfInodes = entries
			}
			add(s.Name, p)
		case sectionUnits:
			var p []hostparse.Problem
			o.units, p = hostparse.ParseSystemctlShow(body(s))
			add(s.Name, p)
		case sectionCmd:
			o.parseCommand(sections, i, add)
		}
	}
	for j, name := range requiredSections {
		if !seen[j] {
			add(name, []hostparse.Problem{{Reason: hostparse.Missing, Detail: "section not in the output"}})
		}
	}
	if len(t.Units) > 0 && !seen[len(requiredSections)] {
		add(sectionUnits, []hostparse.Problem{{Reason: hostparse.Missing, Detail: "section not in the output"}})
	}
	o.fs = filesystems(mounts, dfBytes, dfInodes)
	return o
}

// parseCommand reads command section i and the trailer after it.
func (o *output) parseCommand(sections []hostparse.Section, i int, add func(string, []hostparse.Problem)) {
	s := sections[i]
	idx, err := strconv.Atoi(firstArg(s.Args))
	if err != nil || idx < 0 || idx >= len(o.commands) {
		add(sectionCmd, []hostparse.Problem{{Reason: hostparse.Malformed, Detail: "command section without a valid index"}})
		return
	}
	r := &o.commands[idx]
	if i+1 >= len(sections) || sections[i+1].Name != sectionCmdEnd || firstArg(sections[i+1].Args) != s.Args[0] {
		add(sectionCmd, []hostparse.Problem{{Reason: hostparse.Missing, Detail: "command " + r.cfg.Name + " has no trailer"}})
		return
	}
	end, p := hostparse.ParseCommandEnd(sections[i+1].Args[1:])
	if p != nil {
		add(sectionCmd, p)
		return
	}
	r.ran, r.exitCode, r.seconds = true, end.ExitCode, end.Seconds
	switch r.cfg.Value {
	case config.SSHValueFirstNumber:
		v, p := hostparse.FirstNumber(s.Body)
		r.value, r.hasValue = v, p == nil
		add(sectionCmd, p)
	case config.SSHValuePrometheus:
		var p []hostparse.Problem
		r.metrics, p = parseExposition(s.Body)
		add(sectionCmd, p)
	}
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// labelArena hands out the label slices of one scrape's samples from one allocation
// instead of one per sample (Family.Sample keeps the slice it is given). Each slice is
// capped, so appending to one cannot overwrite the next.
type labelArena struct{ buf []string }

func (a *labelArena) labels(values ...string) []string {
	if cap(a.buf)-len(a.buf) < len(values) {
		a.buf = make([]string, 0, max(64, len(values)))
	}
	start := len(a.buf)
	a.buf = append(a.buf, values...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// emit adds the series of the output to b.
func (o *output) emit(b *collector.Batch, h *host, logger *slog.Logger) {
	// Room for every series at once: CPUs, meminfo, filesystems, units, commands and the
	// handful of single series.
	b.Grow(len(o.stat.CPUs)*(len(hostparse.CPUModes)+2) + len(o.memory) + 6*len(o.fs) +
		len(o.units)*(len(unitStates)+2) + 3*len(o.commands) + len(o.problems) + 16)
	// The label values of the CPUs, uname and units, in one allocation.
	arena := labelArena{buf: make([]string, 0, len(o.stat.CPUs)*2*(len(hostparse.CPUModes)+2)+6+len(o.units)*(3*len(unitStates)+1))}
	for _, cpu := range h.cpu.monotonic(o.stat.BootTime, o.stat.CPUs) {
		for m, mode := range hostparse.CPUModes {
			b.Add(cpuSeconds, cpu.Seconds[m], arena.labels(cpu.ID, mode)...)
		}
		b.Add(cpuGuestSeconds, cpu.Guest, arena.labels(cpu.ID, "user")...)
		b.Add(cpuGuestSeconds, cpu.GuestNice, arena.labels(cpu.ID, "nice")...)
	}
	if o.stat.BootTime > 0 {
		b.Add(bootTime, float64(o.stat.BootTime))
	}
	for _, f := range o.memory {
		b.Add(memFamily(f.Name, f.Bytes), f.Value)
	}
	if o.load != nil {
		b.Add(load1, o.load.Load1)
		b.Add(load5, o.load.Load5)
		b.Add(load15, o.load.Load15)
	}
	if o.clock > 0 {
		b.Add(timeSeconds, o.clock)
	}
	if u := o.uname; u != nil {
		b.Add(unameInfo, 1, arena.labels(u.Domainname, u.Machine, u.Nodename, u.Release, u.Sysname, u.Version)...)
	}
	for _, fs := range o.fs {
		labels := []string{fs.mount.Device, fs.mount.FSType, fs.mount.MountPoint}
		if by := fs.bytes; by != nil {
			b.Add(fsSize, by.Total, labels...)
			b.Add(fsFree, max(0, by.Total-by.Used), labels...)
			b.Add(fsAvail, by.Avail, labels...)
		}
		if in := fs.inodes; in != nil {
			b.Add(fsFiles, in.Total, labels...)
			b.Add(fsFilesFree, in.Avail, labels...)
		}
		ro := 0.0
		if fs.mount.ReadOnly {
			ro = 1
		}
		b.Add(fsReadOnly, ro, labels...)
	}
	o.emitUnits(b, &arena)
	o.emitCommands(b)

	counts := map[[2]string]int{}
	for _, p := range o.problems {
		counts[[2]string{p.section, string(p.Reason)}]++
		logger.Debug("part of the host's output could not be read", "section", p.section, "problem", p.Problem.String())
	}
	for k, n := range counts {
		b.Add(parseProblems, float64(n), k[0], k[1])
	}
}

func (o *output) emitUnits(b *collector.Batch, arena *labelArena) {
	// Monotonic timestamps count from boot: the boot instant is the remote clock minus
	// the uptime (finer than /proc/stat's whole-second btime).
	boot := float64(o.stat.BootTime)
	if o.hasUptime && o.clock > 0 {
		boot = o.clock - o.uptime
	}
	for i, u := range o.units {
		if u.LoadState == "not-found" {
			continue // node_exporter lists loaded units only; a typo shows as a missing series
		}
		// A unit listed with one of its aliases (ssh.service, sshd.service) is shown twice
		// under its Id: its series once. The list is the configured units, a few.
		if slices.ContainsFunc(o.units[:i], func(e hostparse.Unit) bool { return e.ID == u.ID && e.LoadState != "not-found" }) {
			continue
		}
		for _, state := range unitStates {
			v := 0.0
			if u.ActiveState == state {
				v = 1
			}
			b.Add(unitState, v, arena.labels(u.ID, state, u.Type)...)
		}
		id := arena.labels(u.ID) // shared by the unit's other series
		// systemd keeps ActiveEnterTimestamp after the unit stops or fails; node_exporter
		// exports 0 unless the unit is active, and so does this.
		start := 0.0
		if u.ActiveState == "active" && u.ActiveEnterMonotonic > 0 && boot > 0 {
			start = boot + float64(u.ActiveEnterMonotonic)/1e6
		}
		b.Add(unitStart, start, id...)
		if u.HasRestarts {
			b.Add(serviceRestarts, u.NRestarts, id...)
		}
	}
}

func (o *output) emitCommands(b *collector.Batch) {
	for _, r := range o.commands {
		if !r.ran {
			continue
		}
		name := []string{r.cfg.Name} // shared by the command's series
		b.Add(commandExit, float64(r.exitCode), name...)
		b.Add(commandDuration, r.seconds, name...)
		if r.hasValue {
			b.Add(commandValue, r.value, name...)
		}
	}
	emitExposed(b, o.commands)
}
