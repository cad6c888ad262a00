#!/usr/bin/env bash
# run --tornado: on a small graph written here, where the answers are
# known in closed form (check_tornado.py: output x = 100 times a `once`
# lognormal shock, y = 100 times a quarterly one, z = 100 halved while an
# event is under way), conditional medians and means within tolerances
# derived from the sample size; tornado.csv byte-identical at 1, 2, 3 and 4
# ranks (small graph and baseline) and after SIGKILL to a rank and --resume;
# summary.csv unchanged by --tornado; the manifest lists it; bad choices
# refused before any sample.
. "$(dirname "$0")/common.sh" "$@"
PY=/usr/bin/python3
G="$WORK/graph"
mkdir -p "$G/inputs"
cat >"$G/inputs/nodes.csv" <<'CSV'
node,kind,region,unit,description,source
x,supply,World,units,supply times a once shock,test
y,supply,World,units,supply times a quarterly shock,test
z,supply,World,units,supply halved by an event,test
CSV
printf 'from,to,role,weight,unit,source,note\n' >"$G/inputs/edges.csv"
printf 'node,param,value,unit,source,source_year,note\n' >"$G/inputs/params.csv"
{
    echo "metric,region,node,field,unit,description,source"
    for n in x y z; do echo "out_$n,World,$n,output,units,node $n,test"; done
} >"$G/inputs/metrics.csv"
{
    echo "node,period,value,unit,source,source_year,note"
    for n in x y z; do for q in 2026Q1 2026Q2 2026Q3 2026Q4; do echo "$n,$q,100,units,test,2026,"; done; done
} >"$G/inputs/series.csv"
cat >"$G/small.ini" <<'INI'
[scenario]
name = small
inputs = inputs
start = 2026Q1
end = 2026Q4

[shock a]
distribution = lognormal(mu=0, sigma=0.5)
time = once
targets = x

[shock b]
distribution = lognormal(mu=0, sigma=0.3)
time = quarterly
targets = y

[event e]
probability = 0.1
duration = constant(value=1)
severity = constant(value=0.5)
targets = z
INI
N=100000
small() { "$MPIEXEC" -n "$1" "$BIN" run "$G/small.ini" --samples $N --seed 3 --tornado \
    --tornado-metrics out_x,out_y,out_z --tornado-periods 2026Q2,2026Q4 --out "$WORK/$2" --quiet "${@:3}"; }
expect_exit 0 "small graph, 1 rank" -- small 1 s1
if "$PY" "$SRC/tests/e2e/check_tornado.py" "$WORK/s1" $N; then ok "conditional medians and means as in closed form"; else bad "tornado against closed form"; fi
for r in 2 3 4; do
    expect_exit 0 "small graph, $r ranks" -- small $r s$r
    cmp -s "$WORK/s1/tornado.csv" "$WORK/s$r/tornado.csv" && ok "small: tornado.csv at $r ranks = 1 rank" \
        || bad "small: tornado.csv differs at $r ranks"
done
grep -q '"tornado.csv"' "$WORK/s1/manifest.json" && ok "the manifest lists tornado.csv" || bad "manifest lacks tornado.csv"
grep -q '"tornado": "out_x,out_y,out_z|\*|2026Q2,2026Q4"' "$WORK/s1/manifest.json" && ok "the manifest says what the tornado covers" \
    || bad "manifest's tornado member"

# The baseline (correlated shocks, events, every region): ranks and resume.
S="$SRC/scenarios/baseline.ini"
base() { "$MPIEXEC" -n "$1" "$BIN" run "$S" --samples "$3" --seed 5 --tornado --out "$WORK/$2" "${@:4}"; }
expect_exit 0 "baseline, 1 rank" -- base 1 b1 6000 --quiet --keep-samples 300
for r in 2 3 4; do
    expect_exit 0 "baseline, $r ranks" -- base $r b$r 6000 --quiet --keep-samples 300
    for f in tornado.csv summary.csv samples.csv; do
        cmp -s "$WORK/b1/$f" "$WORK/b$r/$f" && ok "baseline: $f at $r ranks = 1 rank" || bad "baseline: $f differs at $r ranks"
    done
done
"$BIN" run "$S" --samples 6000 --seed 5 --out "$WORK/plain" --quiet --keep-samples 300
for f in summary.csv binding.csv samples.csv; do
    cmp -s "$WORK/b1/$f" "$WORK/plain/$f" && ok "--tornado leaves $f as a plain run's" || bad "--tornado changes $f"
done
"$PY" - "$WORK/b1/tornado.csv" <<'PYEOF' && ok "baseline tornado.csv: columns, every input and cell, swing = high - low" || bad "baseline tornado.csv content"
import sys, pandas as pd
t = pd.read_csv(sys.argv[1])
assert list(t.columns) == ["scenario", "metric", "region", "period", "input", "low_p50", "high_p50", "low_mean",
    "high_mean", "swing_p50", "low_samples", "high_samples", "unit"], list(t.columns)
