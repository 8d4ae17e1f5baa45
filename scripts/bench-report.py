#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise out/bench/results.csv: medians per (kernel, N, phase), a
markdown table with ratios, a JSON copy, and a gnuplot plot of time
against N for both kernels."""
import csv
import json
import statistics
import subprocess
import sys
from collections import defaultdict

src, outdir = sys.argv[1], sys.argv[2]
runs = defaultdict(list)
for row in csv.DictReader(open(src)):
    runs[(row["kernel"], int(row["n"]), row["phase"])].append(float(row["ms"]))
med = {k: statistics.median(v) for k, v in runs.items()}
ns = sorted({n for _, n, _ in med})
order = ["session-create", "preserve-one", "preserve-null", "unpreserve-null", "preserve-spread", "kernel-serialized",
         "blackout-userspace", "open-device", "kernel-deserialized",
         "session-retrieve", "retrieve-one", "retrieve-spread",
         "blackout-data", "finish", "memfd-create", "debugfs-dump",
         "bytes-per-session", "bytes-per-file"]
phases = [p for p in order if any(p == ph for _, _, ph in med)]
phases += sorted({ph for _, _, ph in med} - set(phases))

# bytes-per-* phases are kernel memory in bytes; every other phase is ms.
lines = ["| phase | N | reference | ours | ref/ours |", "|---|---:|---:|---:|---:|"]
for ph in phases:
    for n in ns:
        r, o = med.get(("ref", n, ph)), med.get(("ours", n, ph))
        if r is None and o is None:
            continue
        ratio = f"{r / o:.1f}x" if r and o else "-"
        fmt = lambda v: f"{v:.1f}" if v is not None else "-"
        lines.append(f"| {ph} | {n} | {fmt(r)} | {fmt(o)} | {ratio} |")
table = "\n".join(lines)
open(f"{outdir}/summary.md", "w").write(table + "\n")
json.dump([{"kernel": k, "n": n, "phase": p, "median_ms": v, "runs": runs[(k, n, p)]}
           for (k, n, p), v in sorted(med.items())], open(f"{outdir}/results.json", "w"), indent=1)
print(table)

plotted = [p for p in ["session-create", "session-retrieve", "preserve-one",
                       "retrieve-one", "blackout-data"] if p in phases]
for p in plotted:
    with open(f"{outdir}/plot-{p}.dat", "w") as f:
        for n in ns:
            f.write(f"{n} {med.get(('ref', n, p), 'NaN')} {med.get(('ours', n, p), 'NaN')}\n")
gp = [f"set terminal pngcairo size 1400,900", f"set output '{outdir}/bench.png'",
      "set logscale xy", "set xlabel 'N'", "set ylabel 'ms'", "set key top left",
      "set grid", f"set multiplot layout 2,3 title 'LUO: reference vs ours (QEMU TCG, 2 vCPUs, medians)'"]
for p in plotted:
    gp += [f"set title '{p}'",
           f"plot '{outdir}/plot-{p}.dat' using 1:2 with linespoints title 'reference', "
           f"'' using 1:3 with linespoints title 'ours'"]
gp.append("unset multiplot")
try:
    subprocess.run(["gnuplot"], input="\n".join(gp), text=True, check=True)
    print(f"plot: {outdir}/bench.png")
except (OSError, subprocess.CalledProcessError) as e:
    print(f"gnuplot failed: {e}", file=sys.stderr)
