#include "placer/placers.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace rlplace {

namespace {

constexpr int kRandomAttempts = 100;

int random_cell(PlacementEnv& env, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> pick(0, env.feasible_count() - 1);
  int k = pick(rng);
  const auto& mask = env.mask();
  for (int cell = 0; cell < static_cast<int>(mask.size()); ++cell)
    if (mask[cell] && k-- == 0) return cell;
  return -1;
}

// The cell of least proxy cost for the current macro (the first of equals).
int greedy_cell(PlacementEnv& env) {
  std::vector<double> proxy;
  proxy_on_cells(env.evaluator(), env.cells(), env.current(), env.mask(), proxy);
  const auto best = std::min_element(proxy.begin(), proxy.end());
  return best == proxy.end() || std::isinf(*best) ? -1 : static_cast<int>(best - proxy.begin());
}

}  // namespace

void run_placer(const std::string& name, PlacementEnv& env, const PlacerOptions& options) {
  if (name != "random" && name != "greedy")
    throw std::invalid_argument(fmt::format("unknown placer '{}' (known: greedy, random)", name));
  std::mt19937_64 rng(options.seed);
  // A random episode can dead-end where another would not (an early macro on the only room a
  // later one had), so the random placer draws again from the same stream; the greedy one is
  // deterministic.
  const int attempts = name == "random" ? kRandomAttempts : 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    env.reset();
    while (!env.done()) {
      const int cell = name == "random" ? random_cell(env, rng) : greedy_cell(env);
      env.step(cell);
    }
    if (!env.infeasible()) return;
  }
  const int32_t m = env.order()[env.step_index()];
  const Netlist& nl = env.evaluator().netlist();
  throw InputError(fmt::format("{}: placer '{}' found no feasible cell for hard macro '{}' ({} x {}) at step {} of {}{}",
                               nl.source, name, nl.name[m], nl.width[m], nl.height[m], env.step_index() + 1,
                               env.order().size(), attempts > 1 ? fmt::format(" in {} draws", attempts) : ""));
}

}  // namespace rlplace
