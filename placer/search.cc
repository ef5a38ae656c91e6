#include "placer/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "placer/env.h"
#include "placer/legalizer.h"
#include "placer/mask.h"
#include "placer/placers.h"

namespace rlplace {

MacroBoard::MacroBoard(const Netlist& nl, const CostParams& params, const Placement& p, double spacing)
    : params_(params),
      spacing_(spacing),
      tol_(1e-9 * std::max(params.width, params.height)),
      gw_(params.width / params.cols),
      gh_(params.height / params.rows),
      cols_(params.cols),
      rows_(params.rows),
      index_(nl.num_nodes(), -1) {
  for (int32_t m : nl.hard_macros) {
    if (!p.placed[m]) continue;
    if (p.fixed[m]) {
      fx_.push_back(p.x[m]);
      fy_.push_back(p.y[m]);
      fhw_.push_back(nl.width[m] / 2);
      fhh_.push_back(nl.height[m] / 2);
    } else {
      index_[m] = static_cast<int>(movable_.size());
      movable_.push_back(m);
      x_.push_back(p.x[m]);
      y_.push_back(p.y[m]);
      hw_.push_back(nl.width[m] / 2);
      hh_.push_back(nl.height[m] / 2);
    }
  }
}

int MacroBoard::col_of(double x) const {
  return std::clamp(static_cast<int>(std::lround(x / gw_ - 0.5)), 0, cols_ - 1);
}
int MacroBoard::row_of(double y) const {
  return std::clamp(static_cast<int>(std::lround(y / gh_ - 0.5)), 0, rows_ - 1);
}

bool MacroBoard::inside(int i, double x, double y) const {
  const double hw = hw_[i], hh = hh_[i];
  if (x - hw < -tol_ || y - hh < -tol_ || x + hw > params_.width + tol_ || y + hh > params_.height + tol_)
    return false;
  for (const Blockage& b : params_.blockages)
    if (b.rate >= 1 && std::min(x + hw, b.max_x) - std::max(x - hw, b.min_x) > 0 &&
        std::min(y + hh, b.max_y) - std::max(y - hh, b.min_y) > 0)
      return false;
  return true;
}

bool MacroBoard::fits(int i, double x, double y) const {
  if (!inside(i, x, y)) return false;
  const double hw = hw_[i] + spacing_, hh = hh_[i] + spacing_;
  const size_t n = x_.size();
  for (size_t j = 0; j < n; ++j) {
    if (static_cast<int>(j) == i) continue;
    if (hw + hw_[j] - std::abs(x - x_[j]) > 0 && hh + hh_[j] - std::abs(y - y_[j]) > 0) return false;
  }
  for (size_t j = 0; j < fx_.size(); ++j)
    if (hw + fhw_[j] - std::abs(x - fx_[j]) > 0 && hh + fhh_[j] - std::abs(y - fy_[j]) > 0) return false;
  return true;
}

bool MacroBoard::legal(int i) const { return fits(i, x_[i], y_[i]); }

namespace {

// Cells ordered ring by ring from the canvas edge inwards, each ring walked around.
std::vector<int> spiral_cells(int cols, int rows) {
  std::vector<int> order;
  order.reserve(static_cast<size_t>(cols) * rows);
  int c0 = 0, r0 = 0, c1 = cols - 1, r1 = rows - 1;
  while (c0 <= c1 && r0 <= r1) {
    for (int c = c0; c <= c1; ++c) order.push_back(r0 * cols + c);
    for (int r = r0 + 1; r <= r1; ++r) order.push_back(r * cols + c1);
    if (r1 > r0)
      for (int c = c1 - 1; c >= c0; --c) order.push_back(r1 * cols + c);
    if (c1 > c0)
      for (int r = r1 - 1; r > r0; --r) order.push_back(r * cols + c0);
    ++c0, ++r0, --c1, --r1;
  }
  return order;
}

}  // namespace

void start_placement(const std::string& how, const Netlist& nl, const CostParams& params, Placement& p,
                     double spacing) {
  if (how == "input") {
    legalize_hard_macros(nl, params, p, spacing);
    return;
  }
  if (how == "greedy") {
    EnvOptions eo;
    eo.macro_spacing = spacing;
    eo.run_fd = false;
    PlacementEnv env(nl, params, p, eo);
    run_placer("greedy", env);
    for (int32_t m : env.order()) {
      p.x[m] = env.placement().x[m];
      p.y[m] = env.placement().y[m];
      p.placed[m] = 1;
    }
    return;
  }
  if (how != "spiral") throw std::invalid_argument(fmt::format("unknown start '{}' (known: input, greedy, spiral)", how));
  CellMask cells(params, spacing);
  for (int32_t m : nl.hard_macros)
    if (p.fixed[m] && p.placed[m]) cells.add_obstacle(p.x[m], p.y[m], nl.width[m] / 2, nl.height[m] / 2);
  const std::vector<int> order = spiral_cells(params.cols, params.rows);
  std::vector<uint8_t> mask;
  for (int32_t m : placement_order(nl, p)) {
    cells.compute(nl.width[m] / 2, nl.height[m] / 2, mask);
    int chosen = -1;
    for (int cell : order)
      if (mask[cell]) {
        chosen = cell;
        break;
      }
    if (chosen < 0)
      throw InputError(fmt::format("{}: spiral start found no feasible cell for hard macro '{}'", nl.source, nl.name[m]));
    p.x[m] = cells.cell_x(chosen % params.cols);
    p.y[m] = cells.cell_y(chosen / params.cols);
    p.placed[m] = 1;
    cells.add_obstacle(p.x[m], p.y[m], nl.width[m] / 2, nl.height[m] / 2);
  }
}

double replace_soft(const Netlist& nl, const CostParams& params, Evaluator& ev, const FdOptions& fd, bool warm,
                    bool cold, SoftStats& stats) {
  const auto t0 = std::chrono::steady_clock::now();
  double best = ev.costs().proxy_cost;
  const Placement orig = ev.placement();
  Placement best_p;
  int kept = 0, tried = 0;  // kept: 1 warm, 2 cold
  for (int k = 0; k < 2; ++k) {
    if (k == 0 ? !warm : !cold) continue;
    ++tried;
    Placement q = orig;
    FdOptions o = fd;
    o.use_current_loc = k == 0;
    place_soft(nl, params, q, o);
    ev.reset(q);
    const double c = ev.costs().proxy_cost;
    ++stats.tried;
    if (c < best) {
      best = c;
      best_p = std::move(q);
      kept = k + 1;
    }
  }
  if (tried) ev.reset(kept ? best_p : orig);
  stats.kept_warm += kept == 1;
  stats.kept_cold += kept == 2;
  stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ev.costs().proxy_cost;
}

}  // namespace rlplace
