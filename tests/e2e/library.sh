#!/usr/bin/env bash
# The scenario library and inheritance from the command line: every file in
# scenarios/ validates, round-trips through --print-resolved and runs, and
# ended earlier writes the same rows for the quarters it keeps; a
# child that adds only neutral shocks and events reproduces its base exactly
# (new shocks and events draw from their own streams); bad bases are exit 3
# with file and line, and write nothing.
. "$(dirname "$0")/common.sh" "$@"

for f in "$SRC"/scenarios/*.ini; do
    n=$(basename "$f" .ini)
    expect_exit 0 "validate $n" -- "$BIN" validate "$f"
    expect_exit 0 "resolve $n" -- "$BIN" validate --print-resolved "$f"
    # The resolved file loads to the same scenario (paths in it are absolute
    # because $f is).
    mkdir -p "$WORK/r"
    cp "$WORK/out" "$WORK/r/$n.ini"
    "$BIN" validate --print-resolved "$WORK/r/$n.ini" >"$WORK/r/$n.again" 2>"$WORK/err"
    if diff <(grep -v "^;" "$WORK/r/$n.ini") <(grep -v "^;" "$WORK/r/$n.again") >/dev/null; then
        ok "$n: the resolved scenario resolves to itself"
    else bad "$n: --print-resolved does not round-trip"; fi
    expect_exit 0 "run $n" -- "$BIN" run "$f" --samples 200 --seed 3 --quiet --out "$WORK/o/$n"
    [ -s "$WORK/o/$n/summary.csv" ] && [ -s "$WORK/o/$n/manifest.json" ] \
        && ok "$n wrote its summary" || bad "$n: no summary"
    head -5 "$f" | grep -q '^; ' && ok "$n has a header comment" || bad "$n: no header comment"
    # An earlier end gives the same rows for the quarters both runs have:
    # a sample's draws are keyed by quarter, and nothing in a quarter looks
    # at the horizon's end (README: a shorter horizon is cheaper).  2029Q2:
    # after every dated event of the library.
    printf '[scenario]\nbase = %s\nname = %s\nend = 2029Q2\n' "$f" "$n" >"$WORK/short-$n.ini"
    expect_exit 0 "run $n to 2029Q2" -- "$BIN" run "$WORK/short-$n.ini" --samples 200 --seed 3 \
        --quiet --out "$WORK/h/$n"
    for k in summary binding; do
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "period") p = i; print; next }
                 $p <= "2029Q2"' "$WORK/o/$n/$k.csv" >"$WORK/prefix.csv"
        if [ "$(wc -l <"$WORK/prefix.csv")" -gt 1 ] &&
            [ "$(wc -l <"$WORK/prefix.csv")" -lt "$(wc -l <"$WORK/o/$n/$k.csv")" ] &&
            cmp -s "$WORK/prefix.csv" "$WORK/h/$n/$k.csv"; then
            ok "$n to 2029Q2: $k.csv is the full run's rows to 2029Q2"
        else bad "$n to 2029Q2: $k.csv differs from the full run's rows"; fi
    done
done

# A child with no overrides, and one adding a neutral shock and event, give
# the base's results exactly.
W="$WORK/w/scenarios"
mkdir -p "$W"
cp -r "$SRC/inputs" "$WORK/w/"
cp "$SRC/scenarios/baseline.ini" "$W/"
printf '[scenario]\nbase = baseline.ini\n' >"$W/same.ini"
cat >"$W/neutral.ini" <<'INI'
[scenario]
base = baseline.ini
[shock neutral]
distribution = constant(value=1)
time = quarterly
targets = euv_shipments, copper_price
[event neutral_event]
probability = 0.5
duration = constant(value=2)
severity = constant(value=0)
targets = wafers_TW
INI
for n in baseline same neutral; do
    "$BIN" run "$W/$n.ini" --samples 300 --seed 5 --quiet --out "$WORK/p/$n" >/dev/null 2>&1
done
for n in same neutral; do
    if cmp -s <(cut -d, -f2- "$WORK/p/baseline/summary.csv") <(cut -d, -f2- "$WORK/p/$n/summary.csv"); then
        ok "$n: identical to its base (common random numbers)"
    else bad "$n: differs from its base"; fi
done

# Bad bases.
printf '[scenario]\nbase = nowhere.ini\n' >"$W/missing.ini"
expect_exit 3 "missing base" -- "$BIN" run "$W/missing.ini" --samples 10 --out "$WORK/never"
expect_err "missing.ini:2: [scenario]: key 'base': cannot read"
[ ! -e "$WORK/never" ] && ok "no output after a missing base" || bad "output left behind"
printf '[scenario]\nbase = loop2.ini\n' >"$W/loop1.ini"
printf '[scenario]\nbase = loop1.ini\n' >"$W/loop2.ini"
expect_exit 3 "loop of bases" -- "$BIN" validate "$W/loop1.ini"
expect_err "loop2.ini:2: [scenario]: key 'base': a loop of base scenarios"
printf '[scenario]\nbase = baseline.ini\n[shock copper]\nsigma = 0.3\n' >"$W/badkey.ini"
expect_exit 3 "unknown key in a child" -- "$BIN" validate "$W/badkey.ini"
expect_err "badkey.ini:4: [shock copper]: unknown key 'sigma'"
printf '[scenario]\nbase = baseline.ini\n[shock extra]\ndistribution = constant(value=1)\ntime = once\ntargets = nowhere_node\n' >"$W/badnode.ini"
expect_exit 3 "a child's shock on an unknown node" -- "$BIN" validate "$W/badnode.ini"
expect_err "badnode.ini:6: [shock extra]: key 'targets': unknown node 'nowhere_node'"

# Graph overrides: parameters and series, with errors at the scenario's line.
printf '[scenario]\nbase = baseline.ini\n[param interconnect_US]\nlead = 8\n[series euv_shipments]\nramp = 2026Q1:15, 2027Q4:40\n2030Q1 = 30\n' >"$W/ov.ini"
expect_exit 0 "parameter and series overrides" -- "$BIN" validate --print-resolved "$W/ov.ini"
grep -q "^lead = 8$" "$WORK/out" && grep -q "^ramp = 2026Q1:15, 2027Q4:40$" "$WORK/out" \
    && ok "overrides in the resolved scenario" || bad "overrides not printed"
"$BIN" run "$W/ov.ini" --samples 300 --seed 5 --quiet --out "$WORK/p/ov" >/dev/null 2>&1
cmp -s <(cut -d, -f2- "$WORK/p/baseline/summary.csv") <(cut -d, -f2- "$WORK/p/ov/summary.csv") \
    && bad "overrides changed nothing" || ok "overrides change the results"
printf '[scenario]\nbase = baseline.ini\n\n[param nowhere]\nlead = 8\n' >"$W/ov-node.ini"
expect_exit 3 "override of an unknown node" -- "$BIN" validate "$W/ov-node.ini"
expect_err "ov-node.ini:5: [param nowhere]: unknown node 'nowhere'"
printf '[scenario]\nbase = baseline.ini\n[param interconnect_US]\nleed = 8\n' >"$W/ov-key.ini"
expect_exit 3 "override of a parameter a node lacks" -- "$BIN" validate "$W/ov-key.ini"
expect_err "ov-key.ini:4: [param interconnect_US]: delay node 'interconnect_US' has no parameter 'leed'"
printf '[scenario]\nbase = baseline.ini\n[param deploy_US]\npue = 0.5\n' >"$W/ov-range.ini"
expect_exit 3 "override out of range" -- "$BIN" validate "$W/ov-range.ini"
expect_err "ov-range.ini:4: [param deploy_US]: parameter 'pue'"
printf '[scenario]\nbase = baseline.ini\n[series deploy_US]\n2030Q1 = 5\n' >"$W/ov-series.ini"
expect_exit 3 "a series for a node that is not supply" -- "$BIN" validate "$W/ov-series.ini"
expect_err "ov-series.ini:4: [series deploy_US]: node 'deploy_US' is a deploy node"
printf '[scenario]\nbase = baseline.ini\n[series euv_shipments]\nramp = 2028Q1:5, 2027Q1:9\n' >"$W/ov-ramp.ini"
expect_exit 3 "a ramp going backwards" -- "$BIN" validate "$W/ov-ramp.ini"
expect_err "ov-ramp.ini:4: [series euv_shipments]: key 'ramp': quarters must increase"
# Nodes and edges added by a scenario: an option node whose edge points
# nowhere, and one that nothing reads, are errors with file and line, and
# nothing is written.
cat >"$W/add-nowhere.ini" <<'INI'
[scenario]
base = baseline.ini
[node plant]
kind = supply
region = EU
unit = wafers/quarter
[series plant]
ramp = 2026Q1:0, 2035Q4:1000
[edge plant -> packagess]
role = in
INI
expect_exit 3 "an added node whose edge points nowhere" -- "$BIN" run "$W/add-nowhere.ini" \
    --samples 10 --out "$WORK/never-add"
expect_err "add-nowhere.ini:9: [edge plant -> packagess]: unknown node 'packagess'"
[ ! -e "$WORK/never-add" ] && ok "no output after a bad edge" || bad "output left behind"
head -8 "$W/add-nowhere.ini" >"$W/add-unread.ini"
expect_exit 3 "an added node that nothing reads" -- "$BIN" validate "$W/add-unread.ini"
expect_err "add-unread.ini:3: [node plant]: nothing reads this node"
# With an edge into packages the plant is valid, and --print-resolved
# shows the additions.
printf '[edge plant -> packages]\nrole = in\n' >>"$W/add-unread.ini"
expect_exit 0 "an added node with its edge" -- "$BIN" validate --print-resolved "$W/add-unread.ini"
grep -q "^\[edge plant -> packages\]$" "$WORK/out" && grep -q "^\[node plant\]$" "$WORK/out" \
    && ok "added nodes and edges in the resolved scenario" || bad "additions not printed"
finish
