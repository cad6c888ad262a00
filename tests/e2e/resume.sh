#!/usr/bin/env bash
# Checkpoint and resume: a run killed mid-way (SIGKILL to one rank) and
# resumed, at another rank count, ends with files byte-identical to an
# uninterrupted run's; so does one stopped by SIGUSR1 (exit 75).  A corrupt,
# truncated or foreign checkpoint is refused with a clear message.
. "$(dirname "$0")/common.sh" "$@"
S="$SRC/scenarios/baseline.ini"
N=200000
run() { "$MPIEXEC" -n "$1" "$BIN" run "$S" --samples $N --seed 5 --keep-samples 300 \
        --out "$WORK/$2" "${@:3}"; }

expect_exit 0 "the uninterrupted run" -- run 2 ref --quiet

# Once a checkpoint exists, kill one rank (not mpirun) outright.
run 2 killed --checkpoint-every 10000 --quiet >"$WORK/killed.log" 2>&1 &
launcher=$!
kill_rank_at_checkpoint "$WORK/killed" $launcher
wait $launcher
[ -e "$WORK/killed/manifest.json" ] && bad "the run finished before the kill: the test proved nothing"
[ -e "$WORK/killed/checkpoint.bin" ] && ok "a checkpoint survived the kill" || bad "no checkpoint"
expect_exit 0 "resume at 3 ranks" -- run 3 killed --resume --quiet
for f in summary.csv binding.csv samples.csv; do
    cmp -s "$WORK/ref/$f" "$WORK/killed/$f" && ok "$f after kill and resume = uninterrupted" \
        || bad "$f differs after kill and resume"
done
[ ! -e "$WORK/killed/checkpoint.bin" ] && ok "a finished run removes its checkpoint" \
    || bad "checkpoint left after the run finished"
grep -q '"resumed_at_sample": [1-9]' "$WORK/killed/manifest.json" && ok "manifest says where it resumed" \
    || bad "manifest lacks resumed_at_sample"

# SIGUSR1 to mpirun: forwarded to every rank; they stop together, exit 75.
# (exec, so that $! is mpirun itself and not a subshell.)
(exec "$MPIEXEC" -n 2 "$BIN" run "$S" --samples $N --seed 5 --keep-samples 300 \
    --out "$WORK/stopped" --quiet) >"$WORK/stopped.log" 2>&1 &
launcher=$!
# Signal once the ranks are simulating: the output directory appears when they start.
until [ -d "$WORK/stopped" ] || ! kill -0 $launcher 2>/dev/null; do sleep 0.05; done
sleep 0.3
kill -USR1 $launcher
wait $launcher
code=$?
[ "$code" = 75 ] && ok "SIGUSR1: exit 75" || { bad "SIGUSR1: exit $code, want 75"; cat "$WORK/stopped.log"; }
grep -q "checkpoint in $WORK/stopped continues it with --resume" "$WORK/stopped.log" \
    && ok "the stop says how to continue" || bad "stop message"
[ ! -e "$WORK/stopped/summary.csv" ] && ok "no summary from a stopped run" || bad "summary after stop"
[ ! -e "$WORK/stopped/binding.csv" ] && ok "no binding.csv from a stopped run" || bad "binding.csv after stop"
expect_exit 3 "a plain rerun into it is refused" -- run 1 stopped --quiet
expect_err "--resume"
cp "$WORK/stopped/checkpoint.bin" "$WORK/saved.bin"

# Compact (issue 15): a run's state is compressed to at most a fifth of its
# packed size, which the header gives (the stats lines' bytes, and the kept
# rows' doubles): the size the file had before compression.  Measured on a
# plain run killed at its first checkpoint (20,000 samples): kept rows are
# raw doubles, which compress little, so the runs above would measure them.
"$BIN" run "$S" --samples $N --seed 5 --checkpoint-every 20000 --out "$WORK/compact" --quiet &
kill_rank_at_checkpoint "$WORK/compact" $!
wait
head -c 20000 "$WORK/compact/checkpoint.bin" | awk -F'[=,]' \
    -v size="$(stat -c %s "$WORK/compact/checkpoint.bin")" '
    /^stats=/ { raw += $3 } /^kept_rows=/ { rows = $2 } /^kept_width=/ { width = $2 }
    /^payload=/ { payload = $2 } /^$/ { exit }
    END { raw += rows * width * 8
          printf "  checkpoint: %d bytes for %d bytes of state (%.1fx, %s)\n", size, raw, raw / size, payload
          exit !(payload == "bzip2" && 5 * size <= raw) }' \
    && ok "the checkpoint is at most a fifth of its state's packed size" \
    || bad "the checkpoint is not compressed to a fifth"

