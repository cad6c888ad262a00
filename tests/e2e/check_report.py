"""Checks of a report page, run by report.sh with Debian's /usr/bin/python3.

    check_report.py images PAGE          every image PAGE references is a PNG with a drawn chart
    check_report.py probe PAGE PROBE     writes PROBE: PAGE plus a script recording each image's
                                         naturalWidth in <body data-loaded> once the page loaded
    check_report.py loaded DOM N         the DOM Chromium dumped from PROBE: N images, all loaded
    check_report.py screenshot PNG [MIN] a screenshot of the page is not blank (at least MIN
                                         of its pixels coloured, default 0.002)
Exit 0 if the check passes, else 1 with the reason.
"""
import html.parser
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
    checks = {"images": images, "probe": probe, "loaded": loaded, "screenshot": screenshot}
    problem = checks[sys.argv[1]](*sys.argv[2:])
    if problem:
        print(f"check_report {sys.argv[1]}: {problem}", file=sys.stderr)
    sys.exit(1 if problem else 0)
