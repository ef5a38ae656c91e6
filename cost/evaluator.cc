#include "cost/evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace rlplace {

namespace {

// floor(v) as an int, kept within [lo, hi] before the conversion so that far-away
// points cannot overflow it.
int floor_clamped(double v, int lo, int hi) {
  double f = std::floor(v);
  if (!(f >= lo)) return lo;  // also catches NaN
  if (f > hi) return hi;
  return static_cast<int>(f);
}

// The mean of the k largest values, summed in the grid's order so that the result depends
// only on the grid (not on the guess). `guess` is kept between calls a little below the last
// k-th largest: after a small change of the values (one macro moved) only the values above
// it are candidates. Values equal to it are counted rather than selected, since early in an
// episode most cells tie at zero. Selecting among all the grid's values, then sorting the k
// largest to sum them in descending order (as the open evaluator does; sums differ from its
// by a few units in the last place), was most of the greedy placer's time.
double mean_of_largest(const std::vector<double>& values, size_t k, double& guess, std::vector<double>& candidates,
                       std::vector<double>& select) {
  k = std::min(k, values.size());
  if (k == 0) return 0;
  // Branch-free: whether a value passes is data the predictor cannot learn. The buffer only
  // grows, so it is not filled anew each call.
  if (candidates.size() < values.size()) candidates.resize(values.size());
  double* cand = candidates.data();
  size_t n = 0, ties = 0;
  const double t = guess;
  for (double v : values) {
    cand[n] = v;
    n += v > t;
    ties += v == t;
  }
  double kth = t;
  const bool too_high = n + ties < k;
  if (too_high) {
    std::copy(values.begin(), values.end(), cand);
    n = values.size();
  }
  if (too_high || n >= k) {
    select.assign(cand, cand + n);
    const auto at = select.begin() + static_cast<std::ptrdiff_t>(k - 1);
    std::nth_element(select.begin(), at, select.end(), std::greater<double>());
    kth = *at;
    // The next guess: the (k + spare)-th largest of those selected, or the least value when
    // there are few. Any guess gives the same result; a close one gives it faster.
    const size_t spare = k / 4 + 8;
    if (select.size() > k + spare) {
      const auto next = select.begin() + static_cast<std::ptrdiff_t>(k + spare - 1);
      std::nth_element(at + 1, next, select.end(), std::greater<double>());
      guess = *next;
    } else if (too_high) {
      guess = *std::min_element(select.begin(), select.end());
    }
  }
  // Every value above the k-th largest is a candidate, and candidates keep the grid's order.
  double sum = 0;
  size_t above = 0;
  for (size_t i = 0; i < n; ++i)
    if (cand[i] > kth) {
      sum += cand[i];
      ++above;
    }
  sum += static_cast<double>(k - above) * kth;
  return sum / static_cast<double>(k);
}

// How many of the largest values the density cost (of the cells) and the congestion cost
// (of the H and V values together) average.
size_t density_top_k(int cells) { return std::max<size_t>(1, static_cast<size_t>(std::floor(0.1 * cells))); }
size_t congestion_top_k(int cells) { return std::max<size_t>(1, static_cast<size_t>(std::floor(0.05 * 2 * cells))); }

// The k-th largest of `values` (a copy is partly sorted in `buf`).
double kth_largest(const std::vector<double>& values, size_t k, std::vector<double>& buf) {
  buf.assign(values.begin(), values.end());
  k = std::min(k, buf.size());
  const auto at = buf.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(buf.begin(), at, buf.end(), std::greater<double>());
  return *at;
}

// The routing of a net over its distinct cells, source first, as Circuit Training routes it:
// two cells by an L along the source's row to the sink's column; three by the shapes of
// docs/proxy-cost.md; more by an L from the source to each other cell. h_run(row, c0, c1)
// takes H demand on a row over columns [c0, c1), v_run(col, r0, r1) V demand on a column over
// rows [r0, r1); empty runs are left out.
template <class H, class V>
void route_shape(const int32_t* cells, int32_t g, int cols, H&& h_run_any, V&& v_run_any) {
  if (g < 2) return;
  auto h_run = [&](int row, int c0, int c1) {
    if (c0 != c1) h_run_any(row, c0, c1);
  };
  auto v_run = [&](int col, int r0, int r1) {
    if (r0 != r1) v_run_any(col, r0, r1);
  };
  auto two_cell = [&](int rs, int cs, int rt, int ct) {
    h_run(rs, std::min(cs, ct), std::max(cs, ct));
    v_run(ct, std::min(rs, rt), std::max(rs, rt));
  };
  const int rs = cells[0] / cols, cs = cells[0] % cols;
  if (g == 2) {
    two_cell(rs, cs, cells[1] / cols, cells[1] % cols);
  } else if (g == 3) {
    struct Cell { int r, c; };
    Cell a[3];
    for (int i = 0; i < 3; ++i) a[i] = {cells[i] / cols, cells[i] % cols};
    std::sort(a, a + 3, [](const Cell& p, const Cell& q) { return p.c != q.c ? p.c < q.c : p.r < q.r; });
    const int r1 = a[0].r, c1 = a[0].c, r2 = a[1].r, c2 = a[1].c, r3 = a[2].r, c3 = a[2].c;
    if (c1 < c2 && c2 < c3 && std::min(r1, r3) < r2 && r2 < std::max(r1, r3)) {
      h_run(r1, c1, c2);
      h_run(r2, c2, c3);
      v_run(c2, std::min(r1, r2), std::max(r1, r2));
      v_run(c3, std::min(r2, r3), std::max(r2, r3));
    } else if (c2 == c3 && c1 < c2 && r1 < std::min(r2, r3)) {
      h_run(r1, c1, c2);
      v_run(c2, r1, std::max(r2, r3));
    } else if (r2 == r3) {
      h_run(r1, c1, c2);
      h_run(r2, c2, c3);
      v_run(c2, std::min(r1, r2), std::max(r1, r2));
    } else {
      // T shape: the trunk runs along the middle row.
      std::sort(a, a + 3, [](const Cell& p, const Cell& q) { return p.r != q.r ? p.r < q.r : p.c < q.c; });
      const int cmin = std::min({a[0].c, a[1].c, a[2].c}), cmax = std::max({a[0].c, a[1].c, a[2].c});
      h_run(a[1].r, cmin, cmax);
      v_run(a[0].c, std::min(a[0].r, a[1].r), std::max(a[0].r, a[1].r));
      v_run(a[2].c, std::min(a[1].r, a[2].r), std::max(a[1].r, a[2].r));
    }
  } else {
    for (int32_t i = 1; i < g; ++i) two_cell(rs, cs, cells[i] / cols, cells[i] % cols);
  }
}

}  // namespace

