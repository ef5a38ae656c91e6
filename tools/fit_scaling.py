#!/usr/bin/env python3
"""Tables, fits and pictures of a scaling study run by tools/scaling_study.sh (docs/scaling.md).

  fit_scaling.py OUT MINUTES > OUT/scaling.md
  fit_scaling.py OUT ITERATIONS --iterations > OUT/scaling.md   (runs stopped at an iteration count)

The quality of a policy on the held-out chips is L: the mean, over the held-out chips, of its
greedy placement's proxy cost divided by the greedy placer's on the same chip (below 1: the
policy places better than the greedy placer). L(N) = L_inf + a * N^-alpha is fitted to the
seed means by least squares (alpha on a grid, L_inf and a exact for each alpha); the same form
in compute (minutes, or iterations with --iterations) for each N. Standard library only: the
study runs where numpy is not.
Writes OUT/scaling_n.svg and OUT/scaling_compute.svg beside it.
"""
import csv
import glob
import math
import os
import re
import statistics
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def column_for(row, chip, field):
    for key in row:
        # Held-out netlists' columns are "eval:LABEL/...", labels made unique with a "PARENT-" prefix.
        if key in (f"{chip}/{field}", f"eval:{chip}/{field}") or key.endswith(f"-{chip}/{field}"):
            return key
    return None


def load_baselines(out):
    base = {}
    for r in read_rows(os.path.join(out, "baselines.csv")):
        base.setdefault(r["chip"], {})[r["method"]] = float(r["proxy"])
    return base


def held_out_curve(rows, chips, greedy, by_iterations=False):
    """(elapsed minutes or iteration, L, per-chip ratios) for every row that evaluated every held-out chip."""
    points = []
    for r in rows:
        ratios = {}
        for c in chips:
            key = column_for(r, c, "greedy_proxy")
            if key is None or not r.get(key):
                break
            ratios[c] = float(r[key]) / greedy[c]
        else:
            x = float(r["iteration"]) if by_iterations else float(r["elapsed_s"]) / 60
            points.append((x, sum(ratios.values()) / len(ratios), ratios))
    return points


def training_chips_learned(rows):
    """The policy's greedy proxy on its own training chips, last evaluation over first, averaged
    over the chips: below 1, the run learned the chips it trained on."""
    keys = [k for k in rows[0] if k.endswith("/greedy_proxy") and not k.startswith("eval:")] if rows else []
    ratios = []
    for k in keys:
        vals = [float(r[k]) for r in rows if r.get(k)]
        if len(vals) >= 2 and vals[0] > 0:
            ratios.append(vals[-1] / vals[0])
    return statistics.fmean(ratios) if ratios else None


def at_budget(points, minutes):
    """The policy as it stood at `minutes` (or iterations): the last evaluation no later than that."""
    before = [p for p in points if p[0] <= minutes + 1e-9]
    return before[-1] if before else None


def fit_power_law(xs, ys):
    """L_inf, a, alpha, rms of y = L_inf + a x^-alpha; None with fewer than 3 distinct x."""
    if len(set(xs)) < 3:
        return None
    best = None
    for k in range(1, 400):
        alpha = k * 0.01
        z = [x ** -alpha for x in xs]
        mz, my = statistics.fmean(z), statistics.fmean(ys)
        szz = sum((a - mz) ** 2 for a in z)
        if szz == 0:
            continue
        a = sum((zi - mz) * (yi - my) for zi, yi in zip(z, ys)) / szz
        l_inf = my - a * mz
        rms = math.sqrt(statistics.fmean([(l_inf + a * zi - yi) ** 2 for zi, yi in zip(z, ys)]))
        if best is None or rms < best[3]:
            best = (l_inf, a, alpha, rms)
    return best


