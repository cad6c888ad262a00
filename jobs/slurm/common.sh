# common.sh -- sourced by the Slurm job scripts: where the program is, MPI,
# and the time-limit pattern.  Settings come from the environment:
#
#   CHOKEPOINT          the program (default: build/chokepoint under the
#                       directory sbatch was called from)
#   CHOKEPOINT_MPIRUN   how to start ranks (default: mpirun; e.g. "srun --mpi=pmix")
#   CHOKEPOINT_MODULES  modules to load first, for sites that use them
#                       (e.g. "openmpi/4.1 gsl/2.7")
#   CHOKEPOINT_CHECKPOINT  checkpoint interval (default 300s)

if [ -n "${CHOKEPOINT_MODULES:-}" ]; then
    # shellcheck disable=SC2086
    module load $CHOKEPOINT_MODULES
fi
CHOKEPOINT=${CHOKEPOINT:-${SLURM_SUBMIT_DIR:-$PWD}/build/chokepoint}
read -r -a MPIRUN <<< "${CHOKEPOINT_MPIRUN:-mpirun}"
CHECKPOINT=${CHOKEPOINT_CHECKPOINT:-300s}
if [ "$(id -u)" = 0 ]; then
    # Open MPI refuses to run as root unless told.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# run_requeueable COMMAND...: runs COMMAND (an mpirun of chokepoint) and
# forwards SIGUSR1 and SIGTERM to it.  Slurm sends SIGUSR1 to this script
# ahead of the time limit (--signal=B:USR1@SECONDS); mpirun passes it to
# every rank; the ranks stop at the end of the round (at most four chunks
# each), write a checkpoint and exit with 75.  Then the job puts itself back in the queue, and the next start
# resumes from the checkpoint (the commands use --resume).
run_requeueable() {
    "$@" &
    local pid=$!
    trap 'echo "job: signal received, asking chokepoint to checkpoint and stop"; kill -USR1 $pid 2>/dev/null' USR1 TERM
    local rc
    while :; do
        wait "$pid"
        rc=$?
        kill -0 "$pid" 2>/dev/null || break # wait was interrupted by the trap
    done
    trap - USR1 TERM
    if [ "$rc" = 75 ]; then
        if [ -n "${SLURM_JOB_ID:-}" ]; then
            echo "job: checkpoint written; requeueing job $SLURM_JOB_ID to resume"
            scontrol requeue "$SLURM_JOB_ID" && exit 0
            echo "job: requeue failed; resubmit this job to resume" >&2
        fi
        exit 75
    fi
    exit "$rc"
}
