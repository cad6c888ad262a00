#!/usr/bin/env bash
# bench.sh -- speed and memory of the baseline, as figures (not a test).
#
#   jobs/bench.sh [N]      N samples per measurement (default 200000)
#   jobs/bench.sh --graph [N ...]  seconds to validate synthetic graphs of N
#                          nodes and about 2N edges (default 10000 30000 100000)
#   jobs/bench.sh --sensitivity [N]  `sensitivity` of the baseline with N base
#                          samples (default 5000) at 1 and 2 ranks: model
#                          evaluations (N (K + 2)) per second
#
# Prints samples per second per rank at 1 and 2 ranks and the speed-up
# (medians of three alternated pairs), the peak resident memory per rank
# at N/10, N and 10N samples (from the
# manifests, which record getrusage's maximum over ranks), what a round
# costs at 2 ranks beyond its chunks (the manifest's "rounds"), the floors
# (chokepoint-floors: the variates alone and the reduction alone, against
# the model alone and the whole, per sample on one thread), the model and
# the whole with the baseline ended at 2027Q4, 2030Q4 and its own end
# (N/10 samples each) and the model's time split into what grows with the
# quarters and what grows with their square, and the speed
# side by side with a reference commit built in a temporary worktree and
# run on today's baseline, or on the reference's own where the reference
# cannot read today's (CP_BENCH_AGAINST=COMMIT, default c87ebd5, the
# commit issue 15 started from; CP_BENCH_AGAINST=none skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs/setup.sh >/dev/null
if [ "${1:-}" = --graph ]; then
    shift
    out=$(mktemp -d /tmp/cp-bench-XXXXXX)
    trap 'rm -rf "$out"' EXIT
    echo "chokepoint loader benchmark: validate on synthetic graphs (jobs/bench-graph.py)"
    for n in "${@:-10000 30000 100000}"; do
        for k in $n; do
            python3 jobs/bench-graph.py "$k" "$out/g$k" >/dev/null
            edges=$(($(wc -l < "$out/g$k/inputs/edges.csv") - 1))
            start=$(date +%s.%N)
            build/chokepoint validate "$out/g$k/big.ini" >/dev/null
            awk -v n="$k" -v e="$edges" -v s="$start" -v t="$(date +%s.%N)" \
                'BEGIN { printf "  %7d nodes, %7d edges: %.2f s\n", n, e, t - s }'
        done
    done
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
out=$(mktemp -d /tmp/cp-bench-XXXXXX)
trap 'rm -rf "$out"; git worktree prune 2>/dev/null || true' EXIT
field() { sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1/manifest.json"; }
if [ "${1:-}" = --sensitivity ]; then
    n=${2:-5000}
    echo "chokepoint sensitivity benchmark: baseline scenario, $n base samples, $(nproc) cores"
    echo "  $(build/chokepoint --version)"
    for ranks in 1 2; do
        mpirun -n "$ranks" build/chokepoint sensitivity scenarios/baseline.ini --samples "$n" \
            --seed 1 --out "$out/s$ranks" --quiet
        awk -v r="$ranks" -v e="$(field "$out/s$ranks" model_evaluations)" \
            -v k="$(field "$out/s$ranks" evaluations_per_sample)" \
            -v s="$(field "$out/s$ranks" wall_seconds)" \
            -v x="$(field "$out/s$ranks" evaluations_per_second)" 'BEGIN {
            printf "  %d rank%s: %d model evaluations (%d per sample) in %.1f s: %.0f evaluations/s (%.0f per rank)\n",
                   r, (r > 1 ? "s" : " "), e, k, s, x, x / r }'
    done
    exit 0
fi
n=${1:-200000}
run() { # ranks samples dir
    mpirun -n "$1" build/chokepoint run scenarios/baseline.ini --samples "$2" --seed 1 \
        --out "$out/$3" --quiet
}
# 1 and 2 ranks in three pairs, back to back: the second core of a shared
# machine is at times busy with work not ours, which one run cannot tell
# from the code's cost, so the figures are the medians (the speed-up the
# median of the pairs' ratios) and the rounds below are those of the
# median 2-rank run.
rates1=() rates2=() ups=()
for k in 1 2 3; do
    run 1 "$n" "r1_$k"
    run 2 "$n" "r2_$k"
    rates1+=("$(field "$out/r1_$k" samples_per_second)")
    rates2+=("$(field "$out/r2_$k" samples_per_second)")
    ups+=("$(awk -v a="${rates1[-1]}" -v b="${rates2[-1]}" 'BEGIN { print b / a }')")
