"""Checks of the market model's outputs, for tests/e2e/market.sh.

check_market.py inventory SAMPLES.csv N
    every (sample, deploy node, period): waiting <= target + orders, with
    a relative tolerance of 1e-9 for rounding; all N samples present.
check_market.py blockade BASE_DIR BLOCKADE_DIR
    World frontier compute (H100e) at 2030Q4: the blockade's P05 at least
    5% below the baseline's, and in the blockade world chips bind (a
    chips:* or export label) in at least 1% of US paths in some quarter.
"""
import sys

import pandas as pd


def inventory(path, n):
    s = pd.read_csv(path)
    s = s[s.metric.str.startswith("check_")]
    w = s.pivot_table(index=["sample", "region", "period"], columns="metric", values="value")
    if w["check_waiting"].isna().any() or len(w) == 0:
        print(f"FAIL: missing check metrics in {path}")
        return False
    bound = w["check_target"] + w["check_orders"]
    over = w[w["check_waiting"] > bound * (1 + 1e-9) + 1e-6]
    if len(over):
        print(f"FAIL: {len(over)} cells with waiting above target + orders, e.g.")
        print(over.head().to_string())
        return False
    samples = w.index.get_level_values("sample").nunique()
    if samples != n:
        print(f"FAIL: {samples} samples, want {n}")
        return False
    print(f"ok: {len(w)} (sample, node, quarter) cells within the bound")
    return True


def blockade(base, stress):
    def p05(d):
        s = pd.read_csv(f"{d}/summary.csv")
        row = s[(s.metric == "frontier_compute_h100e") & (s.region == "World") & (s.period == "2030Q4")]
        return float(row.p05.iloc[0])

    b, s = p05(base), p05(stress)
    cut = 1 - s / b
    print(f"World H100e 2030Q4 P05: baseline {b:.4g}, blockade {s:.4g} ({cut:.1%} lower)")
    binding = pd.read_csv(f"{stress}/binding.csv")
    us = binding[(binding.region == "US")]
    chips = us[us.constraint.str.startswith("chips") | (us.constraint == "export")]
    worst = chips.groupby("period").share.sum().max()
    print(f"blockade: chips bind in up to {worst:.1%} of US paths in a quarter")
    return cut >= 0.05 and worst >= 0.01


if __name__ == "__main__":
    if sys.argv[1] == "inventory":
        ok = inventory(sys.argv[2], int(sys.argv[3]))
    else:
        ok = blockade(sys.argv[2], sys.argv[3])
    sys.exit(0 if ok else 1)
