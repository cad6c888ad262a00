#!/usr/bin/env bash
# Events that happen once, in the real program: in every kept sample path
# of every scenario in scenarios/ an event declared once (or on a date) is
# under way in one unbroken stretch at most (its loss never drops to zero and
# rises again); a dated event is under way from its date for its duration
# and not after; and `validate` refuses an event whose date or probability
# is malformed, naming the file, the line and the key.
. "$(dirname "$0")/common.sh" "$@"
N=1500
# The scenarios and inputs with one metric: samples.csv keeps every path's
# drivers and events whatever metrics.csv says, and the checks read only
# events, so the other metrics' rows would only be written and parsed.
mkdir -p "$WORK/w"
cp -r "$SRC/scenarios" "$SRC/inputs" "$WORK/w/"
head -2 "$SRC/inputs/metrics.csv" >"$WORK/w/inputs/metrics.csv"
for f in "$WORK"/w/scenarios/*.ini; do
    n=$(basename "$f" .ini)
    onces=$("$BIN" validate "$f" 2>/dev/null | sed -n 's/^  event    \([A-Za-z0-9_-]*\): .*\(at most once\| only\).*/\1/p' | tr '\n' ' ')
    [ -n "$onces" ] || continue
    if ! "$BIN" run "$f" --samples $N --keep-samples $N --seed 5 --out "$WORK/o/$n" --quiet \
        >"$WORK/out" 2>"$WORK/err"; then
        bad "$n: run failed"; sed 's/^/    /' "$WORK/err" | head -3; continue
    fi
    if /usr/bin/python3 "$SRC/tests/e2e/check_events.py" once "$WORK/o/$n/samples.csv" $N $onces \
        >"$WORK/out" 2>&1; then
        ok "$n: $(cat "$WORK/out")"
    else bad "$n: $(cat "$WORK/out")"; fi
done

# stress-euv-shock means what its text says: halved for 2026-2027, then not.
if /usr/bin/python3 "$SRC/tests/e2e/check_events.py" dated "$WORK/o/stress-euv-shock/samples.csv" \
    $N euv_halving 2026Q1 2027Q4 0.5 >"$WORK/out" 2>&1; then
    ok "stress-euv-shock: $(cat "$WORK/out")"
else bad "stress-euv-shock: $(cat "$WORK/out")"; fi

# validate refuses a malformed date or probability of an event declared once.
mkdir -p "$WORK/bad"
bad_event() { # name key-lines expected...
    local name=$1 lines=$2; shift 2
    printf '[scenario]\nbase = %s/scenarios/baseline.ini\nname = bad\n\n[event e]\n%bduration = constant(value=1)\nseverity = constant(value=0.5)\ntargets = euv_shipments\n' \
        "$SRC" "$lines" >"$WORK/bad/$name.ini"
    expect_exit 3 "validate refuses $name" -- "$BIN" validate "$WORK/bad/$name.ini"
    for want in "$@"; do
        grep -qF -- "$want" "$WORK/err" && ok "  ... and says '$want'" || {
            bad "  ... message lacks '$want'"; sed 's/^/    /' "$WORK/err" | head -3; }
    done
}
bad_event date "once = true\nstart = 2027Q7\n" "date.ini:7" "key 'start'" "2027Q7"
bad_event late "start = 2040Q1\n" "late.ini:5" "outside the horizon"
bad_event probability "once = true\nprobability = 1.2\n" "probability.ini:7" "key 'probability'" "[0, 1]"
bad_event flag "once = yes\nprobability = 0.1\n" "flag.ini:6" "key 'once'" "not true or false"
finish
