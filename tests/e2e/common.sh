# common.sh -- shared by the end-to-end tests: sourced, not run.
# Usage in a test: . "$(dirname "$0")/common.sh" BIN SOURCE_DIR MPIEXEC
set -u
BIN=$1
SRC=$2
MPIEXEC=${3:-mpirun}
# Open MPI refuses root unless told; oversubscribe to test more ranks than cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
WORK=$(mktemp -d /tmp/cp-e2e-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
failures=0
passes=0

ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { failures=$((failures + 1)); echo "FAIL: $*"; }

# expect_exit CODE DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit code
expect_exit() {
    local want=$1 what=$2
    shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [ "$got" = "$want" ]; then ok "$what (exit $got)"; else
        bad "$what: exit $got, want $want"; sed 's/^/    /' "$WORK/err" | head -5; fi
}

# expect_err TEXT: the last command's stderr contains TEXT
expect_err() {
    if grep -qF -- "$1" "$WORK/err"; then ok "message has '$1'"; else
        bad "message lacks '$1':"; sed 's/^/    /' "$WORK/err" | head -5; fi
}

# kill_rank_at_checkpoint DIR [LAUNCHER]: once DIR/checkpoint.bin exists, SIGKILLs one
# rank (not mpirun) of the job whose --out is DIR.
# It waits on progress, not on the clock: for the checkpoint, or for the job
# to end (a sanitizer build on a busy machine can take minutes to write its
# first checkpoint).
kill_rank_at_checkpoint() {
    local dir=$1 launcher=${2:-} rank
    # On a busy machine mpirun may take seconds to start the ranks: wait for
    # them (or for the launcher to end) before watching for a checkpoint.
    if [ -n "$launcher" ]; then
        until pgrep -f -- "--out $dir" >/dev/null || ! kill -0 "$launcher" 2>/dev/null; do
            sleep 0.05
        done
    fi
    while [ ! -e "$dir/checkpoint.bin" ] && [ ! -e "$dir/manifest.json" ] &&
        pgrep -f -- "--out $dir" >/dev/null; do
        sleep 0.05
    done
    rank=$(pgrep -f -- "--out $dir" | while read -r p; do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = chokepoint ] && echo "$p"; done | head -1)
    if [ -n "$rank" ]; then kill -KILL "$rank"; ok "killed rank pid $rank mid-run"; else bad "no rank to kill"; fi
}

finish() {
    echo "$passes passed, $failures failed"
    [ "$failures" = 0 ]
}
