#!/usr/bin/env bash
# A one-node graph with a lognormal shock: the run's mean, sd and quantiles
# against their closed forms (tolerances in check_lognormal.py), and the
# output files through pandas.
. "$(dirname "$0")/common.sh" "$@"
N=200000
expect_exit 0 "lognormal run" -- "$MPIEXEC" -n 2 "$BIN" run \
    "$SRC/tests/data/lognormal/lognormal.ini" --samples $N --seed 7 --keep-samples 10 \
    --out "$WORK/ln" --quiet
if /usr/bin/python3 "$SRC/tests/e2e/check_lognormal.py" "$WORK/ln" $N; then
    ok "quantiles, mean and sd match the lognormal"; else bad "lognormal check"; fi
if /usr/bin/python3 "$SRC/tests/e2e/check_outputs.py" "$WORK/ln" $N 10; then
    ok "lognormal outputs load in pandas"; else bad "pandas check (lognormal)"; fi
expect_exit 0 "baseline run" -- "$BIN" run "$SRC/scenarios/baseline.ini" --samples 3000 \
    --keep-samples 5 --out "$WORK/base" --quiet
if /usr/bin/python3 "$SRC/tests/e2e/check_outputs.py" "$WORK/base" 3000 5; then
    ok "baseline outputs load in pandas"; else bad "pandas check (baseline)"; fi
finish
