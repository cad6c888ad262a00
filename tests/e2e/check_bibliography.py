"""Every bracketed source key cited in inputs/ and scenarios/ ([EPOCH-2030])
has a row in the bibliography of inputs/README.md, so a reader can find
what each number rests on.  Usage: check_bibliography.py SOURCE_DIR"""
import glob
import re
import sys

src = sys.argv[1]
readme = open(f"{src}/inputs/README.md", encoding="utf-8").read()
keys = set(re.findall(r"^\| ([A-Z0-9][A-Z0-9-]+) \|", readme, re.M))
files = glob.glob(f"{src}/inputs/*.csv") + glob.glob(f"{src}/scenarios/*.ini")
files.append(f"{src}/inputs/make_series.py")
missing = {}
for f in files:
    for k in re.findall(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]", open(f, encoding="utf-8").read()):
        if k not in keys:
            missing.setdefault(k, f)
for k, f in sorted(missing.items()):
    print(f"FAIL: [{k}] cited in {f} has no row in inputs/README.md's bibliography")
print(f"{len(keys)} bibliography keys; {len(missing)} cited keys missing")
sys.exit(1 if missing else 0)
