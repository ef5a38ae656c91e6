// Where a macro's outline lies under its orientation.
#pragma once

#include <cstdint>

#include "netlists/netlist.h"
#include "netlists/placement.h"

namespace rlplace {

// Quarter turns (E, W and their flips) swap the outline's width and height. The netlist
// gives width and height for orientation N. (The proxy cost uses them as given: see
// docs/formats.md.)
inline bool swaps_sides(Orientation o) {
  return o == Orientation::E || o == Orientation::W || o == Orientation::FE || o == Orientation::FW;
}

struct Footprint {
  double llx = 0, lly = 0;  // lower-left corner, microns
  double w = 0, h = 0;      // as placed
};

inline Footprint footprint(const Netlist& nl, const Placement& p, int32_t node) {
  Footprint f;
  const bool swap = swaps_sides(p.orientation[node]);
  f.w = swap ? nl.height[node] : nl.width[node];
  f.h = swap ? nl.width[node] : nl.height[node];
  f.llx = p.x[node] - f.w / 2;
  f.lly = p.y[node] - f.h / 2;
  return f;
}

}  // namespace rlplace
