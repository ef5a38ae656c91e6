#!/usr/bin/env python3
"""tools/fit_scaling.py on a made-up study whose every number is known: the held-out ratio L,
the paired change since iteration 0, the training chips' last-over-first ratio, and the two
axes (wall-clock minutes, iterations). Standard library only."""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIT = os.path.join(ROOT, "tools", "fit_scaling.py")

# Held-out chips A and B, greedy placer 2.0 and 1.0. Each row: iteration, seconds, the training
# chips' greedy proxies, A's and B's.
RUNS = {
    "pre_N1_s1": [(0, 5, [1.0], 2.0, 1.0), (10, 60, [0.9], 1.8, 1.0), (20, 120, [0.8], 1.6, 1.1)],
    "pre_N1_s2": [(0, 5, [1.0], 2.0, 1.0), (10, 60, [0.95], 2.0, 0.9), (20, 120, [0.9], 2.0, 0.8)],
    "pre_N4_s1": [(0, 5, [1.0, 2.0, 1.0, 1.0], 2.0, 1.0), (10, 90, [1.0, 2.0, 1.0, 1.0], 2.2, 1.0),
                  (20, 180, [0.5, 1.0, 1.0, 1.0], 2.0, 0.9)],
}


def write_study(out):
    with open(os.path.join(out, "baselines.csv"), "w") as f:
        f.write("chip,method,proxy\nA,greedy,2.0\nA,sa,1.5\nB,greedy,1.0\nB,sa,0.8\n")
    for run, rows in RUNS.items():
        os.makedirs(os.path.join(out, run))
        chips = len(rows[0][2])
        with open(os.path.join(out, run, "metrics.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["iteration", "elapsed_s"] + [f"chip_{k:04d}/greedy_proxy" for k in range(chips)]
                       + ["eval:A/greedy_proxy", "eval:B/greedy_proxy"])
            for it, sec, train, a, b in rows:
                w.writerow([it, sec] + train + [a, b])


def fit(out, *args):
    return subprocess.run([sys.executable, FIT, out, *args], check=True, capture_output=True, text=True).stdout


def row(text, first_cell, after):
    """The table row starting with `first_cell` in the first table after the line containing `after`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(line for line in lines[start:] if line.startswith(f"| {first_cell} |"))


class FitScaling(unittest.TestCase):
    def test_by_iterations(self):
        with tempfile.TemporaryDirectory() as out:
            write_study(out)
            text = fit(out, "20", "--iterations")
            # N=1 at 20 iterations: seed 1 (1.6/2 + 1.1/1)/2 = 0.95, seed 2 (2/2 + 0.8/1)/2 = 0.9;
            # at 10 iterations 0.95 and 0.95; at 5, the iteration-0 rows (1.0).
            self.assertEqual(row(text, 1, "L at 5 iterations"),
                             "| 1 | 1.0000 +- 0.0000 | 0.9500 +- 0.0000 | 0.9250 +- 0.0354 | 20-20 | 2 |")
            # N=4 at 10 iterations: (2.2/2 + 1)/2 = 1.05; at 20: (1 + 0.9)/2 = 0.95.
            self.assertEqual(row(text, 4, "L at 5 iterations"),
                             "| 4 | 1.0000 +- 0.0000 | 1.0500 +- 0.0000 | 0.9500 +- 0.0000 | 20-20 | 1 |")
            self.assertEqual(row(text, 4, "Change of L"), "| 4 | +0.0000 +- 0.0000 | +0.0500 +- 0.0000 | -0.0500 +- 0.0000 |")
            # Training chips, last over first: N=1 0.8 and 0.9; N=4 (0.5 + 0.5 + 1 + 1)/4 = 0.75.
            self.assertEqual(row(text, 1, "Training chips"), "| 1 | 0.850 | 0.800, 0.900 |")
            self.assertEqual(row(text, 4, "Training chips"), "| 4 | 0.750 | 0.750 |")
            self.assertIn("over iterations C", text)
            for svg in ("scaling_n.svg", "scaling_compute.svg"):
                self.assertTrue(os.path.getsize(os.path.join(out, svg)) > 0)

    def test_by_minutes(self):
        with tempfile.TemporaryDirectory() as out:
            write_study(out)
            text = fit(out, "2")
            # At 1 minute N=1 stands at its 60 s rows (0.95 both), N=4 still at iteration 0 (its
            # first evaluation after it is at 90 s); at 2 minutes N=4 at its 90 s row (1.05).
            self.assertEqual(row(text, 1, "L at 0.5 min"),
                             "| 1 | 1.0000 +- 0.0000 | 0.9500 +- 0.0000 | 0.9250 +- 0.0354 | 20-20 | 2 |")
            self.assertEqual(row(text, 4, "L at 0.5 min"),
                             "| 4 | 1.0000 +- 0.0000 | 1.0000 +- 0.0000 | 1.0500 +- 0.0000 | 20-20 | 1 |")
            self.assertIn("over wall-clock minutes C", text)


if __name__ == "__main__":
    unittest.main()
