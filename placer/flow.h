// `rlplace place` as one library call: load the design, run a registered placer, then
// optionally a refiner, score the result and write it.
#pragma once

#include <string>

#include "placer/registry.h"

namespace rlplace {

struct PlaceJob {
  std::string netlist, plc, floorplan, out;  // plc and floorplan: at most one
  CostOverrides cost;
  std::string placer = "greedy";
  std::string refiner;         // empty: none
  double refine_seconds = 0;   // 0: the refiner's default
  int64_t refine_moves = 0;
  PlaceRequest request;        // everything but the design, which the job loads
};

struct PlaceReport {
  Costs costs;
  LegalityReport legality;
  std::string how;             // the placer's phrase, then the refiner's
  size_t macros_placed = 0;    // hard macros the placer was free to move
  double place_ms = 0, total_ms = 0;
};

// Throws InputError for bad input (a flat netlist needs a floorplan for its grid) and
// UnknownPlacer for a name this binary has not registered.
PlaceReport place_to_file(const PlaceJob& job);

}  // namespace rlplace
