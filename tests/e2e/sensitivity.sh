#!/usr/bin/env bash
# `chokepoint sensitivity`: Sobol indices against closed forms on small
# graphs (an additive output of independent inputs, a product of two), the
# intervals' coverage over 20 seeds, byte-identical sensitivity.csv at 1, 2,
# 3 and 4 ranks, SIGKILL to one rank then --resume at another rank count,
# SIGUSR1 (exit 75) then --resume, bad input refused before any sample, and
# a batch entry that is a sensitivity analysis.
. "$(dirname "$0")/common.sh" "$@"
PY=/usr/bin/python3
CHECK="$(dirname "$0")/check_sensitivity.py"

# ---- two supplies, their weighted sum and their product ------------------
T="$WORK/graph"
mkdir -p "$T/inputs"
cat >"$T/inputs/nodes.csv" <<CSV
node,kind,region,unit,description,source
x1,supply,World,units,first input,test fixture
x2,supply,World,units,second input,test fixture
y_add,convert,World,units,1 x1 + 3 x2,test fixture
y_prod,convert,World,units,x1 x2,test fixture
CSV
cat >"$T/inputs/edges.csv" <<CSV
from,to,role,weight,unit,source,note
x1,y_add,in,1,units,test fixture,
x2,y_add,in,3,units,test fixture,
x1,y_prod,in,1,units,test fixture,
x2,y_prod,scale,1,units,test fixture,
CSV
echo "node,param,value,unit,source,source_year,note" >"$T/inputs/params.csv"
{
    echo "node,period,value,unit,source,source_year,note"
    for n in x1 x2; do for q in 1 2 3 4; do echo "$n,2026Q$q,1,units,test fixture,2026,"; done; done
} >"$T/inputs/series.csv"
cat >"$T/inputs/metrics.csv" <<CSV
metric,region,node,field,unit,description,source
add,World,y_add,output,units,the sum,test fixture
prod,World,y_prod,output,units,the product,test fixture
CSV
# X1 ~ U(0.5, 1.5) (variance 1/12), X2 ~ U(0.8, 1.2) (variance 0.04/3).
cat >"$T/additive.ini" <<INI
[scenario]
name = additive
inputs = inputs
start = 2026Q1
end = 2026Q4

[shock x1]
distribution = uniform(min=0.5, max=1.5)
time = once
targets = x1

[shock x2]
distribution = uniform(min=0.8, max=1.2)
time = once
targets = x2
INI
cat >"$T/product.ini" <<INI
[scenario]
name = product
inputs = inputs
start = 2026Q1
end = 2026Q4

[shock x1]
distribution = lognormal(mu=0, sigma=0.5)
time = once
targets = x1

[shock x2]
distribution = lognormal(mu=0, sigma=0.3)
time = once
targets = x2
INI
ADD_ARGS="1 0.0833333333333333333 3 0.0133333333333333333"
PROD_ARGS="0.5 0.3"
sens() { "$BIN" sensitivity "$@" --quiet; }

expect_exit 0 "additive: 20000 samples" -- sens "$T/additive.ini" --metric add --periods 2026Q4 \
    --samples 20000 --seed 3 --group both=x1,x2 --out "$WORK/add"
$PY "$CHECK" columns "$WORK/add" && ok "additive: columns" || bad "additive: columns"
$PY "$CHECK" additive "$WORK/add" $ADD_ARGS && ok "additive: S_i = a_i^2 Var X_i / Var Y = total" \
    || bad "additive: indices"
grep -q '"model_evaluations": 100000,' "$WORK/add/manifest.json" \
    && ok "manifest: N (K + 2) = 20000 x 5 model evaluations" || bad "manifest: model evaluations"
$PY "$SRC/tests/e2e/check_outputs.py" cost "$WORK/add/manifest.json" evaluations_per_second >/dev/null \
    && ok "manifest: times, evaluations a second, peak memory" || bad "manifest: its cost"
$PY "$SRC/tests/e2e/check_outputs.py" files "$WORK/add/manifest.json" >/dev/null \
    && ok "manifest: the scenario's files and inputs with their SHA-256" || bad "manifest: files read"

expect_exit 0 "product: 20000 samples" -- sens "$T/product.ini" --metric prod --periods 2026Q2,2026Q4 \
    --samples 20000 --seed 5 --group both=shock_x1,shock_x2 --out "$WORK/prod"
$PY "$CHECK" product "$WORK/prod" $PROD_ARGS && ok "product: first order and interaction in closed form" \
    || bad "product: indices"

