#include "placer/coord_descent.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "placer/env.h"
#include "placer/search.h"

namespace rlplace {

CoordDescentResult coord_descent(const Netlist& nl, const CostParams& params, const Placement& start,
                                 const CoordDescentOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  MacroBoard board(nl, params, start, o.spacing);
  for (int i = 0; i < static_cast<int>(board.movable().size()); ++i)
    if (!board.legal(i))
      throw std::invalid_argument(
          fmt::format("coordinate descent: hard macro '{}' does not start legally", nl.name[board.movable()[i]]));
  FdOptions fd = o.fd_set ? o.fd : default_fd_options(nl);
  fd.threads = 1;  // as in anneal(): fork and join cost more than they save at this size
  Evaluator ev(nl, params);
  ev.reset(start);
  CoordDescentResult res;
  double cur = ev.costs().proxy_cost;
  res.start_cost = cur;
  std::vector<int32_t> order;
  for (int32_t m : placement_order(nl, start))
    if (board.index_of(m) >= 0) order.push_back(m);
  // Macro i exchanged with each other movable macro whose place it can take (and which
  // can take its place); the cheapest exchange is kept if it lowers the cost. Single-macro
  // moves cannot pass two macros through each other, and got stuck on the tests' small
  // netlists 3 to 5% above the optimum without this.
  auto best_swap = [&](int i, double cur) {
    const int n = static_cast<int>(board.movable().size());
    const int32_t mi = board.movable()[i];
    const double xi = board.x(i), yi = board.y(i);
    int best_j = -1;
    double best = cur;
    for (int j = 0; j < n; ++j) {
      if (j == i) continue;
      const double xj = board.x(j), yj = board.y(j);
      board.set(i, xj, yj);
      board.set(j, xi, yi);
      const bool ok = board.legal(i) && board.legal(j);
      board.set(i, xi, yi);
      board.set(j, xj, yj);
      if (!ok) continue;
      const int32_t mj = board.movable()[j];
      ev.move(mi, xj, yj);
      ev.move(mj, xi, yi);
      const double cost = ev.costs().proxy_cost;
      ev.move(mj, xj, yj);
      ev.move(mi, xi, yi);
      if (cost < best) {
        best = cost;
        best_j = j;
      }
    }
    if (best_j < 0) return cur;
    const int32_t mj = board.movable()[best_j];
    const double xj = board.x(best_j), yj = board.y(best_j);
    ev.move(mi, xj, yj);
    ev.move(mj, xi, yi);
    board.set(i, xj, yj);
    board.set(best_j, xi, yi);
    ++res.moved;
    return best;
  };
  const bool timed = o.seconds > 0;
  bool out_of_time = false;
  std::vector<double> xs, ys, costs;
  while (!out_of_time && (o.max_sweeps <= 0 || res.sweeps < o.max_sweeps)) {
    const double sweep_start = cur;
    for (int32_t m : order) {
      if (timed && elapsed() >= o.seconds) {
        out_of_time = true;
        break;
      }
      const int i = board.index_of(m);
      const double x0 = board.x(i), y0 = board.y(i);
      const int c0 = board.col_of(x0), r0 = board.row_of(y0);
      int cl = 0, ch = board.cols() - 1, rl = 0, rh = board.rows() - 1;
      if (o.window > 0) {
        cl = std::max(cl, c0 - o.window);
        ch = std::min(ch, c0 + o.window);
        rl = std::max(rl, r0 - o.window);
        rh = std::min(rh, r0 + o.window);
      }
      const Orientation o0 = ev.placement().orientation[m];
      double best = cur, bx = x0, by = y0;
      Orientation bo = o0;
      // Every cell under each footprint-keeping orientation, the current one first: a pin
      // layout that suits a place elsewhere only shows when both change at once. The macro
      // is lifted and its cells scored in one pass (Evaluator::proxy_at).
      Orientation oris[4];
      int n_oris = 0;
      oris[n_oris++] = o0;
      for (Orientation ori : kFootprintOrientations)
        if (ori != o0 && o.orientations) oris[n_oris++] = ori;
      ev.unplace(m);
      for (int k = 0; k < n_oris; ++k) {
        if (ev.placement().orientation[m] != oris[k]) ev.set_orientation(m, oris[k]);
        xs.clear();
        ys.clear();
        for (int r = rl; r <= rh; ++r)
          for (int c = cl; c <= ch; ++c) {
            const double x = board.cell_x(c), y = board.cell_y(r);
            const bool here = x == x0 && y == y0;
            if ((here && k == 0) || (!here && !board.fits(i, x, y))) continue;
            xs.push_back(x);
            ys.push_back(y);
          }
        costs.resize(xs.size());
        if (!xs.empty()) ev.proxy_at(m, xs.data(), ys.data(), static_cast<int>(xs.size()), costs.data());
        for (size_t j = 0; j < xs.size(); ++j) {
          // Ties move too (plateau moves): the density and congestion costs are means of
          // the worst cells, flat under most single moves, and on the tests' small
          // netlists strict descent stopped 5% above the optimum that ties lead to.
          if (costs[j] < best || (o.plateau_moves && costs[j] == best)) {
            best = costs[j];
            bx = xs[j];
            by = ys[j];
            bo = oris[k];
          }
        }
      }
      if (ev.placement().orientation[m] != bo) ev.set_orientation(m, bo);
      ev.place(m, bx, by);
      // The scores agree with the evaluator's running sums to rounding only; the cost as
      // the evaluator has it decides, so that a sweep never raises it.
      best = ev.costs().proxy_cost;
      if (best > cur) {
        ev.unplace(m);
        if (bo != o0) ev.set_orientation(m, o0);
        ev.place(m, x0, y0);
        bx = x0, by = y0, bo = o0;
        best = ev.costs().proxy_cost;
      }
      board.set(i, bx, by);
      res.moved += bx != x0 || by != y0 || bo != o0;
      cur = best;
      if (o.swaps) cur = best_swap(i, cur);
    }
    ++res.sweeps;
    if (o.fd_between && !out_of_time) {
      SoftStats s;
      cur = replace_soft(nl, params, ev, fd, true, true, s);
    }
    res.trace.emplace_back(elapsed(), cur);
    if (!(cur < sweep_start)) break;
  }
  if (o.fd_between && o.polish.passes > 0)
    polish_soft(nl, params, ev, o.polish.passes, o.seconds > 0 ? o.polish.share * o.seconds : 0, &res.polish);
  if (!ev.legality().legal()) throw std::logic_error("coordinate descent: the result is not legal (a bug)");
  // The incremental sums may differ from a fresh evaluation in the last bits.
  Evaluator fresh(nl, params);
  fresh.reset(ev.placement());
  res.placement = ev.placement();
  res.costs = fresh.costs();
  res.seconds = elapsed();
  return res;
}

}  // namespace rlplace
