"""Checks of events in samples.csv (long form), for tests/e2e/events.sh.

  check_events.py once SAMPLES N EVENT...   each event is under way in one
      unbroken stretch at most in every one of the N kept paths, and (for an
      event with no lasting loss) its loss returns to zero after it
  check_events.py dated SAMPLES N EVENT FIRST LAST SHARE   the event's loss
      is SHARE in quarters FIRST..LAST and zero in every other quarter of
      every path

Prints one line saying what it saw; exits 1 when a check fails.
"""
import sys

import pandas as pd


_read = {}


def event_rows(samples):
    """The event rows of samples.csv, read once however many events ask."""
    if samples not in _read:
        d = pd.read_csv(samples, usecols=["sample", "metric", "period", "value"])
        _read[samples] = d[d["metric"].str.startswith("event_")]
    return _read[samples]


def paths(samples, n, event):
    d = event_rows(samples)
    d = d[d["metric"] == "event_" + event]
    if d.empty:
        sys.exit(f"no rows for event_{event} in {samples}")
    wide = d.pivot(index="sample", columns="period", values="value").sort_index(axis=1)
    if len(wide) != n:
        sys.exit(f"event_{event}: {len(wide)} paths kept, want {n}")
    return wide


def stretches(row):
    """How many times the loss rises from zero (or starts above zero)."""
    count, before = 0, 0.0
    for v in row:
        if v > 0 and before == 0:
            count += 1
        before = v
    return count


def once(samples, n, events):
    said = []
    for ev in events:
        wide = paths(samples, n, ev)
        counts = wide.apply(lambda r: stretches(r.values), axis=1)
        if (counts > 1).any():
            s = counts[counts > 1].index[0]
            sys.exit(f"event {ev}: path {s} has {counts[s]} onsets: {list(wide.loc[s].values)}")
        said.append(f"{ev} under way in {int((counts == 1).sum())} of {n} paths, never twice")
    print("; ".join(said))


def dated(samples, n, event, first, last, share):
    wide = paths(samples, n, event)
    inside = [p for p in wide.columns if first <= p <= last]
    outside = [p for p in wide.columns if not first <= p <= last]
    if not inside:
        sys.exit(f"no quarters between {first} and {last}")
    if not (wide[inside] == share).all().all():
        sys.exit(f"event {event}: loss in {first}..{last} is not {share} in every path")
    if (wide[outside] != 0).any().any():
        bad = wide[outside].max()
        sys.exit(f"event {event}: loss outside {first}..{last}: {bad[bad != 0].to_dict()}")
    print(f"{event} takes {share} in {first}..{last} in all {n} paths and nothing in the "
          f"{len(outside)} other quarters")


def main(argv):
    if len(argv) >= 4 and argv[0] == "once":
        once(argv[1], int(argv[2]), argv[3:])
    elif len(argv) == 7 and argv[0] == "dated":
        dated(argv[1], int(argv[2]), argv[3], argv[4], argv[5], float(argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
