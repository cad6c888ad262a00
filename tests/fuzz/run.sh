#!/usr/bin/env bash
# run.sh BUILD SRC [HARNESS...] [-- LIBFUZZER-OPTIONS...] -- the libFuzzer
# harnesses of tests/fuzz (built with CC=clang cmake -DCP_FUZZ=ON) on seed
# corpora made from inputs/, scenarios/ and tests/data/, each in turn.
# Default: every harness, a fixed number of runs each (CI: a fixed amount
# of work, not of time; the graph harness's runs are the slowest).  A crash, leak or sanitizer report fails it; the input that did
# it is kept as BUILD/fuzz-HARNESS-crash-*.  For an hour of fuzzing:
#   tests/fuzz/run.sh build-fuzz . -- -max_total_time=900       (4 x 15 minutes)
#   tests/fuzz/run.sh build-fuzz . graph -- -max_total_time=3600 (one for an hour)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
shift 2
harnesses=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do harnesses+=("$1"); shift; done
[ $# -gt 0 ] && shift
opts=("$@")
[ ${#harnesses[@]} = 0 ] && harnesses=(csv graph scenario checkpoint)
work=$(mktemp -d /tmp/cp-fuzz-corpus-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/csv" "$work/graph" "$work/scenario" "$work/checkpoint"
cp "$src"/inputs/*.csv "$src"/jobs/example-batch.csv "$work/csv/"
for dir in "$src/inputs" "$src/tests/data/lognormal/inputs"; do
    [ -e "$dir/nodes.csv" ] || continue
    for f in nodes edges params series metrics; do cat "$dir/$f.csv"; echo '%%'; done \
        >"$work/graph/$(basename "$dir")"
done
cp "$src"/scenarios/*.ini "$src"/tests/data/lognormal/*.ini "$work/scenario/"
declare -A runs=([csv]=20000 [graph]=1500 [scenario]=10000 [checkpoint]=20000)
status=0
for h in "${harnesses[@]}"; do
    these=("${opts[@]}")
    [ ${#these[@]} = 0 ] && these=(-runs="${runs[$h]}")
    echo "== fuzz_$h ${these[*]} =="
    CP_FUZZ_SEED="$work/checkpoint" "$build/tests/fuzz/fuzz_$h" "${these[@]}" -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-$h-" "$work/$h" \
        2>"$work/log-$h" || { status=1; tail -40 "$work/log-$h"; }
    grep -E "^(Done|stat::number_of_executed_units)" "$work/log-$h" || true
done
exit $status
