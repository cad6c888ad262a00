#!/usr/bin/env bash
# The stopping rule (run --precision SPEC --samples-max N): it stops at the
# same sample count at 1, 2, 3 and 4 ranks, and its summary.csv and binding.csv
# equal a fixed run's of that count; after a kill and a resume at another
# rank count too; a precision that cannot be met stops at --samples-max and
# says so; a batch entry with a precision; bad specifications refused
# before any sample (exit 2 for syntax, 3 for names the model lacks).
. "$(dirname "$0")/common.sh" "$@"
S="$(cd "$SRC" && pwd)/scenarios/baseline.ini" # absolute: the batch file is elsewhere
PY=/usr/bin/python3
SPEC='p05:frontier_compute_h100e:World:2030Q4=1.5%'
# stop_run RANKS DIR [OPTIONS]: SPEC and MAX (the cap, 65,536 unless set) may
# be set for one call.
stop_run() { "$MPIEXEC" -n "$1" "$BIN" run "$S" --seed 11 --precision "$SPEC" --samples 1024 \
    --samples-max "${MAX:-65536}" --out "$WORK/$2" "${@:3}"; }
fixed_run() { "$MPIEXEC" -n 2 "$BIN" run "$S" --seed 11 --samples "$1" --out "$WORK/$2" --quiet "${@:3}"; }
# manifest FIELD DIR: a member of the manifest's stopping_rule
manifest() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[2] + "/manifest.json"))["stopping_rule"][sys.argv[1]])' "$1" "$2"; }
same_as_fixed() { # DIR N WHAT
    fixed_run "$2" "fixed-$2" 2>/dev/null
    for f in summary.csv binding.csv; do
        cmp -s "$WORK/$1/$f" "$WORK/fixed-$2/$f" && ok "$3: $f = a fixed run of $2 samples" \
            || bad "$3: $f differs from a fixed run of $2 samples"
    done
}

expect_exit 0 "a stopping rule at 1 rank" -- stop_run 1 one --progress 1
expect_err "precision at 1024 samples: p05 frontier_compute_h100e World 2030Q4"
expect_err "not met; continuing to 2048 samples"
expect_err "met; stopping"
expect_exit 0 "the same at 3 ranks" -- stop_run 3 three --quiet
n1=$(manifest stopped_at "$WORK/one")
n3=$(manifest stopped_at "$WORK/three")
[ "$n1" = "$n3" ] && ok "stopped at $n1 samples at 1 and at 3 ranks" || bad "stopped at $n1 (1 rank), $n3 (3 ranks)"
[ "$n1" -lt 65536 ] && [ "$n1" -gt 1024 ] && ok "stopped between the first look and the cap" \
    || bad "stopped at $n1: the test should stop between 1024 and 65536"
[ "$(manifest stopped_because "$WORK/one")" = "precision met" ] && ok "manifest: precision met" \
    || bad "manifest: $(manifest stopped_because "$WORK/one")"
"$PY" - "$WORK/one/manifest.json" <<'EOF' && ok "manifest: samples, looks and the achieved precision" || bad "manifest content"
import json, sys
m = json.load(open(sys.argv[1]))
r = m["stopping_rule"]
t = r["targets"][0]
assert m["samples"] == r["stopped_at"], m["samples"]
assert r["looks"][-1] == r["stopped_at"] and r["looks"][0] == 1024, r["looks"]
assert all(b == 2 * a for a, b in zip(r["looks"], r["looks"][1:])), r["looks"]
assert t["met"] and t["relative_half_width"] <= 0.015 and t["ci95_low"] < t["value"] < t["ci95_high"], t
EOF
for f in summary.csv binding.csv; do
    cmp -s "$WORK/one/$f" "$WORK/three/$f" && ok "$f: 1 rank = 3 ranks" || bad "$f differs at 1 and 3 ranks"