assert set(t.metric) == {"frontier_compute_h100e"} and set(t.period) == {"2028Q4", "2030Q4", "2035Q4"}
assert "World" in set(t.region) and "US" in set(t.region)
n = t.groupby(["region", "period"]).size()
assert n.nunique() == 1 and n.iloc[0] == t.input.nunique(), n
assert ((t.swing_p50 - (t.high_p50 - t.low_p50)).abs() <= 1e-9 * t.high_p50.abs().max()).all()
sh = t[t.input.str.startswith("shock_")]
assert sh.low_samples.between(400, 800).all() and sh.high_samples.between(400, 800).all()  # ~600 of 6000
ev = t[t.input.str.startswith("event_")]
assert ((ev.low_samples + ev.high_samples) == 6000).all()
PYEOF
base 2 killed 60000 --checkpoint-every 2048 --quiet >"$WORK/killed.log" 2>&1 &
launcher=$!
# Wait for the job to start (kill_rank_at_checkpoint waits while it runs).
until pgrep -f -- "--out $WORK/killed" >/dev/null || ! kill -0 $launcher 2>/dev/null; do sleep 0.02; done
kill_rank_at_checkpoint "$WORK/killed" $launcher
wait $launcher
[ -e "$WORK/killed/manifest.json" ] && bad "the run finished before the kill: the test proved nothing"
expect_exit 0 "resume at 3 ranks" -- base 3 killed 60000 --resume --quiet
expect_exit 0 "uninterrupted" -- base 2 whole 60000 --quiet
for f in tornado.csv summary.csv binding.csv; do
    cmp -s "$WORK/whole/$f" "$WORK/killed/$f" && ok "$f after kill and resume = uninterrupted" || bad "$f differs after kill and resume"
done
expect_exit 3 "a plain --resume of a tornado run's checkpoint-less finished dir is another run" -- \
    "$BIN" run "$S" --samples 60000 --seed 5 --out "$WORK/killed" --resume --quiet
expect_err "finished run of other settings"

# A batch entry with tornado = yes writes what run --tornado does; a bad
# cell is refused before any sample, naming the batch line and field.
cat >"$WORK/batch.csv" <<EOF
name,scenario,samples,seed,out,keep_samples,compare,tornado
tb,$S,6000,5,$WORK/batch-tornado,,,yes
plain,$S,600,5,$WORK/batch-plain,,,no
EOF
expect_exit 0 "a batch with a tornado entry" -- "$MPIEXEC" -n 2 "$BIN" batch "$WORK/batch.csv" --quiet
expect_exit 0 "the same run with --tornado" -- "$BIN" run "$S" --samples 6000 --seed 5 --tornado \
    --out "$WORK/tb-run" --quiet
cmp -s "$WORK/tb-run/tornado.csv" "$WORK/batch-tornado/tornado.csv" && ok "batch tornado.csv = run's" \
    || bad "batch tornado.csv differs from run --tornado's"
[ ! -e "$WORK/batch-plain/tornado.csv" ] && ok "tornado = no writes none" || bad "tornado.csv for 'no'"
printf 'name,scenario,samples,seed,out,keep_samples,compare,tornado\nx,%s,100,5,%s,,,maybe\n' \
    "$S" "$WORK/never" >"$WORK/bad-tornado.csv"
expect_exit 3 "a tornado cell neither yes nor no" -- "$BIN" batch "$WORK/bad-tornado.csv" --quiet
expect_err "bad-tornado.csv:2"
expect_err "'maybe' is not yes, no or empty"
[ ! -e "$WORK/never" ] && ok "nothing written" || bad "the refused batch wrote its entry"

# Choices the graph lacks: refused before any sample.
expect_exit 3 "default metric missing from the small graph" -- "$BIN" run "$G/small.ini" --samples 100 --tornado --out "$WORK/r1" --quiet
expect_err "no metric 'frontier_compute_h100e'"
expect_exit 3 "a region none of the metrics has" -- "$BIN" run "$G/small.ini" --samples 100 --tornado-metrics out_x --tornado-regions Mars --out "$WORK/r2" --quiet
expect_err "region 'Mars'"
expect_exit 3 "a quarter outside the horizon" -- "$BIN" run "$G/small.ini" --samples 100 --tornado-metrics out_x --tornado-periods 2030Q4 --out "$WORK/r3" --quiet
expect_err "outside the scenario's horizon"
expect_exit 2 "an empty list" -- "$BIN" run "$G/small.ini" --samples 100 --tornado-metrics "" --out "$WORK/r4" --quiet
expect_err "the list is empty"
[ ! -e "$WORK/r1" ] && [ ! -e "$WORK/r2" ] && [ ! -e "$WORK/r3" ] && ok "nothing written" || bad "a refused run wrote its directory"
finish
