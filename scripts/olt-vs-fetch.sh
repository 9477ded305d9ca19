#!/bin/sh
# olt-vs-fetch.sh [COUNT]: BenchmarkPageParseExportVsFetch (issue 3's goal: parse and export
# of a page at most 0.5x its bare fetch) with the OLT in a process of its own, as an OLT is a
# machine of its own, COUNT runs (default 3).
#
# With RONDA_BENCH_OLT_URL unset it starts ronda-sim serving one HiOSO OLT of 4 PONs x 64
# ONUs (the same population as the in-process benchmark) on 127.0.0.1:18900, its control
# API on :18901, and stops it afterwards. With RONDA_BENCH_OLT_URL set (and
# RONDA_BENCH_OLT_USERNAME, RONDA_BENCH_OLT_PASSWORD for its HTTP Basic login) it measures
# against that server instead: a real HiOSO OLT, say. The benchmark only sends GETs of
# /onuAllPonOnuList.asp, one at a time; mind the OLT's other users while it runs.
#
#   scripts/olt-vs-fetch.sh
#   RONDA_BENCH_OLT_URL=http://192.0.2.10 RONDA_BENCH_OLT_USERNAME=admin \
#     RONDA_BENCH_OLT_PASSWORD="$(cat olt.password)" scripts/olt-vs-fetch.sh 1
set -eu
count=${1:-3}
cd "$(dirname "$0")/.."
go=${GO:-go}
if [ -z "${RONDA_BENCH_OLT_URL:-}" ]; then
	dir=$(mktemp -d)
	sim=
	trap 'if [ -n "$sim" ]; then kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null; fi; rm -rf "$dir"' EXIT
	"$go" build -o "$dir/ronda-sim" ./cmd/ronda-sim
	cat >"$dir/olt.yml" <<-EOF
		olts:
		  - name: bench
		    listen: 127.0.0.1:18900
		    personality: hioso
		    username: admin
		    password: pw
		    pons: 4
		    onus_per_pon: 64
		    seed: 0
	EOF
	"$dir/ronda-sim" --scenario.file "$dir/olt.yml" --control.listen-address 127.0.0.1:18901 >"$dir/sim.log" 2>&1 &
	sim=$!
	tries=0
	until grep -q 'msg="control API listening"' "$dir/sim.log"; do
		if ! kill -0 "$sim" 2>/dev/null || [ "$tries" -ge 100 ]; then
			echo "$0: ronda-sim did not start (is 127.0.0.1:18900 or :18901 in use?):" >&2
			cat "$dir/sim.log" >&2
			exit 1
		fi
		tries=$((tries + 1))
		sleep 0.1
	done
	RONDA_BENCH_OLT_URL=http://127.0.0.1:18900 RONDA_BENCH_OLT_USERNAME=admin RONDA_BENCH_OLT_PASSWORD=pw
	export RONDA_BENCH_OLT_URL RONDA_BENCH_OLT_USERNAME RONDA_BENCH_OLT_PASSWORD
	echo "ronda-sim (pid $sim) serves the OLT at $RONDA_BENCH_OLT_URL"
fi
"$go" test -run '^$' -bench 'PageParseExportVsFetch' -benchtime 3000x -count "$count" ./collector/olt/
