// Command ronda-sim runs simulated MikroTik hotspot routers that speak the real RouterOS API,
// for ronda's tests, demos and benchmarks, with a JSON control API to cut their power, log
// hotspot users in and out, and inject protocol faults.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"

	"github.com/rondanet/ronda/internal/sim"
)

const help = `Simulated devices speaking their real protocols: MikroTik hotspot routers (RouterOS API),
EPON OLTs (HiOSO, HSGQ and V-SOL web interfaces) and Linux hosts (SSH).

Without --scenario.file it runs the built-in demo (examples/sim-scenario.yml): hotspots on
127.0.0.1:18728 and :18729 (API user "ronda", password "demo-password"), OLTs on
127.0.0.1:18800-18804 and SSH hosts on 127.0.0.1:18822-18823.

Control API (JSON) on --control.listen-address:
  GET  /routers                          every router: address, boot time, user and session counts
  GET  /routers/NAME/users|active|log|writes
  POST /routers/NAME/power-loss          abrupt: sessions in progress lose their time
  POST /routers/NAME/power-off | power-on | reboot
  POST /routers/NAME/login               {"user":"budi","address":"10.5.50.20"}
  POST /routers/NAME/logout              {"user":"budi"}
  POST /routers/NAME/fault               {"fault":"stall"}  (none, stall, drop-mid-reply, fatal, malformed-length, garbage)
  POST /routers/NAME/empty-reply         {"enabled":true}
  GET  /clock   POST /clock/advance?by=5m  (only with --clock.frozen)
  GET  /olts, /olts/NAME/onus|requests   the simulated OLTs (HiOSO, HSGQ and V-SOL web interfaces)
  POST /olts/NAME/fault                  {"fault":"slow"}  (none, unauthorized, server-error, slow, truncated, garbage)
  POST /olts/NAME/onu                    {"pon":1,"onu":3,"status":"PwrDown"}  (also rx_power_dbm, temperature_celsius, active, glitch, name)
  GET  /hosts, /hosts/NAME                the simulated SSH hosts
  POST /hosts/NAME/fault                 {"fault":"stall"}  (none, stall, garbage, refuse-session, script-fails, stall-exec, blackhole)
  POST /hosts/NAME/unit                  {"unit":"nginx.service","stopped":true}

A scenario's timeline: list makes such events happen on their own, at times after the start
(the demo's: an ONU's dying gasp, a server dropping off the network, a router's power cut).`

func main() {
	app := kingpin.New("ronda-sim", help)
	scenarioFile := app.Flag("scenario.file", "Scenario YAML listing the routers, OLTs and hosts (default: the built-in demo).").PlaceHolder("FILE").String()
	controlAddress := app.Flag("control.listen-address", "Address of the JSON control API.").Default(sim.DefaultControlAddress).String()
	clockStart := app.Flag("clock.start", "Simulated time at start-up, RFC 3339 (default: now).").PlaceHolder("2025-03-01T08:00:00Z").String()
	clockFrozen := app.Flag("clock.frozen", "Freeze the clock at --clock.start; it then moves only through POST /clock/advance (golden tests).").Bool()
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)
	app.Version(version.Print("ronda-sim"))
	app.HelpFlag.Short('h')
	kingpin.MustParse(app.Parse(os.Args[1:]))

	var start time.Time
	if *clockStart != "" {
		var err error
		if start, err = time.Parse(time.RFC3339, *clockStart); err != nil {
			app.Fatalf("--clock.start: %q is not an RFC 3339 time such as 2025-03-01T08:00:00Z", *clockStart)
		}
	}

	logger := promslog.New(logConfig)
	logger.Info("starting ronda-sim", "version", version.Info())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := sim.Run(ctx, sim.Options{
		ScenarioFile:   *scenarioFile,
		ControlAddress: *controlAddress,
		ClockStart:     start,
		ClockFrozen:    *clockFrozen,
		Logger:         logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ronda-sim:", err)
		os.Exit(1)
	}
}