# ---- coverage of the 95% intervals over 20 seeds ---------------------------
dirs=()
for seed in $(seq 101 120); do
    sens "$T/product.ini" --metric prod --periods 2026Q4 --samples 2000 --seed "$seed" \
        --out "$WORK/cov-$seed" || bad "coverage run, seed $seed"
    dirs+=("$WORK/cov-$seed")
done
$PY "$CHECK" coverage 0.8 product $PROD_ARGS -- "${dirs[@]}" && ok "interval coverage over 20 seeds" \
    || bad "interval coverage"

# ---- byte-identical at 1, 2, 3 and 4 ranks, on the baseline -----------------
B="$SRC/scenarios/baseline.ini"
N=1500 # not a multiple of the 256-sample chunk
sensb() { "$MPIEXEC" -n "$1" "$BIN" sensitivity "$B" --samples $N --seed 9 --periods 2030Q4 \
    --group taiwan=event_taiwan_strait,shock_cowos_capacity,shock_hbm_supply --out "$WORK/$2" "${@:3}"; }
for n in 1 2 3 4; do
    expect_exit 0 "baseline at $n rank(s)" -- sensb $n r$n --quiet
done
for n in 2 3 4; do
    cmp -s "$WORK/r1/sensitivity.csv" "$WORK/r$n/sensitivity.csv" \
        && ok "sensitivity.csv at $n ranks = at 1 rank" || bad "sensitivity.csv differs at $n ranks"
done
$PY "$CHECK" columns "$WORK/r1" && ok "baseline: columns" || bad "baseline: columns"
rows=$(($(wc -l <"$WORK/r1/sensitivity.csv") - 1))
# The baseline's inputs, as validate lists them (its shocks and events).
inputs=$("$BIN" validate "$B" | grep -cE '^  (shock|event) ')
[ "$inputs" -gt 10 ] && [ "$rows" = $((5 * (inputs + 1))) ] \
    && ok "5 regions x ($inputs inputs + 1 group) rows" || bad "$rows rows for $inputs inputs"

# ---- SIGKILL to one rank, then --resume at another rank count ----------------
# On more samples than above, so that the analysis is still running when a
# rank is killed after its first checkpoint, or when the signal below comes
# after its first progress line (a 2030Q4 design simulates only to 2030Q4,
# and 1,500 samples were done in three quick rounds: one fresh clone's kill
# came after the last of them, on 2 Dec); each compared with an
# uninterrupted analysis of as many.
N_ABOVE=$N
N=12000
expect_exit 0 "an uninterrupted analysis of $N samples" -- sensb 2 stopref --quiet
sensb 2 killed --checkpoint-every 256 --quiet >"$WORK/killed.log" 2>&1 &
launcher=$!
kill_rank_at_checkpoint "$WORK/killed" $launcher
wait $launcher
[ -e "$WORK/killed/manifest.json" ] && bad "it finished before the kill: the test proved nothing"
[ -e "$WORK/killed/checkpoint.bin" ] && ok "a checkpoint survived the kill" || bad "no checkpoint"
head -c 4000 "$WORK/killed/checkpoint.bin" | grep -aq '^kind=sensitivity$' \
    && ok "the checkpoint is a sensitivity analysis's" || bad "checkpoint kind"
expect_exit 0 "resume at 3 ranks" -- sensb 3 killed --resume --quiet
cmp -s "$WORK/stopref/sensitivity.csv" "$WORK/killed/sensitivity.csv" \
    && ok "sensitivity.csv after kill and resume = uninterrupted" || bad "differs after kill and resume"
[ ! -e "$WORK/killed/checkpoint.bin" ] && ok "a finished analysis removes its checkpoint" \
    || bad "checkpoint left"
grep -q '"resumed_at_sample": [1-9]' "$WORK/killed/manifest.json" \
    && ok "manifest says where it resumed" || bad "manifest lacks resumed_at_sample"

# ---- SIGUSR1: exit 75, progress lines, then --resume -------------------------
(exec "$MPIEXEC" -n 2 "$BIN" sensitivity "$B" --samples $N --seed 9 --periods 2030Q4 \
    --group taiwan=event_taiwan_strait,shock_cowos_capacity,shock_hbm_supply --out "$WORK/stopped" \
    --progress 0.1) >"$WORK/stopped.log" 2>&1 &
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
[ ! -e "$WORK/stopped/sensitivity.csv" ] && ok "no sensitivity.csv from a stopped analysis" \
    || bad "sensitivity.csv after stop"
expect_exit 3 "resuming with another --group is refused" -- "$BIN" sensitivity "$B" --samples $N \
    --seed 9 --periods 2030Q4 --out "$WORK/stopped" --resume --quiet
