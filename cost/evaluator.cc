#include "cost/evaluator.h"

#include <algorithm>
#include <cmath>
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

void Evaluator::route(int32_t net, double d) {
  const int32_t g = net_cell_count_[net];
  if (g < 2) return;
  const int32_t* cells = net_cells_.data() + nl_.net_begin[net];
  const int cols = cols_;
  double* h_diff = h_diff_.data();
  double* v_diff = v_diff_.data();
  const int h_stride = cols_ + 1, v_stride = rows_ + 1;
  auto h_run = [&](int row, int c0, int c1) {  // H demand on row over columns [c0, c1)
    if (c0 == c1) return;
    h_diff[row * h_stride + c0] += d;
    h_diff[row * h_stride + c1] -= d;
  };
  auto v_run = [&](int col, int r0, int r1) {  // V demand on col over rows [r0, r1)
    if (r0 == r1) return;
    v_diff[col * v_stride + r0] += d;
    v_diff[col * v_stride + r1] -= d;
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

void Evaluator::add_area(int32_t node, double sign) {
  const double x = p_.x[node], y = p_.y[node];
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
      if (dx >= 0) area_[r * cols_ + c] += sign * (dx * dy);
    }
  }
}

void Evaluator::add_macro_blockage(int32_t node, double sign) {
  const double x = p_.x[node], y = p_.y[node];
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
      v_macro_[r * cols_ + c] += sign * (dx * v_alloc);
      h_macro_[r * cols_ + c] += sign * (dy * h_alloc);
    }
  }
  // A macro only partly covering its end rows (columns) leaves its top row's V (right
  // column's H) blockage out, as Circuit Training's evaluator does.
  if (partial_v) {
    for (int c = bl_col; c <= ur_col; ++c) {
      double dx, dy;
      extents(ur_row, c, dx, dy);
      v_macro_[ur_row * cols_ + c] -= sign * (dx * v_alloc);
    }
  }
  if (partial_h) {
    for (int r = bl_row; r <= ur_row; ++r) {
      double dx, dy;
      extents(r, ur_col, dx, dy);
      h_macro_[r * cols_ + ur_col] -= sign * (dy * h_alloc);
    }
  }
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
  // Net demand per cell, from the difference arrays.
  std::vector<double>& h_net = scratch_c_;
  std::vector<double>& v_net = scratch_d_;
  h_net.resize(cells_);
  v_net.resize(cells_);
  for (int r = 0; r < rows_; ++r) {
    double run = 0;
    for (int c = 0; c < cols_; ++c) {
      run += h_diff_[r * (cols_ + 1) + c];
      h_net[r * cols_ + c] = run;
    }
  }
  for (int c = 0; c < cols_; ++c) {
    double run = 0;
    for (int r = 0; r < rows_; ++r) {
      run += v_diff_[c * (rows_ + 1) + r];
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
  const size_t k_density = std::max<size_t>(1, static_cast<size_t>(std::floor(0.1 * cells_)));
  c.density_cost = 0.5 * mean_of_largest(grid, k_density, density_threshold_, select, scratch_f_);

  std::vector<double>& h = scratch_e_;
  congestion_grids(h, grid);  // grid = V
  grid.insert(grid.end(), h.begin(), h.end());
  const size_t k_cong = std::max<size_t>(1, static_cast<size_t>(std::floor(0.05 * 2 * cells_)));
  c.congestion_cost = mean_of_largest(grid, k_cong, congestion_threshold_, select, scratch_f_);

  c.proxy_cost = params_.weights.combine(c.wirelength_cost, c.density_cost, c.congestion_cost);
  return c;
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
