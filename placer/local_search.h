// The local searches as registry entries: placers (`sa`, `cd`: a starting placement, then
// the search) and refiners of any placer's result (`sa` at a low temperature, `cd`).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "placer/registry.h"

namespace rlplace {

// What a search returns besides the placement, for reports and time-to-quality curves.
struct SearchStats {
  double start_cost = 0;
  Costs costs;
  std::vector<std::pair<double, double>> trace;  // (seconds, best proxy so far)
  std::string summary;
};

// The wall-clock budget of searches given no --seconds (also the learned pipeline's).
inline constexpr double kDefaultSearchSeconds = 10;

// Budget: request.moves actions per chain when > 0, else request.seconds (default
// kDefaultSearchSeconds).
// request.threads chains (0: every core). `start` is the starting hard-macro placement:
// "input" (legalized), "greedy" or "spiral" (see start_placement()). With
// request.env.run_fd off, the soft macros stay where they are.
PlaceOutcome place_sa(const PlaceRequest& request, const std::string& start = "input", SearchStats* stats = nullptr);
PlaceOutcome place_cd(const PlaceRequest& request, const std::string& start = "input", SearchStats* stats = nullptr);

// Refiners: `placement` must have legal hard macros; it is improved in place. Return a
// phrase for summaries.
std::string refine_sa(const PlaceRequest& request, Placement& placement, SearchStats* stats = nullptr);
std::string refine_cd(const PlaceRequest& request, Placement& placement, SearchStats* stats = nullptr);
// `sa`'s own schedule (its start temperature, move mix and first solver run) from `placement`
// instead of the input's positions.
std::string anneal_from(const PlaceRequest& request, Placement& placement, SearchStats* stats = nullptr);

}  // namespace rlplace
