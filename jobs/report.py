#!/usr/bin/python3
"""report.py -- one static HTML page of charts for chokepoint's outputs.

    report.py DIR [--metric M] [--quarters 2028Q4,2030Q4] [--out DIR]
    report.py BATCH.csv [--summary SUMMARY.csv] [--out DIR]

DIR is the output directory of `chokepoint run` (summary.csv), `compare`
(compare.csv) or a directory holding sensitivity.csv; the page goes to
DIR/report.html and its charts to DIR/report/*.png.  For a batch file, each
finished entry gets its own report and an index page, report.html, goes to
the entries' common parent directory (or --out).  `chokepoint report` runs
this script; see jobs/README.md.  Exit codes as chokepoint's: 2 usage,
3 bad input, 4 a file cannot be read or written, 1 anything else (such as
matplotlib missing).
"""
import argparse
import csv
import html
import json
import math
import os
import sys

EXIT_OTHER, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_IO = 1, 2, 3, 4
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CALIBRATION = os.path.join(HERE, "..", "inputs", "calibration.csv")
IMAGE_DIR = "report"
BAND_COLOR = "#1f6fb4"
PALETTE = ["#1f6fb4", "#e07b00", "#2a9d3a", "#c0392b", "#7e57c2", "#8d6e63", "#d81b8c", "#607d8b"]


class ReportError(Exception):
    """A failure with the exit code it deserves."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def load_plotting():
    """matplotlib (Agg) and pandas, or a ReportError saying how to get them."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker as ticker
        import pandas as pd
    except ImportError as e:
        raise ReportError(
            EXIT_OTHER,
            f"{e.name or e} is missing: install Debian's python3-matplotlib and "
            f"python3-pandas (jobs/setup.sh does) and run this with {sys.executable}",
        )
    return plt, ticker, pd


# ---- numbers ---------------------------------------------------------------

SUFFIXES = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]


