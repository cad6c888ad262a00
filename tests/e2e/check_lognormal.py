"""The one-node lognormal run against its analytic distribution.

Usage: check_lognormal.py OUTDIR SAMPLES

Every quarter's value is exp(sigma Z) with sigma = 0.5.  Tolerances are five
standard errors of each estimator plus, for quantiles, the sketch's
documented relative error 1/2049:
  sample quantile: sqrt(p (1 - p) / n) / f(q_p)  (f the lognormal density)
  sample mean:     sd / sqrt(n)
  sample sd:       sqrt((mu4 - sd^4) / n) / (2 sd)  (delta method)
"""
import math
import sys
from statistics import NormalDist

import pandas as pd

SIGMA = 0.5
Z = 5.0
SKETCH = 1.0 / 2049.0


def density(x):
    return math.exp(-(math.log(x) ** 2) / (2 * SIGMA**2)) / (x * SIGMA * math.sqrt(2 * math.pi))


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    df = pd.read_csv(f"{out}/summary.csv")
    assert len(df) == 4, df
    s2 = SIGMA**2
    mean = math.exp(s2 / 2)
    var = (math.exp(s2) - 1) * math.exp(s2)
    sd = math.sqrt(var)
    # fourth central moment of a lognormal
    m = [math.exp(k * k * s2 / 2) for k in range(5)]
    mu4 = m[4] - 4 * m[3] * m[1] + 6 * m[2] * m[1] ** 2 - 3 * m[1] ** 4
    failures = []
    for _, row in df.iterrows():
        assert row["samples"] == n
        if abs(row["mean"] - mean) > Z * sd / math.sqrt(n):
            failures.append(f"{row['period']} mean {row['mean']} vs {mean}")
        tol_sd = Z * math.sqrt((mu4 - var**2) / n) / (2 * sd)
        if abs(row["sd"] - sd) > tol_sd:
            failures.append(f"{row['period']} sd {row['sd']} vs {sd} +- {tol_sd}")
        for col in ["p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99"]:
            p = int(col[1:]) / 100
            q = math.exp(SIGMA * NormalDist().inv_cdf(p))
            tol = Z * math.sqrt(p * (1 - p) / n) / density(q) + SKETCH * q
            if abs(row[col] - q) > tol:
                failures.append(f"{row['period']} {col} {row[col]} vs {q} +- {tol}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"lognormal: 4 quarters x (mean, sd, 9 quantiles) within tolerance at n = {n}")


if __name__ == "__main__":
    main()
