#!/usr/bin/env bash
# The command line as a user meets it: help, version, exit codes, refusal to
# overwrite, and no complete-looking output after a failure or a kill.
. "$(dirname "$0")/common.sh" "$@"

expect_exit 0 "--help" -- "$BIN" --help
grep -q "chokepoint run SCENARIO.ini" "$WORK/out" && ok "help lists run" || bad "help lacks run"
expect_exit 0 "--version" -- "$BIN" --version
grep -Eq "^chokepoint [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+" "$WORK/out" \
    && ok "version has a git commit" || bad "version line: $(cat "$WORK/out")"
expect_exit 0 "run --help" -- "$BIN" run --help
for opt in "--samples N" "default 100000" "--seed S" "--out DIR" "--keep-samples K" "--force"; do
    grep -qF -- "$opt" "$WORK/out" && ok "run --help mentions '$opt'" || bad "run --help lacks '$opt'"
done
expect_exit 0 "validate --help" -- "$BIN" validate --help
expect_exit 2 "no command" -- "$BIN"
expect_exit 2 "unknown command" -- "$BIN" frobnicate
expect_err "unknown command 'frobnicate'"
expect_exit 2 "run without a scenario" -- "$BIN" run
expect_exit 2 "non-numeric --samples" -- "$BIN" run "$SRC/scenarios/baseline.ini" --samples lots
expect_err "--samples: 'lots'"
expect_exit 2 "zero --samples" -- "$BIN" run "$SRC/scenarios/baseline.ini" --samples 0
expect_exit 2 "unknown option" -- "$BIN" run "$SRC/scenarios/baseline.ini" --bogus 10

expect_exit 0 "validate baseline" -- "$BIN" validate "$SRC/scenarios/baseline.ini"
grep -q "^valid" "$WORK/out" && ok "validate says valid" || bad "validate output"

# A private copy of the scenario and inputs to break.
mkdir -p "$WORK/w"
cp -r "$SRC/scenarios" "$SRC/inputs" "$WORK/w/"
S="$WORK/w/scenarios/baseline.ini"
sed -i '0,/^rho = 0.7$/s//rhoo = 0.7/' "$S" # the first: euv_supply's
line=$(grep -n '^rhoo = 0.7$' "$S" | cut -d: -f1)
expect_exit 3 "scenario with an unknown key" -- "$BIN" validate "$S"
expect_err "baseline.ini:$line: [shock euv_supply]: unknown key 'rhoo'"
expect_exit 3 "run refuses it too" -- "$BIN" run "$S" --samples 10 --out "$WORK/never"
[ ! -e "$WORK/never" ] && ok "no output directory after bad input" || bad "output left behind"
cp "$SRC/scenarios/baseline.ini" "$S"

sed -i 's/^deploy_US,pue,[0-9.]*,/deploy_US,pue,0.8,/' "$WORK/w/inputs/params.csv"
grep -q '^deploy_US,pue,0.8,' "$WORK/w/inputs/params.csv" || bad "the PUE row of params.csv was not found to break"
expect_exit 3 "a PUE below 1" -- "$BIN" validate "$S"
expect_err "params.csv:"
expect_err "field 'value': parameter 'pue' of deploy node 'deploy_US' must be in [1, 10]"
cp "$SRC/inputs/params.csv" "$WORK/w/inputs/"

printf 'accel_dies,leading_wafers,in,,,x,\n' >> "$WORK/w/inputs/edges.csv"
expect_exit 3 "a cycle" -- "$BIN" validate "$S"
expect_err "cycle: leading_wafers -> wafers_TW -> ai_wafers -> accel_dies -> leading_wafers"
cp "$SRC/inputs/edges.csv" "$WORK/w/inputs/"

# A price of zero makes the elastic response infinite: a model error, named.
sed -i 's/^ppa_price_EU,2027Q3,68.35,/ppa_price_EU,2027Q3,0,/' "$WORK/w/inputs/series.csv"
expect_exit 5 "a non-finite model value" -- "$BIN" run "$S" --samples 300 --out "$WORK/nan"
expect_err "in region 'EU' for 2027Q3 is"
[ ! -e "$WORK/nan/summary.csv" ] && [ ! -e "$WORK/nan/manifest.json" ] \
    && ok "no summary or manifest after a model error" || bad "output left after a model error"
# --force removes a previous run's binding.csv before running: a run that
# then fails leaves no stale one behind.
mkdir -p "$WORK/stale" && echo stale >"$WORK/stale/binding.csv"
expect_exit 5 "a failing run with --force" -- "$BIN" run "$S" --samples 300 --out "$WORK/stale" --force
[ ! -e "$WORK/stale/binding.csv" ] && ok "--force removed the stale binding.csv" \
    || bad "stale binding.csv survived --force"
