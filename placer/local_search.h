// The local searches as placers (`sa`, `cd`: a starting placement, then the search) and as
// refiners of any placer's result (`sa` at a low temperature, `cd`).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cost/evaluator.h"

namespace rlplace {

struct LocalSearchRequest {
  double seconds = 10;  // wall-clock budget
  int64_t moves = 0;    // annealing actions per chain instead of seconds, when > 0
  int threads = 1;
  uint64_t seed = 1;
  double spacing = 0;
  // Placers only: the starting hard-macro placement, "input", "greedy" or "spiral"
  // (see start_placement()).
  std::string start = "input";
};

struct LocalSearchResult {
  Placement placement;  // legal hard macros, soft macros placed
  Costs costs;
  double start_cost = 0;  // the proxy cost the search started from
  std::string summary;    // one line for reports
  std::vector<std::pair<double, double>> trace;  // (seconds, best proxy so far)
};

std::vector<std::string> search_placer_names();  // sa, cd
std::vector<std::string> refiner_names();        // cd, sa

// `input` supplies the netlist's positions (soft macros, ports, fixed macros). Throws
// std::invalid_argument for an unknown name, InputError when no legal start exists.
LocalSearchResult run_search_placer(const std::string& name, const Netlist& nl, const CostParams& params,
                                    const Placement& input, const LocalSearchRequest& request);

// `placed` must have legal hard macros (any placer's output).
LocalSearchResult run_refiner(const std::string& name, const Netlist& nl, const CostParams& params,
                              const Placement& placed, const LocalSearchRequest& request);

}  // namespace rlplace