done
expect_exit 0 "the same at 2 and 4 ranks" -- stop_run 2 two --quiet
expect_exit 0 "... and at 4 ranks" -- stop_run 4 four --quiet
for d in two four; do
    [ "$(manifest stopped_at "$WORK/$d")" = "$n1" ] && ok "$d: stopped at $n1 too" \
        || bad "$d: stopped at $(manifest stopped_at "$WORK/$d"), 1 rank at $n1"
    for f in summary.csv binding.csv; do
        cmp -s "$WORK/one/$f" "$WORK/$d/$f" && ok "$f: 1 rank = $d ranks" || bad "$f differs at 1 rank and $d"
    done
done
same_as_fixed one "$n1" "stopped at 1 rank"

# A precision that cannot be met: the cap ends it (not a chunk multiple), and says so.
expect_exit 0 "a precision out of reach" -- "$MPIEXEC" -n 2 "$BIN" run "$S" --seed 11 \
    --precision 'mean:frontier_compute_h100e:World:2030Q4=0.001%' --samples 512 \
    --samples-max 3000 --out "$WORK/cap" --progress 1
expect_err "not met; continuing to 3000 samples"
[ "$(manifest stopped_at "$WORK/cap")" = 3000 ] && ok "stopped at --samples-max" || bad "stopped at $(manifest stopped_at "$WORK/cap")"
[ "$(manifest stopped_because "$WORK/cap")" = "reached samples_max; precision not met" ] \
    && ok "manifest says the precision was not met" || bad "manifest: $(manifest stopped_because "$WORK/cap")"
same_as_fixed cap 3000 "stopped at the cap"

# Killed (one rank, at a checkpoint) and resumed at another rank count. A
# tighter precision than above, so that the run goes on to 65,536 samples,
# seconds after its first checkpoint (at 1,024): with the 8,192 above, a fast
# machine finished before the kill. The uninterrupted run is the reference.
KSPEC='p05:frontier_compute_h100e:World:2030Q4=0.5%'
kill_run() { SPEC=$KSPEC MAX=262144 stop_run "$@"; }
expect_exit 0 "an uninterrupted run of the tighter precision" -- kill_run 2 stopref --quiet
nk=$(manifest stopped_at "$WORK/stopref")
[ "$nk" -ge 16384 ] && ok "it stops at $nk samples, well after the first checkpoint" \
    || bad "it stops at $nk samples: too soon for the kill to land mid-run"
kill_run 2 killed --checkpoint-every 1024 --quiet >"$WORK/killed.log" 2>&1 &
launcher=$!
# Wait for the job to start (kill_rank_at_checkpoint waits while it runs).
until pgrep -f -- "--out $WORK/killed" >/dev/null || ! kill -0 $launcher 2>/dev/null; do sleep 0.02; done
kill_rank_at_checkpoint "$WORK/killed" $launcher
wait $launcher
[ -e "$WORK/killed/manifest.json" ] && bad "the run finished before the kill: the test proved nothing"
expect_exit 0 "resume at 3 ranks" -- kill_run 3 killed --resume --quiet
[ "$(manifest stopped_at "$WORK/killed")" = "$nk" ] && ok "resumed: stopped at $nk too" \
    || bad "resumed: stopped at $(manifest stopped_at "$WORK/killed")"
for f in summary.csv binding.csv; do
    cmp -s "$WORK/stopref/$f" "$WORK/killed/$f" && ok "$f after kill and resume = uninterrupted" \
        || bad "$f differs after kill and resume"
done
expect_exit 0 "resuming the finished run does nothing" -- kill_run 1 killed --resume
expect_err "already holds this run"
expect_exit 3 "its checkpoint-less directory is not another rule's" -- "$BIN" run "$S" --seed 11 \
    --precision 'p05:frontier_compute_h100e:World:2030Q4=2%' --samples 1024 --samples-max 65536 \
    --out "$WORK/killed" --resume --quiet
expect_err "finished run of other settings"

# A batch entry with a precision (samples is its first look).
cat >"$WORK/batch.csv" <<EOF
name,scenario,samples,seed,out,keep_samples,compare,precision,samples_max
stop,$S,1024,11,$WORK/batch-stop,,,$SPEC,65536
plain,$S,1000,11,$WORK/batch-plain,,,,
EOF
expect_exit 0 "a batch with a stopping rule at 2 ranks" -- "$MPIEXEC" -n 2 "$BIN" batch "$WORK/batch.csv" --quiet
grep -q "^1,stop,finished,$n1,1024," "$WORK/out" && ok "batch summary: stopped at $n1" \
    || { bad "batch summary"; cat "$WORK/out"; }
