"""Checks of the market model's outputs, for tests/e2e/market.sh.

check_market.py inventory SAMPLES.csv N
    every (sample, deploy node, period): the bought accelerators waiting
    (waiting - waiting_own) <= target + orders, and its own waiting (from
    streams, never returned), counted as bought accelerators of the same
    watts (check_own_watts, its smallest so far, over check_watts) <= the
    largest target + orders of the path so far, and <= waiting, its own received <= received, with a relative
    tolerance of 1e-9 for rounding; all N samples present.
check_market.py energy SAMPLES.csv
    energy per compute, sample by sample, against the metrics it divides
    (relative tolerance 1e-8: samples.csv has 10 significant digits):
    energy_per_flop x frontier_compute = ai_power_used x 10^6 and
    electricity_per_h100e_year x frontier_compute_h100e = ai_power_used x
    8766 where ai_power_used is reported (US, World); in every region the
    two energy metrics differ by their units' factor alone; the four
    regions' compute_share add up to 1 in every sample and quarter.
check_market.py turbines BASE_SAMPLES STRESS_SAMPLES SERIES.csv CUT
    on-site power (US) in every kept sample and quarter of both runs:
    built (onsite_gas_US) = min(ready (onsite_power_US), turbines), to a
    relative 1e-8; the stress's turbines are CUT x turbines_US of
    SERIES.csv and the baseline's the series itself; the turbines bind
    (built below ready by more than 1%) in at least 10% of the stress's
    samples in the last quarter and in under 1% of the baseline's; the
    binding.csv beside each samples.csv names power:turbines for deploy_US
    in the last quarter in no more paths than the turbines cut on-site
    power, in at least 10% of the stress's and in none of the baseline's.
check_market.py cooling BASE_SAMPLES STRESS_SAMPLES SERIES.csv SHARE
    the thermal limit (US) in every kept sample of both runs at 2030Q4:
    liquid-cooled power (liquid_power_US) = AI power (ai_power_US) x the
    liquid-ready share (the baseline's liquid_ready of SERIES.csv, the
    stress's SHARE), to a relative 1e-8; binding.csv beside each
    samples.csv names power:cooling for deploy_US at 2030Q4 in no more
    paths than have power left unfilled (the label means power was left),
    in at least half of the stress's and in under 1% of the baseline's.
check_market.py blockade BASE_DIR BLOCKADE_DIR
    World frontier compute (H100e) at 2030Q4: the blockade's P05 at least
    5% below the baseline's, and in the blockade world chips bind (a
    chips:* or export label) in at least 1% of US paths in some quarter.
"""
import os
import sys

import pandas as pd

COLUMNS = ["sample", "metric", "region", "period", "value"]


def read(path):
    """samples.csv without its scenario and unit columns, which no check
    reads (their strings are half the parsing)."""
    return pd.read_csv(path, usecols=COLUMNS)