Evaluator::Evaluator(const Netlist& nl, const CostParams& params)
    : nl_(nl),
      params_(params),
      cols_(params.cols),
      rows_(params.rows),
      cells_(params.cols * params.rows),
      gw_(params.width / params.cols),
      gh_(params.height / params.rows) {
  total_net_weight_ = nl.total_net_weight();
  if (total_net_weight_ == 0) total_net_weight_ = 1;

  // Nets by the placeable node that moves their pins.
  const int32_t n = nl.num_nodes();
  std::vector<int32_t> counts(n + 1, 0);
  std::vector<int32_t> last(n, -1);
  auto mover = [&](int32_t pin) { return nl.owner[pin] < 0 ? pin : nl.owner[pin]; };
  for (int32_t net = 0; net < nl.num_nets(); ++net)
    for (int32_t i = nl.net_begin[net]; i < nl.net_begin[net + 1]; ++i) {
      int32_t m = mover(nl.net_pins[i]);
      if (last[m] != net) {
        last[m] = net;
        ++counts[m + 1];
      }
    }
  for (int32_t i = 0; i < n; ++i) counts[i + 1] += counts[i];
  node_net_begin_ = counts;
  node_nets_.assign(counts[n], 0);
  std::fill(last.begin(), last.end(), -1);
  for (int32_t net = 0; net < nl.num_nets(); ++net)
    for (int32_t i = nl.net_begin[net]; i < nl.net_begin[net + 1]; ++i) {
      int32_t m = mover(nl.net_pins[i]);
      if (last[m] != net) {
        last[m] = net;
        node_nets_[counts[m]++] = net;
      }
    }

  pin_mover_.resize(nl.net_pins.size());
  for (size_t j = 0; j < nl.net_pins.size(); ++j) pin_mover_[j] = mover(nl.net_pins[j]);
  pin_ox_.assign(nl.net_pins.size(), 0.0);
  pin_oy_.assign(nl.net_pins.size(), 0.0);
  net_cells_.assign(nl.net_pins.size(), 0);
  net_cell_count_.assign(nl.num_nets(), 0);
  net_hpwl_.assign(nl.num_nets(), 0.0);
  area_.assign(cells_, 0.0);
  h_diff_.assign(static_cast<size_t>(rows_) * (cols_ + 1), 0.0);
  v_diff_.assign(static_cast<size_t>(cols_) * (rows_ + 1), 0.0);
  h_macro_.assign(cells_, 0.0);
  v_macro_.assign(cells_, 0.0);
  cell_stamp_.assign(cells_, -1);
  reset(Placement::from_netlist(nl));
}

int Evaluator::cell_col(double x) const { return floor_clamped(x / gw_, 0, cols_ - 1); }
int Evaluator::cell_row(double y) const { return floor_clamped(y / gh_, 0, rows_ - 1); }