for f in summary.csv binding.csv; do
    cmp -s "$WORK/one/$f" "$WORK/batch-stop/$f" && ok "batch: $f = run's" || bad "batch: $f differs"
done
expect_exit 0 "batch --status" -- "$BIN" batch "$WORK/batch.csv" --status
grep -q "^1,stop,complete,$n1," "$WORK/out" && ok "status: complete at $n1" || { bad "status"; cat "$WORK/out"; }
printf 'name,scenario,samples,seed,out,precision,samples_max\nb,%s,1024,1,%s,%s,\n' "$S" "$WORK/b1" "$SPEC" >"$WORK/bad1.csv"
expect_exit 3 "a batch precision without samples_max" -- "$BIN" batch "$WORK/bad1.csv" --quiet
expect_err "bad1.csv:2: field 'precision'"
expect_err "needs samples_max"
printf 'name,scenario,samples,seed,out,precision,samples_max\nb,%s,1000,1,%s,%s,5000\n' "$S" "$WORK/b2" "$SPEC" >"$WORK/bad2.csv"
expect_exit 3 "a batch first look not a multiple of 256" -- "$BIN" batch "$WORK/bad2.csv" --quiet
expect_err "field 'samples'"
printf 'name,scenario,samples,seed,out,precision,samples_max\nb,%s,1024,1,%s,%s,5000\n' "$S" "$WORK/b3" \
    'p05:frontier_compute_h100e:Atlantis:2030Q4=1%' >"$WORK/bad3.csv"
expect_exit 3 "a batch precision naming a region the graph lacks" -- "$BIN" batch "$WORK/bad3.csv" --quiet
expect_err "bad3.csv:2: field 'precision'"
expect_err "no region 'Atlantis'"
[ ! -e "$WORK/b3" ] && ok "nothing written" || bad "the refused batch wrote $WORK/b3"

# Bad specifications: refused before any sample, naming the problem.
bad_spec() { # EXIT MESSAGE ARGS...
    local code=$1 msg=$2
    shift 2
    expect_exit "$code" "refused: $*" -- "$BIN" run "$S" --out "$WORK/refused" --quiet "$@"
    expect_err "$msg"
}
bad_spec 2 "has no '=TOLERANCE'" --precision 'p05:frontier_compute_h100e:World:2030Q4' --samples-max 9000
bad_spec 2 "statistic 'q05'" --precision 'q05:frontier_compute_h100e:World:2030Q4=1%' --samples-max 9000
bad_spec 2 "tolerance '0%'" --precision 'p05:frontier_compute_h100e:World:2030Q4=0%' --samples-max 9000
bad_spec 2 "four fields" --precision 'p05:frontier_compute_h100e:2030Q4=1%' --samples-max 9000
bad_spec 2 "needs --samples-max" --precision 'p05:frontier_compute_h100e:World:2030Q4=1%'
bad_spec 2 "only for a run with --precision" --samples-max 9000
bad_spec 2 "multiple of 256" --precision 'p05:frontier_compute_h100e:World:2030Q4=1%' --samples 1000 --samples-max 9000
bad_spec 2 "below the first look" --precision 'p05:frontier_compute_h100e:World:2030Q4=1%' --samples-max 9000
bad_spec 3 "no metric 'compute'" --precision 'p05:compute:World:2030Q4=1%' --samples 1024 --samples-max 9000
bad_spec 3 "no region 'Mars'" --precision 'p05:frontier_compute_h100e:Mars:2030Q4=1%' --samples 1024 --samples-max 9000
bad_spec 3 "outside the scenario's horizon" --precision 'mean:frontier_compute_h100e:World:2040Q1=1%' --samples 1024 --samples-max 9000
[ ! -e "$WORK/refused" ] && ok "no output directory for a refused run" || bad "a refused run wrote $WORK/refused"
finish
