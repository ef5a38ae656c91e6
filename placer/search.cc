#include "placer/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

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

namespace {

// The interval of x where sum_i w_i * hinge_i(x) is least, for hinges given as breakpoints
// with weights: every net adds one where its box's upper edge starts to grow and one where its
// lower edge does, each with the net's weight, so the interval is their weighted median.
std::pair<double, double> weighted_median(std::vector<std::pair<double, double>>& pts) {
  std::sort(pts.begin(), pts.end());
  double total = 0;
  for (const auto& p : pts) total += p.second;
  const double half = total / 2, tol = 1e-12 * total;
  double acc = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    acc += pts[i].second;
    if (acc >= half - tol) {
      // Exactly half below: flat up to the next breakpoint.
      const double hi = (std::abs(acc - half) <= tol && i + 1 < pts.size()) ? pts[i + 1].first : pts[i].first;
      return {pts[i].first, hi};
    }
  }
  return {pts.back().first, pts.back().first};
}

}  // namespace

double polish_soft(const Netlist& nl, const CostParams& params, Evaluator& ev, int passes, double seconds,
                   PolishStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  const Placement orig = ev.placement();
  const double before = ev.costs().proxy_cost;
  std::vector<int32_t> nodes;
  for (const auto* list : {&nl.soft_macros, &nl.stdcells})
    for (int32_t m : *list)
      if (orig.placed[m] && !orig.fixed[m]) nodes.push_back(m);
  std::sort(nodes.begin(), nodes.end());
  auto mover = [&](int32_t pin) { return nl.owner[pin] >= 0 ? nl.owner[pin] : pin; };
  std::vector<std::pair<double, double>> bx, by;
  std::vector<double> xs, ys, out;
  PolishStats st;
  st.before = before;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  for (int pass = 0; pass < passes && !st.stopped; ++pass) {
    ++st.passes;
    int moved = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (seconds > 0 && (i & 63) == 0 && elapsed() > seconds) {
        st.stopped = true;
        break;
      }
      const int32_t m = nodes[i];
      const Placement& p = ev.placement();
      bx.clear();
      by.clear();
      for (const int32_t n : ev.nets_of(m)) {
        double lx = INFINITY, hx = -INFINITY, ly = INFINITY, hy = -INFINITY;      // the other pins' box
        double ox0 = INFINITY, ox1 = -INFINITY, oy0 = INFINITY, oy1 = -INFINITY;  // this node's pins' offsets
        for (int32_t k = nl.net_begin[n]; k < nl.net_begin[n + 1]; ++k) {
          const int32_t pin = nl.net_pins[k], mv = mover(pin);
          if (!p.placed[mv]) continue;
          double px, py;
          pin_position(nl, p, pin, px, py);
          if (mv == m) {
            ox0 = std::min(ox0, px - p.x[m]), ox1 = std::max(ox1, px - p.x[m]);
            oy0 = std::min(oy0, py - p.y[m]), oy1 = std::max(oy1, py - p.y[m]);
          } else {
            lx = std::min(lx, px), hx = std::max(hx, px), ly = std::min(ly, py), hy = std::max(hy, py);
          }
        }
        if (!(lx <= hx)) continue;  // no other placed pin: the net's length does not depend on m
        const double w = nl.net_weight[n];
        bx.emplace_back(hx - ox1, w), bx.emplace_back(lx - ox0, w);
        by.emplace_back(hy - oy1, w), by.emplace_back(ly - oy0, w);
      }
      if (bx.empty()) continue;
      const auto [x0, x1] = weighted_median(bx);
      const auto [y0, y1] = weighted_median(by);
      const double cx = p.x[m], cy = p.y[m];
      const double cand_x[4] = {x0, x1, (x0 + x1) / 2, std::clamp(cx, x0, x1)};
      const double cand_y[4] = {y0, y1, (y0 + y1) / 2, std::clamp(cy, y0, y1)};
      xs.assign(1, cx);
      ys.assign(1, cy);
      for (double x : cand_x)
        for (double y : cand_y) {
          xs.push_back(keep_on_canvas(x, nl.width[m] / 2, params.width));
          ys.push_back(keep_on_canvas(y, nl.height[m] / 2, params.height));
        }
      out.resize(xs.size());
      ev.unplace(m);
      ev.proxy_at(m, xs.data(), ys.data(), static_cast<int>(xs.size()), out.data());
      size_t b = 0;
      for (size_t k = 1; k < out.size(); ++k)
        if (out[k] < out[b] - 1e-12 * std::abs(out[0])) b = k;
      ev.place(m, xs[b], ys[b]);
      moved += b != 0;
    }
    st.moved += moved;
    if (!moved) break;
  }
  // Afresh, so that no rounding of the unplace/place pairs is carried on; never worse than
  // the placement it was given.
  const Placement polished = ev.placement();
  ev.reset(polished);
  if (!(ev.costs().proxy_cost < before)) ev.reset(orig);
  st.after = ev.costs().proxy_cost;
  st.seconds = elapsed();
  if (stats) *stats = st;
  return st.after;
}

}  // namespace rlplace
