#!/usr/bin/env bash
# test.sh -- install, build and run the whole test suite twice: a normal
# build with warnings as errors (Release, as the quick start builds), and a build with AddressSanitizer and
# UndefinedBehaviorSanitizer.  This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs/setup.sh --test --no-build
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release -DCP_WERROR=ON >/dev/null
cmake --build build-test -j "$(nproc)"
# The sanitizer build at -O1, as AddressSanitizer's authors advise: 20,000
# baseline samples took 7.0 s against 25.5 s at -O0 (2 Dec 2026).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DCP_WERROR=ON \
    -DCP_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$(nproc)"
status=0
# Tests run side by side, one per core: each waits on progress, never on
# the clock, so a loaded machine slows them but does not fail them, and the
# Python checks and the Slurm test's waits overlap the simulations.
jobs=$(nproc)
echo "== tests (warnings as errors) =="
(cd build-test && ctest -j "$jobs" --output-on-failure) || status=1
echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer) =="
# Criterion runs each test in a child process whose leak report does not
# reach the exit code, so the output is searched for sanitizer reports too.
log=build-asan/ctest-output.log
(cd build-asan && ctest -j "$jobs" --output-on-failure -V) > "$log" 2>&1 || status=1
grep -E "^[0-9]+% tests passed|tests failed out of" "$log" || true
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log"; then
    echo "sanitizer reports in $log:"
    grep -E -A12 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log" | head -60
    status=1
fi
echo "== the same bytes from another compiler and every vector path =="
# Results must not depend on the machine or the build: a clang build (none
# of GCC's run-time clones: the baseline SSE2 loops) and a GCC build whose
# loops over lanes are AVX2 only must write the same files as GCC's own
# (the widest path this CPU has: AVX-512 on the project's machines).
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release -DCP_WERROR=ON -DCP_TESTS=OFF >/dev/null
cmake --build build-clang -j "$(nproc)" >/dev/null
others=(build-clang)
if grep -qw avx2 /proc/cpuinfo; then
    cmake -S . -B build-avx2 -DCMAKE_BUILD_TYPE=Release -DCP_WERROR=ON -DCP_TESTS=OFF \
        -DCP_LANE_TARGET=avx2 >/dev/null
    cmake --build build-avx2 -j "$(nproc)" >/dev/null
    others+=(build-avx2)
else
    echo "note: this CPU has no AVX2; the AVX2 path is not checked"
fi
for b in build-test "${others[@]}"; do
    "$b/chokepoint" run scenarios/baseline.ini --samples 20000 --seed 7 --keep-samples 20 \
        --quiet --force --out "$b/same-bytes" >/dev/null
done
for b in "${others[@]}"; do
    if cmp build-test/same-bytes/summary.csv "$b/same-bytes/summary.csv" &&
        cmp build-test/same-bytes/samples.csv "$b/same-bytes/samples.csv" &&
        cmp build-test/same-bytes/binding.csv "$b/same-bytes/binding.csv"; then
        echo "ok: build-test and $b wrote identical summary.csv, samples.csv and binding.csv"
    else
        echo "FAIL: build-test and $b differ"; status=1
    fi
done
echo "== fuzzing: the CSV, graph, scenario and checkpoint readers (libFuzzer, fixed runs) =="
# Built with clang's libFuzzer, ASan and UBSan; each harness runs a fixed
# number of inputs from seeds made of inputs/ and scenarios/ (tests/README.md).
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCP_WERROR=ON -DCP_TESTS=OFF \
    -DCP_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
bash tests/fuzz/run.sh build-fuzz . || { echo "FAIL: a fuzz harness found a crash"; status=1; }
[ $status = 0 ] || { echo "== FAILED (see above) =="; tail -40 "$log"; }
exit $status