void Evaluator::reset(const Placement& placement) {
  if (placement.x.size() != static_cast<size_t>(nl_.num_nodes()))
    throw std::invalid_argument("Evaluator::reset: placement does not match the netlist");
  p_ = placement;
  std::fill(area_.begin(), area_.end(), 0.0);
  std::fill(h_diff_.begin(), h_diff_.end(), 0.0);
  std::fill(v_diff_.begin(), v_diff_.end(), 0.0);
  std::fill(h_macro_.begin(), h_macro_.end(), 0.0);
  std::fill(v_macro_.begin(), v_macro_.end(), 0.0);
  for (size_t j = 0; j < nl_.net_pins.size(); ++j) {
    const int32_t pin = nl_.net_pins[j], m = pin_mover_[j];
    if (m == pin) {
      pin_ox_[j] = pin_oy_[j] = 0;
    } else {
      orient_offset(p_.orientation[m], nl_.pin_dx[pin], nl_.pin_dy[pin], pin_ox_[j], pin_oy_[j]);
    }
  }
  wirelength_ = 0;
  for (int32_t net = 0; net < nl_.num_nets(); ++net) add_net(net);
  for (int32_t i = 0; i < nl_.num_nodes(); ++i)
    if (p_.placed[i]) add_node(i, 1.0);
}

void Evaluator::add_node(int32_t node, double sign) {
  const NodeKind k = nl_.kind[node];
  if (is_macro(k) || k == NodeKind::kStdCell) add_area(node, sign);
  if (k == NodeKind::kHardMacro) add_macro_blockage(node, sign);
}

void Evaluator::orient_pins(int32_t node) {
  const int32_t b = node_net_begin_[node], e = node_net_begin_[node + 1];
  const Orientation o = p_.orientation[node];
  for (int32_t i = b; i < e; ++i) {
    const int32_t net = node_nets_[i];
    for (int32_t j = nl_.net_begin[net]; j < nl_.net_begin[net + 1]; ++j)
      if (pin_mover_[j] == node) {
        const int32_t pin = nl_.net_pins[j];
        orient_offset(o, nl_.pin_dx[pin], nl_.pin_dy[pin], pin_ox_[j], pin_oy_[j]);
      }
  }
}

void Evaluator::add_net(int32_t net) {
  const int32_t begin = nl_.net_begin[net], end = nl_.net_begin[net + 1];
  // Bounding box and distinct cells of the placed pins; the first cell is the source's.
  double min_x = 0, max_x = 0, min_y = 0, max_y = 0;
  bool any = false;
  if (++stamp_ == INT32_MAX) {
    std::fill(cell_stamp_.begin(), cell_stamp_.end(), -1);
    stamp_ = 0;
  }
  int32_t* cells = net_cells_.data() + begin;
  int32_t count = 0;
  for (int32_t i = begin; i < end; ++i) {
    const int32_t m = pin_mover_[i];
    if (!p_.placed[m]) continue;
    const double x = p_.x[m] + pin_ox_[i], y = p_.y[m] + pin_oy_[i];
    if (!any) {
      min_x = max_x = x;
      min_y = max_y = y;
      any = true;
    } else {
      min_x = std::min(min_x, x);
      max_x = std::max(max_x, x);
      min_y = std::min(min_y, y);
      max_y = std::max(max_y, y);
    }
    const int32_t cell = cell_row(y) * cols_ + cell_col(x);
    if (cell_stamp_[cell] != stamp_) {
      cell_stamp_[cell] = stamp_;
      cells[count++] = cell;
    }
  }
  net_cell_count_[net] = count;
  const double w = nl_.net_weight[net];
  net_hpwl_[net] = any ? w * ((max_x - min_x) + (max_y - min_y)) : 0.0;
  wirelength_ += net_hpwl_[net];
  route(net, w);
}

void Evaluator::remove_net(int32_t net) {
  wirelength_ -= net_hpwl_[net];
  net_hpwl_[net] = 0;
  route(net, -nl_.net_weight[net]);
  net_cell_count_[net] = 0;
}

void Evaluator::route(int32_t net, double d) { route(net, d, h_diff_.data(), v_diff_.data()); }

void Evaluator::route(int32_t net, double d, double* h_diff, double* v_diff) const {
  const int h_stride = cols_ + 1, v_stride = rows_ + 1;
  route_shape(
      net_cells_.data() + nl_.net_begin[net], net_cell_count_[net], cols_,
      [&](int row, int c0, int c1) {
        h_diff[row * h_stride + c0] += d;
        h_diff[row * h_stride + c1] -= d;
      },
      [&](int col, int r0, int r1) {
        v_diff[col * v_stride + r0] += d;
        v_diff[col * v_stride + r1] -= d;
      });
}

template <class F>
void Evaluator::for_area(int32_t node, double x, double y, F&& add) const {
  const double hw = nl_.width[node] / 2, hh = nl_.height[node] / 2;
  const double x_min = x - hw, x_max = x + hw, y_min = y - hh, y_max = y + hh;
  const int ur_row = floor_clamped(y_max / gh_, -1, rows_ - 1);
  const int ur_col = floor_clamped(x_max / gw_, -1, cols_ - 1);
  if (ur_row < 0 || ur_col < 0) return;
  const int bl_row = floor_clamped(y_min / gh_, 0, rows_);
  const int bl_col = floor_clamped(x_min / gw_, 0, cols_);
  for (int r = bl_row; r <= ur_row; ++r) {
    const double dy = std::min(y_max, (r + 1) * gh_) - std::max(y_min, r * gh_);
    if (dy < 0) continue;
    for (int c = bl_col; c <= ur_col; ++c) {
      const double dx = std::min(x_max, (c + 1) * gw_) - std::max(x_min, c * gw_);
      if (dx >= 0) add(r * cols_ + c, dx * dy);
    }
  }
}

