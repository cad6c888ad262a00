#!/usr/bin/env bash
# `chokepoint compare`: common random numbers (an identical option, and one
# adding only neutral shocks and events, differ from the base by exactly 0
# in every sample), byte-identical results (binding.csv included) at 1, 2,
# 3 and 4 ranks and whatever the other options, the
# variance reduction of pairing against two independent runs (measured and
# printed), and bad input (exit 3, nothing written).
. "$(dirname "$0")/common.sh" "$@"

W="$WORK/w/scenarios"
mkdir -p "$W"
cp -r "$SRC/inputs" "$WORK/w/"
cp "$SRC"/scenarios/*.ini "$W/"
printf '[scenario]\nbase = baseline.ini\nname = same\n' >"$W/same.ini"
cat >"$W/neutral.ini" <<'INI'
[scenario]
base = baseline.ini
[shock neutral]
distribution = constant(value=1)
time = ar1
rho = 0.5
targets = euv_shipments, cowos_total
[event neutral_event]
probability = 0.3
duration = gamma(shape=2, scale=2)
severity = constant(value=0)
targets = wafers_TW, cowos_TW
INI
ARGS=("$W/baseline.ini" "$W/same.ini" "$W/neutral.ini" "$W/option-packaging-us.ini"
      "$W/stress-taiwan-blockade.ini" --samples 700 --seed 9 --quiet)
expect_exit 0 "compare at 1 rank" -- "$BIN" compare "${ARGS[@]}" --out "$WORK/c1"
for f in compare.csv manifest.json baseline/summary.csv same/summary.csv \
    option-packaging-us/summary.csv stress-taiwan-blockade/summary.csv; do
    [ -s "$WORK/c1/$f" ] && ok "wrote $f" || bad "no $f"
done
for n in baseline same neutral option-packaging-us stress-taiwan-blockade; do
    if /usr/bin/python3 "$SRC/tests/e2e/check_outputs.py" binding "$WORK/c1/$n" 700; then
        ok "$n/binding.csv: counts sum to the samples, shares to 1"
    else bad "$n/binding.csv check"; fi
    grep -q "\"$n/binding.csv\"" "$WORK/c1/manifest.json" && ok "manifest lists $n/binding.csv" \
        || bad "manifest lacks $n/binding.csv"
done
peak=$(/usr/bin/python3 "$SRC/tests/e2e/check_outputs.py" cost "$WORK/c1/manifest.json" samples_per_second) \
    && ok "manifest: times, samples a second, peak memory ($peak KiB)" || bad "manifest: its cost"
files=$(/usr/bin/python3 "$SRC/tests/e2e/check_outputs.py" files "$WORK/c1/manifest.json") \
    && ok "manifest: every scenario's files and inputs with their SHA-256 ($files files)" \
    || bad "manifest: the files read and their hashes"
# An option on its own copy of the inputs, one number changed: the manifest
# says which inputs each scenario read.
cp -r "$WORK/w/inputs" "$WORK/w/inputs2"
sed -i 's/^euv_shipments,2026Q1,15,/euv_shipments,2026Q1,14,/' "$WORK/w/inputs2/series.csv"
printf '[scenario]\nbase = baseline.ini\nname = other-inputs\ninputs = ../inputs2\n' \
    >"$W/other-inputs.ini"
expect_exit 0 "compare with an option on other inputs" -- "$BIN" compare "$W/baseline.ini" \
    "$W/other-inputs.ini" --samples 300 --seed 9 --quiet --out "$WORK/oi"
/usr/bin/python3 "$SRC/tests/e2e/check_outputs.py" files "$WORK/oi/manifest.json" >/dev/null \
    && ok "manifest: the option's own inputs with their SHA-256" || bad "manifest: other inputs"
/usr/bin/python3 - "$WORK/oi/manifest.json" <<'PY' && ok "manifest: base and option name different series.csv" \
    || bad "manifest: the option's series.csv is not its own"
import json, sys
base, option = json.load(open(sys.argv[1]))["scenarios"]
series = [next(i for i in s["inputs"] if i["path"].endswith("series.csv")) for s in (base, option)]
assert series[0]["path"].endswith("/inputs/series.csv"), series
assert series[1]["path"].endswith("/inputs2/series.csv"), series
assert series[0]["sha256"] != series[1]["sha256"], series
PY
# Identical scenarios bind identically (the scenario column aside).
cmp -s <(cut -d, -f2- "$WORK/c1/baseline/binding.csv") <(cut -d, -f2- "$WORK/c1/same/binding.csv") \
    && ok "an identical option's binding.csv is the base's" || bad "identical option binds differently"
cmp -s <(cut -d, -f2- "$WORK/c1/baseline/binding.csv") \
    <(cut -d, -f2- "$WORK/c1/stress-taiwan-blockade/binding.csv") \
    && bad "a blockade binds exactly as the baseline: binding.csv proves nothing" \
    || ok "a stress scenario's binding.csv differs from the base's"
head -1 "$WORK/c1/compare.csv" | grep -q "^option,metric,region,period,unit,samples,mean_diff,sd_diff" \
    && ok "compare.csv header" || bad "compare.csv header: $(head -1 "$WORK/c1/compare.csv")"
if /usr/bin/python3 "$SRC/tests/e2e/check_compare.py" zero "$WORK/c1" same neutral; then
    ok "identical and neutral options: zero difference in every sample"
else bad "CRN pairing broken"; fi
# An option's rows, summary and binding.csv do not depend on the other
# options nor on their order, so a large comparison can be split into
# smaller ones with the same base, seed and samples (jobs/README.md).
expect_exit 0 "two of the options alone, in the other order" -- "$BIN" compare "$W/baseline.ini" \
    "$W/stress-taiwan-blockade.ini" "$W/option-packaging-us.ini" --samples 700 --seed 9 --quiet \
    --out "$WORK/part"
for o in stress-taiwan-blockade option-packaging-us; do
    rows=$(grep -c "^$o," "$WORK/part/compare.csv")
    [ "$rows" -gt 0 ] && cmp -s <(grep "^$o," "$WORK/c1/compare.csv") <(grep "^$o," "$WORK/part/compare.csv") \
        && ok "$o: its $rows rows of compare.csv as in the larger comparison" \
        || bad "$o: compare.csv rows depend on the other options"
    for f in summary.csv binding.csv; do
        cmp -s "$WORK/c1/$o/$f" "$WORK/part/$o/$f" && ok "$o/$f as in the larger comparison" \
            || bad "$o/$f depends on the other options"
    done
done

# The base's summary in a comparison is the summary of a plain run.
"$BIN" run "$W/baseline.ini" --samples 700 --seed 9 --quiet --out "$WORK/run" >/dev/null 2>&1
cmp -s "$WORK/run/summary.csv" "$WORK/c1/baseline/summary.csv" \
    && ok "the base's summary equals a plain run's" || bad "base summary differs from run"
cmp -s "$WORK/run/binding.csv" "$WORK/c1/baseline/binding.csv" \
    && ok "the base's binding.csv equals a plain run's" || bad "base binding.csv differs from run"
for p in 2 3 4; do
    expect_exit 0 "compare at $p ranks" -- $MPIEXEC -n $p "$BIN" compare "${ARGS[@]}" --out "$WORK/c$p"
    for f in compare.csv baseline/summary.csv stress-taiwan-blockade/summary.csv \
        baseline/binding.csv stress-taiwan-blockade/binding.csv; do
        cmp -s "$WORK/c1/$f" "$WORK/c$p/$f" && ok "$f identical at 1 and $p ranks" \
            || bad "$f differs at $p ranks"
    done
done

# Variance reduction: the paired standard error against two independent runs.
"$BIN" compare "$W/baseline.ini" "$W/option-behind-the-meter-us.ini" --samples 2000 --seed 1 \
    --quiet --out "$WORK/vr" >/dev/null 2>&1
"$BIN" run "$W/baseline.ini" --samples 2000 --seed 2 --quiet --out "$WORK/indep" >/dev/null 2>&1
if /usr/bin/python3 "$SRC/tests/e2e/check_compare.py" ratio "$WORK/vr" "$WORK/indep" \
    option-behind-the-meter-us 3; then
    ok "paired standard error at least 3x below independent runs'"
else bad "variance reduction too small"; fi

# An option built on a stress has a cost, but against the baseline its
# difference carries the stress: no CaR05 change per dollar, a warning
# that says why, and the reason in the manifest.  Against the stress it is
# priced.  (Only the base and the option decide it: the rows still do not
# depend on the other options.)
"$BIN" compare "$W/baseline.ini" "$W/cooling-lag-with-retrofit.ini" "$W/option-packaging-us.ini" \
    --samples 300 --seed 9 --out "$WORK/mixed" >"$WORK/out" 2>"$WORK/err" \
    && ok "a comparison with an option built on a stress" || bad "the mixed comparison failed"
expect_err "warning: cooling-lag-with-retrofit: its cost does not price its CaR05 change against baseline"
expect_err "stress-cooling-lag.ini"
"$BIN" compare "$W/stress-cooling-lag.ini" "$W/cooling-lag-with-retrofit.ini" --samples 300 \
    --seed 9 --quiet --out "$WORK/own" >/dev/null 2>&1 && ok "the same option against its stress" \
    || bad "the comparison against the stress failed"
/usr/bin/python3 - "$WORK/mixed" "$WORK/own" <<'PY' && ok "priced against its stress, not against the baseline" \
    || bad "pricing of an option built on a stress"
import json, sys
import pandas as pd
mixed, own = (pd.read_csv(f"{d}/compare.csv") for d in sys.argv[1:3])
r = mixed[mixed.option == "cooling-lag-with-retrofit"]
assert (r.cost_usd == 3.9e10).all() and r.car05_change_per_busd.isna().all(), r.head()
p = mixed[mixed.option == "option-packaging-us"]
assert p.car05_change_per_busd.notna().all(), "an option on the baseline is priced"
o = own[own.option == "cooling-lag-with-retrofit"]
assert o.car05_change_per_busd.notna().all()
assert (abs(o.car05_change_per_busd - o.car05_change / 39) <= 1e-9 * abs(o.car05_change)).all()
m = {s["name"]: s for s in json.load(open(f"{sys.argv[1]}/manifest.json"))["scenarios"]}
assert m["cooling-lag-with-retrofit"]["car05_change_priced"] is False
assert "stress-cooling-lag.ini" in m["cooling-lag-with-retrofit"]["not_priced_because"]
assert m["option-packaging-us"]["car05_change_priced"] is True
assert "car05_change_priced" not in m["baseline"]
PY

# Bad input.
printf '[scenario]\nbase = nowhere.ini\n' >"$W/missing.ini"
expect_exit 3 "an option with a missing base" -- "$BIN" compare "$W/baseline.ini" "$W/missing.ini" \
    --samples 10 --out "$WORK/never"
expect_err "missing.ini:2: [scenario]: key 'base': cannot read"
[ ! -e "$WORK/never" ] && ok "nothing written after bad input" || bad "output left behind"
printf '[scenario]\nbase = baseline.ini\nname = short\nend = 2030Q4\n' >"$W/short.ini"
expect_exit 3 "an option with another horizon" -- "$BIN" compare "$W/baseline.ini" "$W/short.ini" \
    --samples 10 --out "$WORK/never"
expect_err "a paired comparison needs the same cells"
[ ! -e "$WORK/never" ] && ok "nothing written after a horizon mismatch" || bad "output left behind"
expect_exit 2 "compare with one scenario" -- "$BIN" compare "$W/baseline.ini"
expect_exit 0 "compare --help" -- "$BIN" compare --help
grep -q "common random numbers" "$WORK/out" && ok "compare --help explains pairing" || bad "compare --help"
finish
