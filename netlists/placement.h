// Where each node is: the state every reader, writer, cost and placer shares.
#pragma once

#include <cstdint>
#include <vector>

#include "netlists/netlist.h"

namespace rlplace {

// Per node (pins carry no position of their own: they follow their macro).
struct Placement {
  std::vector<double> x, y;  // centres, microns
  std::vector<Orientation> orientation;
  std::vector<uint8_t> fixed;
  std::vector<uint8_t> placed;  // an unplaced node is left out of every cost

  // Positions and orientations as the netlist gives them, everything placed, nothing fixed.
  static Placement from_netlist(const Netlist& nl);
};

// The position of a pin node (or of a port or standard cell, which are their own pins).
inline void pin_position(const Netlist& nl, const Placement& p, int32_t node, double& px, double& py) {
  const int32_t m = nl.owner[node];
  if (m < 0) {
    px = p.x[node];
    py = p.y[node];
    return;
  }
  double ox, oy;
  orient_offset(p.orientation[m], nl.pin_dx[node], nl.pin_dy[node], ox, oy);
  px = p.x[m] + ox;
  py = p.y[m] + oy;
}

inline bool pin_placed(const Netlist& nl, const Placement& p, int32_t node) {
  const int32_t m = nl.owner[node];
  return p.placed[m < 0 ? node : m] != 0;
}

}  // namespace rlplace