def mean_sd(values):
    if not values:
        return float("nan"), float("nan")
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def svg_plot(path, title, xlabel, series, log_x=True, hline=None):
    """series: [(label, [(x, mean, sd)])]; log-x line chart with error bars."""
    w, h, left, right, top, bottom = 640, 400, 70, 170, 40, 50
    pts = [p for _, s in series for p in s]
    if not pts:
        return
    fx = (lambda v: math.log2(v)) if log_x else (lambda v: v)
    xs = [fx(p[0]) for p in pts]
    lows = [p[1] - p[2] for p in pts] + ([hline[1]] if hline else [])
    highs = [p[1] + p[2] for p in pts] + ([hline[1]] if hline else [])
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(lows), max(highs)
    if x1 == x0:
        x1 = x0 + 1
    pad = (y1 - y0) * 0.08 or 0.01
    y0, y1 = y0 - pad, y1 + pad
    sx = lambda v: left + (fx(v) - x0) / (x1 - x0) * (w - left - right)
    sy = lambda v: top + (y1 - v) / (y1 - y0) * (h - top - bottom)
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>',
         f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
         f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
         f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
         f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">{xlabel}</text>']
    for i in range(6):
        v = y0 + (y1 - y0) * i / 5
        o.append(f'<text x="{left - 6}" y="{sy(v) + 4}" text-anchor="end">{v:.3f}</text>')
    for v in sorted({p[0] for p in pts}):
        o.append(f'<text x="{sx(v)}" y="{h - bottom + 16}" text-anchor="middle">{v:g}</text>')
    if hline:
        o.append(f'<line x1="{left}" y1="{sy(hline[1])}" x2="{w - right}" y2="{sy(hline[1])}" stroke="#888" stroke-dasharray="4 3"/>')
        o.append(f'<text x="{w - right + 6}" y="{sy(hline[1]) + 4}" fill="#555">{hline[0]}</text>')
    for k, (label, s) in enumerate(series):
        col = COLOURS[k % len(COLOURS)]
        s = sorted(s)
        o.append('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
            col, " ".join(f"{sx(x):.1f},{sy(m):.1f}" for x, m, _ in s)))
        for x, m, sd in s:
            o.append(f'<line x1="{sx(x):.1f}" y1="{sy(m - sd):.1f}" x2="{sx(x):.1f}" y2="{sy(m + sd):.1f}" stroke="{col}"/>')
            o.append(f'<circle cx="{sx(x):.1f}" cy="{sy(m):.1f}" r="3" fill="{col}"/>')
        o.append(f'<text x="{w - right + 6}" y="{top + 16 * (k + 1)}" fill="{col}">{label}</text>')
    o.append("</svg>")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(o) + "\n")
    os.replace(tmp, path)


