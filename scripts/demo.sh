#!/usr/bin/env bash
# make demo: the simulated lab (ronda-sim), ronda-exporter and a real Prometheus that finds
# every target through /sd. Everything listens on 127.0.0.1; Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

# Overridable so the end-to-end test can run this very script on freshly built binaries.
bin=${RONDA_BIN:-bin}
state=${RONDA_DEMO_STATE:-.demo}
mkdir -p "$state/prometheus"
pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo ">> stopping the demo"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

for port in 18080 18728 18729 18800 18801 18802 18803 18804 18822 18823 9850 9090 9852; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port on 127.0.0.1 is already in use: stop what listens there (another demo?) and try again" >&2
    exit 1
  fi
done

wait_for() { # name url
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$2" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$1 did not come up at $2; see $state/$1.log" >&2
  exit 1
}

echo ">> starting ronda-sim (two simulated MikroTik hotspots, five EPON OLTs)"
"$bin/ronda-sim" --control.listen-address=127.0.0.1:18080 >"$state/ronda-sim.log" 2>&1 &
pids+=($!)
wait_for ronda-sim http://127.0.0.1:18080/routers

echo ">> starting ronda-exporter with examples/ronda.yml"
"$bin/ronda-exporter" --config.file=examples/ronda.yml --web.listen-address=127.0.0.1:9850 >"$state/ronda-exporter.log" 2>&1 &
pids+=($!)
wait_for ronda-exporter http://127.0.0.1:9850/-/ready

echo ">> starting Prometheus with examples/prometheus.yml"
prometheus --config.file=examples/prometheus.yml --storage.tsdb.path="$state/prometheus" \
  --web.listen-address=127.0.0.1:9090 >"$state/prometheus.log" 2>&1 &
pids+=($!)
wait_for prometheus http://127.0.0.1:9090/-/ready

echo ">> starting ronda-restore serve (the restore web page)"
"$bin/ronda-restore" --config.file=examples/ronda.yml --prometheus.url=http://127.0.0.1:9090 \
  --ledger.file="$state/ronda-restore.ledger.json" serve --web.listen-address=127.0.0.1:9852 >"$state/ronda-restore.log" 2>&1 &
pids+=($!)
wait_for ronda-restore http://127.0.0.1:9852/-/ready

cat <<MSG

ronda demo is running (logs in $state/):

  ronda-exporter   http://127.0.0.1:9850/            targets and their last scrapes
                   http://127.0.0.1:9850/mikrotik?target=hotspot-pasar
                   http://127.0.0.1:9850/sd          what Prometheus discovers
                   http://127.0.0.1:9850/ssh?target=web-pasar   a Linux host over SSH
  Prometheus       http://127.0.0.1:9090/targets     every target found through /sd
                   http://127.0.0.1:9090/graph?g0.expr=mikrotik_hotspot_active_sessions&g0.tab=0
  ronda-sim        http://127.0.0.1:18080/routers    the simulated routers; try a power cut:
                   curl -X POST http://127.0.0.1:18080/routers/hotspot-pasar/power-loss
                   http://127.0.0.1:18080/olts       the simulated OLTs; power down an ONU:
                   curl -X POST -d '{"pon":1,"onu":1,"status":"PwrDown"}' http://127.0.0.1:18080/olts/olt-pasar/onu
  ronda-restore    http://127.0.0.1:9852/            after a power cut, give the users their time back

Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "a demo process exited; see the logs in $state/" >&2
