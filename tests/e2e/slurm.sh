#!/usr/bin/env bash
# The Slurm job scripts on a real single-node Slurm cluster started here:
# munged, slurmctld and slurmd with a minimal slurm.conf written for the
# test, stopped again by their process ids.  Checks:
#  - a job array of three scenarios (jobs/slurm/submit-batch.sh) finishes
#    every entry, with outputs identical to runs made outside Slurm;
#  - a run job sent the time-limit signal checkpoints, requeues itself,
#    resumes, and ends with outputs identical to an uninterrupted run.
. "$(dirname "$0")/common.sh" "$@"
for tool in slurmctld slurmd sbatch munged; do
    if ! command -v $tool >/dev/null; then
        echo "slurm test needs $tool (jobs/setup.sh --test installs it)"
        exit 1
    fi
done

D=$WORK/slurm
mkdir -p "$D/state" "$D/spool" "$D/munge" "$D/jobs"
chmod 700 "$D/munge"
pids=()
stop_daemons() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap stop_daemons EXIT

# A port pair nobody uses: the test must not meet a site's own Slurm.
port=$((20000 + RANDOM % 20000))
host=$(hostname -s)
dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$D/munge/munge.key"
munged -F -f --key-file="$D/munge/munge.key" --socket="$D/munge/sock" \
    --pid-file="$D/munge/pid" --log-file="$D/munge/log" --seed-file="$D/munge/seed" &
pids+=($!)
cat > "$D/slurm.conf" <<CONF
ClusterName=cptest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/sock
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=600
KillWait=30
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF=$D/slurm.conf
sleep 0.5
slurmctld -D -i >"$D/ctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$D/d.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break
    sleep 0.2
done
if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed"; then ok "single-node Slurm is up"; else
    bad "Slurm did not come up"; tail -5 "$D/slurmctld.log" "$D/slurmd.log" 2>/dev/null; finish; exit 1; fi

export CHOKEPOINT=$BIN CHOKEPOINT_CHECKPOINT=5000 CHOKEPOINT_JOBS=$SRC/jobs/slurm
# job_state JOBID: the state Slurm reports (COMPLETED, PENDING, ...)
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u | tr '\n' ' '; }
# wait_jobs JOBID [FILE...]: until every task of it has ended.  Not a fixed
# deadline: a loaded machine (or a sanitizer build) is slower, not stuck.
# It waits as long as something moves -- the job's state, or the size or
# time of the FILEs (its log, its checkpoint) -- and gives up only after
# 6 minutes without any change, longer than Slurm's 2-minute hold of a
# requeued job.
wait_jobs() {
    local job=$1 state last="" now stalled=0
    shift
    while [ $stalled -lt 1800 ]; do
        state=$(job_state "$job")
        # An empty answer is a busy controller, not an ended job.
        if [ -n "$state" ] && ! echo "$state" | grep -qE "PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUE|SUSPENDED"; then
            return 0
        fi
        now="$state $(stat -c '%s %Y' "$@" 2>/dev/null | tr '\n' ' ')"
        if [ "$now" != "$last" ]; then last=$now; stalled=0; else stalled=$((stalled + 1)); fi
        sleep 0.2
    done
    return 1
}

# --- a job array of three scenarios ---------------------------------------
cat > "$D/jobs/batch.csv" <<CSV
name,scenario,samples,seed,out,keep_samples
baseline,$SRC/scenarios/baseline.ini,20000,11,out/baseline,5
lognormal,$SRC/tests/data/lognormal/lognormal.ini,50000,12,out/lognormal,0
persistent,$SRC/tests/data/lognormal/persistent.ini,50000,13,out/persistent,0
CSV
cd "$D/jobs" || exit 1
array=$("$SRC/jobs/slurm/submit-batch.sh" "$D/jobs/batch.csv" 2 --ntasks=1)
[ -n "$array" ] && ok "job array $array submitted" || bad "sbatch of the array failed"
wait_jobs "$array" "$D"/jobs/chokepoint-*.log && ok "the array finished" || bad "the array did not finish: $(job_state "$array")"
states=$(job_state "$array")
[ "$states" = "COMPLETED " ] && ok "every task COMPLETED" || bad "task states: $states"
"$BIN" batch "$D/jobs/batch.csv" --status > "$D/status.csv"
[ "$(grep -c ',complete,' "$D/status.csv")" = 3 ] && ok "batch --status: 3 complete" \
    || { bad "batch status"; cat "$D/status.csv"; }
