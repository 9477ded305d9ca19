// Package sim runs ronda's simulated lab: RouterOS routers (package sim/routeros) described
// by a scenario file, driven over a small JSON control API so that tests, demos and
// benchmarks can cut the power, log users in or inject protocol faults. cmd/ronda-sim is a
// thin wrapper around Run.
package sim
