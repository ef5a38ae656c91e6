// Force-directed placement of soft macros and standard cells.
//
// Attraction. Every net is a star from its driver: the pair (driver pin d, sink pin s) pulls
// the owner of d by k * (s - d) and the owner of s by k * (d - s), k = net weight (times
// io_factor when a port takes part). A movable node's pin offsets do not change during a
// run, so the pull on movable node i is affine in the positions,
//     F_i = b_i + sum_j k_ij x_j - K_i x_i,
// and is set up once as a sparse matrix (CSR, one row per movable node, neighbours merged).
// A step gathers each row: no atomics, and the same sums in the same order whatever the
// number of threads, so results do not depend on it.
//
// Repulsion. Movable nodes are entered each step in every bin of a uniform grid that their
// box touches; fixed nodes with an area (hard macros) once, in the same grid. A node finds
// each box it overlaps exactly once by scanning its own bins (see Grid), again without
// atomics. A run of more than kBinSample candidates (a pile of nodes) is sampled at evenly
// spaced entries and the sum scaled up, which bounds the work of a step at O(n) rather than
// the square of the largest pile.
//
// Move. Forces are normalised per axis by their largest magnitude over the movable nodes;
// the step is the normalised force times the stage's maximum move, and centres are clamped
// so that boxes stay on the canvas (centres, for a box larger than the canvas).
#include "placer/fd.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace rlplace {
namespace {

constexpr double kMinDist = 1e-4;  // boxes closer than this to merely touching do not push
constexpr int kBinSample = 48;     // candidates of a crowded run looked at per node
constexpr int kChunk = 64;         // candidates tested per batch

inline bool is_movable_kind(NodeKind k) { return k == NodeKind::kSoftMacro || k == NodeKind::kStdCell; }

// Boxes entered in the bins of a Grid: centre, half sizes and an id per entry, contiguous
// per (bin, run) so that a scan streams.
struct Entries {
  std::vector<int32_t> begin;  // CSR over bin * 4 + run
  std::vector<double> x, y, hw, hh;
  std::vector<int32_t> id;
};

// A uniform grid of bins over the canvas. A box is entered in every bin it touches. Two
// boxes share the bins of the intersection of their bin ranges and their pair belongs to
// the lowest-left of those, (max c0, max r0). To find exactly those pairs without a test,
// each bin keeps its entries in four runs by where the entry's range starts:
//   run 0: c0 == c, r0 < r    1: c0 == c, r0 == r    2: c0 < c, r0 == r    3: c0 < c, r0 < r
// A box whose range starts at (c0i, r0i) pairs in bin (c, r) with the entries j where
// max(c0i, c0j) == c and max(r0i, r0j) == r: runs 0-3 of its first bin, runs 0-1 (c0j == c)
// of the other bins of its first row, runs 1-2 (r0j == r) of the other bins of its first
// column, run 1 elsewhere.
struct Grid {
  int nx = 1, ny = 1;
  double inv_sx = 1, inv_sy = 1;

  void init(double width, double height, double bin_w, double bin_h, double max_bins) {
    bin_w = std::max(bin_w, width / 2048);
    bin_h = std::max(bin_h, height / 2048);
    const double cx = std::ceil(width / bin_w), cy = std::ceil(height / bin_h);
    if (cx * cy > max_bins) {
      const double f = std::sqrt(cx * cy / max_bins);
      bin_w *= f;
      bin_h *= f;
    }
    nx = std::clamp(static_cast<int>(std::ceil(width / bin_w)), 1, 2048);
    ny = std::clamp(static_cast<int>(std::ceil(height / bin_h)), 1, 2048);
    inv_sx = nx / width;
    inv_sy = ny / height;
  }
  size_t slots() const { return static_cast<size_t>(nx) * ny * 4; }
  // Clamped first, so that truncation is floor and far-away boxes convert safely.
  int col(double x) const { return static_cast<int>(std::clamp(x * inv_sx, 0.0, nx - 1.0)); }
  int row(double y) const { return static_cast<int>(std::clamp(y * inv_sy, 0.0, ny - 1.0)); }
  void range(double x, double y, double hw, double hh, int32_t& c0, int32_t& c1, int32_t& r0, int32_t& r1) const {
    c0 = col(x - hw);
    c1 = col(x + hw);
    r0 = row(y - hh);
    r1 = row(y + hh);
  }
  static int run(int c, int r, int c0, int r0) { return c0 == c ? (r0 == r ? 1 : 0) : (r0 == r ? 2 : 3); }
  // The runs [lo, hi) of bin (c, r) that a box whose range starts at (c0, r0) pairs with.
  static void runs(int c, int r, int c0, int r0, int& lo, int& hi) {
    lo = r0 == r ? 0 : 1;
    hi = c0 == c ? (r0 == r ? 4 : 3) : 2;
  }