def inventory(path, n):
    s = read(path)
    s = s[s.metric.str.startswith("check_")]
    w = s.set_index(["sample", "region", "period", "metric"])["value"].unstack("metric")
    if len(w) == 0 or w["check_waiting"].isna().any():
        print(f"FAIL: missing check metrics in {path}")
        return False
    w = w.sort_index()
    bound = w["check_target"] + w["check_orders"]
    bought = w["check_waiting"] - w["check_waiting_own"]
    over = w[bought > bound * (1 + 1e-9) + 1e-6]
    if len(over):
        print(f"FAIL: {len(over)} cells with bought accelerators waiting above target + orders, e.g.")
        print(over.head().to_string())
        return False
    # A node's own accelerators (streams) are taken within that quarter's
    # bound, counted as bought ones of the same watts, and then only age, so
    # they stay below the largest bound so far.  Counted with the smallest
    # watts of its own so far (older cohorts drew less), never more than the
    # engine counts them.
    so_far = bound.groupby(level=["sample", "region"]).cummax()
    if "check_own_watts" in w:
        own_w = w["check_own_watts"].groupby(level=["sample", "region"]).cummin()
        own_eq = (w["check_waiting_own"] * own_w / w["check_watts"]).fillna(0)
    else:
        own_eq = w["check_waiting_own"]
    own_over = w[own_eq > so_far * (1 + 1e-9) + 1e-6]
    if len(own_over):
        print(f"FAIL: {len(own_over)} cells with its own accelerators waiting (counted by their "
              "watts) above the largest target + orders so far, e.g.")
        print(own_over.head().to_string())
        return False
    if (w["check_waiting_own"] > w["check_waiting"] * (1 + 1e-9) + 1e-6).any():
        print("FAIL: more of its own waiting than waiting in all")
        return False
    if (w["check_received_own"] > w["check_received"] * (1 + 1e-9) + 1e-6).any():
        print("FAIL: more of its own received than received in all")
        return False
    samples = w.index.get_level_values("sample").nunique()
    if samples != n:
        print(f"FAIL: {samples} samples, want {n}")
        return False
    print(f"ok: {len(w)} (sample, node, quarter) cells within the bound")
    return True


def energy(path):
    s = read(path)
    s = s[s.region.isin(["US", "EU", "CN", "ROW", "World"])]
    w = s.pivot_table(index=["sample", "region", "period"], columns="metric", values="value")
    j, e = w["energy_per_flop"], w["electricity_per_h100e_year"]
    if j.isna().any() or e.isna().any() or len(w) != 5 * 40 * s["sample"].nunique():
        print(f"FAIL: energy metrics missing in {path} (want 5 regions x 40 quarters a sample)")
        return False
    h100e = 1.010713564e-15  # metrics.csv's scale of FLOP/s to H100e
    close = lambda a, b: ((a - b).abs() <= 1e-8 * b.abs()).all()
    p = w.dropna(subset=["ai_power_used"])
    checks = {
        "J/FLOP x FLOP/s = MW x 1e6": close(p.energy_per_flop * p.frontier_compute, p.ai_power_used * 1e6),
        "MWh/H100e-year x H100e = MW x 8766": close(
            p.electricity_per_h100e_year * p.frontier_compute_h100e, p.ai_power_used * 8766
        ),
        "J/FLOP = MWh/H100e-year x 1e6 x scale / 8766 (all regions)": close(j, e * 1e6 * h100e / 8766),
        "positive": bool((j > 0).all() and (e > 0).all()),
    }
    shares = w.compute_share.dropna().groupby(level=["sample", "period"])
    total = shares.sum()
    checks["compute_share of US, EU, CN and ROW add up to 1"] = bool(
        (shares.size() == 4).all() and ((total - 1).abs() <= 1e-8).all()
    )
    for name, good in checks.items():
        print(f"{'ok' if good else 'FAIL'}: {name} ({len(p)} and {len(w)} cells)")
    return all(checks.values()) and p.index.get_level_values("region").nunique() == 2


