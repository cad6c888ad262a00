#!/usr/bin/env bash
# The market in every scenario of scenarios/: in no kept sample path does a
# region's waiting inventory exceed its inventory target plus a quarter of
# its orders (the queue of unpowered chips stays bounded), and a Taiwan
# blockade shows in installed compute.  The check reads every sample of a
# few thousand through --keep-samples, with a metrics.csv that reports each
# deploy node's waiting, target and orders.
. "$(dirname "$0")/common.sh" "$@"
N=2000
mkdir -p "$WORK/w"
cp -r "$SRC/scenarios" "$SRC/inputs" "$WORK/w/"
# The baseline without replacement (replace_below 0 on every deploy node):
# the thermal limit's check below compares the two.
{
    printf '[scenario]\nbase = baseline.ini\nname = no-replacement\n'
    printf 'description = the baseline, old accelerators never replaced early\n'
    awk -F, 'NR > 1 && $2 == "deploy" { printf "[param %s]\nreplace_below = 0\n", $1 }' \
        "$SRC/inputs/nodes.csv"
} >"$WORK/w/scenarios/no-replacement.ini"
M="$WORK/w/inputs/metrics.csv"
head -1 "$SRC/inputs/metrics.csv" >"$M"
# One metric per deploy node and field (region = the node's name).
awk -F, 'NR > 1 && $2 == "deploy" { print $1 }' "$SRC/inputs/nodes.csv" | while read -r d; do
    for f in waiting target orders waiting_own received received_own; do
        echo "check_$f,$d,$d,$f,accelerators,check,test,,,," >>"$M"
    done
done
# The watts of one bought accelerator and of one of its own (the watts input
# of its stream), to count its own as the engine does: by their watts.
E="$SRC/inputs/edges.csv"
awk -F, 'NR > 1 && $2 == "deploy" { print $1 }' "$SRC/inputs/nodes.csv" | while read -r d; do
    wm=$(awk -F, -v d="$d" '$2 == d && $3 == "watts" { print $1 }' "$E")
    echo "check_watts,$d,$wm,output,W,check,test,,,," >>"$M"
    for st in $(awk -F, -v d="$d" '$2 == d && $3 == "units" { print $1 }' "$E"); do
        ws=$(awk -F, -v s="$st" '$2 == s && $3 == "watts" { print $1 }' "$E")
        [ -n "$ws" ] && echo "check_own_watts,$d,$ws,output,W,check,test,,,," >>"$M"
    done
done
[ "$(wc -l <"$M")" -gt 4 ] && ok "check metrics for every deploy node" || bad "no deploy nodes found"
# The on-site path's generators (US): what is ready, the turbines, what is built.
for f in "onsite_power_US ready" "turbines_US turbines" "onsite_gas_US built"; do
    set -- $f
    echo "cap_$2,US,$1,output,MW/quarter,check,test,,,," >>"$M"
done
# The thermal limit (US): liquid-cooled power, AI power, power left unfilled.
for f in "liquid_power_US liquid output" "ai_power_US ai output" "deploy_US unfilled unfilled" \
    "deploy_US replaced replaced"; do
    set -- $f
    echo "cool_$2,US,$1,$3,MW,check,test,,,," >>"$M"
done
# Each scenario's check (one core) reads its samples while the next scenario
# runs (the other): at most one check at a time, its verdict in a file.
check=""
for f in "$WORK"/w/scenarios/*.ini; do
    n=$(basename "$f" .ini)
    if ! "$BIN" run "$f" --samples $N --keep-samples $N --seed 3 --out "$WORK/o/$n" --quiet \
        >"$WORK/out" 2>"$WORK/err"; then
        bad "$n: run failed"; sed 's/^/    /' "$WORK/err" | head -3; continue
    fi
    [ -n "$check" ] && wait "$check"
    (/usr/bin/python3 "$SRC/tests/e2e/check_market.py" inventory "$WORK/o/$n/samples.csv" $N \
        >"$WORK/o/$n/inventory.log" 2>&1 && touch "$WORK/o/$n/inventory.ok") &
    check=$!
done
wait
for f in "$WORK"/w/scenarios/*.ini; do
    n=$(basename "$f" .ini)
    [ -e "$WORK/o/$n/inventory.log" ] || continue # its run failed, said above
    sed 's/^/    /' "$WORK/o/$n/inventory.log"
    if [ -e "$WORK/o/$n/inventory.ok" ]; then
        ok "$n: waiting <= target + orders in every sample, region and quarter"
    else bad "$n: the waiting inventory broke its bound"; fi
done

# On-site power is built only as far as its turbines allow: in every kept
# sample built = min(ready, turbines); the shortage stress's turbines are
# 0.4 x the series; they bind in the stress and do not in the baseline.
if /usr/bin/python3 "$SRC/tests/e2e/check_market.py" turbines "$WORK/o/baseline/samples.csv" \
    "$WORK/o/stress-turbine-shortage/samples.csv" "$SRC/inputs/series.csv" 0.4; then
    ok "on-site power: built = min(ready, turbines) in every sample; the shortage binds, and binding.csv names it, where the baseline does not"
else bad "on-site power does not follow its turbines"; fi

# The thermal limit: liquid-cooled power is AI power x the liquid-ready
# share in every kept sample (the stress's ramp is 0.660 at 2030Q4).
# Without replacement, where binding.csv names power:cooling power was
# left, and it binds in the stress, where retrofits lag, and not in the
# baseline in 2030.  With replacement, the liquid-cooled room also holds
# back the replacement of old air-cooled accelerators: power:cooling is
# named in more paths (where power was full too), and some are replaced.
if /usr/bin/python3 "$SRC/tests/e2e/check_market.py" cooling "$WORK/o/no-replacement/samples.csv" \
    "$WORK/o/stress-cooling-lag/samples.csv" "$SRC/inputs/series.csv" 0.660 \
    "$WORK/o/baseline/samples.csv"; then
    ok "thermal limit: liquid-cooled power follows its share in every sample; without replacement power:cooling named only where power was left, in the stress and not the baseline; with it, also where it held replacements back"
else bad "the thermal limit does not hold"; fi

# Energy per compute is, in every kept sample, the power used per compute.
"$BIN" run "$SRC/scenarios/baseline.ini" --samples 500 --keep-samples 500 --seed 5 \
    --out "$WORK/energy" --quiet >/dev/null 2>&1 || bad "energy: run failed"
if /usr/bin/python3 "$SRC/tests/e2e/check_market.py" energy "$WORK/energy/samples.csv"; then
    ok "energy per compute is the power used per compute, and the regions' compute shares add up to 1, in every sample"
else bad "energy per compute disagrees with the power and compute it divides"; fi

# The blockade shows: the real metrics, paired on common random numbers.
for n in baseline stress-taiwan-blockade; do
    "$BIN" run "$SRC/scenarios/$n.ini" --samples 4000 --seed 3 --out "$WORK/b/$n" --quiet \
        >/dev/null 2>&1 || bad "$n: run failed"
done
if /usr/bin/python3 "$SRC/tests/e2e/check_market.py" blockade "$WORK/b/baseline" \
    "$WORK/b/stress-taiwan-blockade"; then
    ok "a Taiwan blockade cuts installed compute in the bad paths, and chips bind there"
else bad "the blockade does not show in installed compute"; fi
finish