void Evaluator::add_area(int32_t node, double sign) {
  for_area(node, p_.x[node], p_.y[node], [&](int cell, double a) { area_[cell] += sign * a; });
}

template <class F>
void Evaluator::for_macro_blockage(int32_t node, double x, double y, F&& add) const {
  const double hw = nl_.width[node] / 2, hh = nl_.height[node] / 2;
  const double x_min = x - hw, x_max = x + hw, y_min = y - hh, y_max = y + hh;
  const int ur_row = floor_clamped(y_max / gh_, -1, rows_ - 1);
  const int ur_col = floor_clamped(x_max / gw_, -1, cols_ - 1);
  if (ur_row < 0 || ur_col < 0) return;
  const int bl_row = floor_clamped(y_min / gh_, 0, rows_);
  const int bl_col = floor_clamped(x_min / gw_, 0, cols_);
  // Overlap extents count only when the macro overlaps the cell in both directions.
  auto extents = [&](int r, int c, double& dx, double& dy) {
    dx = std::min(x_max, (c + 1) * gw_) - std::max(x_min, c * gw_);
    dy = std::min(y_max, (r + 1) * gh_) - std::max(y_min, r * gh_);
    if (!(dx > 0 && dy > 0)) dx = dy = 0;
  };
  const double v_alloc = params_.v_macro_alloc, h_alloc = params_.h_macro_alloc;
  bool partial_v = false, partial_h = false;
  for (int r = bl_row; r <= ur_row; ++r) {
    for (int c = bl_col; c <= ur_col; ++c) {
      double dx, dy;
      extents(r, c, dx, dy);
      if (ur_row != bl_row && (r == bl_row || r == ur_row) && std::abs(dy - gh_) > 1e-5) partial_v = true;
      if (ur_col != bl_col && (c == bl_col || c == ur_col) && std::abs(dx - gw_) > 1e-5) partial_h = true;
      add(r * cols_ + c, dx * v_alloc, dy * h_alloc);
    }
  }
  // A macro only partly covering its end rows (columns) leaves its top row's V (right
  // column's H) blockage out, as Circuit Training's evaluator does.
  if (partial_v) {
    for (int c = bl_col; c <= ur_col; ++c) {
      double dx, dy;
      extents(ur_row, c, dx, dy);
      add(ur_row * cols_ + c, -(dx * v_alloc), 0.0);
    }
  }
  if (partial_h) {
    for (int r = bl_row; r <= ur_row; ++r) {
      double dx, dy;
      extents(r, ur_col, dx, dy);
      add(r * cols_ + ur_col, 0.0, -(dy * h_alloc));
    }
  }
}

void Evaluator::add_macro_blockage(int32_t node, double sign) {
  for_macro_blockage(node, p_.x[node], p_.y[node], [&](int cell, double v, double h) {
    v_macro_[cell] += sign * v;
    h_macro_[cell] += sign * h;
  });
}

template <class F>
void Evaluator::with_nets_updated(int32_t node, F&& change) {
  const int32_t b = node_net_begin_[node], e = node_net_begin_[node + 1];
  for (int32_t i = b; i < e; ++i) remove_net(node_nets_[i]);
  if (p_.placed[node]) add_node(node, -1.0);
  change();
  if (p_.placed[node]) add_node(node, 1.0);
  for (int32_t i = b; i < e; ++i) add_net(node_nets_[i]);
}

void Evaluator::move(int32_t node, double x, double y) {
  with_nets_updated(node, [&] {
    p_.x[node] = x;
    p_.y[node] = y;
  });
}

void Evaluator::set_orientation(int32_t node, Orientation o) {
  with_nets_updated(node, [&] {
    p_.orientation[node] = o;
    orient_pins(node);
  });
}

void Evaluator::place(int32_t node, double x, double y) {
  with_nets_updated(node, [&] {
    p_.x[node] = x;
    p_.y[node] = y;
    p_.placed[node] = 1;
  });
}

void Evaluator::unplace(int32_t node) {
  with_nets_updated(node, [&] { p_.placed[node] = 0; });
}

std::vector<double> Evaluator::density_grid() const {
  std::vector<double> d(cells_);
  const double cell_area = gw_ * gh_;
  for (int i = 0; i < cells_; ++i) d[i] = area_[i] / cell_area;
  return d;
}

void Evaluator::congestion_grids(std::vector<double>& h, std::vector<double>& v) const {
  congestion_from(h_diff_.data(), v_diff_.data(), h, v);
}

