#!/usr/bin/env bash
# cp_par_reduce_stats under mpirun (tests/mpi/par_reduce.c): at 1 to 5 ranks
# the statistics of every rank, several MiB packed and so many parts of
# about 1 MiB each, reach rank 0 exactly as merging them one by one gives;
# and when the last rank's have another shape, every rank fails with the
# receiver's message (not "receiving failed" relayed down the tree) and
# none is left waiting: at 4 ranks rank 3's stream is refused by rank 2,
# which then sends rank 0 a failure, not its statistics.
. "$(dirname "$0")/common.sh" "$@"
for ranks in 1 2 3 4 5; do
    expect_exit 0 "the reduction at $ranks rank(s) equals the merge" -- \
        "$MPIEXEC" -n "$ranks" "$BIN" same
    if grep -q "^same: [0-9]* bytes packed, $((ranks * 4096)) samples, $ranks ranks" "$WORK/out"
    then ok "rank 0 printed: $(cat "$WORK/out")"
    else bad "rank 0's report at $ranks ranks: $(cat "$WORK/out")"; fi
done
# The stream is several parts: the packed statistics exceed 2 MiB.
bytes=$(sed -n 's/^same: \([0-9]*\) bytes.*/\1/p' "$WORK/out")
if [ "${bytes:-0}" -gt $((2 << 20)) ]; then ok "$bytes bytes packed: more than two parts"
else bad "only ${bytes:-0} bytes packed: the parts are not exercised"; fi
for ranks in 2 3 4 5; do
    expect_exit 0 "a foreign shape at $ranks ranks is refused on every rank" -- \
        "$MPIEXEC" -n "$ranks" "$BIN" bad
    if grep -q "^refused: .*601 cells, expected 600" "$WORK/out"; then ok "the cause: $(cat "$WORK/out")"
    else bad "the message at $ranks ranks: $(cat "$WORK/out")"; fi
done
finish
