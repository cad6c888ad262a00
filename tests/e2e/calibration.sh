#!/usr/bin/env bash
# The baseline against published projections (inputs/CALIBRATION.md): the
# inputs are fully sourced, and a fixed-seed run of the baseline keeps every
# band of inputs/calibration.csv.  A failure names the band that broke.
. "$(dirname "$0")/common.sh" "$@"
N=20000
expect_exit 0 "validate baseline" -- "$BIN" validate "$SRC/scenarios/baseline.ini"
if grep -q "^warning:" "$WORK/out"; then
    bad "baseline inputs have unsourced rows or other warnings:"
    grep "^warning:" "$WORK/out" | head -5 | sed 's/^/    /'
else
    ok "every input row has a source"
fi
if /usr/bin/python3 "$SRC/tests/e2e/check_bibliography.py" "$SRC"; then
    ok "every cited source key is in the bibliography"
else
    bad "cited source keys missing from inputs/README.md's bibliography"
fi
expect_exit 0 "baseline run" -- "$BIN" run "$SRC/scenarios/baseline.ini" --samples $N --seed 42 \
    --out "$WORK/base" --quiet
if /usr/bin/python3 "$SRC/tests/e2e/check_calibration.py" "$SRC/inputs/calibration.csv" \
    "$WORK/base"; then
    ok "baseline inside every calibration band"
else
    bad "calibration bands (see the FAIL lines above and inputs/CALIBRATION.md)"
fi
finish