# Resuming streams the checkpoint (read in pieces, merged as it is
# decompressed): the resumed run's peak memory is within 6 MiB of an
# uninterrupted run's, though its packed state is over 12 MiB (a reader
# that held the file and the state whole took 13 MiB more, measured on
# 3 Dec 2026).  Both at 1 rank, without checkpoints of their own.
state=$(head -c 20000 "$WORK/compact/checkpoint.bin" | awk -F'[=,]' '/^stats=/ { s += $3 } /^$/ { exit } END { print s + 0 }')
[ "$state" -gt $((12 << 20)) ] || bad "the state is $state bytes: too small for the memory check to mean anything"
expect_exit 0 "resume the compact run at 1 rank" -- "$BIN" run "$S" --samples $N --seed 5 \
    --out "$WORK/compact" --resume --quiet
expect_exit 0 "the same run uninterrupted at 1 rank" -- "$BIN" run "$S" --samples $N --seed 5 \
    --out "$WORK/compact-ref" --quiet
peak() { sed -n 's/.*"peak_rss_kib_per_rank": \([0-9]*\).*/\1/p' "$1/manifest.json"; }
resumed=$(peak "$WORK/compact") uninterrupted=$(peak "$WORK/compact-ref")
echo "  peak memory: resumed $resumed KiB, uninterrupted $uninterrupted KiB, state $state bytes"
[ -n "$resumed" ] && [ -n "$uninterrupted" ] && [ "$resumed" -le $((uninterrupted + 6 * 1024)) ] \
    && ok "resuming holds at most 6 MiB more than running" \
    || bad "resuming held $resumed KiB, the run $uninterrupted KiB"
cmp -s "$WORK/compact/summary.csv" "$WORK/compact-ref/summary.csv" \
    && ok "summary.csv after kill and resume at 1 rank = uninterrupted" \
    || bad "summary.csv differs after the compact run's resume"

# Foreign, corrupt and truncated checkpoints are refused.
expect_exit 3 "another seed" -- "$BIN" run "$S" --samples $N --seed 6 --keep-samples 300 \
    --out "$WORK/stopped" --resume --quiet
expect_err "its seed is 5, this run's is 6"
size=$(stat -c %s "$WORK/saved.bin")
# The middle byte's bits all flipped: writing a fixed byte left the file as
# it was whenever that byte already held it (1 run in 256: the checkpoint's
# bytes depend on where the stop fell; the suite failed here once on 5 Dec
# 2026, the 'corrupt' checkpoint resumed, most likely so).
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$WORK/saved.bin" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 255)))" \
    | dd of="$WORK/stopped/checkpoint.bin" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$WORK/saved.bin" "$WORK/stopped/checkpoint.bin" && bad "the corruption changed nothing"
expect_exit 3 "a corrupted byte" -- run 1 stopped --resume --quiet
expect_err "is corrupt"
head -c $((size - 100)) "$WORK/saved.bin" > "$WORK/stopped/checkpoint.bin"
expect_exit 3 "a truncated file" -- run 1 stopped --resume --quiet
expect_err "is corrupt"
cp "$WORK/saved.bin" "$WORK/stopped/checkpoint.bin"
expect_exit 0 "resume after SIGUSR1 at 1 rank" -- run 1 stopped --resume --quiet
for f in summary.csv binding.csv samples.csv; do
    cmp -s "$WORK/ref/$f" "$WORK/stopped/$f" && ok "$f after stop and resume = uninterrupted" \
        || bad "$f differs after stop and resume"
done
expect_exit 0 "resuming a finished run does nothing" -- run 1 stopped --resume
expect_err "already holds this run"
finish
