"""check_compare.py -- checks of a `chokepoint compare` output directory.

Usage: check_compare.py zero DIR OPTION...      every paired statistic of
           these options is exactly 0 (an option identical to the base, or
           one whose only additions are neutral shocks and events)
       check_compare.py ratio DIR INDEP_BASE_DIR OPTION MIN
           prints, for frontier_compute_h100e in every region in 2030Q4, the
           standard error of the mean difference from two independent runs
           (the option's own summary and a base run with another seed)
           divided by the paired one, and fails if the World ratio < MIN
"""
import sys

import numpy as np
import pandas as pd

PAIRED = ["mean_diff", "sd_diff", "se_diff", "p05_diff", "p50_diff", "p95_diff",
          "prob_better", "car05_change"]


def zero(d, options):
    c = pd.read_csv(f"{d}/compare.csv")
    ok = True
    for o in options:
        rows = c[c.option == o]
        if rows.empty:
            print(f"FAIL: no rows for {o}")
            ok = False
            continue
        worst = rows[PAIRED].abs().to_numpy().max()
        if worst != 0:
            print(f"FAIL: {o}: a paired statistic is {worst}, not 0")
            ok = False
        else:
            print(f"ok: {o}: all {len(rows)} rows have exactly zero difference")
    return ok


def ratio(d, indep, option, least):
    c = pd.read_csv(f"{d}/compare.csv")
    o = pd.read_csv(f"{d}/{option}/summary.csv")
    b = pd.read_csv(f"{indep}/summary.csv")
    key = ["metric", "region", "period"]
    sel = lambda t: t[(t.metric == "frontier_compute_h100e") & (t.period == "2030Q4")].set_index(key)
    cc, oo, bb = sel(c[c.option == option]), sel(o), sel(b)
    world = None
    for k in cc.index:
        n = cc.loc[k, "samples"]
        se_ind = np.sqrt(oo.loc[k, "sd"] ** 2 / n + bb.loc[k, "sd"] ** 2 / n)
        se_pair = cc.loc[k, "se_diff"]
        r = se_ind / se_pair if se_pair > 0 else float("inf")
        print(f"variance reduction: {option} {k[1]} 2030Q4 frontier_compute_h100e: "
              f"se independent {se_ind:.4g}, se paired {se_pair:.4g}, ratio {r:.1f}")
        if k[1] == "World":
            world = r
    if world is None or world < least:
        print(f"FAIL: World ratio {world} below {least}")
        return False
    return True


if __name__ == "__main__":
    if sys.argv[1] == "zero":
        sys.exit(0 if zero(sys.argv[2], sys.argv[3:]) else 1)
    sys.exit(0 if ratio(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])) else 1)
