#include "placer/placers.h"

#include <limits>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace rlplace {

namespace {

int random_cell(PlacementEnv& env, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> pick(0, env.feasible_count() - 1);
  int k = pick(rng);
  const auto& mask = env.mask();
  for (int cell = 0; cell < static_cast<int>(mask.size()); ++cell)
    if (mask[cell] && k-- == 0) return cell;
  return -1;
}

// Tries the macro on every feasible cell, scoring the partial placement's proxy cost.
int greedy_cell(PlacementEnv& env) {
  Evaluator& ev = env.evaluator();
  const int32_t m = env.current();
  const auto& mask = env.mask();
  const int cols = env.params().cols;
  double best = std::numeric_limits<double>::infinity();
  int best_cell = -1;
  bool placed = false;
  for (int cell = 0; cell < static_cast<int>(mask.size()); ++cell) {
    if (!mask[cell]) continue;
    const double x = env.cells().cell_x(cell % cols), y = env.cells().cell_y(cell / cols);
    if (!placed) {
      ev.place(m, x, y);
      placed = true;
    } else {
      ev.move(m, x, y);
    }
    const double cost = ev.costs().proxy_cost;
    if (cost < best) {
      best = cost;
      best_cell = cell;
    }
  }
  if (placed) ev.unplace(m);
  return best_cell;
}

}  // namespace

void run_placer(const std::string& name, PlacementEnv& env, const PlacerOptions& options) {
  if (name != "random" && name != "greedy")
    throw std::invalid_argument(fmt::format("unknown placer '{}' (known: greedy, random)", name));
  std::mt19937_64 rng(options.seed);
  env.reset();
  while (!env.done()) {
    const int cell = name == "random" ? random_cell(env, rng) : greedy_cell(env);
    env.step(cell);
  }
  if (env.infeasible()) {
    const int32_t m = env.order()[env.step_index()];
    const Netlist& nl = env.evaluator().netlist();
    throw InputError(fmt::format("{}: placer '{}' found no feasible cell for hard macro '{}' ({} x {}) at step {} of {}",
                                 nl.source, name, nl.name[m], nl.width[m], nl.height[m], env.step_index() + 1,
                                 env.order().size()));
  }
}

}  // namespace rlplace