while IFS=, read -r name scenario samples seed out keep; do
    [ "$name" = name ] && continue
    "$BIN" run "$scenario" --samples "$samples" --seed "$seed" --keep-samples "$keep" \
        --out "$D/ref-$name" --quiet
    cmp -s "$D/ref-$name/summary.csv" "$D/jobs/$out/summary.csv" \
        && ok "$name under Slurm = outside Slurm" || bad "$name differs under Slurm"
done < "$D/jobs/batch.csv"

# --- a time limit: signal, checkpoint, requeue, resume --------------------
# Sized to this build and machine: about 20 s of work at the rate a short
# run measures now (a sanitizer build is ten times slower, a loaded machine
# slower still), and at least eight checkpoint intervals, so the signal
# always finds the job running.
"$BIN" run "$SRC/scenarios/baseline.ini" --samples 5000 --seed 21 --out "$D/rate" --quiet
rate=$(sed -n 's/.*"samples_per_second": \([0-9]*\).*/\1/p' "$D/rate/manifest.json")
N=$(( ${rate:-2000} * 20 ))
[ $N -lt 40000 ] && N=40000
[ $N -gt 400000 ] && N=400000
echo "time-limit job: $N samples (this build runs ${rate:-?} samples/s on one rank)"
job=$(sbatch --parsable --ntasks=2 "$SRC/jobs/slurm/run.sbatch" "$SRC/scenarios/baseline.ini" $N 21 \
    "$D/jobs/limited" --keep-samples 50)
[ -n "$job" ] && ok "run job $job submitted" || bad "sbatch of the run failed"
# Until the first checkpoint, however long a loaded machine takes to start
# the job, but not past the job's end.
for _ in $(seq 1 12000); do
    [ -e "$D/jobs/limited/checkpoint.bin" ] && break
    job_state "$job" | grep -qE "PENDING|RUNNING|CONFIGURING|^$" || break
    sleep 0.05
done
[ -e "$D/jobs/limited/checkpoint.bin" ] && ok "the job is checkpointing" || bad "no checkpoint appeared"
scancel --signal=USR1 --batch "$job" && ok "sent the time-limit signal" || bad "scancel --signal failed"
# Slurm holds a requeued job back for about two minutes before it starts it
# again (its guard against requeue loops).  The test waits rather than
# forcing an earlier start: forced, the restart can race the node's cleanup
# of the first run and fail.
wait_jobs "$job" "$D/jobs/chokepoint-$job.log" "$D/jobs/limited/checkpoint.bin" \
    || bad "the job did not finish: $(job_state "$job")"
if [ "$(job_state "$job")" = "COMPLETED " ]; then ok "the job COMPLETED"; else
    bad "job state $(job_state "$job")"
    scontrol show job "$job" | sed 's/^/    /'
    grep -E "JobId=$job|job_?id=?$job|$job" "$D/slurmctld.log" | tail -15 | sed 's/^/    ctld: /'
fi
log=$D/jobs/chokepoint-$job.log
grep -q "requeueing job $job" "$log" && ok "the job requeued itself" || { bad "no requeue"; tail -20 "$log"; }
grep -q "resumed from a checkpoint" "$log" && ok "the requeued job resumed" || { bad "no resume"; tail -20 "$log"; }
scontrol show job "$job" | grep -q "Restarts=1" && ok "Slurm counts one restart" || bad "restart count"
"$BIN" run "$SRC/scenarios/baseline.ini" --samples $N --seed 21 --keep-samples 50 --out "$D/ref-limited" --quiet
for f in summary.csv samples.csv; do
    cmp -s "$D/ref-limited/$f" "$D/jobs/limited/$f" && ok "$f after the time limit = uninterrupted" \
        || bad "$f differs after the time limit"
done
finish
