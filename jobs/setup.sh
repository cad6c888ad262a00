#!/usr/bin/env bash
# setup.sh -- install what is missing (Debian 12 packages) and build.
#
#   jobs/setup.sh              runtime and build dependencies (with matplotlib and
#                              pandas for `chokepoint report`), release build in build/
#   jobs/setup.sh --test       also the test dependencies (Criterion, Slurm with
#                              munge for the tests of jobs/slurm, clang (with libclang-rt-14-dev: libFuzzer) for the
#                              second-compiler check, Chromium for the report's)
#   jobs/setup.sh --no-build   install only
#
# Uses sudo when not root.  Installs only packages that are missing, so it is
# quick on a machine that already has them.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config git openmpi-bin libopenmpi-dev libgsl-dev
          libcsv-dev librandom123-dev libinih-dev libssl-dev libbz2-dev python3-matplotlib python3-pandas)
build=1
for arg in "$@"; do
    case "$arg" in
    --test) packages+=(libcriterion-dev slurmctld slurmd slurm-client munge clang libclang-rt-14-dev chromium) ;;
    --no-build) build=0 ;;
    *) echo "setup: unknown option $arg (see the comment at the top of $0)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "$build" = 1 ] || exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCP_TESTS=OFF ${CP_CMAKE_FLAGS:-} >/dev/null
cmake --build build -j "$(nproc)"
echo "setup: built build/chokepoint ($(build/chokepoint --version))"
