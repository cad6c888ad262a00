#!/usr/bin/env python3
"""bench-graph.py N DIR -- writes a synthetic graph of N nodes and about 2N
edges (inputs in DIR/inputs, a scenario DIR/big.ini) for timing how loading
scales: `jobs/bench.sh --graph N` times `chokepoint validate` on it.

The nodes are listed in a shuffled order, so the topological sort has work
to do; every tenth node is a split (share 0.001), with a metric of its own, and
the rest are converts with two or three inputs from earlier nodes."""
import os
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(42)
inputs = os.path.join(out, "inputs")
os.makedirs(inputs, exist_ok=True)
names = [f"n{i}" for i in range(n)]
kinds = ["supply"] + ["split" if i % 10 == 0 else "convert" for i in range(1, n)]
edges = []
for i in range(1, n):
    if kinds[i] == "split":
        edges.append((rng.randrange(i), i, "in"))
        continue
    edges.append((i - 1, i, "in"))
    j = rng.randrange(i)
    if j != i - 1:
        edges.append((j, i, "in"))
    k = rng.randrange(i)
    if k not in (i - 1, j) and rng.random() < 0.11:
        edges.append((k, i, "scale"))
order = list(range(n))
rng.shuffle(order)
with open(os.path.join(inputs, "nodes.csv"), "w") as f:
    f.write("node,kind,region,unit,description,source\n")
    for i in order:
        f.write(f"{names[i]},{kinds[i]},World,u,,synthetic\n")
rng.shuffle(edges)
with open(os.path.join(inputs, "edges.csv"), "w") as f:
    f.write("from,to,role,weight,unit,source,note\n")
    for a, b, role in edges:
        f.write(f"{names[a]},{names[b]},{role},,,synthetic,\n")
with open(os.path.join(inputs, "params.csv"), "w") as f:
    f.write("node,param,value,unit,source,source_year,note\n")
    for i in range(1, n):
        if kinds[i] == "split":
            f.write(f"{names[i]},share,0.001,,synthetic,2026,\n")
with open(os.path.join(inputs, "series.csv"), "w") as f:
    f.write("node,period,value,unit,source,source_year,note\n")
    for y in range(2026, 2036):
        for q in range(1, 5):
            f.write(f"n0,{y}Q{q},1,u,synthetic,2026,\n")
with open(os.path.join(inputs, "metrics.csv"), "w") as f:
    f.write("metric,region,node,field,unit,description,source\n")
    f.write(f"last,World,{names[n - 1]},output,u,,synthetic\n")
    for i in range(10, n, 10):  # a metric per split: many metrics load too
        f.write(f"split_{i},World,{names[i]},output,u,,synthetic\n")
with open(os.path.join(out, "big.ini"), "w") as f:
    f.write("; a synthetic graph for timing the loader (jobs/bench-graph.py)\n")
    f.write("[scenario]\nname = big\ninputs = inputs\nstart = 2026Q1\nend = 2035Q4\n")
print(f"{n} nodes, {len(edges)} edges in {inputs}")
