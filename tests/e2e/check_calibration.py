"""The baseline against published projections: every band of
inputs/calibration.csv must hold in a run's summary.csv.

Usage: check_calibration.py CALIBRATION_CSV OUTDIR [--markdown]

A row names a metric, region and quarter and a statistic of the run's
distribution there:
  p10, p50, p90, ...            that quantile;
  pNN_growth_from_YYYYQn        the annual growth factor of that quantile
                                from quarter YYYYQn to the row's quarter;
  pNN_over_pMM, pNN_minus_pMM   the ratio or the difference of two
                                quantiles (the width of the band).
The row holds when low <= value <= high.  Every row is printed with the
run's P10/P50/P90 at that quarter; the exit code is 1 if any row fails.
With --markdown the table is printed for inputs/CALIBRATION.md.
"""
import re
import sys

import pandas as pd

GROWTH = re.compile(r"^(p\d\d)_growth_from_(\d{4})Q([1-4])$")
WIDTH = re.compile(r"^(p\d\d)_(over|minus)_(p\d\d)$")


def quarter_index(period):
    return int(period[:4]) * 4 + int(period[5]) - 1


def cell(summary, metric, region, period):
    rows = summary[(summary.metric == metric) & (summary.region == region) &
                   (summary.period == period)]
    if len(rows) != 1:
        raise SystemExit(f"summary.csv has no single row for {metric}/{region}/{period}")
    return rows.iloc[0]


def evaluate(summary, row):
    here = cell(summary, row.metric, row.region, row.period)
    m = GROWTH.match(row.statistic)
    if m:
        stat, base = m.group(1), f"{m.group(2)}Q{m.group(3)}"
        years = (quarter_index(row.period) - quarter_index(base)) / 4
        start = cell(summary, row.metric, row.region, base)[stat]
        return (here[stat] / start) ** (1 / years), here
    w = WIDTH.match(row.statistic)
    if w:
        a, b = here[w.group(1)], here[w.group(3)]
        return (a / b if w.group(2) == "over" else a - b), here
    if row.statistic not in here.index:
        raise SystemExit(f"unknown statistic '{row.statistic}'")
    return here[row.statistic], here


def fmt(x):
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:.3e}".replace("e+0", "e").replace("e+", "e")


def main():
    cal = pd.read_csv(sys.argv[1])
    summary = pd.read_csv(f"{sys.argv[2]}/summary.csv")
    markdown = "--markdown" in sys.argv[3:]
    failures = 0
    if markdown:
        print("| # | quantity | published | band | our P10 / P50 / P90 | checked | inside |")
        print("|---|---|---|---|---|---|---|")
    for i, row in enumerate(cal.itertuples(index=False), start=1):
        value, here = evaluate(summary, row)
        ok = row.low <= value <= row.high
        failures += not ok
        spread = f"{fmt(here.p10)} / {fmt(here.p50)} / {fmt(here.p90)}"
        what = f"{row.metric} {row.region} {row.period}"
        if markdown:
            print(f"| {i} | {what} | {row.published_figure} | {fmt(row.low)}-{fmt(row.high)} "
                  f"| {spread} | {row.statistic} = {fmt(value)} | {'yes' if ok else 'NO'} |")
        else:
            print(f"{'ok  ' if ok else 'FAIL'} {i:2d} {what}: {row.statistic} = {fmt(value)}, "
                  f"band [{fmt(row.low)}, {fmt(row.high)}] ({row.published_figure}); "
                  f"run P10/P50/P90 {spread}")
    if failures:
        print(f"{failures} of {len(cal)} calibration bands fail: the baseline has drifted from "
              f"the published projections in inputs/CALIBRATION.md")
        return 1
    if not markdown:
        print(f"all {len(cal)} calibration bands hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
