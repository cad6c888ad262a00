"""Output files load in pandas without surprises.

Usage: check_outputs.py OUTDIR SAMPLES KEEP     a run's directory
       check_outputs.py binding DIR SAMPLES     DIR/binding.csv alone (a
           comparison's scenario directory); it must have rows
       check_outputs.py cost MANIFEST RATE_KEY  the members that say what a
           run, comparison or analysis cost (times, its rate under
           RATE_KEY, peak memory); prints the peak in KiB
       check_outputs.py files MANIFEST  every file a run, comparison or
           analysis says it read is there with the SHA-256 it gives (paths
           as the manifest has them, from the current directory), and the
           five input files of each scenario's graph are listed in order;
           prints how many files it checked

summary.csv and samples.csv: the documented columns in order, numeric
columns numeric (no thousands separators, no stray text), no index column,
periods like 2030Q4, quantiles ordered; binding.csv: integer counts summing
to the samples in every (scenario, node, period), shares count / samples
summing to 1, the same labels in the same order everywhere; each
metric's World is the sum of its regions (in its definition in the run's
metrics.csv, and sample by sample in samples.csv); manifest.json
is valid JSON with the facts of the run, and every file it names hashes to
the SHA-256 it gives.
"""
import datetime
import hashlib
import json
import os
import re
import sys

import pandas as pd

SUMMARY = ["scenario", "metric", "region", "period", "unit", "samples", "mean", "sd",
           "p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "min", "max",
           "car05", "car05_shortfall"]
SAMPLES = ["scenario", "sample", "metric", "region", "period", "unit", "value"]
BINDING = ["scenario", "node", "region", "period", "constraint", "samples", "count", "share"]
PERIOD = re.compile(r"^\d{4}Q[1-4]$")


