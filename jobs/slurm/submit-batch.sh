#!/usr/bin/env bash
# submit-batch.sh -- submit a batch file as a Slurm job array, one task per
# entry, at most CAP running at once (default 4).  Extra arguments go to
# sbatch (e.g. --ntasks=16 --time=04:00:00 --partition=compute).
#
#   jobs/slurm/submit-batch.sh BATCH.csv [CAP] [sbatch options]
#
# Prints the job id.  When it is done, `chokepoint batch BATCH.csv --status`
# says which entries finished.
set -euo pipefail
batch=${1:?usage: $0 BATCH.csv [CAP] [sbatch options]}
cap=${2:-4}
shift $(($# >= 2 ? 2 : 1))
# Entries are the data rows: lines that are neither the header nor blank.
entries=$(tail -n +2 "$batch" | grep -c '[^[:space:]]' || true)
if [ "$entries" -lt 1 ]; then
    echo "submit-batch: $batch has no entries" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
export CHOKEPOINT_JOBS=$here
sbatch --parsable --array="1-${entries}%${cap}" "$@" "$here/batch-array.sbatch" "$batch"
