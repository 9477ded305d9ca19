#!/bin/bash
# alternate.sh DIR BENCH ROUNDS BENCHTIME UNIT BINARY...: runs one benchmark of two or more
# test binaries (go test -c -o …) in turn, ROUNDS times each, from DIR (the package's own
# folder, for its testdata), and prints the minimum and median of UNIT (ns/op, or a metric
# the benchmark reports, such as parse+export/fetch) for each binary.
#
# On a shared or virtual machine, speed drifts by 10–20% from minute to minute: two
# binaries measured one after the other compare the minutes as much as the code.
# Alternating them spreads the drift over both.
#
#   git stash; go test -c -o /tmp/before.test ./collector/olt/; git stash pop
#   go test -c -o /tmp/after.test ./collector/olt/
#   scripts/alternate.sh collector/olt 'PageParseExport$' 8 5000x ns/op /tmp/before.test /tmp/after.test
set -euo pipefail
if [ $# -lt 6 ]; then
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
dir=$1 bench=$2 rounds=$3 benchtime=$4 unit=$5
shift 5
binaries=()
for b in "$@"; do
	binaries+=("$(realpath "$b")")
done
cd "$dir"
declare -A values
for _ in $(seq "$rounds"); do
	for b in "${binaries[@]}"; do
		v=$("$b" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" 2>&1 |
			awk -v unit="$unit" '/^Benchmark/ { for (i = 2; i <= NF; i++) if ($i == unit) { print $(i - 1); exit } }')
		if [ -z "$v" ]; then
			echo "$0: $b reported no $unit for $bench" >&2
			exit 1
		fi
		values[$b]="${values[$b]:-} $v"
	done
done
for b in "${binaries[@]}"; do
	printf '%s: ' "$b"
	tr ' ' '\n' <<<"${values[$b]}" | grep . | sort -g |
		awk -v unit="$unit" '{ v[NR] = $1 } END { printf "min %s median %s %s (%d runs)\n", v[1], v[int((NR + 1) / 2)], unit, NR }'
done
