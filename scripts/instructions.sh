#!/bin/sh
# instructions.sh PACKAGE BENCHMARK [N]: the instructions one op of a Go benchmark costs,
# counted by valgrind (cachegrind), which, unlike time on a shared or virtual machine, gives
# the same figure run after run (±0.2%). It runs the benchmark N and 2N times (default
# 1000) and prints the difference divided by N, so what happens once (setup, the first
# op) cancels out. The garbage collector is off and one P runs, so that neither adds
# instructions of its own at random.
#
#   scripts/instructions.sh ./collector/olt/ 'PageParseExport$'
set -eu
pkg=${1:?usage: $0 PACKAGE BENCHMARK [N]}
bench=${2:?usage: $0 PACKAGE BENCHMARK [N]}
n=${3:-1000}
command -v valgrind >/dev/null || { echo "$0: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/bench.test" "$pkg"
cd "$pkg" # the benchmark's own directory, for its testdata
count() {
	GOGC=off GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		"$dir/bench.test" -test.run '^$' -test.bench "$bench" -test.benchtime "${1}x" 2>&1 |
		awk '/I *refs:/ { gsub(",", "", $4); print $4 }'
}
once=$(count "$n")
twice=$(count $((2 * n)))
echo "$bench: $(( (twice - once) / n )) instructions/op"
