// Force-directed placement of soft macros and standard cells around fixed hard macros and
// ports, in the spirit of Circuit Training's optimize_stdcells.
#pragma once

#include <vector>

#include "cost/params.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"

namespace rlplace {

struct FdStage {
  int steps = 100;
  double move_factor = 1.0;  // maximum move per step = move_factor * max(W, H) / steps
  double attract = 0;        // spring constant along nets (times net weight)
  double repel = 0;          // push between overlapping movable nodes
};

struct FdOptions {
  // Circuit Training's end-of-episode schedule.
  std::vector<FdStage> stages = {{100, 1, 100, 0}, {100, 1, 1e-3, 1e6}, {100, 1, 1e-5, 1e7}};
  double io_factor = 1.0;         // extra pull on connections to ports
  int max_fanout = 500;           // nets with more sinks (clock, reset) do not pull; 0: all pull
  bool use_current_loc = false;   // false: movable nodes start at the canvas centre
  int threads = 0;                // 0: OpenMP's default
};

// Circuit Training's schedule for clustered netlists. For flat netlists (standard cells and
// no soft macros) its pure-repulsion stages scatter connected cells and double the
// wirelength, so there attraction stays on while the cells spread.
FdOptions default_fd_options(const Netlist& nl);

struct FdResult {
  int moved = 0;        // movable nodes
  int steps = 0;        // steps run
  double seconds = 0;
};

// Moves every placed, non-fixed soft macro and standard cell of `placement`; hard macros
// and ports stay where they are. Movable nodes never leave the canvas.
FdResult place_soft(const Netlist& nl, const CostParams& params, Placement& placement, const FdOptions& options = {});

}  // namespace rlplace