def turbines(base, stress, series, cut):
    ser = pd.read_csv(series)
    ser = ser[ser.node == "turbines_US"].set_index("period")["value"]
    bound_share, label_share = {}, {}
    for name, path, factor in (("baseline", base, 1.0), ("stress", stress, cut)):
        s = read(path)
        s = s[s.metric.str.startswith("cap_")]
        w = s.pivot_table(index=["sample", "period"], columns="metric", values="value")
        if len(w) == 0 or w.isna().any().any():
            print(f"FAIL: {name}: missing on-site check metrics in {path}")
            return False
        want = ser.reindex(w.index.get_level_values("period")).to_numpy() * factor
        if (abs(w["cap_turbines"].to_numpy() - want) > 1e-8 * want).any():
            print(f"FAIL: {name}: turbines are not {factor} x the series")
            return False
        least = w[["cap_ready", "cap_turbines"]].min(axis=1)
        off = (w["cap_built"] - least).abs() > 1e-8 * least.abs() + 1e-9
        if off.any():
            print(f"FAIL: {name}: {int(off.sum())} cells where built != min(ready, turbines)")
            print(w[off].head().to_string())
            return False
        last_period = w.index.get_level_values("period").max()
        last = w.xs(last_period, level="period")
        bound_share[name] = (last["cap_built"] < 0.99 * last["cap_ready"]).mean()
        # binding.csv names the turbines only where they cut the on-site flow
        # that quarter, so never in more of the paths than that (every sample
        # is kept, so both shares are of the same paths).
        cut_share = (last["cap_built"] < last["cap_ready"]).mean()
        b = pd.read_csv(os.path.join(os.path.dirname(path), "binding.csv"))
        named = b[(b.node == "deploy_US") & (b.period == last_period) &
                  (b.constraint == "power:turbines")].share.sum()
        label_share[name] = named
        if named > cut_share + 1e-12:
            print(f"FAIL: {name}: power:turbines named in {named:.1%} of US paths, "
                  f"but the turbines cut on-site power in only {cut_share:.1%}")
            return False
    print(f"turbines bind in the last quarter: baseline {bound_share['baseline']:.1%}, "
          f"stress {bound_share['stress']:.1%} of samples; binding.csv names them in "
          f"{label_share['baseline']:.1%} and {label_share['stress']:.1%} of US paths")
    return (bound_share["stress"] >= 0.10 and bound_share["baseline"] < 0.01
            and label_share["stress"] >= 0.10 and label_share["baseline"] == 0)


def cooling(base, stress, series, share, renewing):
    """base: the baseline without replacement; renewing: the baseline."""
    ser = pd.read_csv(series)
    ready = float(ser[(ser.node == "liquid_ready") & (ser.period == "2030Q4")].value.iloc[0])
    named = {}
    for name, path, want in (("baseline", base, ready), ("stress", stress, share),
                             ("renewing", renewing, ready)):
        s = read(path)
        s = s[s.metric.str.startswith("cool_") & (s.period == "2030Q4")]
        w = s.pivot_table(index="sample", columns="metric", values="value")
        if len(w) == 0 or w.isna().any().any():
            print(f"FAIL: {name}: missing thermal check metrics in {path}")
            return False
        off = (w.cool_liquid - want * w.cool_ai).abs() > 1e-8 * w.cool_ai
        if off.any():
            print(f"FAIL: {name}: liquid-cooled power is not {want} x AI power in "
                  f"{int(off.sum())} samples")
            return False
        left = (w.cool_unfilled > 0).mean()
        b = pd.read_csv(os.path.join(os.path.dirname(path), "binding.csv"))
        named[name] = b[(b.node == "deploy_US") & (b.period == "2030Q4") &
                        (b.constraint == "power:cooling")].share.sum()
        if name == "baseline" and named[name] > left + 1e-12:
            print(f"FAIL: {name}: power:cooling named in {named[name]:.1%} of US paths, "
                  f"but power was left unfilled in only {left:.1%}")
            return False
        replaced = (w.cool_replaced > 0).mean()
        if name == "baseline" and replaced > 0:
            print(f"FAIL: {name}: accelerators replaced in {replaced:.1%} of samples "
                  f"without replacement")
            return False
        print(f"{name}: power:cooling named in {named[name]:.1%} of US paths in 2030Q4, "
              f"power left in {left:.1%}, accelerators replaced in {replaced:.1%}")
        named[name + "_replaced"] = replaced
    return (named["stress"] >= 0.5 and named["baseline"] < 0.01
            and named["renewing"] > named["baseline"] and named["renewing_replaced"] > 0)


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
    elif sys.argv[1] == "turbines":
        ok = turbines(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif sys.argv[1] == "cooling":
        ok = cooling(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "energy":
        ok = energy(sys.argv[2])
    else:
        ok = blockade(sys.argv[2], sys.argv[3])
    sys.exit(0 if ok else 1)