expect_err "its sensitivity design"
expect_exit 3 "run cannot resume it" -- "$BIN" run "$B" --samples $N --seed 9 --out "$WORK/stopped" \
    --resume --quiet
expect_err "its command is sensitivity, this run's is run"
expect_exit 0 "resume after SIGUSR1 at 1 rank" -- sensb 1 stopped --resume --quiet
cmp -s "$WORK/stopref/sensitivity.csv" "$WORK/stopped/sensitivity.csv" \
    && ok "sensitivity.csv after stop and resume = uninterrupted" || bad "differs after stop and resume"
expect_exit 0 "resuming a finished analysis does nothing" -- sensb 1 stopped --resume
expect_err "already holds this analysis, complete; nothing to do"
N=$N_ABOVE

# ---- bad input: refused before any sample, nothing written ------------------
bad_input() { # WANT WHAT TEXT ARGS...
    local want=$1 what=$2 text=$3
    shift 3
    expect_exit "$want" "$what" -- "$BIN" sensitivity "$B" --samples 1000 --out "$WORK/bad" --quiet "$@"
    expect_err "$text"
    [ ! -e "$WORK/bad" ] && ok "$what: nothing written" || { bad "$what: $WORK/bad written"; rm -rf "$WORK/bad"; }
}
bad_input 3 "unknown metric" "--metric: 'no_such' is not a metric" --metric no_such
bad_input 3 "unknown region" "has no region 'Mars' (regions: US, EU, CN, ROW, World)" --region Mars
bad_input 3 "a quarter outside the horizon" "--periods: 2050Q1 is outside" --periods 2028Q4,2050Q1
bad_input 3 "a malformed quarter" "--periods:" --periods 2030Q5
bad_input 3 "an unknown input in --group" "--group t: 'shock_nope' is not an input of scenario baseline" \
    --group t=event_taiwan_strait,shock_nope
bad_input 3 "a group named like an input" "the name 'shock_copper' is taken" --group shock_copper=copper
bad_input 2 "a malformed --group" "is not NAME=input" --group taiwan
bad_input 2 "one sample" "at least 2" --samples 1
expect_exit 0 "--help" -- "$BIN" sensitivity --help
grep -q "frontier_compute_h100e" "$WORK/out" && grep -q "2028Q4,2030Q4,2035Q4" "$WORK/out" \
    && grep -q "N (K + 2)" "$WORK/out" && ok "--help states the defaults and the cost" || bad "--help"

# ---- a batch entry that is a sensitivity analysis ----------------------------
mkdir -p "$WORK/b"
cat >"$WORK/b/batch.csv" <<CSV
name,scenario,samples,seed,out,keep_samples,compare,sensitivity
add,$T/additive.ini,20000,3,out/add,,,"--metric add --periods 2026Q4 --group both=x1,x2"
plain,$T/additive.ini,100,3,out/plain,,,
CSV
expect_exit 0 "a batch with a sensitivity entry" -- "$BIN" batch "$WORK/b/batch.csv" --quiet
grep -q '^1,add,finished,20000,' "$WORK/out" && ok "the batch reports the entry finished" \
    || { bad "batch summary"; cat "$WORK/out"; }
cmp -s "$WORK/add/sensitivity.csv" "$WORK/b/out/add/sensitivity.csv" \
    && ok "the entry's sensitivity.csv = the command's" || bad "batch entry's sensitivity.csv differs"
[ -e "$WORK/b/out/plain/summary.csv" ] && ok "a plain entry beside it is a run" || bad "plain entry"
expect_exit 0 "batch --status" -- "$BIN" batch "$WORK/b/batch.csv" --status
grep -q '^1,add,complete,20000,' "$WORK/out" && ok "--status: complete" || bad "--status"
expect_exit 0 "the batch again" -- "$BIN" batch "$WORK/b/batch.csv" --quiet
grep -q '^1,add,skipped,' "$WORK/out" && ok "a finished analysis is skipped" || bad "not skipped"
cat >"$WORK/b/bad.csv" <<CSV
name,scenario,samples,seed,out,sensitivity
ok,$T/additive.ini,1000,3,out/ok,--metric add --periods 2026Q4
bad,$T/additive.ini,1000,3,out/bad,"--metric add --periods 2026Q4 --group g=x1,x3"
CSV
expect_exit 3 "a batch whose second entry has a bad --group" -- "$BIN" batch "$WORK/b/bad.csv" --quiet
expect_err "bad.csv:3: field 'sensitivity': --group g: 'x3' is not an input"
[ ! -e "$WORK/b/out/ok" ] && ok "refused before any sample of the first entry" || bad "first entry ran"

finish
