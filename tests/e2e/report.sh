#!/usr/bin/env bash
# `chokepoint report`: the pages of a run (with the binding and sensitivity
# fixtures of tests/data/report), a comparison and a batch, written with
# --report and by `report`, opened in headless Chromium: a screenshot that is
# not blank, every image loaded (naturalWidth > 0) and every chart with data
# drawn; a deleted image is caught; bad input gives exit codes and reasons.
. "$(dirname "$0")/common.sh" "$@"
CHECK="/usr/bin/python3 $SRC/tests/e2e/check_report.py"
S="$SRC/scenarios"

# images PAGE: how many images PAGE references.
images() { grep -o '<img ' "$1" | wc -l; }

# browse PAGE NAME IMAGES: screenshot and load check of PAGE in Chromium (IMAGES 0: a
# page without images, only the screenshot).
browse() {
    local page=$1 name=$2 n=$3 dir
    dir=$(dirname "$page")
    local chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
                  --disable-background-networking --disable-component-update --disable-sync
                  --user-data-dir="$(mktemp -d "$WORK/chrome-XXXXXX")")
    "${chrome[@]}" --window-size=1280,2000 --screenshot="$WORK/$name.png" "file://$page" \
        >"$WORK/chrome.log" 2>&1
    # A page of charts has coloured pixels; an index (a table) is only not empty.
    $CHECK screenshot "$WORK/$name.png" "$([ "$n" = 0 ] && echo 0 || echo 0.002)" \
        && ok "$name: screenshot not blank" || bad "$name: screenshot"
    # To look at them: CP_REPORT_SCREENSHOTS=DIR ctest -R e2e/report
    [ -n "${CP_REPORT_SCREENSHOTS:-}" ] && cp "$WORK/$name.png" "$CP_REPORT_SCREENSHOTS/"
    [ "$n" = 0 ] && return
    $CHECK images "$page" && ok "$name: images are PNG charts with data" || bad "$name: images"
    $CHECK probe "$page" "$dir/.probe.html"
    "${chrome[@]}" --virtual-time-budget=20000 --dump-dom "file://$dir/.probe.html" \
        >"$WORK/dom.html" 2>"$WORK/chrome.log"
    $CHECK loaded "$WORK/dom.html" "$n" && ok "$name: Chromium loaded all $n images" \
        || bad "$name: broken images in Chromium"
    rm -f "$dir/.probe.html"
}

# A run, with the fixtures, and `report`.
expect_exit 0 "run" -- "$BIN" run "$S/baseline.ini" --samples 1000 --seed 5 --quiet --out "$WORK/run"
cp "$SRC/tests/data/report/binding.csv" "$SRC/tests/data/report/sensitivity.csv" "$WORK/run/"
expect_exit 0 "report of a run" -- "$BIN" report "$WORK/run"
for img in fan-US fan-World exceedance binding sensitivity; do
    grep -q "src=\"report/$img.png\"" "$WORK/run/report.html" && ok "run page shows $img" \
        || bad "run page lacks $img"
done
for text in "scenario</th><td>baseline" "seed</th><td>5" "samples</th><td>1,000" "git commit" \
    "inputs/nodes.csv" "H100e" "calibration"; do
    grep -qF "$text" "$WORK/run/report.html" && ok "run page has '$text'" || bad "run page lacks '$text'"
done
$CHECK files "$WORK/run/report.html" "$WORK/run/manifest.json" \
    && ok "run page: every file read, with its SHA-256, once" || bad "run page: files read"
browse "$WORK/run/report.html" run 8

# A run with --report (2 ranks): its own binding.csv drawn; without it, the
# note, not a chart.
expect_exit 0 "run --report on 2 ranks" -- $MPIEXEC -n 2 "$BIN" run "$S/baseline.ini" --samples 600 \
    --quiet --out "$WORK/run2" --report
[ -s "$WORK/run2/report/binding.png" ] && ok "the run's own binding.csv drawn" \
    || bad "no binding chart from the run's binding.csv"
rm "$WORK/run2/binding.csv"
expect_exit 0 "report of a run without binding.csv" -- "$BIN" report "$WORK/run2"
grep -q "What binds: not drawn" "$WORK/run2/report.html" && ok "no binding.csv: a note" \
    || bad "no note for the missing binding.csv"
[ ! -e "$WORK/run2/report/binding.png" ] && ok "no binding chart faked" || bad "binding chart without data"

# A comparison with --report.
expect_exit 0 "compare --report" -- "$BIN" compare "$S/baseline.ini" "$S/option-packaging-us.ini" \
    "$S/option-behind-the-meter-us.ini" "$S/cooling-lag-with-retrofit.ini" --samples 800 --quiet \
    --out "$WORK/cmp" --report
