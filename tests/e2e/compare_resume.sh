#!/usr/bin/env bash
# Checkpoint and resume for `compare`: a comparison killed mid-way (SIGKILL
# to one rank) and resumed at another rank count ends with compare.csv and
# every scenario's summary.csv and binding.csv byte-identical to an
# uninterrupted one's; so
# does one stopped by SIGUSR1 (exit 75, resumable checkpoint); a checkpoint
# of another set of options is refused; resuming a finished comparison does
# nothing; and a batch entry that is a comparison stops, reports and resumes
# the same way.
. "$(dirname "$0")/common.sh" "$@"
S="$SRC/scenarios"
SCEN=("$S/baseline.ini" "$S/option-packaging-us.ini" "$S/stress-taiwan-blockade.ini")
N=40000
FILES="compare.csv baseline/summary.csv option-packaging-us/summary.csv stress-taiwan-blockade/summary.csv
    baseline/binding.csv option-packaging-us/binding.csv stress-taiwan-blockade/binding.csv"
cmpr() { "$MPIEXEC" -n "$1" "$BIN" compare "${SCEN[@]}" --samples $N --seed 11 --out "$WORK/$2" "${@:3}"; }
same_as_ref() { # DIR WHAT
    for f in $FILES; do
        cmp -s "$WORK/ref/$f" "$WORK/$1/$f" && ok "$f after $2 = uninterrupted" || bad "$f differs after $2"
    done
}

expect_exit 0 "the uninterrupted comparison" -- cmpr 2 ref --quiet

# Once a checkpoint exists, kill one rank (not mpirun) outright.
cmpr 2 killed --checkpoint-every 4000 --quiet >"$WORK/killed.log" 2>&1 &
launcher=$!
kill_rank_at_checkpoint "$WORK/killed" $launcher
wait $launcher
[ -e "$WORK/killed/manifest.json" ] && bad "the comparison finished before the kill: the test proved nothing"
[ -e "$WORK/killed/checkpoint.bin" ] && ok "a checkpoint survived the kill" || bad "no checkpoint"
head -c 20000 "$WORK/killed/checkpoint.bin" | grep -a -c '^stats=' | grep -qx 5 \
    && ok "the checkpoint holds 5 sets of statistics (3 scenarios, 2 options' differences)" \
    || bad "checkpoint lacks the comparison's 5 sets"
expect_exit 0 "resume at 3 ranks" -- cmpr 3 killed --resume --quiet
same_as_ref killed "kill and resume"
[ ! -e "$WORK/killed/checkpoint.bin" ] && ok "a finished comparison removes its checkpoint" \
    || bad "checkpoint left after the comparison finished"
grep -q '"resumed_at_sample": [1-9]' "$WORK/killed/manifest.json" \
    && ok "manifest says where it resumed" || bad "manifest lacks resumed_at_sample"

# SIGUSR1 to mpirun: forwarded to every rank; they stop together, exit 75.
(exec "$MPIEXEC" -n 2 "$BIN" compare "${SCEN[@]}" --samples $N --seed 11 --out "$WORK/stopped" \
    --progress 0.2) >"$WORK/stopped.log" 2>&1 &
launcher=$!
until grep -q '^progress:' "$WORK/stopped.log" 2>/dev/null || ! kill -0 $launcher 2>/dev/null; do sleep 0.05; done
kill -USR1 $launcher
wait $launcher
code=$?
[ "$code" = 75 ] && ok "SIGUSR1: exit 75" || { bad "SIGUSR1: exit $code, want 75"; cat "$WORK/stopped.log"; }
grep -q "checkpoint in $WORK/stopped continues it with --resume" "$WORK/stopped.log" \
    && ok "the stop says how to continue" || bad "stop message"
grep -q "^progress: [0-9]*/$N samples" "$WORK/stopped.log" && ok "progress lines in a log" \
    || bad "no progress line"
grep -q $'\r' "$WORK/stopped.log" && bad "carriage returns in a log" || ok "no carriage returns in a log"
[ ! -e "$WORK/stopped/compare.csv" ] && ok "no compare.csv from a stopped comparison" \
    || bad "compare.csv after stop"
expect_exit 3 "a plain rerun into it is refused" -- cmpr 1 stopped --quiet
expect_err "--resume"
expect_exit 3 "resuming with another set of options is refused" -- "$BIN" compare "${SCEN[@]:0:2}" \
    --samples $N --seed 11 --out "$WORK/stopped" --resume --quiet
expect_err "belongs to another run: it read $S/stress-taiwan-blockade.ini, which this run does not"
expect_exit 3 "resuming with another seed is refused" -- "$BIN" compare "${SCEN[@]}" \
    --samples $N --seed 12 --out "$WORK/stopped" --resume --quiet
expect_err "its seed is 11, this run's is 12"
expect_exit 3 "a run cannot resume a comparison's checkpoint" -- "$BIN" run "${SCEN[0]}" \
    --samples $N --seed 11 --out "$WORK/stopped" --resume --quiet
