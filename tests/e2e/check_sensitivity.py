"""check_sensitivity.py -- checks of a `chokepoint sensitivity` output directory
against Sobol indices known in closed form (tests/e2e/sensitivity.sh).

Usage: check_sensitivity.py columns DIR
           the columns, one row per (cell, input), intervals around estimates
       check_sensitivity.py additive DIR A1 VAR1 A2 VAR2
           Y = A1 X1 + A2 X2 (inputs shock_x1, shock_x2, group both):
           S_i = ST_i = A_i^2 VAR_i / Var Y; the group's indices are 1
       check_sensitivity.py product DIR SIGMA1 SIGMA2
           Y = X1 X2 with X_i lognormal(0, SIGMA_i): S_i = m_j^2 v_i / V,
           ST_i = S_i + v_1 v_2 / V (the interaction)
       check_sensitivity.py coverage MIN KIND ARGS... -- DIR...
           the share of 95% intervals over DIRs (one per seed) holding the
           true index, for KIND additive or product with its ARGS: >= MIN

Tolerances (tests/README.md): an estimate within 5 of its standard errors
(the interval's half-width / 1.96) of the truth; whether the 95% interval
itself holds it is printed, and its rate is what `coverage` tests.
"""
import math
import sys

import pandas as pd

COLUMNS = ["scenario", "metric", "region", "period", "input", "first_order", "first_order_lo",
           "first_order_hi", "total", "total_lo", "total_hi"]
Z95 = 1.959963984540054


def read(d):
    s = pd.read_csv(f"{d}/sensitivity.csv")
    if list(s.columns) != COLUMNS:
        raise SystemExit(f"FAIL: {d}/sensitivity.csv columns {list(s.columns)}")
    return s


def truths(kind, args):
    """{input: (first order, total)}"""
    if kind == "additive":
        a1, v1, a2, v2 = map(float, args)
        c1, c2 = a1 * a1 * v1, a2 * a2 * v2
        V = c1 + c2
        return {"shock_x1": (c1 / V, c1 / V), "shock_x2": (c2 / V, c2 / V), "both": (1.0, 1.0)}
    if kind == "product":
        s1, s2 = map(float, args)
        m = [math.exp(s * s / 2) for s in (s1, s2)]
        v = [(math.exp(s * s) - 1) * math.exp(s * s) for s in (s1, s2)]
        c1, c2, c12 = m[1] ** 2 * v[0], m[0] ** 2 * v[1], v[0] * v[1]
        V = c1 + c2 + c12
        return {"shock_x1": (c1 / V, (c1 + c12) / V), "shock_x2": (c2 / V, (c2 + c12) / V),
                "both": (1.0, 1.0)}
    raise SystemExit(f"unknown kind {kind}")


def columns(d):
    s = read(d)
    ok = True
    if s.empty:
        print(f"FAIL: {d}: no rows")
        return False
    if s.duplicated(["metric", "region", "period", "input"]).any():
        print(f"FAIL: {d}: a (metric, region, period, input) twice")
        ok = False
    finite = s.dropna(subset=["first_order", "total"])
    for k in ("first_order", "total"):
        bad = finite[(finite[f"{k}_lo"] > finite[k]) | (finite[k] > finite[f"{k}_hi"])]
        if not bad.empty:
            print(f"FAIL: {d}: {k} outside its own interval in {len(bad)} rows")
            ok = False
    if ok:
        print(f"ok: {d}: columns, one row per cell and input, {len(s)} rows")
    return ok


def check(d, kind, args):
    s = read(d)
    ok = True
    for inp, (first, total) in truths(kind, args).items():
        rows = s[s.input == inp]
        if rows.empty:
            print(f"FAIL: {d}: no rows for {inp}")
            ok = False
            continue
        for _, r in rows.iterrows():
            for k, want in (("first_order", first), ("total", total)):
                est, lo, hi = r[k], r[f"{k}_lo"], r[f"{k}_hi"]
                sd = (hi - lo) / (2 * Z95)
                inside = lo <= want <= hi
                near = abs(est - want) <= 5 * sd + 1e-12
                print(f"{'ok' if near else 'FAIL'}: {kind} {inp} {r.period} {k} {est:.4f} "
                      f"[{lo:.4f}, {hi:.4f}], true {want:.4f} "
                      f"({'inside' if inside else 'outside'} the 95% interval)")
                ok = ok and near
    if kind == "product":
        # Total above first order by the interaction share, for each input.
        t = truths(kind, args)
        for inp in ("shock_x1", "shock_x2"):
            r = s[s.input == inp].iloc[0]
            gap, want = r.total - r.first_order, t[inp][1] - t[inp][0]
            if gap <= 0:
                print(f"FAIL: {inp}: total {r.total:.4f} not above first order {r.first_order:.4f}")
                ok = False
            else:
                print(f"ok: {inp}: total - first order = {gap:.4f} (interaction share {want:.4f})")
    return ok


def coverage(minimum, kind, args, dirs):
    t = truths(kind, args)
    held = total = 0
    for d in dirs:
        s = read(d)
        for inp in ("shock_x1", "shock_x2"):
            r = s[s.input == inp].iloc[0]
            for k, want in (("first_order", t[inp][0]), ("total", t[inp][1])):
                total += 1
                held += r[f"{k}_lo"] <= want <= r[f"{k}_hi"]
    share = held / total
    print(f"{'ok' if share >= minimum else 'FAIL'}: {held} of {total} 95% intervals over "
          f"{len(dirs)} seeds hold the true index ({share:.1%}; at least {minimum:.0%} required)")
    return share >= minimum


def main(argv):
    if argv[1] == "columns":
        return columns(argv[2])
    if argv[1] in ("additive", "product"):
        return check(argv[2], argv[1], argv[3:])
    if argv[1] == "coverage":
        sep = argv.index("--")
        return coverage(float(argv[2]), argv[3], argv[4:sep], argv[sep + 1:])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv) else 1)
