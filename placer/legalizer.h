// Turns any hard-macro placement (overlapping, off-grid, partly outside the canvas) into
// a legal one on the grid: largest macros first, each to the feasible cell centre nearest
// its current position; where that leaves a macro without a cell, packed from the
// bottom-left instead.
#pragma once

#include "cost/params.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"

namespace rlplace {

struct LegalizeResult {
  int moved = 0;                 // macros whose centre changed
  double mean_displacement = 0;  // over the macros the legalizer placed, microns
  double max_displacement = 0;
  // Moving each macro to its nearest free cell left one without a cell, so every macro was
  // packed, largest first, on the lowest free cell (row-major from the bottom-left).
  bool packed = false;
};

// Fixed hard macros stay and act as obstacles. Throws InputError naming the macro when one
// has no feasible cell left either way.
LegalizeResult legalize_hard_macros(const Netlist& nl, const CostParams& params, Placement& placement,
                                    double spacing = 0);

}  // namespace rlplace
