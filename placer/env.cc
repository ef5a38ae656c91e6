#include "placer/env.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace rlplace {

std::vector<int32_t> placement_order(const Netlist& nl, const Placement& placement) {
  std::vector<int32_t> order;
  for (int32_t m : nl.hard_macros)
    if (!placement.fixed[m]) order.push_back(m);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return nl.width[a] * nl.height[a] > nl.width[b] * nl.height[b];
  });
  return order;
}

PlacementEnv::PlacementEnv(const Netlist& nl, const CostParams& params, const Placement& start,
                           const EnvOptions& options)
    : nl_(nl),
      params_(params),
      options_(options),
      start_(start),
      order_(placement_order(nl, start)),
      cells_(params, options.macro_spacing),
      evaluator_(nl, params),
      cost_mapper_(nl, order_) {
  for (int32_t m : order_)
    if (nl.width[m] > params.width || nl.height[m] > params.height)
      throw InputError(fmt::format("{}: hard macro '{}' ({} x {}) does not fit the canvas ({} x {})", nl.source,
                                   nl.name[m], nl.width[m], nl.height[m], params.width, params.height));
  for (int32_t m : order_) start_.placed[m] = 0;
  reset();
}

void PlacementEnv::reset() {
  evaluator_.reset(start_);
  cells_.clear_obstacles();
  for (int32_t m : nl_.hard_macros)
    if (start_.fixed[m] && start_.placed[m])
      cells_.add_obstacle(start_.x[m], start_.y[m], nl_.width[m] / 2, nl_.height[m] / 2);
  step_ = 0;
  infeasible_ = false;
  update_mask();
}

void PlacementEnv::update_mask() {
  if (step_ == static_cast<int>(order_.size())) {
    mask_.assign(static_cast<size_t>(params_.cols) * params_.rows, 0);
    feasible_ = 0;
    return;
  }
  const int32_t m = order_[step_];
  feasible_ = cells_.compute(nl_.width[m] / 2, nl_.height[m] / 2, mask_);
  if (feasible_ == 0) infeasible_ = true;
}

void PlacementEnv::step(int cell) {
  if (done()) throw std::invalid_argument("PlacementEnv::step: the episode is over");
  if (cell < 0 || cell >= static_cast<int>(mask_.size()) || !mask_[cell])
    throw std::invalid_argument(fmt::format("PlacementEnv::step: cell {} is not feasible for '{}'", cell,
                                            nl_.name[order_[step_]]));
  const int32_t m = order_[step_];
  const double x = cells_.cell_x(cell % params_.cols), y = cells_.cell_y(cell / params_.cols);
  evaluator_.place(m, x, y);
  cells_.add_obstacle(x, y, nl_.width[m] / 2, nl_.height[m] / 2);
  ++step_;
  update_mask();
}

void PlacementEnv::cost_maps(std::vector<float>& out, int channels) const {
  cost_mapper_.compute(evaluator_, cells_, current(), mask_, out, channels);
}

Costs PlacementEnv::finish() {
  if (!done() || infeasible_) throw std::logic_error("PlacementEnv::finish: the episode has not placed every macro");
  if (options_.run_fd) {
    Placement p = evaluator_.placement();
    place_soft(nl_, params_, p, options_.fd);
    evaluator_.reset(p);
  }
  return evaluator_.costs();
}

double PlacementEnv::reward(const Costs& c) const {
  if (infeasible_) return options_.infeasible_reward;
  return -options_.reward_weights.combine(c.wirelength_cost, c.density_cost, c.congestion_cost);
}

}  // namespace rlplace