expect_err "its command is compare, this run's is run"
# Resuming streams the checkpoint (tests/e2e/resume.sh): resumed at 1 rank,
# the comparison peaks within 8 MiB of the same comparison run at 1 rank
# uninterrupted, though its five sets are over 16 MiB packed (a reader that
# held the file and the state whole took 428 MiB against 244 to run, three
# scenarios at 100,000 samples, measured on 3 Dec 2026).  The peaks are the
# manifests'; each is checked against the kernel's count for the process,
# which it cannot exceed and which the outputs' writing, after it was
# taken, raises by little.
state=$(head -c 20000 "$WORK/stopped/checkpoint.bin" | awk -F'[=,]' '/^stats=/ { s += $3 } /^$/ { exit } END { print s + 0 }')
[ "$state" -gt $((16 << 20)) ] || bad "the state is $state bytes: too small for the memory check to mean anything"
# peak FILE COMMAND...: runs COMMAND, writes its peak resident memory (KiB) to FILE.
peak() { /usr/bin/python3 -c 'import resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)' "$@"; }
expect_exit 0 "resume after SIGUSR1 at 1 rank" -- peak "$WORK/rss-resumed" "$BIN" compare \
    "${SCEN[@]}" --samples $N --seed 11 --out "$WORK/stopped" --resume --quiet
same_as_ref stopped "stop and resume"
expect_exit 0 "the comparison uninterrupted at 1 rank" -- peak "$WORK/rss-ref" "$BIN" compare \
    "${SCEN[@]}" --samples $N --seed 11 --out "$WORK/ref1" --quiet
# Each manifest's peak, checked against the kernel's, into $resumed and $uninterrupted.
for what in "resumed stopped rss-resumed" "uninterrupted ref1 rss-ref"; do
    read -r label dir file <<<"$what"
    kernel=$(cat "$WORK/$file")
    said=$(/usr/bin/python3 "$SRC/tests/e2e/check_outputs.py" cost "$WORK/$dir/manifest.json" samples_per_second)
    [ -n "$said" ] && [ "$said" -le "$kernel" ] && [ "$said" -ge $((kernel - 8 * 1024)) ] \
        && ok "$label: the manifest's peak ($said KiB) is the kernel's ($kernel) less at most 8 MiB" \
        || bad "$label: the manifest says $said KiB, the kernel $kernel"
    printf -v "$label" '%s' "$said"
done
echo "  peak memory: resumed $resumed KiB, uninterrupted $uninterrupted KiB, state $state bytes"
[ -n "$resumed" ] && [ -n "$uninterrupted" ] && [ "$resumed" -le $((uninterrupted + 8 * 1024)) ] \
    && ok "resuming a comparison holds at most 8 MiB more than running it" \
    || bad "resuming held $resumed KiB, the comparison $uninterrupted KiB"
expect_exit 0 "resuming a finished comparison does nothing" -- cmpr 1 stopped --resume
expect_err "already holds this comparison, complete; nothing to do"

# A comparison as a batch entry: stopped by SIGUSR1, reported, resumed.
mkdir -p "$WORK/b"
cat >"$WORK/b/batch.csv" <<CSV
name,scenario,samples,seed,out,keep_samples,compare
cmp,$S/baseline.ini,$N,11,out/cmp,,$S/option-packaging-us.ini;$S/stress-taiwan-blockade.ini
CSV
(exec "$MPIEXEC" -n 2 "$BIN" batch "$WORK/b/batch.csv" --only 1 --progress 0.2) \
    >"$WORK/batch.out" 2>"$WORK/batch.log" &
launcher=$!
until grep -q '^progress:' "$WORK/batch.log" 2>/dev/null || ! kill -0 $launcher 2>/dev/null; do sleep 0.05; done
kill -USR1 $launcher
wait $launcher
code=$?
[ "$code" = 75 ] && ok "batch compare entry, SIGUSR1: exit 75" || bad "batch SIGUSR1: exit $code"
grep -q '^1,cmp,stopped,' "$WORK/batch.out" && ok "summary says stopped" || bad "summary: $(cat "$WORK/batch.out")"
expect_exit 0 "batch --status" -- "$BIN" batch "$WORK/b/batch.csv" --status
grep -q '^1,cmp,checkpoint,[1-9]' "$WORK/out" && ok "--status sees the comparison's checkpoint" \
    || bad "--status: $(cat "$WORK/out")"
expect_exit 0 "batch resumes the comparison at 3 ranks" -- "$MPIEXEC" -n 3 "$BIN" batch \
    "$WORK/b/batch.csv" --quiet
grep -q '^1,cmp,finished,40000,' "$WORK/out" && ok "summary says finished" || bad "summary: $(cat "$WORK/out")"
for f in $FILES; do
    cmp -s "$WORK/ref/$f" "$WORK/b/out/cmp/$f" && ok "batch: $f = uninterrupted compare" \
        || bad "batch: $f differs"
done
expect_exit 0 "a finished batch comparison is skipped" -- "$BIN" batch "$WORK/b/batch.csv" --quiet
grep -q '^1,cmp,skipped,' "$WORK/out" && ok "summary says skipped" || bad "summary: $(cat "$WORK/out")"
finish
