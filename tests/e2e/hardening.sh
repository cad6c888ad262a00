#!/usr/bin/env bash
# Issue 14, as a hostile user: limits with one maximum and an honest
# message, every refusal before the first sample, nothing simulated only to
# be lost, no leftovers, reasons and counts kept, exact option names.
. "$(dirname "$0")/common.sh" "$@"
S="$SRC/scenarios/baseline.ini"

# ---- --samples: one documented maximum (2^53), an honest message --------
for n in 18446744073709551615 18446744073709551361 9007199254740993 1e30 99999999999999999999999; do
    expect_exit 2 "run --samples $n is refused" -- "$BIN" run "$S" --samples "$n" --out "$WORK/big"
    expect_err "is too large (at most 9007199254740992 (2^53))"
    expect_exit 2 "compare --samples $n is refused" -- "$BIN" compare "$S" "$S" --samples "$n" \
        --out "$WORK/big"
done
[ ! -e "$WORK/big" ] && ok "nothing written for a refused sample count" || bad "output left"
expect_exit 2 "a malformed count" -- "$BIN" run "$S" --samples 1.5
expect_err "'1.5' is not a positive whole number"
printf 'name,scenario,samples,seed,out\nhuge,%s,18446744073709551615,1,%s\n' "$S" "$WORK/bo" \
    >"$WORK/huge.csv"
expect_exit 3 "a batch entry of 2^64-1 samples" -- "$BIN" batch "$WORK/huge.csv"
expect_err "huge.csv:2: field 'samples': '18446744073709551615' is too large"
[ ! -e "$WORK/bo" ] && ok "the batch ran nothing" || bad "batch output left"

# ---- long options by their full names only ------------------------------
expect_exit 2 "--sample (abbreviated) is refused" -- "$BIN" run "$S" --sample 10 --out "$WORK/ab"
expect_err "unknown option '--sample' (did you mean --samples?"
expect_exit 2 "--out= abbreviated as --ou=" -- "$BIN" run "$S" --ou="$WORK/ab" --samples 10
expect_err "unknown option '--ou'"
expect_exit 2 "validate --print (abbreviated)" -- "$BIN" validate --print "$S"
expect_exit 2 "batch --stat (abbreviated)" -- "$BIN" batch "$WORK/huge.csv" --stat
expect_exit 2 "compare --forc (abbreviated)" -- "$BIN" compare "$S" "$S" --forc --samples 10
[ ! -e "$WORK/ab" ] && ok "nothing written for an abbreviated option" || bad "output left"
expect_exit 0 "--samples=N in full is accepted" -- "$BIN" run "$S" --samples=300 --out="$WORK/full" --quiet

# ---- a directory is not a scenario, nor a base --------------------------
expect_exit 4 "validate DIR" -- "$BIN" validate "$SRC/scenarios"
expect_err "is a directory, not a scenario file"
mkdir -p "$WORK/sc/adir"
printf '[scenario]\nbase = adir\nname = child\n' >"$WORK/sc/child.ini"
expect_exit 3 "base = DIR" -- "$BIN" validate "$WORK/sc/child.ini"
expect_err "Is a directory"

# ---- refuse before simulating -------------------------------------------
if [ "$(id -u)" = 0 ]; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); else as_user=(); fi
mkdir -p "$WORK/ro" "$WORK/rw" && chmod 555 "$WORK/ro" && chmod 777 "$WORK/rw" && chmod 755 "$WORK"
# The other user reads a copy of the program, scenarios and inputs: the
# source tree may sit where only its owner can enter (mktemp -d makes 0700).
mkdir -p "$WORK/pub" && cp -r "$SRC/scenarios" "$SRC/inputs" "$BIN" "$WORK/pub/" &&
    chmod -R a+rX "$WORK/pub"
S_ORIG=$S BIN_ORIG=$BIN
S="$WORK/pub/scenarios/baseline.ini" BIN="$WORK/pub/$(basename "$BIN")"
start=$(date +%s)
expect_exit 4 "an existing but unwritable --out" -- "${as_user[@]}" "$BIN" run "$S" \
    --samples 100000000 --out "$WORK/ro" --quiet
expect_err "cannot write there"
expect_exit 4 "--out under an unwritable directory" -- "${as_user[@]}" "$BIN" run "$S" \
    --samples 100000000 --out "$WORK/ro/sub" --quiet
[ $(($(date +%s) - start)) -lt 20 ] && ok "refused before simulating 10^8 samples" \
    || bad "refused only after simulating"
cat >"$WORK/late.csv" <<CSV
name,scenario,samples,seed,out
first,$S,300,1,$WORK/late-first
second,$WORK/no-such.ini,300,1,$WORK/late-second
CSV
expect_exit 4 "a batch whose second entry's scenario is missing" -- "$BIN" batch "$WORK/late.csv" --quiet
expect_err "late.csv:3: field 'scenario'"
[ ! -e "$WORK/late-first" ] && ok "no entry ran" || bad "the first entry ran before the check"
cat >"$WORK/late2.csv" <<CSV
name,scenario,samples,seed,out
first,$S,300,1,$WORK/rw/late2-first
second,$S,300,1,$WORK/ro/x
CSV
expect_exit 4 "a batch whose second entry's output is unwritable" -- "${as_user[@]}" "$BIN" batch "$WORK/late2.csv" --quiet
expect_err "late2.csv:3: field 'out'"
[ ! -e "$WORK/rw/late2-first" ] && ok "no entry ran" || bad "the first entry ran before the check"
S=$S_ORIG BIN=$BIN_ORIG

