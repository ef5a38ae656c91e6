// Coordinate descent over the hard macros, as Circuit Training's post-processing: each
// movable macro in turn (largest first) is tried on every legal grid cell under every
// footprint-keeping orientation, and the cheapest is kept, then (beyond Circuit
// Training) exchanged with whichever other macro lowers the cost most; between sweeps the soft
// macros are re-placed by the force-directed solver where that lowers the cost. The cost
// never rises: a change is kept only when it is no dearer, and the descent stops after a
// sweep that lowered nothing.
#pragma once

#include <utility>
#include <vector>

#include "cost/evaluator.h"
#include "placer/fd.h"
#include "placer/search.h"

namespace rlplace {

struct CoordDescentOptions {
  double seconds = 0;  // wall-clock budget, 0: none
  int max_sweeps = 0;  // 0: until a sweep does not improve
  double spacing = 0;
  bool fd_between = true;
  FdOptions fd;
  bool fd_set = false;  // default_fd_options(nl) unless set
  // Only cells within this many cells of the macro (0: every cell); smaller is faster and
  // moves less, which suits refining a designer's placement.
  int window = 0;
  bool swaps = true;  // after each macro's cells, its best exchange with another macro
  bool plateau_moves = true;  // a macro moves to a cell of equal cost (the last such)
  bool orientations = true;   // every cell under each flip (4x the work), else the current
  PolishOptions polish;  // at the end, with fd_between
};

struct CoordDescentResult {
  Placement placement;
  Costs costs;
  double start_cost = 0;
  int sweeps = 0, moved = 0;  // macros moved or flipped, over all sweeps
  PolishStats polish;         // the final polish's, when it ran
  double seconds = 0;
  std::vector<std::pair<double, double>> trace;  // (seconds, proxy cost) after each sweep
};

// `start`'s movable hard macros must be legal (std::invalid_argument otherwise).
CoordDescentResult coord_descent(const Netlist& nl, const CostParams& params, const Placement& start,
                                 const CoordDescentOptions& options);

}  // namespace rlplace
