#include "placer/legalizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "placer/env.h"
#include "placer/mask.h"

namespace rlplace {

LegalizeResult legalize_hard_macros(const Netlist& nl, const CostParams& params, Placement& p, double spacing) {
  const std::vector<int32_t> order = placement_order(nl, p);
  const std::vector<double> x0 = p.x, y0 = p.y;
  // One pass over the macros in order: each to the feasible cell centre nearest its position
  // (ties to the lower cell index) or, packing, to the lowest-index feasible cell (row-major
  // from the bottom-left, the packing the grid chooser certifies). Returns the macro left
  // without a cell, or -1.
  auto pass = [&](bool pack) -> int32_t {
    CellMask cells(params, spacing);
    for (int32_t m : nl.hard_macros)
      if (p.fixed[m] && p.placed[m]) cells.add_obstacle(p.x[m], p.y[m], nl.width[m] / 2, nl.height[m] / 2);
    std::vector<uint8_t> mask;
    for (int32_t m : order) {
      if (cells.compute(nl.width[m] / 2, nl.height[m] / 2, mask) == 0) return m;
      int best_cell = pack ? static_cast<int>(std::find(mask.begin(), mask.end(), 1) - mask.begin()) : -1;
      double best = std::numeric_limits<double>::infinity();
      for (int cell = 0; !pack && cell < static_cast<int>(mask.size()); ++cell) {
        if (!mask[cell]) continue;
        const double dx = cells.cell_x(cell % params.cols) - x0[m], dy = cells.cell_y(cell / params.cols) - y0[m];
        const double d = dx * dx + dy * dy;
        if (d < best) {
          best = d;
          best_cell = cell;
        }
      }
      p.x[m] = cells.cell_x(best_cell % params.cols);
      p.y[m] = cells.cell_y(best_cell / params.cols);
      p.placed[m] = 1;
      cells.add_obstacle(p.x[m], p.y[m], nl.width[m] / 2, nl.height[m] / 2);
    }
    return -1;
  };
  LegalizeResult result;
  // Nearest cells keep a placement's arrangement, but an early macro can take the only room
  // a later one had (two large macros meeting in the middle of a small canvas); then the
  // macros are packed instead, which costs the arrangement and keeps the chip placeable.
  if (pass(false) >= 0) {
    result.packed = true;
    if (const int32_t m = pass(true); m >= 0)
      throw InputError(fmt::format("{}: no legal cell left for hard macro '{}' ({} x {}) on the {} x {} grid, "
                                   "nearest its position or packed from the bottom-left",
                                   nl.source, nl.name[m], nl.width[m], nl.height[m], params.cols, params.rows));
  }
  double total = 0;
  for (int32_t m : order) {
    const double moved = std::hypot(p.x[m] - x0[m], p.y[m] - y0[m]);
    result.moved += moved > 0;
    total += moved;
    result.max_displacement = std::max(result.max_displacement, moved);
  }
  result.mean_displacement = order.empty() ? 0 : total / order.size();
  return result;
}

}  // namespace rlplace