void Evaluator::congestion_from(const double* h_diff, const double* v_diff, std::vector<double>& h,
                                std::vector<double>& v) const {
  // Net demand per cell, from the difference arrays.
  std::vector<double>& h_net = scratch_c_;
  std::vector<double>& v_net = scratch_d_;
  h_net.resize(cells_);
  v_net.resize(cells_);
  for (int r = 0; r < rows_; ++r) {
    double run = 0;
    for (int c = 0; c < cols_; ++c) {
      run += h_diff[r * (cols_ + 1) + c];
      h_net[r * cols_ + c] = run;
    }
  }
  for (int c = 0; c < cols_; ++c) {
    double run = 0;
    for (int r = 0; r < rows_; ++r) {
      run += v_diff[c * (rows_ + 1) + r];
      v_net[r * cols_ + c] = run;
    }
  }
  const int k = params_.smoothing_range();
  if (k == 0) {
    h = h_net;
    v = v_net;
  } else {
    // V demand spreads along its row, H demand along its column, each cell's share
    // divided by the number of cells in range.
    h.assign(cells_, 0.0);
    v.assign(cells_, 0.0);
    for (int r = 0; r < rows_; ++r)
      for (int c = 0; c < cols_; ++c) {
        const int lo = std::max(0, c - k), hi = std::min(cols_ - 1, c + k);
        const double share = v_net[r * cols_ + c] / (hi - lo + 1);
        if (share == 0) continue;
        for (int cc = lo; cc <= hi; ++cc) v[r * cols_ + cc] += share;
      }
    for (int r = 0; r < rows_; ++r)
      for (int c = 0; c < cols_; ++c) {
        const int lo = std::max(0, r - k), hi = std::min(rows_ - 1, r + k);
        const double share = h_net[r * cols_ + c] / (hi - lo + 1);
        if (share == 0) continue;
        for (int rr = lo; rr <= hi; ++rr) h[rr * cols_ + c] += share;
      }
  }
  const double v_norm = gw_ * params_.v_routes_per_micron, h_norm = gh_ * params_.h_routes_per_micron;
  for (int i = 0; i < cells_; ++i) {
    v[i] = (v[i] + v_macro_[i]) / v_norm;
    h[i] = (h[i] + h_macro_[i]) / h_norm;
  }
}

Costs Evaluator::costs() const {
  Costs c;
  c.wirelength = wirelength_;
  c.wirelength_cost = wirelength_ / ((params_.width + params_.height) * total_net_weight_);

  std::vector<double>& grid = scratch_a_;
  std::vector<double>& select = scratch_b_;
  grid.resize(cells_);
  const double cell_area = gw_ * gh_;
  for (int i = 0; i < cells_; ++i) grid[i] = area_[i] / cell_area;
  const size_t k_density = density_top_k(cells_);
  c.density_cost = 0.5 * mean_of_largest(grid, k_density, density_threshold_, select, scratch_f_);

  std::vector<double>& h = scratch_e_;
  congestion_grids(h, grid);  // grid = V
  grid.insert(grid.end(), h.begin(), h.end());
  const size_t k_cong = congestion_top_k(cells_);
  c.congestion_cost = mean_of_largest(grid, k_cong, congestion_threshold_, select, scratch_f_);

  c.proxy_cost = params_.weights.combine(c.wirelength_cost, c.density_cost, c.congestion_cost);
  return c;
}

namespace {

// The mean of the k largest of base + add, where add is zero but on `touched` (distinct
// cells) and not negative, from the base's cells above its k-th largest (`above`), the count
// of its values equal to it (`ties`) and that value: no other cell can be among the k
// largest. NaN where rounding left too few values at or above the base's k-th largest.
double top_k_mean_after_adding(const std::vector<double>& base, const std::vector<double>& add,
                               const std::vector<int32_t>& above, const std::vector<int32_t>& touched, size_t k,
                               double kth, size_t ties, std::vector<double>& values) {
  values.clear();
  size_t ties_left = ties;
  for (int32_t i : above) {
    const double v = base[i] + add[i];
    if (v > kth) values.push_back(v);
    else if (v == kth) ++ties_left;
  }
  for (int32_t i : touched) {
    if (base[i] > kth) continue;  // among `above`
    const double v = base[i] + add[i];
    if (base[i] == kth && v != kth) --ties_left;
    if (v > kth) values.push_back(v);
  }
  const size_t n = values.size();
  if (n >= k) {
    const auto at = values.begin() + static_cast<std::ptrdiff_t>(k - 1);
    std::nth_element(values.begin(), at, values.end(), std::greater<double>());
    const double kv = *at;
    double sum = 0;
    size_t count = 0;
    for (double v : values)
      if (v > kv) sum += v, ++count;
    return (sum + static_cast<double>(k - count) * kv) / static_cast<double>(k);
  }
  if (n + ties_left < k) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (double v : values) sum += v;
  return (sum + static_cast<double>(k - n) * kth) / static_cast<double>(k);
}

// The base's k-th largest value, the cells above it and how many equal it.
void top_k_of_base(const std::vector<double>& base, size_t k, std::vector<double>& buf, double& kth,
                   std::vector<int32_t>& above, size_t& ties) {
  kth = kth_largest(base, k, buf);
  above.clear();
  ties = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    if (base[i] > kth) above.push_back(static_cast<int32_t>(i));
    ties += base[i] == kth;
  }
}

}  // namespace

