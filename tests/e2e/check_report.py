"""Checks of a report page, run by report.sh with Debian's /usr/bin/python3.

    check_report.py images PAGE          every image PAGE references is a PNG with a drawn chart
    check_report.py probe PAGE PROBE     writes PROBE: PAGE plus a script recording each image's
                                         naturalWidth in <body data-loaded> once the page loaded
    check_report.py loaded DOM N         the DOM Chromium dumped from PROBE: N images, all loaded
    check_report.py screenshot PNG [MIN] a screenshot of the page is not blank (at least MIN
                                         of its pixels coloured, default 0.002)
    check_report.py files PAGE MANIFEST  the page's table of input files lists every file the
                                         manifest names (each scenario's files, data files and
                                         graph inputs) with its SHA-256, each once
Exit 0 if the check passes, else 1 with the reason.
"""
import html.parser
import json
import os
import sys

import matplotlib.image

# A chart is drawn if enough of its pixels are coloured (data), not only
# black, grey and white (axes and text).
MIN_COLOURED = 0.005


class Images(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs, self.scripts, self.external = [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.srcs.append(attrs.get("src", ""))
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if "://" in attrs.get(key, ""):
                self.external.append(attrs[key])


class HashRows(html.parser.HTMLParser):
    """The (file, SHA-256) rows of the page's tables whose second cell has class hash."""

    def __init__(self):
        super().__init__()
        self.rows, self.cells, self.cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.cells = []
        if tag == "td":
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.cells.append(self.cell)
            self.cell = None
        if tag == "tr" and len(self.cells) == 2 and len(self.cells[1]) == 64:
            self.rows.append(tuple(self.cells))


def files(page, manifest):
    with open(manifest, encoding="utf-8") as f:
        m = json.load(f)
    # A comparison's scenarios list their files; a run's manifest has its own
    # "files", the files it wrote.
    keys = ("files", "inputs") if "scenarios" in m else ("scenario_files", "data_files", "inputs")
    want = {(f["path"], f["sha256"]) for g in m.get("scenarios", [m]) for key in keys
            for f in g[key]}
    p = HashRows()
    with open(page, encoding="utf-8") as f:
        p.feed(f.read())
    if len(p.rows) != len(set(p.rows)):
        return f"files listed more than once: {sorted(r for r in set(p.rows) if p.rows.count(r) > 1)}"
    if set(p.rows) != want or not want:
        return f"files on the page {sorted(p.rows)}, in the manifest {sorted(want)}"
    print(f"the page lists the {len(want)} files the manifest names, each once")
    return None


def parse(page):
    p = Images()
    with open(page, encoding="utf-8") as f:
        p.feed(f.read())
    return p


def coloured_share(path):
    rgb = matplotlib.image.imread(path)[..., :3]
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    return float((spread > 0.2).mean()), float(rgb.std())


def images(page):
    p = parse(page)
    if not p.srcs or p.scripts or p.external:
        return f"{len(p.srcs)} images, {p.scripts} scripts, external references {p.external}"
    for src in p.srcs:
        path = os.path.join(os.path.dirname(page), src)
        with open(path, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                return f"{src}: not a PNG file"
        share, sd = coloured_share(path)
        if share < MIN_COLOURED or sd == 0:
            return f"{src}: blank chart ({share:.4f} of pixels coloured)"
    print(f"{len(p.srcs)} images, all PNG charts with data drawn")
    return None


PROBE = """<script>
window.addEventListener("load", function () {
  var w = Array.prototype.map.call(document.images, function (i) { return i.complete ? i.naturalWidth : 0; });
  document.body.setAttribute("data-loaded", w.join(","));
});
</script></body>"""


def probe(page, out):
    with open(page, encoding="utf-8") as f:
        text = f.read()
    with open(out, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", PROBE))
    return None


def loaded(dom, n):
    with open(dom, encoding="utf-8") as f:
        text = f.read()
    start = text.find('data-loaded="')
    if start < 0:
        return "the page did not finish loading (no data-loaded)"
    widths = text[start + 13:text.index('"', start + 13)].split(",")
    if len(widths) != int(n) or any(int(w or 0) == 0 for w in widths):
        return f"images' natural widths in Chromium: {widths} (want {n}, none 0)"
    print(f"Chromium loaded all {n} images (widths {min(map(int, widths))}-{max(map(int, widths))} px)")
    return None


def screenshot(png, min_share="0.002"):
    share, sd = coloured_share(png)
    if share < float(min_share) or sd < 0.02:
        return f"{png}: the rendered page looks blank ({share:.4f} of pixels coloured, sd {sd:.3f})"
    print(f"screenshot: {share:.1%} of pixels coloured")
    return None


if __name__ == "__main__":
    checks = {"images": images, "probe": probe, "loaded": loaded, "screenshot": screenshot,
              "files": files}
    problem = checks[sys.argv[1]](*sys.argv[2:])
    if problem:
        print(f"check_report {sys.argv[1]}: {problem}", file=sys.stderr)
    sys.exit(1 if problem else 0)
