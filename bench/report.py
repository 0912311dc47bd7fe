#!/usr/bin/env python3
"""Turns bench/run.sh's results.tsv into the Markdown tables of bench/RESULTS.md.

usage: report.py RESULTS_TSV
"""

import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rows = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            name, size, jobs, wall, rss, size_bytes = line.rstrip("\n").split("\t")
            rows.append((name, int(size), int(jobs), float(wall), int(rss), int(size_bytes)))
    by = {(n, s, j): (w, r, b) for n, s, j, w, r, b in rows}

    print("| tool | letters | jobs | wall (s) | letters/s | MB/s | peak memory (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n, s, j, w, r, b in rows:
        w = max(w, 0.01)
        print(f"| {n} | {s:,} | {j} | {w:.2f} | {s / w:,.0f} | {b / 1e6 / w:.1f} | {r / 1024:.1f} |")

    print()
    print("| letters | jobs | imrlint vs Semgrep (speed, ×) | imrlint vs ripgrep (time, ×) |")
    print("|---:|---:|---:|---:|")
    for n, s, j, w, r, b in rows:
        if n != "imrlint":
            continue
        semgrep = by.get(("semgrep", s, j))
        ripgrep = by.get(("ripgrep", s, j))
        vs_semgrep = f"{semgrep[0] / max(w, 0.01):.1f}" if semgrep else "not run"
        vs_ripgrep = f"{w / max(ripgrep[0], 0.01):.1f}" if ripgrep else "not run"
        print(f"| {s:,} | {j} | {vs_semgrep} | {vs_ripgrep} |")

    sizes = sorted({s for n, s, j, *_ in rows if n == "imrlint"})
    if len(sizes) >= 2:
        print()
        small, large = sizes[-2], sizes[-1]
        for j in sorted({j for n, s, j, *_ in rows if n == "imrlint"}):
            a, c = by.get(("imrlint", small, j)), by.get(("imrlint", large, j))
            if a and c:
                growth = (c[1] - a[1]) / a[1] * 100
                print(f"Peak memory from {small:,} to {large:,} letters with {j} job(s): "
                      f"{a[1] / 1024:.1f} MB to {c[1] / 1024:.1f} MB ({growth:+.1f}%).  ")


if __name__ == "__main__":
    main()
