#!/usr/bin/env bash
# baseline.sh -- the main job: install and build if needed, then run the
# baseline scenario on every core of this machine into outputs/baseline/.
#
#   jobs/baseline.sh [SAMPLES] [SEED]      defaults: 1000000 samples, seed 42
#
# The output directory is replaced if it holds a previous baseline run.
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-1000000}
seed=${2:-42}
jobs/setup.sh
if [ "$(id -u)" = 0 ]; then
    # Open MPI refuses to run as root unless told.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
mpirun -n "$(nproc)" build/chokepoint run scenarios/baseline.ini \
    --samples "$samples" --seed "$seed" --out outputs/baseline --force
echo "baseline: results in outputs/baseline/ (summary.csv, binding.csv, manifest.json)"