def main():
    out, minutes = sys.argv[1], float(sys.argv[2])
    by_iterations = "--iterations" in sys.argv[3:]
    # The compute axis: budgets and pictures in iterations or in wall-clock minutes.
    axis = "iterations" if by_iterations else "minutes"
    unit = axis if by_iterations else "min"
    base = load_baselines(out)
    chips = sorted(base)
    greedy = {c: base[c]["greedy"] for c in chips}
    runs = {}  # N -> seed -> points
    iterations = {}  # N -> seed -> the run's last iteration (held-out chips may be evaluated less often)
    learned = {}  # N -> seed -> training chips, last greedy proxy over first
    for d in glob.glob(os.path.join(out, "pre_N*_s*")):
        m = re.fullmatch(r"pre_N(\d+)_s(\d+)", os.path.basename(d))
        if m and os.path.isfile(os.path.join(d, "metrics.csv")):
            rows = read_rows(os.path.join(d, "metrics.csv"))
            runs.setdefault(int(m[1]), {})[int(m[2])] = held_out_curve(rows, chips, greedy, by_iterations)
            learned.setdefault(int(m[1]), {})[int(m[2])] = training_chips_learned(rows)
            iterations.setdefault(int(m[1]), {})[int(m[2])] = int(rows[-1]["iteration"]) if rows else 0
    ns = sorted(runs)
    budgets = [minutes / 4, minutes / 2, minutes]
    p = print
    p(f"Held-out chips: {', '.join(chips)}. L = mean over them of (policy's greedy proxy / greedy placer's proxy); "
      f"below 1 beats the greedy placer. Mean +- standard deviation over seeds.\n")
    p("| N | " + " | ".join(f"L at {b:g} {unit}" for b in budgets) + " | iterations | seeds |")
    p("|---|" + "---|" * (len(budgets) + 2))
    by_budget = {b: [] for b in budgets}
    for n in ns:
        cells = []
        for b in budgets:
            vals = [pt[1] for pt in (at_budget(runs[n][s], b) for s in runs[n]) if pt]
            mu, sd = mean_sd(vals)
            if vals:
                by_budget[b].append((n, mu, sd))
            cells.append(f"{mu:.4f} +- {sd:.4f}")
        iters = [iterations[n][s] for s in runs[n]]
        p(f"| {n} | " + " | ".join(cells) + f" | {min(iters)}-{max(iters)} | {len(runs[n])} |")
    # Runs of one seed start from the same weights whatever N, so the change since iteration 0
    # is a paired measure: the initial weights' luck, which dominates L early on, cancels.
    p("\nChange of L since the run's own iteration 0 (the same initial weights for every N of a seed; "
      "negative: training improved the held-out chips):\n")
    p("| N | " + " | ".join(f"at {b:g} {unit}" for b in budgets) + " |")
    p("|---|" + "---|" * len(budgets))
    for n in ns:
        cells = []
        for b in budgets:
            vals = [pt[1] - runs[n][s][0][1] for s in runs[n] for pt in [at_budget(runs[n][s], b)] if pt and runs[n][s]]
            mu, sd = mean_sd(vals)
            cells.append(f"{mu:+.4f} +- {sd:.4f}")
        p(f"| {n} | " + " | ".join(cells) + " |")
    p("\nFits of L(N) = L_inf + a N^-alpha to the seed means (rms: the fit's error):\n")
    p("| budget | L_inf | a | alpha | rms | verdict |")
    p("|---|---|---|---|---|---|")
    for b in budgets:
        f = fit_power_law([n for n, _, _ in by_budget[b]], [m for _, m, _ in by_budget[b]])
        if f is None:
            p(f"| {b:g} {unit} | too few N to fit | | | | |")
            continue
        l_inf, a, alpha, rms = f
        # A trend smaller than the seeds' own spread is no trend: say so rather than extrapolate.
        n_lo, n_hi = min(ns), max(ns)
        gain = a * (n_lo ** -alpha - n_hi ** -alpha)
        spread = statistics.fmean([sd for _, _, sd in by_budget[b]])
        if abs(gain) < spread:
            verdict = f"no measurable trend: the fitted change from N={n_lo} to {n_hi} ({-gain:+.4f}) is within the seeds' spread ({spread:.4f})"
        else:
            sat = next((n for n in (2 ** k for k in range(0, 21)) if abs(a) * (n ** -alpha - (2 * n) ** -alpha) < max(rms, 1e-4)), None)
            # With alpha near 0 the fit is nearly linear in log N and never flattens within 2^20.
            flat = f"doubling gains less than the fit's rms beyond N = {sat}" if sat else "no saturation within N = 2^20"
            verdict = f"{'improves' if gain > 0 else 'worsens'} with N by {abs(gain):.4f} from N={n_lo} to {n_hi}; {flat}"
        p(f"| {b:g} {unit} | {l_inf:.4f} | {a:.4f} | {alpha:.2f} | {rms:.4f} | {verdict} |")
    p("\nPer held-out chip at the full budget (ratio to the greedy placer, mean over seeds):\n")
    p("| chip | greedy placer (proxy) | sa / greedy | " + " | ".join(f"N={n}" for n in ns) + " |")
    p("|---|---|---|" + "---|" * len(ns))
    for c in chips:
        cells = []
        for n in ns:
            vals = [pt[2][c] for pt in (at_budget(runs[n][s], minutes) for s in runs[n]) if pt]
            cells.append(f"{mean_sd(vals)[0]:.4f}")
        sa = base[c].get("sa", float("nan")) / greedy[c]
        p(f"| {c} | {greedy[c]:.4f} | {sa:.4f} | " + " | ".join(cells) + " |")
    p("\nTraining chips, the policy's greedy proxy at the last evaluation over the first (mean over the run's chips; "
      "below 1: the run learned the chips it trained on), per seed:\n")
    p("| N | mean | seeds |")
    p("|---|---|---|")
    for n in ns:
        vals = [learned[n][s] for s in sorted(learned[n]) if learned[n][s] is not None]
        if vals:
            p(f"| {n} | {mean_sd(vals)[0]:.3f} | " + ", ".join(f"{v:.3f}" for v in vals) + " |")
        else:
            p(f"| {n} | (one evaluation) | |")
    # Compute scaling: every evaluation of every run, binned along the axis.
    what = "iterations" if by_iterations else "wall-clock minutes"
    p(f"\nFits of L(C) = L_inf + a C^-alpha over {what} C, per N (all evaluations of all seeds):\n")
    p("| N | L_inf | a | alpha | rms | verdict |")
    p("|---|---|---|---|---|---|")
    compute_series = []
    for n in ns:
        pts = [(t, l) for s in runs[n] for t, l, _ in runs[n][s] if t > 0]
        f = fit_power_law([t for t, _ in pts], [l for _, l in pts])
        binned = []
        for b in [minutes * k / 8 for k in range(1, 9)]:
            vals = [pt[1] for pt in (at_budget(runs[n][s], b) for s in runs[n]) if pt]
            if vals:
                binned.append((b, *mean_sd(vals)))
        compute_series.append((f"N={n}", binned))
        if not f:
            p(f"| {n} | too few points | | | | |")
            continue
        t_lo, t_hi = min(t for t, _ in pts), max(t for t, _ in pts)
        change = f[1] * (t_hi ** -f[2] - t_lo ** -f[2])
        spread = statistics.fmean([sd for _, _, sd in binned]) if binned else 0.0
        verdict = (f"no measurable trend (fitted change {change:+.4f} within the seeds' spread {spread:.4f})"
                   if abs(change) < spread else f"{'improves' if change < 0 else 'worsens'} by {abs(change):.4f} over the run")
        p(f"| {n} | {f[0]:.4f} | {f[1]:.4f} | {f[2]:.2f} | {f[3]:.4f} | {verdict} |")
    svg_plot(os.path.join(out, "scaling_n.svg"), "Held-out quality against training chips", "training chips N (log scale)",
             [(f"{b:g} {unit}", by_budget[b]) for b in budgets], hline=("greedy placer", 1.0))
    svg_plot(os.path.join(out, "scaling_compute.svg"), "Held-out quality against pretraining " + ("iterations" if by_iterations else "time"),
             f"{axis} (log scale)", compute_series, hline=("greedy placer", 1.0))
    fine_tuning(out, chips, base)


