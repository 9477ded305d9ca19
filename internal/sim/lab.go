package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/rondanet/ronda/internal/sim/routeros"
)

// DefaultControlAddress is where the control API listens unless told otherwise.
const DefaultControlAddress = "127.0.0.1:18080"

// Options configure Run.
type Options struct {
	ScenarioFile string    // "" = the built-in demo scenario
	Scenario     *Scenario // when set, used instead of ScenarioFile
	// ControlAddress is the control API's listen address (default DefaultControlAddress).
	ControlAddress string
	// RouterAddress, when set, replaces every router's listen address (tests use
	// 127.0.0.1:0); RouterAddresses replaces single routers' addresses by name.
	RouterAddress   string
	RouterAddresses map[string]string
	// ClockStart is the simulated time at start (zero: now). With ClockFrozen the clock is a
	// ManualClock that moves only through POST /clock/advance; otherwise it runs from
	// ClockStart at wall-clock speed.
	ClockStart  time.Time
	ClockFrozen bool
	Logger      *slog.Logger
	// Ready, when set, is called once every router and the control API listen.
	Ready func(*Lab)
}

// Lab is a running set of simulated routers and their control API.
type Lab struct {
	logger  *slog.Logger
	clock   routeros.Clock
	manual  *routeros.ManualClock // nil unless the clock is frozen
	routers []*labRouter
	byName  map[string]*labRouter
	oltLab  // the simulated OLTs (lab_olt.go)
	sshLab  // the simulated SSH hosts (lab_ssh.go)
	control net.Listener
	server  *http.Server
	served  chan error
	// stopTimeline ends the scenario's timeline; timelineDone is closed once it has.
	stopTimeline chan struct{}
	timelineDone chan struct{}
}

type labRouter struct {
	name   string
	router *routeros.Router
}

// Run starts the lab and serves until ctx ends.
func Run(ctx context.Context, opts Options) error {
	lab, err := Start(opts)
	if err != nil {
		return err
	}
	if opts.Ready != nil {
		opts.Ready(lab)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-lab.served:
		serveErr = fmt.Errorf("control API: %w", serveErr)
	}
	return errors.Join(serveErr, lab.Close())
}

// Start builds the routers of the scenario, makes them listen, and starts the control API.
func Start(opts Options) (*Lab, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	scenario := opts.Scenario
	if scenario == nil {
		var err error
		if scenario, err = LoadScenario(opts.ScenarioFile); err != nil {
			return nil, err
		}
	}
	lab := &Lab{logger: logger, byName: map[string]*labRouter{}, served: make(chan error, 1)}
	start := opts.ClockStart
	if start.IsZero() {
		start = time.Now()
	}
	switch {
	case opts.ClockFrozen:
		lab.manual = routeros.NewManualClock(start)
		lab.clock = lab.manual
	case !opts.ClockStart.IsZero():
		lab.clock = offsetClock{offset: time.Until(start)}
	default:
		lab.clock = routeros.RealClock
	}

	for _, rs := range scenario.Routers {
		r, err := newRouter(rs, lab.clock, logger)
		if err != nil {
			lab.Close()
			return nil, err
		}
		addr := rs.Listen
		if opts.RouterAddress != "" {
			addr = opts.RouterAddress
		}
		if a, ok := opts.RouterAddresses[rs.Name]; ok {
			addr = a
		}
		lr := &labRouter{name: rs.Name, router: r}
		lab.routers = append(lab.routers, lr)
		lab.byName[rs.Name] = lr
		if err := r.Listen(addr); err != nil {
			lab.Close()
			return nil, fmt.Errorf("router %s: %w", rs.Name, err)
		}
		logger.Info("router listening", "router", rs.Name, "address", r.Addr(), "identity", rs.Identity,
			"users", len(r.Users()), "active", len(r.Active()))
	}

	if err := lab.startOLTs(scenario.OLTs); err != nil {
		lab.Close()
		return nil, err
	}
	if err := lab.startHosts(scenario.Hosts); err != nil {
		lab.Close()
		return nil, err
	}

	controlAddr := opts.ControlAddress
	if controlAddr == "" {
		controlAddr = DefaultControlAddress
	}
	l, err := net.Listen("tcp", controlAddr)
	if err != nil {
		lab.Close()
		return nil, fmt.Errorf("control API: %w", err)
	}
	lab.control = l
	lab.server = &http.Server{
		Handler:           lab.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := lab.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			lab.served <- err
		}
		close(lab.served)
	}()
	logger.Info("control API listening", "address", l.Addr().String(), "clock_frozen", opts.ClockFrozen)

	lab.stopTimeline, lab.timelineDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(lab.timelineDone)
		lab.runTimeline(scenario.Timeline, time.Now(), lab.stopTimeline)
	}()
	if len(scenario.Timeline) > 0 {
		logger.Info("timeline started", "events", len(scenario.Timeline))
	}
	return lab, nil
}

// Close stops the control API and every router.
func (lab *Lab) Close() error {
	var errs []error
	if lab.stopTimeline != nil {
		close(lab.stopTimeline)
		<-lab.timelineDone
		lab.stopTimeline = nil
	}
	if lab.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, lab.server.Shutdown(ctx))
		cancel()
		for range lab.served { // wait for Serve to return
		}
		lab.server = nil
	}
	for _, lr := range lab.routers {
		errs = append(errs, lr.router.Close())
	}
	errs = append(errs, lab.closeOLTs()...)
	errs = append(errs, lab.closeHosts()...)
	return errors.Join(errs...)
}

// ControlAddr is the control API's host:port.
func (lab *Lab) ControlAddr() string { return lab.control.Addr().String() }

// RouterNames lists the routers in scenario order.
func (lab *Lab) RouterNames() []string {
	out := make([]string, len(lab.routers))
	for i, lr := range lab.routers {
		out[i] = lr.name
	}
	return out
}

// Router returns a router by name.
func (lab *Lab) Router(name string) (*routeros.Router, bool) {
	lr, ok := lab.byName[name]
	if !ok {
		return nil, false
	}
	return lr.router, true
}

// Clock is the lab's clock; ManualClock returns it when it is frozen.
func (lab *Lab) Clock() routeros.Clock { return lab.clock }

// ManualClock returns the frozen clock, or nil when the lab runs on real time.
func (lab *Lab) ManualClock() *routeros.ManualClock { return lab.manual }

// offsetClock runs at wall-clock speed from a chosen start.
type offsetClock struct{ offset time.Duration }

func (c offsetClock) Now() time.Time { return time.Now().Add(c.offset) }
