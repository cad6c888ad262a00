#!/usr/bin/env bash
# local.sh -- run a batch file on this workstation, on all its cores, with no
# Slurm.  Interrupt it (Ctrl-C sends SIGINT, which stops at once; to stop at
# a checkpoint send SIGUSR1 or SIGTERM to mpirun) and run it again: finished
# entries are skipped and a checkpointed one resumes.
#
#   jobs/local.sh BATCH.csv [RANKS]
set -u
cd "$(dirname "$0")/.." || exit 1
batch=${1:?usage: jobs/local.sh BATCH.csv [RANKS]}
ranks=${2:-$(nproc)}
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
[ -x build/chokepoint ] || jobs/setup.sh
mpirun -n "$ranks" build/chokepoint batch "$batch" --checkpoint-every 300s \
    --summary "${batch%.csv}.status.csv"
rc=$?
[ $rc = 75 ] && echo "local: stopped with a checkpoint; run the same command again to resume"
exit $rc