# ---- --out "" ------------------------------------------------------------
expect_exit 2 "run --out ''" -- "$BIN" run "$S" --samples 10 --out ""
expect_err "--out: the directory name is empty"
expect_exit 2 "compare --out ''" -- "$BIN" compare "$S" "$S" --samples 10 --out ""

# ---- --resume does not replace a stray file ----------------------------
mkdir -p "$WORK/stray" && echo mine >"$WORK/stray/summary.csv"
expect_exit 3 "--resume into a directory with a stray summary.csv" -- "$BIN" run "$S" \
    --samples 300 --out "$WORK/stray" --resume --quiet
expect_err "nothing to resume; use --force"
[ "$(cat "$WORK/stray/summary.csv")" = mine ] && ok "the stray summary.csv kept" || bad "replaced"
mkdir -p "$WORK/stray2" && echo mine >"$WORK/stray2/binding.csv"
expect_exit 3 "--resume with a stray binding.csv" -- "$BIN" run "$S" --samples 300 \
    --out "$WORK/stray2" --resume --quiet

# ---- leftovers of a killed run ------------------------------------------
mkdir -p "$WORK/left"
for f in .checkpoint.bin.tmp.99999 .summary.csv.tmp.99999 .manifest.json.tmp.99999 .binding.csv.tmp.1; do
    echo x >"$WORK/left/$f"
done
expect_exit 0 "a directory holding only leftovers is not 'not empty'" -- "$BIN" run "$S" \
    --samples 300 --out "$WORK/left" --quiet
[ -z "$(ls -A "$WORK/left" | grep tmp)" ] && ok "a finished run leaves no leftovers" \
    || bad "leftovers: $(ls -A "$WORK/left")"
echo x >"$WORK/left/.summary.csv.tmp.4242"
expect_exit 0 "--resume of a finished run" -- "$BIN" run "$S" --samples 300 --out "$WORK/left" --resume --quiet
[ ! -e "$WORK/left/.summary.csv.tmp.4242" ] && ok "--resume removes leftovers" || bad "leftover survived --resume"
echo x >"$WORK/left/.checkpoint.bin.tmp.4242"
expect_exit 0 "--force" -- "$BIN" run "$S" --samples 300 --out "$WORK/left" --force --quiet
[ ! -e "$WORK/left/.checkpoint.bin.tmp.4242" ] && ok "--force removes leftovers" || bad "leftover survived --force"

# ---- counts and completeness kept ---------------------------------------
rm "$WORK/left/summary.csv"
expect_exit 3 "--resume with summary.csv deleted" -- "$BIN" run "$S" --samples 300 --out "$WORK/left" --resume --quiet
expect_err "not summary.csv"
printf 'name,scenario,samples,seed,out\nleft,%s,300,1,%s\n' "$S" "$WORK/left" >"$WORK/left.csv"
expect_exit 0 "batch --status" -- "$BIN" batch "$WORK/left.csv" --status
grep -q ",incomplete," "$WORK/out" && ok "status says incomplete" || bad "status: $(cat "$WORK/out")"
printf 'name,scenario,samples,seed,out\nslow,%s,200000000,1,%s\n' "$S" "$WORK/slow" >"$WORK/slow.csv"
"$BIN" batch "$WORK/slow.csv" --checkpoint-every 2560 --quiet >"$WORK/slow.out" 2>"$WORK/slow.err" &
pid=$!
until [ -e "$WORK/slow/checkpoint.bin" ] || ! kill -0 $pid 2>/dev/null; do sleep 0.05; done
sleep 0.5
kill -USR1 $pid
wait $pid
row=$(grep '^1,slow,stopped,' "$WORK/slow.out")
done_col=$(echo "$row" | cut -d, -f4)
msg_n=$(echo "$row" | sed -n 's/.*after \([0-9]*\) of.*/\1/p')
[ -n "$msg_n" ] && [ "$done_col" = "$msg_n" ] && [ "$done_col" != 0 ] \
    && ok "a stopped entry's samples_done ($done_col) is its message's" \
    || bad "stopped entry row: $row"

# ---- every file a result depends on is hashed, listed and checked -------
mkdir -p "$WORK/emp" && cp -r "$SRC/tests/data/lognormal/inputs" "$WORK/emp/"
printf 'value\n0.5\n1\n1.5\n2\n' >"$WORK/emp/draws.csv"
cat >"$WORK/emp/emp.ini" <<INI
; one supply node times draws from a data file
[scenario]
name = emp
inputs = inputs
start = 2026Q1
end = 2026Q4

[shock s]
distribution = empirical(file=draws.csv, column=value)
time = quarterly
targets = x
INI
expect_exit 0 "a run of an empirical scenario" -- "$BIN" run "$WORK/emp/emp.ini" --samples 300 \
    --out "$WORK/emp/o" --quiet
grep -q "draws.csv" "$WORK/emp/o/manifest.json" && ok "the data file is in the manifest" \
    || bad "manifest lacks draws.csv"
"$BIN" run "$WORK/emp/emp.ini" --samples 100000000 --checkpoint-every 2560 --out "$WORK/emp/ck" \
    --quiet >/dev/null 2>&1 &
pid=$!
until [ -e "$WORK/emp/ck/checkpoint.bin" ] || ! kill -0 $pid 2>/dev/null; do sleep 0.05; done
kill -USR1 $pid; wait $pid
printf 'value\n5\n6\n7\n' >"$WORK/emp/draws.csv"
expect_exit 3 "--resume after the data file changed" -- "$BIN" run "$WORK/emp/emp.ini" \
    --samples 100000000 --checkpoint-every 2560 --out "$WORK/emp/ck" --resume --quiet
expect_err "draws.csv has changed since the checkpoint was written"

finish
