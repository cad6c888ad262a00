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

finish
