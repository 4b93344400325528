#!/usr/bin/env python3
"""Side-by-side summary of bench/regress22.sh's runs: for every markdown table row of every
benchmark, each run's figure for BEFORE and AFTER, their medians, and AFTER's change.

    bench/regress22-summary.py DIR      (DIR holds BENCH-SIDE-ROUND.md and .load files)
"""
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

NUMBER = re.compile(r"^\s*\*{0,2}([0-9][0-9,]*(?:\.[0-9]+)?)\s*(KiB|MiB|ms|µs|us|s|B|%)?\*{0,2}\s*$")


def rows(text):
    """Yields (label, header, value) for every numeric cell of every table row."""
    header, previous = [], []
    for line in text.splitlines():
        if not line.startswith("|"):
            previous = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(line) <= set("|-: "):
            header = previous  # the row above a |---| line names the columns
            continue
        previous = cells
        values = [NUMBER.match(c) for c in cells]
        if not any(values):
            continue
        label = " / ".join(c for c, v in zip(cells, values) if not v)
        for i, (cell, v) in enumerate(zip(cells, values)):
            if v:
                column = header[i] if i < len(header) else str(i)
                yield label, column + (" " + v.group(2) if v.group(2) else ""), \
                    float(v.group(1).replace(",", ""))
    # bench/idle-sessions.sh also prints the server's heap in bytes: per session to the byte.
    heap = re.search(r"Server heap after GC: (\d+) bytes with (\d+) warm-up sessions, (\d+) with all",
                     text)
    sessions = re.search(r"\| (\d+) idle sessions, server in its own JVM", text)
    if heap and sessions:
        yield "server heap per idle session, exact", "bytes", \
            (int(heap.group(3)) - int(heap.group(1))) / int(sessions.group(1))


def main(directory):
    runs = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))  # bench/key/side -> values
    loads = defaultdict(list)
    for md in sorted(Path(directory).glob("*-*-*.md")):
        bench, side, _round = md.stem.rsplit("-", 2)
        for label, column, value in rows(md.read_text()):
            runs[bench][(label, column)][side].append(value)
        load = md.with_suffix(".load")
        if load.exists():
            averages = re.findall(r"load average: ([0-9.]+)", load.read_text())
            loads[bench].append(f"{side}{_round} {'/'.join(averages)}")
    for bench, keys in runs.items():
        print(f"\n## {bench}   (1-min load before/after each run: {'; '.join(loads[bench])})\n")
        print("| row | column | BEFORE runs | BEFORE median | AFTER runs | AFTER median | change |")
        print("| --- | --- | --- | ---: | --- | ---: | ---: |")
        for (label, column), sides in keys.items():
            b, a = sides.get("before", []), sides.get("after", [])
            mb = statistics.median(b) if b else float("nan")
            ma = statistics.median(a) if a else float("nan")
            change = f"{(ma - mb) / mb * 100:+.0f}%" if b and a and mb else ""
            print(f"| {label} | {column} | {', '.join(f'{v:g}' for v in b)} | {mb:g} "
                  f"| {', '.join(f'{v:g}' for v in a)} | {ma:g} | {change} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/regress22")