done
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
rate1=$(median3 "${rates1[@]}")
rate2=$(median3 "${rates2[@]}")
for k in 1 2 3; do # the directory of the median 2-rank run
    [ "${rates2[k - 1]}" = "$rate2" ] && ln -sfn "$out/r2_$k" "$out/r2" && break
done
run 2 $((n / 10)) r2d10
run 2 $((10 * n)) r2x10
cells=$(($(wc -l < "$out/r1_1/summary.csv") - 1))
echo "chokepoint benchmark: baseline scenario, $cells output cells per sample, $(nproc) cores"
echo "  $(build/chokepoint --version)"
awk -v r1="$rate1" -v r2="$rate2" -v up="$(median3 "${ups[@]}")" \
    -v u="$(printf '%s\n' "${ups[@]}" | sort -g | tr '\n' ' ')" 'BEGIN {
    printf "  1 rank : %9.0f samples/s per rank (median of 3 runs)\n", r1
    printf "  2 ranks: %9.0f samples/s per rank (%.0f in total; median of 3 runs, each after a 1-rank one)\n", r2 / 2, r2
    split(u, s, " ")
    printf "  speed-up at 2 ranks: %.2fx (median of the 3 pairs; %.2f to %.2f)\n", up, s[1], s[3] }'
mib() { echo $(($(field "$out/$1" peak_rss_kib_per_rank) / 1024)); }
awk -v a="$(mib r2d10)" -v b="$(mib r2)" -v c="$(mib r2x10)" -v n="$((n / 10))" 'BEGIN {
    printf "  peak memory per rank (2 ranks): %d MiB at N = %d samples, %d MiB at 10N, %d MiB at 100N (+%.1f%%)\n",
           a, n, b, c, 100 * (c - a) / a }'
# The rounds of the 2-rank run at n samples (manifest "rounds": rank 0's
# seconds): what a round costs beyond its chunks, and the final reduction.
round() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$out/r2/manifest.json"; }
awk -v c="$(round count)" -v k="$(round rank0_chunks)" -v m="$(round rank0_chunk_seconds_mean)" \
    -v sd="$(round rank0_chunk_seconds_sd)" -v a="$(round rank0_agree_seconds)" -v g="$(round rank0_merge_seconds)" 'BEGIN {
    printf "  rounds at 2 ranks: %d (rank 0 simulated %d chunks, up to 4 a round); a chunk (256 samples) %.2f ms, sd %.2f ms\n", c, k, 1e3 * m, 1e3 * sd
    printf "    agreement %.0f us a round (the all-reduce and the wait for the slower rank: %.2f%% of the simulating); final reduction %.3f s\n", 1e6 * a / c, 100 * a / (k * m), g }'
# The floors: what a faster model would still spend on each sample.
build/chokepoint-floors scenarios/baseline.ini "$n" | sed 's/^/  /'
# By horizon: the baseline ended earlier (a child that sets only `end`),
# n/10 samples each.  The model's time fitted as a T + b T^2 from the
# longest two says how much of it grows with the quarters (each quarter's
# own work) and how much with their square (the fleets' passes over their
# cohorts, which number the quarters so far).
read -r y0 q0 <<<"$(sed -n 's/^start = \([0-9]*\)Q\([1-4]\).*/\1 \2/p' scenarios/baseline.ini)"
read -r y1 q1 <<<"$(sed -n 's/^end = \([0-9]*\)Q\([1-4]\).*/\1 \2/p' scenarios/baseline.ini)"
floor_us() { sed -n "s/.*$1.* \([0-9.]*\) us a sample.*/\1/p" "$2"; }
echo "  by horizon (the baseline ended earlier, $((n / 10)) samples, one thread):"
fit=()
for e in "2027 4" "2030 4" "$y1 $q1"; do
    read -r y q <<<"$e"
    printf '[scenario]\nbase = %s/scenarios/baseline.ini\nname = baseline\nend = %sQ%s\n' \
        "$PWD" "$y" "$q" >"$out/end$y.ini"
    build/chokepoint-floors "$out/end$y.ini" "$((n / 10))" >"$out/end$y.txt"
    m=$(floor_us "model alone" "$out/end$y.txt")
    w=$(floor_us "the whole" "$out/end$y.txt")
    t=$(((y - y0) * 4 + q - q0 + 1)) # quarters from the baseline's start
    fit+=("$t" "$m")
    awk -v e="${y}Q$q" -v t="$t" -v m="$m" -v w="$w" 'BEGIN {
        printf "    to %s (%d quarters): the model %.2f us, the whole %.2f us a sample (%.0f samples/s)\n", e, t, m, w, 1e6 / w }'