def fine_tuning(out, chips, base):
    table = {}  # (chip, from) -> [(final best, minutes to sa)]
    for d in glob.glob(os.path.join(out, "ft_*_s*_*")):
        m = re.fullmatch(r"ft_(scratch|\d+)_s(\d+)_(.+)", os.path.basename(d))
        path = os.path.join(d, "metrics.csv")
        if not m or not os.path.isfile(path):
            continue
        chip = m[3]
        rows = read_rows(path)
        key = column_for(rows[0], chip, "best_so_far") if rows else None
        if key is None:
            continue
        best = [(float(r["elapsed_s"]) / 60, float(r[key])) for r in rows if r.get(key)]
        if not best:
            continue
        sa = base[chip].get("sa", float("-inf"))
        reach = next((t for t, v in best if v <= sa), None)
        table.setdefault((chip, m[1]), []).append((best[-1][1], reach))
    if not table:
        return
    froms = sorted({f for _, f in table}, key=lambda f: (f != "scratch", int(f) if f.isdigit() else 0))
    print("\nFine-tuning on each held-out chip alone (best proxy at the end, mean over seeds; in brackets the seeds that "
          "reached `sa`'s quality and their mean minutes to it):\n")
    print("| chip | sa | " + " | ".join("scratch" if f == "scratch" else f"from N={f}" for f in froms) + " |")
    print("|---|---|" + "---|" * len(froms))
    for c in chips:
        cells = []
        for f in froms:
            v = table.get((c, f), [])
            if not v:
                cells.append("")
                continue
            reached = [r for _, r in v if r is not None]
            tail = f" ({len(reached)}/{len(v)}, {statistics.fmean(reached):.1f} min)" if reached else f" (0/{len(v)})"
            cells.append(f"{statistics.fmean([b for b, _ in v]):.4f}{tail}")
        print(f"| {c} | {base[c].get('sa', float('nan')):.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
