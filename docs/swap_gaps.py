#!/usr/bin/env python3
"""Lines up the gaps between predictions of a bench-swap run with the JVM's safepoints.

Usage:
  STREAMRANK_JAVA_OPTS="-Xmx4g -Xlog:safepoint:file=sp.log:utctime" \\
      ./streamrank bench-swap --trace trace.csv
  docs/swap_gaps.py trace.csv sp.log [MIN_GAP_MS]

Prints every gap of at least MIN_GAP_MS (default 40) between consecutive predictions (both
parallel instances together), when it happened relative to the swap, and the safepoints longer
than 2 ms that overlapped it (GC pauses are safepoints too). A gap without one was a stall of the
pipeline itself or of the machine's scheduler; the wait column (the longest wait in the scoring
operator of the predictions that ended the gap) tells the two apart: about the gap when events sat
in the operator, short when none arrived.
"""
import datetime
import re
import sys


def read_trace(path):
    swap, points = None, []
    for line in open(path):
        if line.startswith("# swap at "):
            swap = int(line.split()[-1])
        elif line[0].isdigit():
            scored, wait = line.split(",")
            points.append((int(scored), int(wait)))
    points.sort()
    return swap, points


def read_safepoints(path):
    pattern = re.compile(r"\[(\S+)\].*Safepoint \"(\w+)\".*Total: (\d+) ns")
    stops = []
    for line in open(path):
        m = pattern.match(line)
        if m:
            end = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z")
            end_ms = end.timestamp() * 1000
            stops.append((end_ms - int(m.group(3)) / 1e6, end_ms, m.group(2)))
    return stops


def main():
    swap, points = read_trace(sys.argv[1])
    stops = read_safepoints(sys.argv[2])
    min_gap = float(sys.argv[3]) if len(sys.argv) > 3 else 40
    print("since swap   gap  wait  safepoints > 2 ms inside the gap")
    count = 0
    for i in range(1, len(points)):
        start, end = points[i - 1][0], points[i][0]
        if end - start < min_gap:
            continue
        count += 1
        wait, j = 0, i
        while j < len(points) and points[j][0] == end:
            wait, j = max(wait, points[j][1]), j + 1
        inside = [s for s in stops if s[1] > start and s[0] < end and s[1] - s[0] > 2]
        names = ", ".join(f"{name} {e - b:.0f} ms" for b, e, name in inside) or "-"
        print(f"{(start - swap) / 1000:+8.2f} s {end - start:4d} {wait:5d}  {names}")
    print(f"{count} gaps of >= {min_gap:.0f} ms among {len(points)} predictions")


if __name__ == "__main__":
    main()