  // Enters boxes 0 .. n-1 with their bin ranges, in box order within each run.
  void enter(Entries& e, std::vector<int32_t>& fill, int n, const double* x, const double* y, const double* hw,
             const double* hh, const int32_t* id, const int32_t* c0, const int32_t* c1, const int32_t* r0,
             const int32_t* r1) const {
    e.begin.assign(slots() + 1, 0);
    for (int i = 0; i < n; ++i)
      for (int r = r0[i]; r <= r1[i]; ++r)
        for (int c = c0[i]; c <= c1[i]; ++c) ++e.begin[(r * nx + c) * 4 + run(c, r, c0[i], r0[i]) + 1];
    for (size_t s = 1; s < e.begin.size(); ++s) e.begin[s] += e.begin[s - 1];
    const size_t entries = e.begin.back();
    e.x.resize(entries);
    e.y.resize(entries);
    e.hw.resize(entries);
    e.hh.resize(entries);
    e.id.resize(entries);
    fill.assign(e.begin.begin(), e.begin.end() - 1);
    for (int i = 0; i < n; ++i)
      for (int r = r0[i]; r <= r1[i]; ++r)
        for (int c = c0[i]; c <= c1[i]; ++c) {
          const int32_t t = fill[(r * nx + c) * 4 + run(c, r, c0[i], r0[i])]++;
          e.x[t] = x[i];
          e.y[t] = y[i];
          e.hw[t] = hw[i];
          e.hh[t] = hh[i];
          e.id[t] = id[i];
        }
  }
};

// Adds to (rx, ry) the unit vectors from the centres of the entries [b, b + cnt) of `e` that
// overlap box (xi, yi, hwi, hhi) to its centre; `self` is the box's own id, never counted.
// Coincident centres push the smaller id to the lower left and the larger to the upper
// right. Of more than `sample` candidates, `sample` evenly spaced ones stand for all.
inline void scan(const Entries& e, int32_t b, int32_t cnt, double xi, double yi, double hwi, double hhi,
                 int32_t self, int sample, double& rx, double& ry) {
  if (cnt <= 0) return;
  const double lim_x = hwi - kMinDist, lim_y = hhi - kMinDist;
  const bool crowd = cnt > sample;
  const int32_t looks = crowd ? sample : cnt;
  const double w = crowd ? static_cast<double>(cnt) / sample : 1.0;
  double sx = 0, sy = 0;
  // In batches: first the overlapping entries, collected without branches (the overlap
  // tests are coin flips to a branch predictor), then their pushes.
  int32_t hits[kChunk];
  for (int32_t s0 = 0; s0 < looks; s0 += kChunk) {
    const int32_t s1 = std::min(looks, s0 + kChunk);
    int nh = 0;
    for (int32_t s = s0; s < s1; ++s) {
      const int32_t t = crowd ? b + static_cast<int32_t>(static_cast<int64_t>(s) * cnt / sample) : b + s;
      hits[nh] = t;
      nh += (std::abs(xi - e.x[t]) < lim_x + e.hw[t]) & (std::abs(yi - e.y[t]) < lim_y + e.hh[t]) & (e.id[t] != self);
    }
    for (int h = 0; h < nh; ++h) {
      const int32_t t = hits[h];
      const double dx = xi - e.x[t], dy = yi - e.y[t];
      const double d2 = dx * dx + dy * dy;
      const bool apart = d2 > 0;
      const double inv = w / std::sqrt(apart ? d2 : 1.0);
      const double tie = self < e.id[t] ? -w : w;
      sx += apart ? dx * inv : tie;
      sy += apart ? dy * inv : tie;
    }
  }
  rx += sx;
  ry += sy;
}

class Solver {
 public:
  Solver(const Netlist& nl, const CostParams& params, Placement& p, const FdOptions& o)
      : nl_(nl), params_(params), p_(p), o_(o) {}

