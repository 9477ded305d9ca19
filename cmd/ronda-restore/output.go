package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rondanet/ronda/internal/routeros"
	"github.com/rondanet/ronda/restore"
)

// output writes results as aligned tables for people or as JSON for programs.
type output struct {
	w    io.Writer
	json bool
}

func (o *output) encode(v any) error {
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (o *output) table() *tabwriter.Writer {
	return tabwriter.NewWriter(o.w, 0, 0, 2, ' ', 0)
}

// when is a time as the operator reads it: local time, to the second, in RFC 3339 so it
// can be pasted into --reboot or --at as it is.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Truncate(time.Second).Format(time.RFC3339)
}

// dur writes a duration the way RouterOS shows it (1h2m3s).
func dur(d time.Duration) string { return routeros.FormatDuration(d.Round(time.Second)) }

func limit(d time.Duration) string {
	if d == 0 {
		return "unlimited"
	}
	return dur(d)
}

func (o *output) points(router, since string, points []restore.Point) error {
	if o.json {
		if points == nil {
			points = []restore.Point{}
		}
		return o.encode(points)
	}
	if len(points) == 0 {
		_, err := fmt.Fprintf(o.w, "No abrupt reboot of %s in the last %s.\n", router, since)
		return err
	}
	tw := o.table()
	fmt.Fprintln(tw, "BOOT TIME\tRESTORE POINT\tGAP\tONLINE\tNOTE")
	for _, p := range points {
		note := ""
		if !p.Bridged() && p.Gap > 2*p.Interval {
			// Plan refuses it by default: say what accepting it takes.
			note = fmt.Sprintf("Prometheus saw no failure before the boot: plan needs --max-gap=%s", dur(p.Gap))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", when(p.BootTime), when(p.At), dur(p.Gap), p.Online, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(o.w, "\nRestore one with: ronda-restore apply --router %s --reboot BOOT_TIME (newest by default)\n", router)
	return err
}

func (o *output) plan(plan *restore.Plan) error {
	if o.json {
		return o.encode(plan)
	}
	p := plan.Point
	fmt.Fprintf(o.w, "Router %s, restore point %s", plan.Router, when(p.At))
	if !p.BootTime.IsZero() {
		fmt.Fprintf(o.w, " (booted again at %s)", when(p.BootTime))
	}
	fmt.Fprintf(o.w, "; lost times are exact to within %s.\n\n", dur(p.Gap))
	if len(plan.Entries) == 0 {
		_, err := fmt.Fprintln(o.w, "Nobody was online at the restore point: nothing to restore.")
		return err
	}
	tw := o.table()
	fmt.Fprintln(tw, "USER\tLIMIT NOW\tUSED THEN\tSTORED NOW\tLOST\tNEW LIMIT\tSKIPPED")
	for _, e := range plan.Entries {
		newLimit, lost := "-", "-"
		if e.Restored() {
			newLimit, lost = dur(e.NewLimit), dur(e.Lost)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.User, limit(e.LimitNow), dur(e.Used), dur(e.UptimeNow), lost, newLimit, skipText(e))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	restored, back := 0, time.Duration(0)
	var skips []restore.Skip
	for _, e := range plan.Entries {
		if e.Restored() {
			restored++
			back += e.Lost
		} else {
			skips = append(skips, e.Skip)
		}
	}
	_, err := fmt.Fprintf(o.w, "\n%d to restore, %s of forgotten use to take off their limits; skipped: %s.\n", restored, dur(back), skipSummary(skips))
	return err
}

func skipText(e restore.Entry) string {
	if e.Skip == "" {
		return ""
	}
	return string(e.Skip)
}

// skipSummary counts skips by reason: "2 unlimited, 1 expired-voucher".
func skipSummary(skips []restore.Skip) string {
	if len(skips) == 0 {
		return "none"
	}
	count := map[restore.Skip]int{}
	var order []restore.Skip
	for _, s := range skips {
		if count[s] == 0 {
			order = append(order, s)
		}
		count[s]++
	}
	slices.Sort(order)
	parts := make([]string, 0, len(order))
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
	}
	return strings.Join(parts, ", ")
}

func (o *output) result(res *restore.Result, took time.Duration) error {
	if o.json {
		return o.encode(res)
	}
	tw := o.table()
	fmt.Fprintln(tw, "USER\tOLD LIMIT\tLOST\tNEW LIMIT\tOUTCOME")
	var skips []restore.Skip
	for _, oc := range res.Outcomes {
		outcome := "restored"
		switch {
		case oc.Error != "":
			outcome = "FAILED: " + oc.Error
		case !oc.Applied:
			outcome = "skipped: " + string(oc.Skip)
			skips = append(skips, oc.Skip)
		}
		newLimit, lost := "-", "-"
		if oc.Applied || oc.Error != "" {
			newLimit, lost = dur(oc.NewLimit), dur(oc.Lost)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", oc.User, limit(oc.LimitNow), lost, newLimit, outcome)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(o.w, "\nRestored %d users: %s of forgotten use taken off their limits; skipped: %s; failed: %d. Took %s.\n",
		res.Applied, dur(res.GivenBack), skipSummary(skips), res.Failed, took.Round(time.Millisecond))
	return err
}

func countRestored(plan *restore.Plan) int {
	n := 0
	for _, e := range plan.Entries {
		if e.Restored() {
			n++
		}
	}
	return n
}
