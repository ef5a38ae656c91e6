#include "placer/legalizer.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "placer/env.h"
#include "placer/mask.h"

namespace rlplace {

LegalizeResult legalize_hard_macros(const Netlist& nl, const CostParams& params, Placement& p, double spacing) {
  CellMask cells(params, spacing);
  for (int32_t m : nl.hard_macros)
    if (p.fixed[m] && p.placed[m]) cells.add_obstacle(p.x[m], p.y[m], nl.width[m] / 2, nl.height[m] / 2);
  LegalizeResult result;
  std::vector<uint8_t> mask;
  const std::vector<int32_t> order = placement_order(nl, p);
  double total = 0;
  for (int32_t m : order) {
    if (cells.compute(nl.width[m] / 2, nl.height[m] / 2, mask) == 0)
      throw InputError(fmt::format("{}: no legal cell left for hard macro '{}' ({} x {}) on the {} x {} grid",
                                   nl.source, nl.name[m], nl.width[m], nl.height[m], params.cols, params.rows));
    // Nearest feasible cell centre; ties go to the lower cell index.
    double best = std::numeric_limits<double>::infinity();
    int best_cell = -1;
    for (int cell = 0; cell < static_cast<int>(mask.size()); ++cell) {
      if (!mask[cell]) continue;
      const double dx = cells.cell_x(cell % params.cols) - p.x[m], dy = cells.cell_y(cell / params.cols) - p.y[m];
      const double d = dx * dx + dy * dy;
      if (d < best) {
        best = d;
        best_cell = cell;
      }
    }
    const double x = cells.cell_x(best_cell % params.cols), y = cells.cell_y(best_cell / params.cols);
    const double moved = std::hypot(x - p.x[m], y - p.y[m]);
    result.moved += moved > 0;
    total += moved;
    result.max_displacement = std::max(result.max_displacement, moved);
    p.x[m] = x;
    p.y[m] = y;
    p.placed[m] = 1;
    cells.add_obstacle(x, y, nl.width[m] / 2, nl.height[m] / 2);
  }
  result.mean_displacement = order.empty() ? 0 : total / order.size();
  return result;
}

}  // namespace rlplace