for img in diff-option-packaging-us diff-option-behind-the-meter-us prob-better car05-per-busd fan-World; do
    grep -q "src=\"report/$img.png\"" "$WORK/cmp/report.html" && ok "comparison page shows $img" \
        || bad "comparison page lacks $img"
done
# An option built on a stress has a cost but is not ranked against the
# baseline (its difference carries the stress): the page says so and why.
grep -q "cooling-lag-with-retrofit has a cost but is not ranked against the base: it is also built on" \
    "$WORK/cmp/report.html" && ok "an option built on a stress: not ranked, and why" \
    || bad "the page ranks, or says nothing of, an option built on a stress"
# The options share the base's files and inputs: each listed once.
$CHECK files "$WORK/cmp/report.html" "$WORK/cmp/manifest.json" \
    && ok "comparison page: every scenario's files and inputs, each once" \
    || bad "comparison page: files read"
browse "$WORK/cmp/report.html" compare "$(images "$WORK/cmp/report.html")"

# A batch with --report: an index linking each entry's report.
cat >"$WORK/batch.csv" <<CSV
name,scenario,samples,seed,out,keep_samples,compare
one,$S/baseline.ini,500,3,b/one,0,
two,$S/baseline.ini,500,3,b/two,,$S/option-ppa-lockin.ini
CSV
expect_exit 0 "batch --report" -- "$BIN" batch "$WORK/batch.csv" --quiet --summary "$WORK/sum.csv" --report
for e in one two; do
    grep -q "href=\"$e/report.html\"" "$WORK/b/report.html" && ok "index links $e" || bad "index lacks $e"
    [ -s "$WORK/b/$e/report.html" ] && ok "entry $e has a report" || bad "entry $e: no report"
done
grep -q "<td>finished</td>" "$WORK/b/report.html" && ok "index shows statuses" || bad "index: no status"
browse "$WORK/b/report.html" batch-index 0
browse "$WORK/b/two/report.html" batch-entry "$(images "$WORK/b/two/report.html")"

# The checks can fail: a page whose image is gone.
cp -r "$WORK/run" "$WORK/broken" && rm "$WORK/broken/report/fan-EU.png"
$CHECK probe "$WORK/broken/report.html" "$WORK/broken/.probe.html"
chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$(mktemp -d "$WORK/chrome-XXXXXX")" \
    --virtual-time-budget=20000 --dump-dom "file://$WORK/broken/.probe.html" >"$WORK/dom.html" 2>/dev/null
$CHECK loaded "$WORK/dom.html" 8 2>/dev/null && bad "a missing image went unnoticed" \
    || ok "a missing image is caught"

# Bad input.
mkdir -p "$WORK/empty"
expect_exit 3 "report of a directory that is no output" -- "$BIN" report "$WORK/empty"
expect_err "not the output of a chokepoint run"
cp -r "$WORK/run2" "$WORK/incomplete" && rm "$WORK/incomplete/manifest.json"
expect_exit 3 "report of an incomplete run" -- "$BIN" report "$WORK/incomplete"
expect_err "no manifest.json, so the run or comparison there is incomplete"
expect_exit 3 "report of a missing metric" -- "$BIN" report "$WORK/run" --metric nonesuch
expect_err "summary.csv: no rows of metric 'nonesuch'"
expect_exit 3 "a quarter outside the horizon" -- "$BIN" report "$WORK/run" --quarters 2040Q1
expect_err "--quarters: 2040Q1 not in the results"
expect_exit 4 "report of no directory" -- "$BIN" report "$WORK/nowhere"
expect_exit 2 "report without a directory" -- "$BIN" report
mkdir -p "$WORK/nompl/matplotlib" && echo 'raise ImportError("no")' >"$WORK/nompl/matplotlib/__init__.py"
expect_exit 1 "matplotlib missing" -- env PYTHONPATH="$WORK/nompl" "$BIN" report "$WORK/run"
expect_err "install Debian's python3-matplotlib"
# A failed report warns and exits non-zero, and leaves the run's outputs whole.
expect_exit 1 "run --report without python" -- env CHOKEPOINT_PYTHON=/nonexistent "$BIN" run \
    "$S/baseline.ini" --samples 300 --quiet --out "$WORK/run3" --report
expect_err "the report of $WORK/run3 failed"
[ -s "$WORK/run3/manifest.json" ] && [ -s "$WORK/run3/summary.csv" ] && ok "the run's outputs are complete" \
    || bad "a failed report damaged the run"
expect_exit 0 "report --help" -- "$BIN" report --help
finish