done
awk -v t1="${fit[2]}" -v m1="${fit[3]}" -v t2="${fit[4]}" -v m2="${fit[5]}" 'BEGIN {
    b = (m2 / t2 - m1 / t1) / (t2 - t1); a = m1 / t1 - b * t1
    printf "    the model as a T + b T^2 (from %d and %d quarters): a %.3f us, b %.4f us; at %d quarters %.1f us with the quarters, %.1f with their square\n",
           t1, t2, a, b, t2, a * t2, b * t2 * t2 }'
# Side by side with the reference commit: one rank, n samples, today's
# baseline, timed by user CPU seconds (which waiting for the CPU does not
# inflate), in five pairs run back to back, the reference first: a shared
# machine's speed drifts by tens of percent within minutes, a pair's two
# runs see much the same machine, so the ratio is the median of the five
# pairs' ratios.
ref=${CP_BENCH_AGAINST:-c87ebd5}
if [ "$ref" = none ]; then
    exit 0
fi
if ! git rev-parse -q --verify "$ref^{commit}" >/dev/null 2>&1; then
    echo "  side by side: $ref is not a commit of this checkout; skipped"
    exit 0
fi
git worktree add -q --detach "$out/ref" "$ref"
cmake -S "$out/ref" -B "$out/ref/build" -DCMAKE_BUILD_TYPE=Release -DCP_TESTS=OFF >/dev/null
cmake --build "$out/ref/build" -j "$(nproc)" --target chokepoint >/dev/null
# Both programs run today's baseline if the reference can read it; a
# reference older than a node kind the baseline uses cannot, and then both
# run the reference's own baseline (which today's build reads).
base=scenarios/baseline.ini
which="today's baseline"
if ! "$out/ref/build/chokepoint" validate "$base" >/dev/null 2>&1; then
    base="$out/ref/scenarios/baseline.ini"
    which="$(git rev-parse --short=7 "$ref")'s baseline: it cannot read today's"
    build/chokepoint validate "$base" >/dev/null 2>&1 || {
        echo "  side by side: neither baseline runs on both programs; skipped"
        exit 0
    }
fi
cpu() { # program dir: user CPU seconds of one run
    local TIMEFORMAT=%U
    { time "$1" run "$base" --samples "$n" --seed 1 --out "$out/$2" --quiet \
        --force >/dev/null 2>&1; } 2>&1
}
ratios=() olds=() news=()
for k in 1 2 3 4 5; do
    o=$(cpu "$out/ref/build/chokepoint" old)
    w=$(cpu build/chokepoint new)
    olds+=("$o") news+=("$w") ratios+=("$(awk -v o="$o" -v w="$w" 'BEGIN { print o / w }')")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 3p; }
awk -v o="$(median "${olds[@]}")" -v w="$(median "${news[@]}")" -v x="$(median "${ratios[@]}")" \
    -v r="$(git rev-parse --short=7 "$ref")" -v n="$n" -v which="$which" 'BEGIN {
    printf "  side by side (1 rank, %d samples, %s, user CPU, 5 pairs): %s %.2f s (%.0f samples/s), this build %.2f s (%.0f) (medians); median pair ratio %.2fx\n",
           n, which, r, o, n / o, w, n / w, x }'