void Evaluator::proxy_at(int32_t node, const double* xs, const double* ys, int n, double* out) const {
  if (node < 0 || node >= nl_.num_nodes() || p_.placed[node])
    throw std::invalid_argument("Evaluator::proxy_at: the node must exist and not be placed");
  Scan& sc = scan_;
  const int32_t nb = node_net_begin_[node], ne = node_net_begin_[node + 1];
  const int h_stride = cols_ + 1, v_stride = rows_ + 1;
  const double cell_area = gw_ * gh_;
  const double v_norm = gw_ * params_.v_routes_per_micron, h_norm = gh_ * params_.h_routes_per_micron;

  // The node's nets: the other pins' box and distinct cells are the same at every position.
  // A net routed from another pin's cell to 4 or more others stays a star from that cell
  // wherever the node goes, so only the node's own cells add to it.
  const size_t words = (static_cast<size_t>(cells_) + 63) / 64;
  sc.nets.clear();
  sc.cells.clear();
  sc.ox.clear();
  sc.oy.clear();
  sc.bits.assign(static_cast<size_t>(ne - nb) * words, 0);
  for (int32_t i = nb; i < ne; ++i) {
    const int32_t net = node_nets_[i];
    ScanNet sn{};
    sn.weight = nl_.net_weight[net];
    int32_t first_node = -1, first_other = -1;
    sn.pin_begin = static_cast<int32_t>(sc.ox.size());
    for (int32_t j = nl_.net_begin[net]; j < nl_.net_begin[net + 1]; ++j) {
      const int32_t m = pin_mover_[j];
      if (m == node) {
        if (first_node < 0) first_node = j;
        sc.ox.push_back(pin_ox_[j]);
        sc.oy.push_back(pin_oy_[j]);
      } else if (p_.placed[m]) {
        const double x = p_.x[m] + pin_ox_[j], y = p_.y[m] + pin_oy_[j];
        if (first_other < 0) {
          first_other = j;
          sn.bx0 = sn.bx1 = x;
          sn.by0 = sn.by1 = y;
        } else {
          sn.bx0 = std::min(sn.bx0, x), sn.bx1 = std::max(sn.bx1, x);
          sn.by0 = std::min(sn.by0, y), sn.by1 = std::max(sn.by1, y);
        }
      }
    }
    sn.pin_end = static_cast<int32_t>(sc.ox.size());
    sn.any_other = first_other >= 0;
    sn.node_first = first_other < 0 || first_node < first_other;
    // With the node unplaced, the net's cached cells are the other pins' (source first).
    sn.cell_begin = static_cast<int32_t>(sc.cells.size());
    uint64_t* bits = sc.bits.data() + static_cast<size_t>(i - nb) * words;
    const int32_t* cached = net_cells_.data() + nl_.net_begin[net];
    for (int32_t c = 0; c < net_cell_count_[net]; ++c) {
      sc.cells.push_back(cached[c]);
      bits[cached[c] >> 6] |= uint64_t{1} << (cached[c] & 63);
    }
    sn.cell_end = static_cast<int32_t>(sc.cells.size());
    sn.fixed_star = !sn.node_first && sn.cell_end - sn.cell_begin >= 4;
    sc.nets.push_back(sn);
  }

  // The base: the grid without the node, its nets' routes taken out but for the fixed stars.
  std::vector<double>& hd = sc.h_diff;
  std::vector<double>& vd = sc.v_diff;
  hd = h_diff_;
  vd = v_diff_;
  double base_wirelength = wirelength_;
  for (int32_t i = nb; i < ne; ++i) {
    const int32_t net = node_nets_[i];
    base_wirelength -= net_hpwl_[net];
    if (!sc.nets[i - nb].fixed_star) route(net, -nl_.net_weight[net], hd.data(), vd.data());
  }
  std::vector<double>& base_h = scratch_a_;
  std::vector<double>& base_v = scratch_b_;
  congestion_from(hd.data(), vd.data(), base_h, base_v);
  sc.congestion.assign(base_v.begin(), base_v.end());
  sc.congestion.insert(sc.congestion.end(), base_h.begin(), base_h.end());
  sc.density.resize(cells_);
  for (int i = 0; i < cells_; ++i) sc.density[i] = area_[i] / cell_area;
  const size_t k_density = density_top_k(cells_), k_congestion = congestion_top_k(cells_);
  top_k_of_base(sc.congestion, k_congestion, sc.select, sc.congestion_kth, sc.congestion_above, sc.congestion_ties);
  top_k_of_base(sc.density, k_density, sc.select, sc.density_kth, sc.density_above, sc.density_ties);

  std::fill(hd.begin(), hd.end(), 0.0);
  std::fill(vd.begin(), vd.end(), 0.0);
  sc.add_congestion.assign(2 * static_cast<size_t>(cells_), 0.0);
  sc.add_density.assign(cells_, 0.0);
  sc.congestion_touched.assign(2 * static_cast<size_t>(cells_), 0);
  sc.row_touched.assign(rows_, 0);
  sc.col_touched.assign(cols_, 0);
  // Smoothing spreads a cell's H demand over the rows in range of its own and its V demand
  // over the columns, each of them getting the same share.
  const int k = params_.smoothing_range();
  sc.h_scale.resize(rows_);
  sc.v_scale.resize(cols_);
  for (int r = 0; r < rows_; ++r) sc.h_scale[r] = 1.0 / ((std::min(rows_ - 1, r + k) - std::max(0, r - k) + 1) * h_norm);
  for (int c = 0; c < cols_; ++c) sc.v_scale[c] = 1.0 / ((std::min(cols_ - 1, c + k) - std::max(0, c - k) + 1) * v_norm);

  auto add_congestion = [&](int32_t i, double v) {
    if (!sc.congestion_touched[i]) {
      sc.congestion_touched[i] = 1;
      sc.congestion_cells.push_back(i);
    }
    sc.add_congestion[i] += v;
  };
  double w = 0;  // the weight of the net being routed
  auto h_run = [&](int row, int c0, int c1) {
    hd[row * h_stride + c0] += w;
    hd[row * h_stride + c1] -= w;
    if (!sc.row_touched[row]) sc.row_touched[row] = 1, sc.rows.push_back(row);
  };
  auto v_run = [&](int col, int r0, int r1) {
    vd[col * v_stride + r0] += w;
    vd[col * v_stride + r1] -= w;
    if (!sc.col_touched[col]) sc.col_touched[col] = 1, sc.cols.push_back(col);
  };

  const bool hard = nl_.kind[node] == NodeKind::kHardMacro;
  const bool has_area = is_macro(nl_.kind[node]) || nl_.kind[node] == NodeKind::kStdCell;
  const double wirelength_norm = (params_.width + params_.height) * total_net_weight_;
  std::vector<int32_t>& route_cells = sc.route;
  for (int pos = 0; pos < n; ++pos) {
    const double x = xs[pos], y = ys[pos];
    double wirelength = base_wirelength;
    if (hard)
      for_macro_blockage(node, x, y, [&](int cell, double v, double h) {
        add_congestion(cell, v / v_norm);
        add_congestion(cells_ + cell, h / h_norm);
      });
    for (size_t s = 0; s < sc.nets.size(); ++s) {
      const ScanNet& sn = sc.nets[s];
      const uint64_t* bits = sc.bits.data() + s * words;
      double bx0 = sn.bx0, bx1 = sn.bx1, by0 = sn.by0, by1 = sn.by1;
      // The other cells (a fixed star's source alone), a loop rather than a copy: most nets
      // have a handful, and per position and net a library call costs more than the copying.
      route_cells.clear();
      if (!sn.node_first) {
        const int32_t end = sn.fixed_star ? sn.cell_begin + 1 : sn.cell_end;
        for (int32_t c = sn.cell_begin; c < end; ++c) route_cells.push_back(sc.cells[c]);
      }
      const size_t node_cells_begin = route_cells.size();
      for (int32_t q = sn.pin_begin; q < sn.pin_end; ++q) {
        const double px = x + sc.ox[q], py = y + sc.oy[q];
        if (!sn.any_other && q == sn.pin_begin) {
          bx0 = bx1 = px;
          by0 = by1 = py;
        } else {
          bx0 = std::min(bx0, px), bx1 = std::max(bx1, px);
          by0 = std::min(by0, py), by1 = std::max(by1, py);
        }
        const int32_t cell = cell_row(py) * cols_ + cell_col(px);
        if (!sn.node_first && (bits[cell >> 6] >> (cell & 63) & 1)) continue;
        if (std::find(route_cells.begin() + static_cast<std::ptrdiff_t>(node_cells_begin), route_cells.end(), cell) ==
            route_cells.end())
          route_cells.push_back(cell);
      }
      if (sn.node_first) {
        // The node's cells lead (the first is the source); then the other cells they miss.
        const auto node_cells_end = static_cast<std::ptrdiff_t>(route_cells.size());
        for (int32_t c = sn.cell_begin; c < sn.cell_end; ++c)
          if (std::find(route_cells.begin(), route_cells.begin() + node_cells_end, sc.cells[c]) ==
              route_cells.begin() + node_cells_end)
            route_cells.push_back(sc.cells[c]);
      }
      w = sn.weight;
      wirelength += w * ((bx1 - bx0) + (by1 - by0));
      if (sn.fixed_star) {
        // The star's L's to the other cells are in the base: only those to the node's cells.
        for (size_t t = node_cells_begin; t < route_cells.size(); ++t) {
          const int32_t pair[2] = {route_cells[0], route_cells[t]};
          route_shape(pair, 2, cols_, h_run, v_run);
        }
      } else {
        route_shape(route_cells.data(), static_cast<int32_t>(route_cells.size()), cols_, h_run, v_run);
      }
    }
    // Net demand of the rows and columns routed through, smoothed.
    for (int r : sc.rows) {
      double run = 0;
      const int lo = std::max(0, r - k), hi = std::min(rows_ - 1, r + k);
      for (int c = 0; c < cols_; ++c) {
        run += hd[r * h_stride + c];
        hd[r * h_stride + c] = 0;
        if (run == 0) continue;
        const double share = run * sc.h_scale[r];
        for (int rr = lo; rr <= hi; ++rr) add_congestion(cells_ + rr * cols_ + c, share);
      }
      hd[r * h_stride + cols_] = 0;
      sc.row_touched[r] = 0;
    }
    for (int c : sc.cols) {
      double run = 0;
      const int lo = std::max(0, c - k), hi = std::min(cols_ - 1, c + k);
      for (int r = 0; r < rows_; ++r) {
        run += vd[c * v_stride + r];
        vd[c * v_stride + r] = 0;
        if (run == 0) continue;
        const double share = run * sc.v_scale[c];
        for (int cc = lo; cc <= hi; ++cc) add_congestion(r * cols_ + cc, share);
      }
      vd[c * v_stride + rows_] = 0;
      sc.col_touched[c] = 0;
    }
    sc.rows.clear();
    sc.cols.clear();
    if (has_area)
      for_area(node, x, y, [&](int cell, double a) {
        sc.density_cells.push_back(cell);
        sc.add_density[cell] += a / cell_area;
      });

    double density = top_k_mean_after_adding(sc.density, sc.add_density, sc.density_above, sc.density_cells,
                                             k_density, sc.density_kth, sc.density_ties, sc.values);
    double congestion = top_k_mean_after_adding(sc.congestion, sc.add_congestion, sc.congestion_above,
                                                sc.congestion_cells, k_congestion, sc.congestion_kth,
                                                sc.congestion_ties, sc.values);
    if (std::isnan(density) || std::isnan(congestion)) {
      // Rounding in a non-integral net weight's demand: every cell, as costs() does.
      auto full = [&](const std::vector<double>& base, const std::vector<double>& add, size_t kk) {
        std::vector<double> v(base.size());
        for (size_t i = 0; i < v.size(); ++i) v[i] = base[i] + add[i];
        double guess = 0;
        return mean_of_largest(v, kk, guess, scratch_e_, scratch_f_);
      };
      density = full(sc.density, sc.add_density, k_density);
      congestion = full(sc.congestion, sc.add_congestion, k_congestion);
    }
    for (int32_t i : sc.density_cells) sc.add_density[i] = 0;
    for (int32_t i : sc.congestion_cells) sc.add_congestion[i] = 0, sc.congestion_touched[i] = 0;
    sc.density_cells.clear();
    sc.congestion_cells.clear();
    out[pos] = params_.weights.combine(wirelength / wirelength_norm, 0.5 * density, congestion);
  }
}

