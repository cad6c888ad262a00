"""Checks tornado.csv of tests/e2e/tornado.sh's small graph against closed forms.

x = 100 exp(0.5 Za), Za a `once` shock's latent normal; y = 100 exp(0.3 Zb_t),
a quarterly shock; z = 100 (1 - 0.5 [event e under way in t]).  The low class
of a shock is Z < -c, the high Z > c, c = 1.2816 (its deciles): given Z > c
the median of Z is its 95% quantile, 1.6449, so the conditional median of
x is 100 exp(0.5 * 1.6449), and the conditional mean 100 E[exp(s Z) | Z > c]
= 100 exp(s^2 / 2) (1 - Phi(c - s)) / 0.1 (mirrored for the low class).  An
input that does not feed a cell leaves it at its overall median (100) and
mean.  Tolerances: five standard errors of the estimator at the class's
sample count (sample median: 1 / (2 f(m) sqrt(n)) in Z, times s, relative;
mean: the conditional sd / sqrt(n)), plus the sketch's 1/2049.
Usage: check_tornado.py DIR N
"""
import math
import sys

import pandas as pd

d, N = sys.argv[1], int(sys.argv[2])
t = pd.read_csv(f"{d}/tornado.csv", float_precision="round_trip")
C = 1.2815515655446004
Z95 = 1.6448536269514722
SKETCH = 1 / 2049
phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
Phi = lambda z: 0.5 * math.erfc(-z / math.sqrt(2))
failures = []


def near(what, got, want, tol):
    if not abs(got - want) <= tol:
        failures.append(f"{what}: {got:.6g}, expected {want:.6g} +- {tol:.3g}")


def row(metric, period, inp):
    r = t[(t.metric == metric) & (t.period == period) & (t.input == inp)]
    assert len(r) == 1, (metric, period, inp)
    return r.iloc[0]


def lognormal_cell(metric, period, inp, s):
    r = row(metric, period, inp)
    for cls, sign in (("high", 1), ("low", -1)):
        n = r[f"{cls}_samples"]
        # the class is ~10% of the samples
        near(f"{metric} {period} {inp} {cls}_samples", n, 0.1 * N, 5 * math.sqrt(N * 0.09))
        med = 100 * math.exp(sign * s * Z95)
        se_z = 1 / (2 * (phi(Z95) / 0.1) * math.sqrt(n))
        near(f"{metric} {period} {inp} {cls}_p50", r[f"{cls}_p50"], med, med * (5 * s * se_z + SKETCH))
        tail = (1 - Phi(C - sign * s)) / 0.1
        m1 = 100 * math.exp(s * s / 2) * tail
        m2 = 100 ** 2 * math.exp(2 * s * s) * (1 - Phi(C - sign * 2 * s)) / 0.1
        sd = math.sqrt(m2 - m1 * m1)
        near(f"{metric} {period} {inp} {cls}_mean", r[f"{cls}_mean"], m1, 5 * sd / math.sqrt(n))
    near(f"{metric} {period} {inp} swing_p50", r.swing_p50, r.high_p50 - r.low_p50, 1e-9 * r.high_p50)


def unrelated(metric, period, inp, s):
    """An input that does not feed the cell: both classes at the cell's own median."""
    r = row(metric, period, inp)
    for cls in ("low", "high"):
        n = r[f"{cls}_samples"]
        if s == 0:  # the cell is constant but for an event
            continue
        se_z = 1 / (2 * phi(0) * math.sqrt(n))
        near(f"{metric} {period} {inp} {cls}_p50", r[f"{cls}_p50"], 100, 100 * (5 * s * se_z + SKETCH))


for period in ("2026Q2", "2026Q4"):
    lognormal_cell("out_x", period, "shock_a", 0.5)
    lognormal_cell("out_y", period, "shock_b", 0.3)
    unrelated("out_x", period, "shock_b", 0.5)
    unrelated("out_x", period, "event_e", 0.5)
    unrelated("out_y", period, "shock_a", 0.3)
    r = row("out_z", period, "event_e")
    if not (r.low_p50 == 100 and r.high_p50 == 50 and r.low_mean == 100 and r.high_mean == 50):
        failures.append(f"out_z {period} event_e: {r.low_p50} {r.high_p50} {r.low_mean} {r.high_mean}, want 100 50 100 50")
    if r.low_samples + r.high_samples != N:
        failures.append(f"out_z {period}: the event's classes hold {r.low_samples + r.high_samples} samples, not {N}")
    near(f"out_z {period} event_e high_samples", r.high_samples, 0.1 * N, 5 * math.sqrt(N * 0.09))
    # the cells sorted by |swing|: the shock that feeds a cell first
    for metric, first in (("out_x", "shock_a"), ("out_y", "shock_b"), ("out_z", "event_e")):
        top = t[(t.metric == metric) & (t.period == period)].iloc[0].input
        if top != first:
            failures.append(f"{metric} {period}: first input {top}, expected {first}")
# x is a `once` shock: the same classes in every quarter
a2, a4 = row("out_x", "2026Q2", "shock_a"), row("out_x", "2026Q4", "shock_a")
if (a2.low_samples, a2.high_samples) != (a4.low_samples, a4.high_samples):
    failures.append("a once shock's classes differ between quarters")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