def check_summary(out, n):
    df = pd.read_csv(f"{out}/summary.csv")
    assert list(df.columns) == SUMMARY, list(df.columns)
    for col in SUMMARY[5:]:
        assert pd.api.types.is_numeric_dtype(df[col]), f"{col} is {df[col].dtype}"
    assert pd.api.types.is_integer_dtype(df["samples"]), df["samples"].dtype
    assert (df["samples"] == n).all()
    assert df["period"].map(lambda p: bool(PERIOD.match(p))).all()
    assert not df[SUMMARY[5:]].isna().any().any(), "NaN in summary"
    qs = ["min", "p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "max"]
    for a, b in zip(qs, qs[1:]):
        assert (df[a] <= df[b]).all(), f"{a} > {b} somewhere"
    assert not df.duplicated(["scenario", "metric", "region", "period"]).any()
    # Compute at risk: the 5% quantile and its shortfall against the median.
    assert (df["car05"] == df["p05"]).all()
    short = df["p50"] - df["p05"]
    # (each printed to 10 significant digits: compare at the median's scale)
    assert ((df["car05_shortfall"] - short).abs() <= 1e-9 * df["p50"].abs().clip(lower=1)).all()
    assert (df["sd"] >= 0).all()
    return df


def check_samples(out, keep, summary):
    df = pd.read_csv(f"{out}/samples.csv")
    assert list(df.columns) == SAMPLES, list(df.columns)
    assert pd.api.types.is_integer_dtype(df["sample"])
    assert pd.api.types.is_numeric_dtype(df["value"])
    assert sorted(df["sample"].unique()) == list(range(keep))
    metrics = df[~df["metric"].str.startswith(("shock_", "event_"))]
    assert len(metrics) == keep * len(summary)
    # every kept value lies inside the run's [min, max] for its cell
    merged = metrics.merge(summary, on=["scenario", "metric", "region", "period", "unit"])
    assert len(merged) == len(metrics)
    assert ((merged["value"] >= merged["min"]) & (merged["value"] <= merged["max"])).all()


def metric_terms(metrics_path):
    """{metric: {region: {(node, field, scale)}}} of the summed metrics
    (those without `per`: a ratio of sums is not additive)."""
    m = pd.read_csv(metrics_path, dtype=str, keep_default_na=False)
    for optional in ["scale", "per"]:  # columns a metrics file may leave out
        if optional not in m.columns:
            m[optional] = ""
    m = m[m["per"] == ""]
    terms = {}
    for row in m.itertuples():
        scale = float(row.scale) if row.scale else 1.0
        terms.setdefault(row.metric, {}).setdefault(row.region, set()).add(
            (row.node, row.field, scale))
    return terms


def check_world_sums(out, keep, metrics_path):
    """A metric's World is the sum of its regions: every regional term is
    one of the World's (the World may sum regions a metric does not report
    on their own), and where the regions reported are all the World sums,
    each kept sample's World value is the sum of theirs (to the 10
    significant digits samples.csv prints).  Returns how many metrics were
    checked against their sums."""
    terms = metric_terms(metrics_path)
    for metric, by_region in terms.items():
        world = by_region.get("World")
        if world is None:
            continue
        for region, ts in by_region.items():
            missing = sorted(f"{n}.{f}" for n, f, _ in ts - world)
            assert not missing, (f"{metrics_path}: {metric}: {region}'s {', '.join(missing)} "
                                 "not among the World's terms: World is not the sum of its regions")
    if not keep:
        return 0
    df = pd.read_csv(f"{out}/samples.csv")
    checked = 0
    for metric, by_region in terms.items():
        regions = [r for r in by_region if r != "World"]
        if "World" not in by_region or not regions or \
                set().union(*(by_region[r] for r in regions)) != by_region["World"]:
            continue
        cells = df[df["metric"] == metric].pivot_table(
            index=["sample", "period"], columns="region", values="value", aggfunc="first")
        parts = cells[regions]
        gap = (cells["World"] - parts.sum(axis=1)).abs()
        scale = parts.abs().sum(axis=1).clip(lower=1e-300)
        worst = (gap / scale).max()
        assert worst <= 1e-9, f"{metric}: World differs from the sum of {regions} by {worst:.3g} of it"
        checked += 1
    return checked


def check_binding(out, n):
    df = pd.read_csv(f"{out}/binding.csv")
    assert list(df.columns) == BINDING, list(df.columns)
    if df.empty:
        return df
    for col in ["samples", "count"]:
        assert pd.api.types.is_integer_dtype(df[col]), f"{col} is {df[col].dtype}"
    assert pd.api.types.is_float_dtype(df["share"]), df["share"].dtype
    assert (df["samples"] == n).all()
    assert df["period"].map(lambda p: bool(PERIOD.match(p))).all()
    assert not df.isna().any().any(), "empty field in binding.csv"
    assert not df.duplicated(["scenario", "node", "period", "constraint"]).any()
    assert ((df["count"] >= 0) & (df["count"] <= df["samples"])).all()
    assert ((df["share"] >= 0) & (df["share"] <= 1)).all()
    # Printed to 17 digits, a share reads back as the very double count /
    # samples (with pandas' exact parser; its default one may miss by an ulp).
    exact = pd.read_csv(f"{out}/binding.csv", float_precision="round_trip")
    assert (exact["share"] == exact["count"] / exact["samples"]).all(), "share != count / samples"
    assert ((df["share"] - df["count"] / df["samples"]).abs() <= 1e-15).all()
    groups = df.groupby(["scenario", "node", "period"], sort=False)
    assert (groups["count"].sum() == n).all(), "counts do not sum to the samples"
    assert ((groups["share"].sum() - 1).abs() <= 1e-12).all(), "shares do not sum to 1"
    assert groups["region"].nunique().max() == 1, "a node in two regions"
    labels = groups["constraint"].agg(tuple)
    assert labels.nunique() == 1, f"label sets differ: {labels.unique()}"
    return df


def check_cost(m, rate_key):
    """started_utc <= finished_utc (ISO 8601, UTC), wall_seconds and the
    rate non-negative numbers, peak_rss_kib_per_rank a whole number of KiB
    no program linked with MPI can stay below (4 MiB)."""
    times = [datetime.datetime.strptime(m[k], "%Y-%m-%dT%H:%M:%SZ")
             for k in ("started_utc", "finished_utc")]
    assert times[0] <= times[1], times
    for key in ("wall_seconds", rate_key):
        assert isinstance(m[key], (int, float)) and m[key] >= 0, (key, m[key])
    peak = m["peak_rss_kib_per_rank"]
    assert isinstance(peak, int) and peak >= 4096, peak
    return peak


INPUT_FILES = ["nodes.csv", "edges.csv", "params.csv", "series.csv", "metrics.csv"]


def check_file_hashes(m):
    """Each (scenario's) files and inputs hashed as the manifest says;
    returns how many files that was."""
    if "scenarios" in m:  # a comparison: its files per scenario
        groups = [(s["name"], s["files"], s["inputs"]) for s in m["scenarios"]]
        assert groups and m["scenarios"][0]["role"] == "base", m["scenarios"]
    else:
        groups = [(m["scenario"]["name"], m["scenario_files"] + m["data_files"], m["inputs"])]
    checked = 0
    for name, files, inputs in groups:
        assert files, f"{name}: no scenario files"
        got = [os.path.basename(i["path"]) for i in inputs]
        assert got == INPUT_FILES, f"{name}: inputs {got}"
        assert len({os.path.dirname(i["path"]) for i in inputs}) == 1, f"{name}: inputs {inputs}"
        for f in files + inputs:
            with open(f["path"], "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
            assert f["sha256"] == digest, f"{name}: {f['path']}: manifest {f['sha256']}, file {digest}"
            checked += 1
    return checked


def check_manifest(out, n):
    with open(f"{out}/manifest.json") as f:
        m = json.load(f)
    for key in ["version", "git_commit", "scenario", "inputs", "seed", "samples", "ranks",
                "started_utc", "finished_utc", "wall_seconds"]:
        assert key in m, key
    assert m["samples"] == n
    assert "binding.csv" in m["files"], m["files"]
    assert m["scenario_files"][0]["path"] == m["scenario"]["path"]
    assert all(len(f["sha256"]) == 64 for f in m["scenario_files"])
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    check_file_hashes(m)
    check_cost(m, "samples_per_second")
    assert os.path.basename(m["inputs"][4]["path"]) == "metrics.csv", m["inputs"]
    return m


def main():
    if sys.argv[1] == "binding":
        out, n = sys.argv[2], int(sys.argv[3])
        binding = check_binding(out, n)
        assert not binding.empty, f"{out}/binding.csv has no rows"
        print(f"{out}/binding.csv loads cleanly in pandas ({len(binding)} rows)")
        return
    if sys.argv[1] == "files":
        with open(sys.argv[2]) as f:
            print(check_file_hashes(json.load(f)))
        return
    if sys.argv[1] == "cost":
        with open(sys.argv[2]) as f:
            print(check_cost(json.load(f), sys.argv[3]))
        return
    out, n, keep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    summary = check_summary(out, n)
    if keep:
        check_samples(out, keep, summary)
    binding = check_binding(out, n)
    manifest = check_manifest(out, n)
    sums = check_world_sums(out, keep, manifest["inputs"][4]["path"])
    print(f"outputs in {out} load cleanly in pandas ({len(summary)} summary rows, "
          f"{len(binding)} binding rows; World the sum of its regions in {sums} metrics)")


if __name__ == "__main__":
    main()
