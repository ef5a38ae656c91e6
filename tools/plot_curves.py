#!/usr/bin/env python3
"""Line charts of training metrics (metrics.csv of `rlplace train`) as SVG, without plotting
libraries, for the curves in docs/.

  plot_curves.py OUT.svg --title T [--x elapsed_min|iteration] [--relative] [--hline LABEL=VALUE ...]
                 SERIES ...      (SERIES = LABEL=FILE.csv:COLUMN)
"""
import argparse
import csv
import math
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]


def load(spec, x_kind, relative):
    label, rest = spec.split("=", 1)
    path, column = rest.split(".csv:", 1)
    path += ".csv"
    points = []
    with open(path) as f:
        for row in csv.DictReader(f):
            if not row.get(column):
                continue
            x = float(row["elapsed_s"]) / 60 if x_kind == "elapsed_min" else float(row["iteration"])
            points.append((x, float(row[column])))
    if relative and points:
        first = points[0][1]
        points = [(x, y / first) for x, y in points]
    return label, points


def ticks(lo, hi, n=6):
    step = 10 ** math.floor(math.log10((hi - lo) / n or 1))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-12:
        out.append(round(t, 10))
        t += step
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("series", nargs="+")
    ap.add_argument("--title", default="")
    ap.add_argument("--x", default="elapsed_min", choices=["elapsed_min", "iteration"])
    ap.add_argument("--ylabel", default="proxy cost")
    ap.add_argument("--relative", action="store_true", help="divide each series by its first value")
    ap.add_argument("--hline", action="append", default=[], help="LABEL=VALUE reference line")
    a = ap.parse_args()
    series = [load(s, a.x, a.relative) for s in a.series]
    hlines = [(h.split("=", 1)[0], float(h.split("=", 1)[1])) for h in a.hline]
    xs = [x for _, p in series for x, _ in p]
    ys = [y for _, p in series for _, y in p] + [v for _, v in hlines]
    if not xs:
        sys.exit("no data")
    x0, x1 = min(0.0, min(xs)), max(xs)  # time and iterations start at 0
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.05 or 0.05
    y0, y1 = y0 - pad, y1 + pad
    W, H, L, R, T, B = 760, 440, 70, 200, 40, 50
    pw, ph = W - L - R, H - T - B
    X = lambda x: L + (x - x0) / ((x1 - x0) or 1) * pw
    Y = lambda y: T + (y1 - y) / ((y1 - y0) or 1) * ph
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{L + pw / 2}" y="22" text-anchor="middle" font-size="14">{a.title}</text>']
    for t in ticks(x0, x1):
        s.append(f'<line x1="{X(t):.1f}" y1="{T}" x2="{X(t):.1f}" y2="{T + ph}" stroke="#eee"/>')
        s.append(f'<text x="{X(t):.1f}" y="{T + ph + 16}" text-anchor="middle">{t:g}</text>')
    for t in ticks(y0, y1):
        s.append(f'<line x1="{L}" y1="{Y(t):.1f}" x2="{L + pw}" y2="{Y(t):.1f}" stroke="#eee"/>')
        s.append(f'<text x="{L - 6}" y="{Y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    s.append(f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="black"/>')
    xl = "wall-clock minutes" if a.x == "elapsed_min" else "iteration"
    s.append(f'<text x="{L + pw / 2}" y="{H - 10}" text-anchor="middle">{xl}</text>')
    s.append(f'<text transform="translate(16,{T + ph / 2}) rotate(-90)" text-anchor="middle">{a.ylabel}</text>')
    legend_y = T + 10
    for i, (label, v) in enumerate(hlines):
        c = "#555"
        s.append(f'<line x1="{L}" y1="{Y(v):.1f}" x2="{L + pw}" y2="{Y(v):.1f}" stroke="{c}" stroke-dasharray="5,4"/>')
        s.append(f'<text x="{L + pw + 8}" y="{Y(v) + 4:.1f}" fill="{c}">{label} {v:.3f}</text>')
    for i, (label, pts) in enumerate(series):
        c = COLOURS[i % len(COLOURS)]
        d = " ".join(f"{'M' if k == 0 else 'L'}{X(x):.1f},{Y(y):.1f}" for k, (x, y) in enumerate(pts))
        s.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="1.8"/>')
        s.append(f'<rect x="{L + pw + 8}" y="{legend_y + 18 * i - 9}" width="12" height="3" fill="{c}"/>')
        s.append(f'<text x="{L + pw + 24}" y="{legend_y + 18 * i - 4}">{label}</text>')
    s.append("</svg>")
    with open(a.out, "w") as f:
        f.write("\n".join(s) + "\n")


if __name__ == "__main__":
    main()