cp "$SRC/inputs/series.csv" "$WORK/w/inputs/"

# Existing output is not overwritten without --force.
expect_exit 0 "a first run" -- "$BIN" run "$S" --samples 300 --out "$WORK/o" --quiet
before=$(sha256sum "$WORK/o/summary.csv")
expect_exit 3 "a second run into the same directory" -- "$BIN" run "$S" --samples 600 \
    --out "$WORK/o" --quiet
expect_err "--force"
[ "$before" = "$(sha256sum "$WORK/o/summary.csv")" ] && ok "first run's files untouched" \
    || bad "refused run changed files"
touch "$WORK/o/samples.csv"
expect_exit 0 "--force replaces them" -- "$BIN" run "$S" --samples 600 --out "$WORK/o" --force --quiet
[ ! -e "$WORK/o/samples.csv" ] && ok "--force removed the stale samples.csv" \
    || bad "stale samples.csv survived --force"
grep -q '"samples": 600' "$WORK/o/manifest.json" && ok "manifest of the new run" || bad "manifest"

# A killed run leaves nothing that looks complete.
"$BIN" run "$S" --samples 100000000 --out "$WORK/killed" --quiet &
pid=$!
sleep 1
kill -KILL $pid
wait $pid 2>/dev/null
if [ -z "$(ls "$WORK/killed" 2>/dev/null | grep -v '^\.')" ]; then
    ok "a killed run leaves no visible output file"
else
    bad "a killed run left: $(ls "$WORK/killed")"
fi

# The manifest names the files as the run read them: hashed when it started,
# not when it ended.  Edit the scenario and an input while the run is
# stopped mid-way (SIGSTOP once its first checkpoint exists: waiting on
# progress, not on the clock), then let it finish.
hash() { sha256sum "$1" | cut -d' ' -f1; }
scenario_was=$(hash "$S") nodes_was=$(hash "$WORK/w/inputs/nodes.csv")
(exec "$BIN" run "$S" --samples 20480 --checkpoint-every 2560 --out "$WORK/edited" --quiet) &
pid=$!
while [ ! -e "$WORK/edited/checkpoint.bin" ] && [ ! -e "$WORK/edited/manifest.json" ] &&
    kill -0 $pid 2>/dev/null; do sleep 0.02; done
kill -STOP $pid 2>/dev/null
[ -e "$WORK/edited/manifest.json" ] && bad "the run ended before the edit: the test proved nothing"
printf '; edited while the run ran\n' >>"$S"
printf '\n' >>"$WORK/w/inputs/nodes.csv"
kill -CONT $pid 2>/dev/null
wait $pid && ok "the run whose files were edited mid-way finished" || bad "the edited run failed"
/usr/bin/python3 - "$WORK/edited/manifest.json" "$scenario_was" "$nodes_was" <<'PY' \
    && ok "the manifest has the hashes of the files as they were read" || bad "manifest hashes"
import json, sys
m = json.load(open(sys.argv[1]))
got = {f["path"].rsplit("/", 2)[-2] + "/" + f["path"].rsplit("/", 1)[-1]: f["sha256"]
       for f in m["scenario_files"] + m["inputs"]}
assert got["scenarios/baseline.ini"] == sys.argv[2], got
assert got["inputs/nodes.csv"] == sys.argv[3], got
assert all("/../" not in f["path"] and "/./" not in f["path"] for f in m["inputs"]), m["inputs"]
PY
cp "$SRC/scenarios/baseline.ini" "$S"
cp "$SRC/inputs/nodes.csv" "$WORK/w/inputs/"

# The benchmark's floors (jobs/bench.sh): four figures, and clear refusals.
FLOORS="$(dirname "$BIN")/chokepoint-floors"
expect_exit 0 "floors of 300 samples" -- "$FLOORS" "$SRC/scenarios/baseline.ini" 300
[ "$(grep -c 'us a sample' "$WORK/out")" = 4 ] && ok "floors prints four figures" \
    || bad "floors printed: $(cat "$WORK/out")"
expect_exit 2 "floors without a sample count" -- "$FLOORS" "$SRC/scenarios/baseline.ini"
expect_exit 2 "floors of zero samples" -- "$FLOORS" "$SRC/scenarios/baseline.ini" 0
expect_err "'0' is not a whole number from 1 to"
expect_exit 1 "floors of a missing scenario" -- "$FLOORS" "$WORK/none.ini" 10
expect_err "none.ini: cannot open"
finish