LegalityReport Evaluator::legality() const {
  LegalityReport rep;
  struct Box { double x, y, hw, hh; };
  std::vector<Box> boxes;
  boxes.reserve(nl_.hard_macros.size());
  const double tol = 1e-9 * std::max(params_.width, params_.height);
  for (int32_t m : nl_.hard_macros) {
    if (!p_.placed[m]) continue;
    const Box b{p_.x[m], p_.y[m], nl_.width[m] / 2, nl_.height[m] / 2};
    if (b.x - b.hw < -tol || b.y - b.hh < -tol || b.x + b.hw > params_.width + tol ||
        b.y + b.hh > params_.height + tol)
      ++rep.out_of_canvas;
    for (const Blockage& bl : params_.blockages) {
      if (bl.rate < 1) continue;
      if (std::min(b.x + b.hw, bl.max_x) - std::max(b.x - b.hw, bl.min_x) > 0 &&
          std::min(b.y + b.hh, bl.max_y) - std::max(b.y - b.hh, bl.min_y) > 0) {
        ++rep.on_blockage;
        break;
      }
    }
    boxes.push_back(b);
  }
  // Sweep in x: only pairs whose x extents meet can overlap.
  std::sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.x - a.hw < b.x - b.hw; });
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& a = boxes[i];
    for (size_t j = i + 1; j < boxes.size() && boxes[j].x - boxes[j].hw < a.x + a.hw + tol; ++j) {
      const Box& b = boxes[j];
      const double ox = a.hw + b.hw - std::abs(a.x - b.x);
      const double oy = a.hh + b.hh - std::abs(a.y - b.y);
      if (ox > 0 && oy > 0) {
        ++rep.overlap_count;
        rep.overlap_area += ox * oy;
      }
    }
  }
  return rep;
}

}  // namespace rlplace
