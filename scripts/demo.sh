#!/usr/bin/env bash
# make demo: the simulated lab (ronda-sim, with events on a timeline), ronda-exporter, a real
# Prometheus that finds every target through /sd and evaluates rules/, a real Alertmanager
# routing with examples/alertmanager.yml, and ronda-webhook printing the alerts on this
# terminal. Everything listens on 127.0.0.1; Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

# Overridable so the end-to-end test can run this very script on freshly built binaries.
bin=${RONDA_BIN:-bin}
state=${RONDA_DEMO_STATE:-.demo}
# The end-to-end tests (e2e/demo_test.go) run this script with rule files whose `for` is
# shortened, Alertmanager waits shortened and phones stood in for; the demo itself uses the
# files of this repository as they are.
rules=${RONDA_DEMO_RULES:-$PWD/rules}
alertmanager_config=${RONDA_DEMO_ALERTMANAGER_CONFIG:-examples/alertmanager.yml}
webhook_config=${RONDA_DEMO_WEBHOOK_CONFIG:-examples/ronda-webhook-demo.yml}
mkdir -p "$state/prometheus" "$state/alertmanager"
pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo ">> stopping the demo"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

for port in 18080 18728 18729 18800 18801 18802 18803 18804 18822 18823 9850 9851 9093 9090 9852; do
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

echo ">> starting ronda-sim (two MikroTik hotspots, five EPON OLTs, two Linux hosts; events in examples/sim-scenario.yml's timeline)"
"$bin/ronda-sim" --control.listen-address=127.0.0.1:18080 >"$state/ronda-sim.log" 2>&1 &
pids+=($!)
wait_for ronda-sim http://127.0.0.1:18080/routers

echo ">> starting ronda-exporter with examples/ronda.yml"
"$bin/ronda-exporter" --config.file=examples/ronda.yml --web.listen-address=127.0.0.1:9850 >"$state/ronda-exporter.log" 2>&1 &
pids+=($!)
wait_for ronda-exporter http://127.0.0.1:9850/-/ready

echo ">> starting ronda-webhook with $webhook_config (alerts are printed below)"
# Its standard output is this terminal: the console channel prints each message there.
"$bin/ronda-webhook" --config.file="$webhook_config" --storage.path="$state/ronda-webhook.db" \
  --web.listen-address=127.0.0.1:9851 2>"$state/ronda-webhook.log" &
pids+=($!)
wait_for ronda-webhook http://127.0.0.1:9851/-/ready

echo ">> starting Alertmanager with $alertmanager_config"
prometheus-alertmanager --config.file="$alertmanager_config" --storage.path="$state/alertmanager" \
  --web.listen-address=127.0.0.1:9093 --cluster.listen-address= >"$state/alertmanager.log" 2>&1 &
pids+=($!)
wait_for alertmanager http://127.0.0.1:9093/-/ready

echo ">> starting Prometheus with examples/prometheus.yml (rules from $rules)"
# examples/prometheus.yml as it is, but for the rules' path, made absolute (the copy lives in $state).
sed "s#^  - \.\./rules/\*\.yml\$#  - $rules/*.yml#" examples/prometheus.yml >"$state/prometheus.yml"
grep -qF -- "- $rules/*.yml" "$state/prometheus.yml" || { echo "examples/prometheus.yml no longer loads ../rules/*.yml" >&2; exit 1; }
prometheus --config.file="$state/prometheus.yml" --storage.tsdb.path="$state/prometheus" \
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
  Alertmanager     http://127.0.0.1:9093/            alerts, groups, silences
  ronda-webhook    http://127.0.0.1:9851/api/v1/outbox   messages waiting; they are printed here

What happens (examples/sim-scenario.yml's timeline; README "The demo" tells what to expect):
  0:45  olt-pasar PON 2 ONU 2 (Kantor Desa) loses power: dying gasp
  1:00  the server web-pasar drops off the network
  1:30  hotspot-pasar loses power with users online; 2:00 it boots again
 10:00  web-pasar is back;  12:00  the ONU is powered again
The alerts (and the lab's standing faults) arrive below within minutes. After the power cut:
  bin/ronda-restore --config.file=examples/ronda.yml points | plan | apply

Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "a demo process exited; see the logs in $state/" >&2
