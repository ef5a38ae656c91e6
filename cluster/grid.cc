#include "cluster/grid.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <numeric>

namespace rlplace {

double grid_waste(const std::vector<double>& segments, double cell) {
  // Each segment centred on a cell spans an odd number of cells; the half-cell it leaves
  // free on one side is shared with the next segment when the two halves fit in one cell.
  double total = 0, cells_used = 0, prev_spare = 0;
  for (double s : segments) {
    const double k = std::ceil((s - cell) / (2 * cell));
    const double odd = 2 * k + 1;
    const double spare = cell - (odd * cell - s) / 2;
    double used = odd;
    if (spare + prev_spare < cell) used -= 1;
    prev_spare = spare;
    cells_used += used;
    total += s;
  }
  const double span = (cells_used + 1) * cell;
  return (span - total) / span;
}

std::optional<double> grid_metric(const std::vector<double>& widths, const std::vector<double>& heights,
                                  double canvas_w, double canvas_h, int cols, int rows) {
  const size_t n = widths.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return widths[a] * heights[a] > widths[b] * heights[b]; });
  const double gw = canvas_w / cols, gh = canvas_h / rows, cell_area = gw * gh;
  std::vector<double> covered(static_cast<size_t>(cols) * rows, 0.0);
  // A cell whose centre lies strictly inside a placed macro can take no other macro: the
  // quick rejection that keeps the sweep fast.
  std::vector<uint8_t> blocked(covered.size(), 0);
  struct Box { double lx, ly, ux, uy; };
  std::vector<Box> placed;
  placed.reserve(n);
  for (size_t m : order) {
    const double w = widths[m], h = heights[m];
    bool done = false;
    for (int r = 0; r < rows && !done; ++r) {
      const double cy = (r + 0.5) * gh;
      const double ly = cy - h / 2, uy = ly + h;
      if (ly < 0 || uy > canvas_h) continue;
      for (int c = 0; c < cols; ++c) {
        const size_t id = static_cast<size_t>(r) * cols + c;
        if (blocked[id] || covered[id] / cell_area > 1.0) continue;
        const double cx = (c + 0.5) * gw;
        const double lx = cx - w / 2, ux = lx + w;
        if (lx < 0 || ux > canvas_w) continue;
        bool overlaps = false;
        for (const Box& b : placed)
          if (!(lx >= b.ux || ly >= b.uy || ux <= b.lx || uy <= b.ly)) {
            overlaps = true;
            break;
          }
        if (overlaps) continue;
        placed.push_back({lx, ly, ux, uy});
        const int c0 = std::max(0, static_cast<int>(std::floor(lx / gw)));
        const int c1 = std::min(cols - 1, static_cast<int>(std::floor(ux / gw)));
        const int r0 = std::max(0, static_cast<int>(std::floor(ly / gh)));
        const int r1 = std::min(rows - 1, static_cast<int>(std::floor(uy / gh)));
        for (int rr = r0; rr <= r1; ++rr)
          for (int cc = c0; cc <= c1; ++cc) {
            const double ox = std::min(ux, (cc + 1) * gw) - std::max(lx, cc * gw);
            const double oy = std::min(uy, (rr + 1) * gh) - std::max(ly, rr * gh);
            const size_t k = static_cast<size_t>(rr) * cols + cc;
            if (ox > 0 && oy > 0) covered[k] += ox * oy;
            const double kx = (cc + 0.5) * gw, ky = (rr + 0.5) * gh;
            if (kx > lx && kx < ux && ky > ly && ky < uy) blocked[k] = 1;
          }
        done = true;
        break;
      }
    }
    if (!done) return std::nullopt;
  }
  int empty = 0;
  for (double a : covered)
    if (a / cell_area < 1e-5) ++empty;
  return static_cast<double>(empty) / covered.size() + (1.0 - grid_waste(widths, gw)) +
         (1.0 - grid_waste(heights, gh));
}

std::optional<GridChoice> choose_grid(const std::vector<double>& widths, const std::vector<double>& heights,
                                      double canvas_w, double canvas_h, const GridRules& rules) {
  struct Candidate { int rows, cols; double metric; };
  std::vector<Candidate> feasible;
  Candidate best{-1, -1, -1.0};
  for (int r = rules.min_rows; r < rules.max_rows; ++r) {
    for (int c = rules.min_cols; c < rules.max_cols; ++c) {
      if (r * c > rules.max_cells) break;
      if (r * c < rules.min_cells) continue;
      const double gh = canvas_h / r, gw = canvas_w / c;
      if (gh / gw > rules.max_aspect || gw / gh > rules.max_aspect) continue;
      const auto m = grid_metric(widths, heights, canvas_w, canvas_h, c, r);
      if (!m) continue;
      feasible.push_back({r, c, *m});
      if (*m > best.metric) best = feasible.back();
    }
  }
  if (best.rows < 0) return std::nullopt;
  // Fewer cells mean a smaller action space: prefer the grid with the best metric per cell
  // among those close enough to the best.
  Candidate chosen = best;
  double best_per_cell = best.metric / (best.rows * best.cols);
  for (const Candidate& k : feasible) {
    const double per_cell = k.metric / (k.rows * k.cols);
    if (k.metric >= (1.0 - rules.tolerance) * best.metric && per_cell > best_per_cell) {
      chosen = k;
      best_per_cell = per_cell;
    }
  }
  return GridChoice{chosen.cols, chosen.rows, chosen.metric, best.metric};
}

}  // namespace rlplace