def human(x):
    """160M rather than 1.6e8; powers of ten past trillions."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e15:
        exp = int(math.floor(math.log10(a)))
        return f"{x / 10 ** exp:.3g}\u00d710^{exp}"
    for scale, suffix in SUFFIXES:
        if a >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def period_value(p):
    """2030Q4 -> 2030.875 (the middle of the quarter) for a time axis."""
    return int(p[:4]) + (int(p[5]) - 1) / 4 + 0.125


# ---- reading ---------------------------------------------------------------


def read_csv(pd, path, columns):
    try:
        frame = pd.read_csv(path)
    except OSError as e:
        raise ReportError(EXIT_IO, f"{path}: cannot read: {e.strerror}")
    except Exception as e:  # pandas' parser errors have no common base
        raise ReportError(EXIT_BAD_INPUT, f"{path}: not a CSV file chokepoint wrote: {e}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(EXIT_BAD_INPUT, f"{path}: missing column(s) {', '.join(missing)}")
    return frame


def read_manifest(directory):
    path = os.path.join(directory, "manifest.json")
    if not os.path.exists(path):
        raise ReportError(
            EXIT_BAD_INPUT,
            f"{directory}: no manifest.json, so the run or comparison there is incomplete "
            "(still running, stopped, or failed; finish it with --resume)",
        )
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise ReportError(EXIT_IO, f"{path}: cannot read: {e.strerror}")
    except ValueError as e:
        raise ReportError(EXIT_BAD_INPUT, f"{path}: not valid JSON: {e}")


def kind_of(directory):
    """'compare', 'run' or 'sensitivity', from the files present."""
    if not os.path.isdir(directory):
        raise ReportError(EXIT_IO, f"{directory}: no such directory")
    for name, kind in (("compare.csv", "compare"), ("summary.csv", "run"),
                       ("sensitivity.csv", "sensitivity")):
        if os.path.exists(os.path.join(directory, name)):
            return kind
    raise ReportError(
        EXIT_BAD_INPUT,
        f"{directory}: not the output of a chokepoint run, comparison or sensitivity "
        "analysis (no summary.csv, compare.csv or sensitivity.csv)",
    )


def select_metric(frame, metric, path):
    rows = frame[frame.metric == metric]
    if rows.empty:
        have = ", ".join(sorted(frame.metric.unique()))
        raise ReportError(EXIT_BAD_INPUT, f"{path}: no rows of metric '{metric}' (it has: {have})")
    return rows


def order_regions(regions):
    known = ["US", "EU", "CN", "ROW", "World"]
    return sorted(regions, key=lambda r: (known.index(r) if r in known else len(known), r))


# ---- charts ----------------------------------------------------------------


class Charts:
    """Writes PNG files into DIR/report/ and remembers them for the page."""

    def __init__(self, plotting, directory):
        self.plt, self.ticker, self.pd = plotting
        self.dir = os.path.join(directory, IMAGE_DIR)
        self.written = []
        try:
            os.makedirs(self.dir, exist_ok=True)
        except OSError as e:
            raise ReportError(EXIT_IO, f"{self.dir}: cannot create: {e.strerror}")

    def figure(self, panels, width=11.0, height=3.6):
        cols = min(panels, 2)
        rows = math.ceil(panels / cols)
        fig, axes = self.plt.subplots(rows, cols, figsize=(width, height * rows), squeeze=False)
        for ax in axes.flat[panels:]:
            ax.set_visible(False)
        return fig, list(axes.flat[:panels])

    def human_axis(self, axis):
        axis.set_major_formatter(self.ticker.FuncFormatter(lambda v, _: human(v)))

    def save(self, fig, name):
        path = os.path.join(self.dir, name)
        tmp = path + f".tmp{os.getpid()}.png"
        try:
            fig.tight_layout()
            fig.savefig(tmp, dpi=100)
            os.replace(tmp, path)
        except OSError as e:
            raise ReportError(EXIT_IO, f"{path}: cannot write: {e.strerror}")
        finally:
            self.plt.close(fig)
        self.written.append(name)
        return f"{IMAGE_DIR}/{name}"

    def remove_stale(self):
        for name in os.listdir(self.dir):
            if name.endswith(".png") and name not in self.written:
                os.remove(os.path.join(self.dir, name))


def time_axis(ax, periods):
    years = sorted({int(p[:4]) for p in periods})
    ax.set_xticks([y for y in years if y % 2 == 0 or len(years) < 6])
    ax.set_xlabel("quarter (year ticks)")
    ax.grid(alpha=0.3)


def calibration_anchors(pd, path, metric):
    """Rows of calibration.csv for this metric whose statistic is a quantile."""
    if not path or not os.path.exists(path):
        return pd.DataFrame(columns=["region", "period", "statistic", "low", "high"])
    cal = read_csv(pd, path, ["metric", "region", "period", "statistic", "low", "high"])
    cal = cal[(cal.metric == metric) & cal.statistic.str.fullmatch(r"p\d\d")]
    return cal


def draw_anchors(ax, anchors, periods):
    """One interval per published band, labelled with the statistics it bounds."""
    first = True
    for (period, low, high), group in anchors.groupby(["period", "low", "high"]):
        if period not in periods:
            continue
        x, mid = period_value(period), math.sqrt(low * high)
        ax.errorbar([x], [mid], yerr=[[mid - low], [high - mid]], fmt="D", color="#c0392b", ms=5,
                    capsize=4, label="calibration band (inputs/calibration.csv)" if first else None)
        ax.annotate("/".join(group.statistic), (x, high), textcoords="offset points",
                    xytext=(0, 3), ha="center", fontsize=7, color="#c0392b")
        first = False


def fan_chart(charts, rows, region, unit, anchors, label):
    fig, (ax,) = charts.figure(1, width=5.6, height=3.8)
    rows = rows.sort_values("period")
    x = [period_value(p) for p in rows.period]
    ax.fill_between(x, rows.p05, rows.p95, color=BAND_COLOR, alpha=0.18, label="P05-P95")
    ax.fill_between(x, rows.p25, rows.p75, color=BAND_COLOR, alpha=0.38, label="P25-P75")
    ax.plot(x, rows.p50, color=BAND_COLOR, lw=2, label="median")
    draw_anchors(ax, anchors[anchors.region == region], set(rows.period))
    ax.set_title(f"{region}: {label}")
    ax.set_ylabel(f"{label} ({unit})")
    ax.set_ylim(bottom=0)
    charts.human_axis(ax.yaxis)
    time_axis(ax, rows.period)
    ax.legend(fontsize=7, loc="upper left")
    return charts.save(fig, f"fan-{region}.png")


def exceedance_chart(charts, data, regions, quarters, unit, label):
    fig, axes = charts.figure(len(regions))
    levels = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99]
    columns = ["p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99"]
    for ax, region in zip(axes, regions):
        for i, q in enumerate(quarters):
            row = data[(data.region == region) & (data.period == q)]
            if row.empty:
                continue
            row = row.iloc[0]
            xs = [row["min"]] + [row[c] for c in columns] + [row["max"]]
            color = PALETTE[i % len(PALETTE)]
            ax.plot(xs, [0] + levels + [1], color=color, marker=".",
                    label=f"{q} (CaR05 {human(row.car05)})")
            ax.plot([row.car05], [0.05], "v", color=color, ms=9, mec="black")
        ax.set_title(f"{region}: P({label} < x)")
        ax.set_xlabel(f"x: {label} ({unit}, log scale)")
        ax.set_ylabel("probability (share of sample paths)")
        ax.set_ylim(0, 1)
        ax.set_xscale("log")
        charts.human_axis(ax.xaxis)
        ax.xaxis.set_minor_formatter(charts.ticker.NullFormatter())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", title="quarter (triangle: CaR05)", title_fontsize=7)
    return charts.save(fig, "exceedance.png")


def binding_colors(labels):
    """One colour per constraint, by family so a reader groups them at a
    glance: power in blues and greens, chips in reds and oranges, the export
    limit purple, orders grey."""
    families = {"power": ["#1f77b4", "#17becf", "#2ca02c", "#98df8a", "#aec7e8"],
                "chips": ["#d62728", "#ff7f0e", "#e377c2", "#ffbb78", "#ff9896"]}
    used = {"power": 0, "chips": 0}
    colors = {}
    for c in labels:
        family = c.split(":")[0]
        if family in families:
            colors[c] = families[family][used[family] % len(families[family])]
            used[family] += 1
        elif c == "export":
            colors[c] = "#9467bd"
        elif c == "orders":
            colors[c] = "#7f7f7f"
        else:
            colors[c] = PALETTE[len(colors) % len(PALETTE)]
    return colors


def binding_chart(charts, binding):
    regions = order_regions(binding.region.unique())
    fig, axes = charts.figure(len(regions))
    # Constraints that never bind anywhere would only crowd the legend.
    bound = binding.groupby("constraint")["count"].sum()
    labels = sorted(c for c in bound.index if bound[c] > 0)
    colors = binding_colors(labels)
    for ax, region in zip(axes, regions):
        part = binding[binding.region == region]
        counts = part.pivot_table(index="period", columns="constraint", values="count", aggfunc="sum")
        counts = counts.reindex(columns=labels).fillna(0).sort_index()
        shares = counts.div(counts.sum(axis=1), axis=0)
        x = [period_value(p) for p in shares.index]
        ax.stackplot(x, [shares[c] for c in labels], labels=labels,
                     colors=[colors[c] for c in labels], alpha=0.85)
        ax.set_title(f"{region}: what binds installed compute")
        ax.set_ylabel("share of sample paths")
        ax.set_ylim(0, 1)
        time_axis(ax, shares.index)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), title="constraint",
                  title_fontsize=7, borderaxespad=0)
    return charts.save(fig, "binding.png")


def sensitivity_chart(charts, rows, title):
    rows = rows.sort_values("total")
    fig, (ax,) = charts.figure(1, width=9, height=0.45 * len(rows) + 1.6)
    y = list(range(len(rows)))
    for offset, kind, color in ((-0.2, "first_order", BAND_COLOR), (0.2, "total", "#e07b00")):
        low = (rows[kind] - rows[f"{kind}_lo"]).clip(lower=0)
        high = (rows[f"{kind}_hi"] - rows[kind]).clip(lower=0)
        ax.barh([v + offset for v in y], rows[kind], height=0.4, color=color,
                xerr=[low, high], capsize=3, label=kind.replace("_", "-") + " index")
    ax.set_yticks(y)
    ax.set_yticklabels(rows.input)
    ax.set_xlabel("Sobol index (share of variance; bars: 95% interval)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return charts.save(fig, "sensitivity.png")


def diff_fan_chart(charts, rows, option, regions, unit, label):
    fig, axes = charts.figure(len(regions), height=3.0)
    for ax, region in zip(axes, regions):
        part = rows[rows.region == region].sort_values("period")
        x = [period_value(p) for p in part.period]
        ax.fill_between(x, part.p05_diff, part.p95_diff, color=BAND_COLOR, alpha=0.25,
                        label="P05-P95 of the paired difference")
        ax.plot(x, part.p50_diff, color=BAND_COLOR, lw=2, label="median difference")
        ax.plot(x, part.mean_diff, color="black", lw=1, ls="--", label="mean difference")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(f"{region}: {option} - base")
        ax.set_ylabel(f"difference in {label} ({unit})", fontsize=8)
        charts.human_axis(ax.yaxis)
        time_axis(ax, part.period)
        # the band fans out from 0 upwards, downwards or both: where it
        # leaves room (a fixed corner hid the curve of a loss)
        ax.legend(fontsize=7, loc="best")
    return charts.save(fig, f"diff-{option}.png")


def prob_better_chart(charts, rows, options, regions, label):
    fig, axes = charts.figure(len(regions), height=3.0)
    for ax, region in zip(axes, regions):
        for i, option in enumerate(options):
            part = rows[(rows.region == region) & (rows.option == option)].sort_values("period")
            ax.plot([period_value(p) for p in part.period], part.prob_better,
                    color=PALETTE[i % len(PALETTE)], lw=1.8, label=option)
        ax.set_title(f"{region}: P(option > base) in {label}")
        ax.set_ylabel("probability (share of paired samples)", fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        time_axis(ax, part.period)
        ax.legend(fontsize=7, loc="best")
    return charts.save(fig, "prob-better.png")


def car_per_busd_chart(charts, rows, region, quarter, unit, label):
    rows = rows.sort_values("car05_change_per_busd")
    fig, (ax,) = charts.figure(1, width=9, height=0.5 * len(rows) + 1.6)
    colors = [PALETTE[2] if v >= 0 else PALETTE[3] for v in rows.car05_change_per_busd]
    ax.barh(list(rows.option), rows.car05_change_per_busd, color=colors)
    for y, (v, cost) in enumerate(zip(rows.car05_change_per_busd, rows.cost_usd)):
        ax.annotate(f" {human(v)} per USD 1B (cost USD {human(cost)})", (max(v, 0), y), va="center",
                    fontsize=8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(f"change in CaR05 of {label} per billion USD ({unit} per USD 1B)")
    ax.set_title(f"{region}, {quarter}: compute at risk secured per billion dollars, ranked")
    charts.human_axis(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)
    return charts.save(fig, "car05-per-busd.png")


# ---- the page ----------------------------------------------------------------

STYLE = """
body { font-family: sans-serif; max-width: 1180px; margin: 1em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; } img { max-width: 100%; height: auto; }
.note { background: #fff6db; border-left: 4px solid #e0a800; padding: 6px 10px; }
.hash { font-family: monospace; font-size: 0.9em; }
@media print { body { max-width: none; } figure, table { break-inside: avoid; } }
"""


def esc(x):
    return html.escape(str(x))


def figure_html(src, alt):
    return f'<figure><img src="{esc(src)}" alt="{esc(alt)}"></figure>'


def note_html(text):
    return f'<p class="note">{esc(text)}</p>'


def files_table(files):
    rows = "".join(f'<tr><td>{esc(f.get("path", ""))}</td><td class="hash">{esc(f.get("sha256", ""))}'
                   "</td></tr>" for f in files)
    return f"<table><tr><th>file</th><th>SHA-256</th></tr>{rows}</table>"


def header_html(manifest, kind, units):
    facts = [("made by", f'{manifest.get("program", "chokepoint")} {manifest.get("version", "")}'),
             ("git commit", manifest.get("git_commit", "")), ("run id", manifest.get("run_id", "")),
             ("command", manifest.get("command", "")), ("seed", manifest.get("seed", "")),
             ("samples", f'{manifest.get("samples", 0):,}'), ("ranks", manifest.get("ranks", "")),
             ("finished", manifest.get("finished_utc", ""))]
    if kind == "compare":
        names = [f'{s["name"]} ({s["role"]})' for s in manifest.get("scenarios", [])]
        facts.insert(0, ("scenarios", ", ".join(names)))
        files = [f for s in manifest.get("scenarios", [])
                 for f in s.get("files", []) + s.get("inputs", [])]
    else:
        facts.insert(0, ("scenario", manifest.get("scenario", {}).get("name", "")))
        files = [f for key in ("scenario_files", "data_files", "inputs")
                 for f in manifest.get(key, [])]
    # Options share their base's files: each file once, in the order read.
    once = {}
    for f in files:
        once.setdefault((f.get("path", ""), f.get("sha256", "")), f)
    files = list(once.values())
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts if v != "")
    unit_list = "; ".join(units)
    return (f"<table>{rows}</table><p>Units of the axes: {esc(unit_list)}. Large numbers: "
            "K thousand, M million, B billion, T trillion.</p>"
            f"<details><summary>Input files and their hashes</summary>{files_table(files)}</details>")


def write_page(directory, title, body):
    path = os.path.join(directory, "report.html")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n"
            f"<body><h1>{esc(title)}</h1>\n{body}\n</body></html>\n")
    tmp = os.path.join(directory, f".report.html.tmp.{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, path)
    except OSError as e:
        raise ReportError(EXIT_IO, f"{path}: cannot write: {e.strerror}")
    return path


# ---- sections ----------------------------------------------------------------

SUMMARY_COLUMNS = ["metric", "region", "period", "unit", "p01", "p05", "p10", "p25", "p50", "p75",
                   "p90", "p95", "p99", "min", "max", "car05"]
BINDING_COLUMNS = ["scenario", "node", "region", "period", "constraint", "samples", "count", "share"]
SENSITIVITY_COLUMNS = ["metric", "region", "period", "input", "first_order", "first_order_lo",
                       "first_order_hi", "total", "total_lo", "total_hi"]
COMPARE_COLUMNS = ["option", "metric", "region", "period", "unit", "mean_diff", "p05_diff",
                   "p50_diff", "p95_diff", "prob_better", "cost_usd", "car05_change_per_busd"]


def metric_label(metric):
    return "installed frontier compute" if metric == "frontier_compute_h100e" else metric


def chosen_quarters(periods, wanted):
    periods = sorted(set(periods))
    if wanted:
        missing = [q for q in wanted if q not in periods]
        if missing:
            raise ReportError(EXIT_BAD_INPUT, f"--quarters: {', '.join(missing)} not in the results "
                              f"({periods[0]} to {periods[-1]})")
        return wanted
    picks = [q for q in ("2028Q4", "2030Q4") if q in periods] + [periods[-1]]
    return list(dict.fromkeys(picks))


def binding_section(charts, directory, pd, tag=""):
    path = os.path.join(directory, "binding.csv")
    if not os.path.exists(path):
        return note_html(f"What binds: not drawn, {path} does not exist (runs write binding.csv "
                         "once the model records which constraint binds each sample path).")
    binding = read_csv(pd, path, BINDING_COLUMNS)
    if binding.empty:
        return note_html(f"What binds: not drawn, {path} has no rows.")
    src = binding_chart(charts, binding)
    if tag:
        os.replace(os.path.join(charts.dir, "binding.png"), os.path.join(charts.dir, f"binding-{tag}.png"))
        charts.written[-1] = f"binding-{tag}.png"
        src = f"{IMAGE_DIR}/binding-{tag}.png"
    return ("<p>Share of sample paths in which each constraint bound the deploy nodes' installed "
            "compute, by quarter (x: quarter; y: share of sample paths, 0-1).</p>" +
            figure_html(src, f"what binds {tag}"))


def sensitivity_section(charts, directory, args, pd):
    path = os.path.join(directory, "sensitivity.csv")
    if not os.path.exists(path):
        return ""
    sens = select_metric(read_csv(pd, path, SENSITIVITY_COLUMNS), args.metric, path)
    region = args.region if args.region in set(sens.region) else order_regions(sens.region.unique())[-1]
    sens = sens[sens.region == region]
    period = max(sens.period)
    rows = sens[sens.period == period]
    title = f"Sobol indices of {metric_label(args.metric)}, {region}, {period}"
    return (f"<h2>Sensitivity</h2><p>{esc(title)}: first-order (the input alone) and total (with "
            "its interactions) shares of the variance, with 95% intervals.</p>" +
            figure_html(sensitivity_chart(charts, rows, title), title))


def run_section(charts, directory, args, pd, anchors):
    path = os.path.join(directory, "summary.csv")
    data = select_metric(read_csv(pd, path, SUMMARY_COLUMNS), args.metric, path)
    unit, label = data.unit.iloc[0], metric_label(args.metric)
    regions = order_regions(data.region.unique())
    fans = [figure_html(fan_chart(charts, data[data.region == r], r, unit, anchors, label),
                        f"fan chart {r}") for r in regions]
    quarters = chosen_quarters(data.period, args.quarters)
    body = (f"<h2>{esc(label.capitalize())} by region</h2><p>Median, P25-P75 and P05-P95 over "
            f"sample paths (y: {esc(label)} in {esc(unit)}; x: quarter). Red diamonds: the "
            "calibration bands of inputs/calibration.csv where they apply.</p>"
            f'<div class="grid">{"".join(fans)}</div>'
            f"<h2>Exceedance at {esc(', '.join(quarters))}</h2><p>Probability that {esc(label)} "
            f"falls below x (y: probability; x: {esc(unit)}, log scale); triangles mark CaR05, the 5% quantile."
            "</p>" + figure_html(exceedance_chart(charts, data, regions, quarters, unit, label),
                                 "exceedance curves"))
    return body + "<h2>What binds</h2>" + binding_section(charts, directory, pd), [f"{label}: {unit}"]


def compare_section(charts, directory, args, pd, manifest):
    path = os.path.join(directory, "compare.csv")
    cmp = select_metric(read_csv(pd, path, COMPARE_COLUMNS), args.metric, path)
    unit, label = cmp.unit.iloc[0], metric_label(args.metric)
    regions = order_regions(cmp.region.unique())
    options = list(dict.fromkeys(cmp.option))
    body = [f"<h2>Options against the base: paired differences in {esc(label)}</h2><p>Each "
            f"option minus the base in the same sample path (y: {esc(unit)}; x: quarter).</p>"]
    for o in options:
        rows = cmp[cmp.option == o]
        moved = rows.groupby("region")[["p05_diff", "p95_diff", "mean_diff"]].apply(
            lambda r: (r != 0).any().any())
        still = [r for r in regions if not moved[r]]
        if len(still) < len(regions):
            shown = [r for r in regions if moved[r]]
            body.append(figure_html(diff_fan_chart(charts, rows, o, shown, unit, label), f"difference {o}"))
        if still:
            body.append(note_html(f"{o}: no difference from the base in any sample and quarter in "
                                  f"{', '.join(still)} (not drawn)."))
    body.append("<h2>Probability that the option gives more</h2>" +
                figure_html(prob_better_chart(charts, cmp, options, regions, label), "P(better)"))
    quarter = chosen_quarters(cmp.period, args.quarters)[-1]
    region = args.region if args.region in regions else regions[-1]
    cell = cmp[(cmp.region == region) & (cmp.period == quarter)]
    costed = cell.dropna(subset=["car05_change_per_busd"])
    body.append("<h2>Compute at risk secured per billion dollars</h2>")
    if costed.empty:
        body.append(note_html("No option gives a cost that prices its difference from the base: "
                              "no chart of CaR05 per dollar."))
    else:
        body.append(figure_html(car_per_busd_chart(charts, costed, region, quarter, unit, label),
                                "CaR05 change per billion dollars"))
    # An option built on a stress as well as on the base has a cost, but its
    # difference from the base is not its own: compare leaves it unpriced
    # and its manifest says why.
    why = {s["name"]: s["not_priced_because"] for s in manifest.get("scenarios", [])
           if s.get("car05_change_priced") is False}
    for o in sorted(set(cell.option) & set(why)):
        body.append(note_html(f"{o} has a cost but is not ranked against the base: {why[o]}."))
    uncosted = sorted(set(cell.option) - set(costed.option) - set(why))
    if uncosted and not costed.empty:
        body.append(note_html(f"Without a cost, not ranked: {', '.join(uncosted)}."))
    for s in manifest.get("scenarios", []):
        if s.get("role") == "option" and os.path.exists(os.path.join(directory, s["name"], "binding.csv")):
            body.append(f"<h3>What binds: {esc(s['name'])}</h3>" +
                        binding_section(charts, os.path.join(directory, s["name"]), pd, s["name"]))
    units = [f"differences in {label}: {unit}", f"CaR05 per billion dollars: {unit} per USD 1B",
             "probabilities: share of samples, 0-1"]
    return "".join(body), units


# ---- one directory, a batch, main ---------------------------------------------


def report_directory(directory, args, plotting):
    """Writes DIR/report.html; returns its path."""
    kind = kind_of(directory)
    manifest = read_manifest(directory)
    pd = plotting[2]
    charts = Charts(plotting, directory)
    anchors = calibration_anchors(pd, args.calibration, args.metric)
    units, body = ["quarters: calendar quarters, ticks at years"], ""
    if kind == "compare":
        base = next((s["name"] for s in manifest.get("scenarios", []) if s.get("role") == "base"), None)
        body, more = compare_section(charts, directory, args, pd, manifest)
        units += more
        if base and os.path.exists(os.path.join(directory, base, "summary.csv")):
            base_body, more = run_section(charts, os.path.join(directory, base), args, pd, anchors)
            body += f"<h2>The base, {esc(base)}, on its own</h2>" + base_body
        title = f"chokepoint comparison against {base}"
    else:
        if kind == "run":
            body, more = run_section(charts, directory, args, pd, anchors)
            units += more
        title = f'chokepoint {kind}: {manifest.get("scenario", {}).get("name", directory)}'
    sens = sensitivity_section(charts, directory, args, pd)
    if sens:
        units.append("Sobol indices: share of variance, 0-1")
    elif kind == "run":
        sens = note_html("Sensitivity: no sensitivity.csv here, so no tornado chart.")
    charts.remove_stale()
    return write_page(directory, title, header_html(manifest, kind, units) + body + sens)


def read_batch(path):
    """[(name, out directory)] of a batch file, paths relative to the batch file."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise ReportError(EXIT_IO, f"{path}: cannot read: {e.strerror}")
    if not rows or "name" not in rows[0] or "out" not in rows[0]:
        raise ReportError(EXIT_BAD_INPUT, f"{path}: not a batch file (columns name,...,out)")
    base = os.path.dirname(os.path.abspath(path))
    return [(r["name"], os.path.normpath(os.path.join(base, r["out"]))) for r in rows]


def read_statuses(path):
    """name -> (status, message) from a batch's --summary file, if given."""
    if not path:
        return {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return {r["name"]: (r["status"], r.get("message", "")) for r in csv.DictReader(f)}
    except (OSError, KeyError) as e:
        raise ReportError(EXIT_BAD_INPUT, f"{path}: not a batch summary: {e}")


def disk_status(out):
    if os.path.exists(os.path.join(out, "manifest.json")):
        return "complete"
    if os.path.exists(os.path.join(out, "checkpoint.bin")):
        return "checkpoint (unfinished)"
    return "not started"


def report_batch(path, args, plotting):
    entries = read_batch(path)
    statuses = read_statuses(args.summary)
    index_dir = args.out or os.path.commonpath([out for _, out in entries])
    if len(entries) == 1 and not args.out:
        index_dir = os.path.dirname(index_dir)
    rows, failed = [], 0
    for name, out in entries:
        status, message = statuses.get(name, (disk_status(out), ""))
        link = "no report"
        if os.path.exists(os.path.join(out, "manifest.json")):
            try:
                page = report_directory(out, args, plotting)
                link = f'<a href="{esc(os.path.relpath(page, index_dir))}">report</a>'
            except ReportError as e:
                failed += 1
                link = f"report failed: {esc(e)}"
        rows.append(f"<tr><td>{esc(name)}</td><td>{esc(status)}</td><td>{esc(message)}</td>"
                    f"<td>{link}</td><td>{esc(out)}</td></tr>")
    body = (f"<p>Batch file {esc(os.path.abspath(path))}: {len(entries)} entries.</p><table><tr>"
            "<th>entry</th><th>status</th><th>message</th><th>report</th><th>output directory</th>"
            f"</tr>{''.join(rows)}</table>")
    page = write_page(index_dir, f"chokepoint batch {os.path.basename(path)}", body)
    if failed:
        raise ReportError(EXIT_BAD_INPUT, f"{page}: written, but {failed} entry report(s) failed")
    return page


def parse_args(argv):
    p = argparse.ArgumentParser(prog="chokepoint report", allow_abbrev=False,
                                description=__doc__.split("\n\n")[1])
    p.add_argument("target", help="a run, comparison or sensitivity output directory, or a batch file")
    p.add_argument("--metric", default="frontier_compute_h100e", help="metric to draw (default %(default)s)")
    p.add_argument("--region", default="World", help="region of the option and Sobol charts (default World)")
    p.add_argument("--quarters", type=lambda s: [q.strip() for q in s.split(",") if q.strip()],
                   help="quarters of the exceedance curves, e.g. 2028Q4,2030Q4 (the last one is "
                        "also the quarter of the CaR05-per-dollar chart)")
    p.add_argument("--calibration", default=DEFAULT_CALIBRATION, help="calibration anchors (CSV)")
    p.add_argument("--summary", help="a batch's --summary file, for entries' statuses")
    p.add_argument("--out", help="for a batch: where the index page goes")
    return p.parse_args(argv)


def main(argv):
    try:
        args = parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else 0
    try:
        plotting = load_plotting()
        if os.path.isfile(args.target):
            page = report_batch(args.target, args, plotting)
        else:
            page = report_directory(args.target, args, plotting)
    except ReportError as e:
        print(f"chokepoint report: error: {e}", file=sys.stderr)
        return e.code
    print(f"report: wrote {page}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