  FdResult run();

 private:
  void collect_nodes();
  void build_attraction();
  void build_grid();
  void attraction(int i, double& fx, double& fy) const;
  void repulsion(int i, double& fx, double& fy) const;

  const Netlist& nl_;
  const CostParams& params_;
  Placement& p_;
  const FdOptions& o_;

  // Movable nodes, by movable index (ascending node index).
  int n_ = 0;
  std::vector<int32_t> node_;  // movable index -> node
  std::vector<int32_t> mov_;   // node -> movable index, -1 if it does not move
  std::vector<int32_t> ids_;   // 0 .. n-1
  std::vector<double> x_, y_, hw_, hh_;  // centres and the half sizes they push with
  std::vector<double> fx_, fy_;

  // Attraction: F_i = (bx_i, by_i) + sum_j k_ij (x_j, y_j) - K_i (x_i, y_i).
  std::vector<int32_t> row_begin_, row_col_;
  std::vector<double> row_k_, sum_k_, bx_, by_;

  // Repulsion: movable boxes (re-entered each step, with their bin ranges) and fixed ones.
  Grid grid_;
  Entries moving_, fixed_;
  std::vector<int32_t> fill_;
  std::vector<int32_t> c0_, c1_, r0_, r1_;
  bool any_fixed_ = false;
};

void Solver::collect_nodes() {
  const int32_t nn = nl_.num_nodes();
  mov_.assign(nn, -1);
  for (int32_t v = 0; v < nn; ++v) {
    if (!is_movable_kind(nl_.kind[v]) || !p_.placed[v] || p_.fixed[v]) continue;
    mov_[v] = static_cast<int32_t>(node_.size());
    node_.push_back(v);
  }
  n_ = static_cast<int>(node_.size());
  ids_.resize(n_);
  std::iota(ids_.begin(), ids_.end(), 0);
  x_.resize(n_);
  y_.resize(n_);
  hw_.resize(n_);
  hh_.resize(n_);
  const double cx = params_.width / 2, cy = params_.height / 2;
  for (int i = 0; i < n_; ++i) {
    const int32_t v = node_[i];
    if (nl_.kind[v] == NodeKind::kSoftMacro) {
      // Soft macros push as squares of their area, as in TILOS's FD: clusters drawn as
      // long thin strips of one grid column would spread sideways poorly.
      hw_[i] = hh_[i] = std::sqrt(nl_.width[v] * nl_.height[v]) / 2;
    } else {
      hw_[i] = nl_.width[v] / 2;
      hh_[i] = nl_.height[v] / 2;
    }
    x_[i] = o_.use_current_loc ? p_.x[v] : cx;
    y_[i] = o_.use_current_loc ? p_.y[v] : cy;
  }
}

void Solver::build_attraction() {
  // Where a pin is: a movable owner and the pin's offset from it, or a fixed position.
  auto locate = [&](int32_t pin, int32_t& mover, double& px, double& py) {
    const int32_t m = nl_.owner[pin];
    mover = mov_[m < 0 ? pin : m];
    if (mover < 0)
      pin_position(nl_, p_, pin, px, py);
    else if (m < 0)
      px = py = 0;
    else
      orient_offset(p_.orientation[m], nl_.pin_dx[pin], nl_.pin_dy[pin], px, py);
  };
  // Visits every (driver, sink) pair that pulls a movable node.
  auto pairs = [&](auto&& visit) {
    for (int32_t net = 0; net < nl_.num_nets(); ++net) {
      const int32_t b = nl_.net_begin[net], e = nl_.net_begin[net + 1];
      if (o_.max_fanout > 0 && e - b - 1 > o_.max_fanout) continue;
      const int32_t d = nl_.net_pins[b];
      if (!pin_placed(nl_, p_, d)) continue;
      int32_t md;
      double dx, dy;
      locate(d, md, dx, dy);
      const bool d_port = nl_.kind[d] == NodeKind::kPort;
      for (int32_t t = b + 1; t < e; ++t) {
        const int32_t s = nl_.net_pins[t];
        if (!pin_placed(nl_, p_, s)) continue;
        int32_t ms;
        double sx, sy;
        locate(s, ms, sx, sy);
        if (md == ms) continue;  // both fixed, or both on one movable node: no net pull
        double k = nl_.net_weight[net];
        if (d_port || nl_.kind[s] == NodeKind::kPort) k *= o_.io_factor;
        if (k == 0) continue;
        visit(md, dx, dy, ms, sx, sy, k);
      }
    }
  };
  // The pull on the owner of pin a from pin b is k * (pos_b - pos_a), a movable position
  // being x + offset: a row entry k for a movable b, and the constant k * (b - a offsets).
  row_begin_.assign(n_ + 1, 0);
  pairs([&](int32_t md, double, double, int32_t ms, double, double, double) {
    if (md >= 0 && ms >= 0) {
      ++row_begin_[md + 1];
      ++row_begin_[ms + 1];
    }
  });
  for (int i = 0; i < n_; ++i) row_begin_[i + 1] += row_begin_[i];
  std::vector<std::pair<int32_t, double>> entries(row_begin_[n_]);
  std::vector<int32_t> fill(row_begin_.begin(), row_begin_.end() - 1);
  sum_k_.assign(n_, 0);
  bx_.assign(n_, 0);
  by_.assign(n_, 0);
  auto add = [&](int32_t a, double ax, double ay, int32_t b, double bx, double by, double k) {
    sum_k_[a] += k;
    bx_[a] += k * (bx - ax);
    by_[a] += k * (by - ay);
    if (b >= 0) entries[fill[a]++] = {b, k};
  };
  pairs([&](int32_t md, double dx, double dy, int32_t ms, double sx, double sy, double k) {
    if (md >= 0) add(md, dx, dy, ms, sx, sy, k);
    if (ms >= 0) add(ms, sx, sy, md, dx, dy, k);
  });
  // Merge repeated neighbours, row by row, keeping first appearances in order.
  row_col_.clear();
  row_k_.clear();
  row_col_.reserve(entries.size());
  row_k_.reserve(entries.size());
  std::vector<int32_t> seen(n_, -1), slot(n_);
  int32_t start = 0;
  for (int i = 0; i < n_; ++i) {
    const int32_t b = start, e = row_begin_[i + 1];
    row_begin_[i] = static_cast<int32_t>(row_col_.size());
    for (int32_t t = b; t < e; ++t) {
      const int32_t j = entries[t].first;
      if (seen[j] == i) {
        row_k_[slot[j]] += entries[t].second;
      } else {
        seen[j] = i;
        slot[j] = static_cast<int32_t>(row_col_.size());
        row_col_.push_back(j);
        row_k_.push_back(entries[t].second);
      }
    }
    start = e;
  }
  row_begin_[n_] = static_cast<int32_t>(row_col_.size());
}

void Solver::build_grid() {
  const double W = params_.width, H = params_.height;
  double w = 0, h = 0;
  for (int i = 0; i < n_; ++i) {
    w += 2 * hw_[i];
    h += 2 * hh_[i];
  }
  // Bins about the mean node size, at most about one per movable node.
  grid_.init(W, H, std::max(w / n_, 1e-6), std::max(h / n_, 1e-6), std::max(64.0, 1.0 * n_));
  c0_.resize(n_);
  c1_.resize(n_);
  r0_.resize(n_);
  r1_.resize(n_);
  for (int i = 0; i < n_; ++i) grid_.range(x_[i], y_[i], hw_[i], hh_[i], c0_[i], c1_[i], r0_[i], r1_[i]);

  // Placed nodes with an area that do not move: hard macros above all.
  std::vector<int32_t> id;
  std::vector<double> x, y, hw, hh;
  for (int32_t v = 0; v < nl_.num_nodes(); ++v) {
    if (!p_.placed[v] || mov_[v] >= 0) continue;
    if (!(is_macro(nl_.kind[v]) || nl_.kind[v] == NodeKind::kStdCell)) continue;
    if (nl_.width[v] <= 0 || nl_.height[v] <= 0) continue;
    const bool square = nl_.kind[v] == NodeKind::kSoftMacro;  // as the movable ones
    id.push_back(v);
    x.push_back(p_.x[v]);
    y.push_back(p_.y[v]);
    hw.push_back(square ? std::sqrt(nl_.width[v] * nl_.height[v]) / 2 : nl_.width[v] / 2);
    hh.push_back(square ? hw.back() : nl_.height[v] / 2);
  }
  const int m = static_cast<int>(id.size());
  any_fixed_ = m > 0;
  std::vector<int32_t> c0(m), c1(m), r0(m), r1(m);
  for (int o = 0; o < m; ++o) grid_.range(x[o], y[o], hw[o], hh[o], c0[o], c1[o], r0[o], r1[o]);
  grid_.enter(fixed_, fill_, m, x.data(), y.data(), hw.data(), hh.data(), id.data(), c0.data(), c1.data(), r0.data(),
              r1.data());
}

inline void Solver::attraction(int i, double& fx, double& fy) const {
  double ax = bx_[i], ay = by_[i];
  for (int32_t t = row_begin_[i]; t < row_begin_[i + 1]; ++t) {
    const int32_t j = row_col_[t];
    ax += row_k_[t] * x_[j];
    ay += row_k_[t] * y_[j];
  }
  fx = ax - sum_k_[i] * x_[i];
  fy = ay - sum_k_[i] * y_[i];
}

// The sum of unit vectors pushing movable node i away from each box it overlaps.
inline void Solver::repulsion(int i, double& fx, double& fy) const {
  double rx = 0, ry = 0;
  const double xi = x_[i], yi = y_[i], hwi = hw_[i], hhi = hh_[i];
  const int c0 = c0_[i], r0 = r0_[i];
  for (int r = r0; r <= r1_[i]; ++r)
    for (int c = c0; c <= c1_[i]; ++c) {
      int lo, hi;
      Grid::runs(c, r, c0, r0, lo, hi);
      const size_t k = static_cast<size_t>(r * grid_.nx + c) * 4;
      scan(moving_, moving_.begin[k + lo], moving_.begin[k + hi] - moving_.begin[k + lo], xi, yi, hwi, hhi, i,
           kBinSample, rx, ry);
      if (any_fixed_)
        scan(fixed_, fixed_.begin[k + lo], fixed_.begin[k + hi] - fixed_.begin[k + lo], xi, yi, hwi, hhi, node_[i],
             INT_MAX, rx, ry);
    }
  fx = rx;
  fy = ry;
}

FdResult Solver::run() {
  const auto t0 = std::chrono::steady_clock::now();
  FdResult result;
  const double W = params_.width, H = params_.height;
  if (!(W > 0 && H > 0)) return result;
  collect_nodes();
  result.moved = n_;
  if (n_ == 0) return result;

  // Where each centre may go: the box on the canvas, or the centre where the box is larger.
  std::vector<double> lo_x(n_), hi_x(n_), lo_y(n_), hi_y(n_);
  for (int i = 0; i < n_; ++i) {
    const double hw = nl_.width[node_[i]] / 2, hh = nl_.height[node_[i]] / 2;
    lo_x[i] = std::min(hw, W / 2);
    hi_x[i] = std::max(W - hw, W / 2);
    lo_y[i] = std::min(hh, H / 2);
    hi_y[i] = std::max(H - hh, H / 2);
    x_[i] = std::clamp(x_[i], lo_x[i], hi_x[i]);
    y_[i] = std::clamp(y_[i], lo_y[i], hi_y[i]);
  }

  // The stages that do anything, with TILOS's gating of the two forces.
  struct Plan {
    int steps;
    double max_move, attract, repel;
    bool do_attract, do_repel;
  };
  std::vector<Plan> plan;
  bool any_attract = false, any_repel = false;
  for (const FdStage& s : o_.stages) {
    if (s.steps <= 0 || (s.attract == 0 && s.repel == 0)) continue;
    Plan q{s.steps, s.move_factor * std::max(W, H) / s.steps, s.attract, s.repel, false, false};
    q.do_attract = s.repel == 0 || s.attract / s.repel > 1e-4;
    q.do_repel = s.attract == 0 || s.repel / s.attract > 1e-4;
    any_attract |= q.do_attract;
    any_repel |= q.do_repel;
    plan.push_back(q);
    result.steps += q.steps;
  }
  if (any_attract) build_attraction();
  if (any_repel) build_grid();
  fx_.assign(n_, 0);
  fy_.assign(n_, 0);

  const int threads = std::max(1, o_.threads > 0 ? o_.threads : omp_get_max_threads());
  std::vector<double> part_x(threads, 0), part_y(threads, 0);

#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    const int nth = omp_get_num_threads();
    for (const Plan& q : plan) {
      for (int step = 0; step < q.steps; ++step) {
        if (q.do_repel) {
#pragma omp single
          grid_.enter(moving_, fill_, n_, x_.data(), y_.data(), hw_.data(), hh_.data(), ids_.data(), c0_.data(),
                      c1_.data(), r0_.data(), r1_.data());
        }
        double mx = 0, my = 0;
#pragma omp for schedule(dynamic, 64) nowait
        for (int i = 0; i < n_; ++i) {
          double fx = 0, fy = 0;
          if (q.do_attract) {
            double ax, ay;
            attraction(i, ax, ay);
            fx += q.attract * ax;
            fy += q.attract * ay;
          }
          if (q.do_repel) {
            double rx, ry;
            repulsion(i, rx, ry);
            fx += q.repel * q.max_move * rx;
            fy += q.repel * q.max_move * ry;
          }
          fx_[i] = fx;
          fy_[i] = fy;
          mx = std::max(mx, std::abs(fx));
          my = std::max(my, std::abs(fy));
        }
        part_x[tid] = mx;
        part_y[tid] = my;
#pragma omp barrier
        mx = my = 0;
        for (int t = 0; t < nth; ++t) {
          mx = std::max(mx, part_x[t]);
          my = std::max(my, part_y[t]);
        }
        const double sx = mx > 0 ? q.max_move / mx : 0, sy = my > 0 ? q.max_move / my : 0;
        // The barrier at the end of this loop also keeps part_x from being overwritten
        // while another thread still reads it.
#pragma omp for schedule(static)
        for (int i = 0; i < n_; ++i) {
          x_[i] = std::clamp(x_[i] + fx_[i] * sx, lo_x[i], hi_x[i]);
          y_[i] = std::clamp(y_[i] + fy_[i] * sy, lo_y[i], hi_y[i]);
          if (any_repel) grid_.range(x_[i], y_[i], hw_[i], hh_[i], c0_[i], c1_[i], r0_[i], r1_[i]);
        }
      }
    }
  }

  for (int i = 0; i < n_; ++i) {
    p_.x[node_[i]] = x_[i];
    p_.y[node_[i]] = y_[i];
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace

FdResult place_soft(const Netlist& nl, const CostParams& params, Placement& placement, const FdOptions& options) {
  Solver solver(nl, params, placement, options);
  return solver.run();
}

FdOptions default_fd_options(const Netlist& nl) {
  FdOptions o;
  if (!nl.stdcells.empty() && nl.soft_macros.empty()) o.stages = {{100, 1, 100, 0}, {100, 1, 1, 3e-4}, {100, 1, 1, 3e-4}};
  return o;
}

}  // namespace rlplace
