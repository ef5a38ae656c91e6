// The proxy cost of a placement (wirelength, density, congestion), evaluated in full or
// kept up to date as single nodes move. Definitions: docs/proxy-cost.md, whose
// rules this follows to the operation (cell lookup, overlap clipping, the 3-cell routing
// cases, the partial-overlap rule for macro routing blockage).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "cost/params.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"

namespace rlplace {

struct Costs {
  double wirelength = 0;  // sum of weight * HPWL, microns
  double wirelength_cost = 0;
  double density_cost = 0;
  double congestion_cost = 0;
  double proxy_cost = 0;  // weighted by the CostParams weights
};

struct LegalityReport {
  int overlap_count = 0;      // overlapping pairs of placed hard macros
  double overlap_area = 0;    // their summed overlap area
  int out_of_canvas = 0;      // placed hard macros not wholly inside the canvas
  int on_blockage = 0;        // placed hard macros overlapping a blockage of rate 1
  bool legal() const { return overlap_count == 0 && out_of_canvas == 0 && on_blockage == 0; }
};

class Evaluator {
 public:
  Evaluator(const Netlist& nl, const CostParams& params);

  // Full evaluation: recomputes every array from `placement`.
  void reset(const Placement& placement);

  // Incremental updates: each touches only the nets of `node` and the cells it covers.
  // `node` must be a macro, port or standard cell.
  void move(int32_t node, double x, double y);
  void set_orientation(int32_t node, Orientation o);
  void place(int32_t node, double x, double y);
  void unplace(int32_t node);

  Costs costs() const;
  LegalityReport legality() const;

  // The proxy cost with `node` (a macro or standard cell, not placed) centred on each of `n`
  // positions (xs[i], ys[i]), everything else as placed: what place() and then costs() would
  // give, up to rounding (a relative 1e-12), the evaluator left as it is. The grid without the
  // node is built once; a position then costs the node's nets and about as many values as the
  // top-k means average, not a move and a full evaluation. The greedy placer's step and the
  // greedy prior's proxy map (placer/cost_map.h) are this call.
  void proxy_at(int32_t node, const double* xs, const double* ys, int n, double* out) const;

  // The nets touching `node`'s pins (its own, for a port or standard cell), distinct, ascending.
  std::span<const int32_t> nets_of(int32_t node) const {
    return {node_nets_.data() + node_net_begin_[node], node_nets_.data() + node_net_begin_[node + 1]};
  }

  const Placement& placement() const { return p_; }
  const Netlist& netlist() const { return nl_; }
  const CostParams& params() const { return params_; }

  // Per grid cell, row-major from the bottom-left: the density and the total H and V
  // routing congestion (net demand smoothed, plus macro blockage, normalised).
  std::vector<double> density_grid() const;
  void congestion_grids(std::vector<double>& h, std::vector<double>& v) const;

 private:
  int cell_col(double x) const;
  int cell_row(double y) const;
  void add_net(int32_t net);     // HPWL and routing demand of one net, from the positions
  void remove_net(int32_t net);  // takes back what add_net added, from its cached cells
  void route(int32_t net, double d);  // demand d along the net's cached cells
  void route(int32_t net, double d, double* h_diff, double* v_diff) const;  // into other arrays
  void orient_pins(int32_t node);  // refresh the oriented offsets of a macro's pins
  // The covered area of each cell under `node` centred on (x, y): add(cell, area).
  template <class F>
  void for_area(int32_t node, double x, double y, F&& add) const;
  // The routing blockage of hard macro `node` centred on (x, y): add(cell, v, h).
  template <class F>
  void for_macro_blockage(int32_t node, double x, double y, F&& add) const;
  void add_area(int32_t node, double sign);
  void add_macro_blockage(int32_t node, double sign);
  // Smoothed, normalised H and V congestion from net demand difference arrays laid out as
  // h_diff_ and v_diff_, plus the macro blockage.
  void congestion_from(const double* h_diff, const double* v_diff, std::vector<double>& h,
                       std::vector<double>& v) const;
  void add_node(int32_t node, double sign);     // area and blockage of a placed node
  template <class F>
  void with_nets_updated(int32_t node, F&& change);

  const Netlist& nl_;
  CostParams params_;
  Placement p_;
  int cols_, rows_, cells_;
  double gw_, gh_;
  double total_net_weight_;

  // The nets touching each node's pins, distinct, CSR over nodes.
  std::vector<int32_t> node_net_begin_, node_nets_;

  // Per entry of nl_.net_pins: the node whose position the pin follows, and the pin's
  // offset from it under the current orientation.
  std::vector<int32_t> pin_mover_;
  std::vector<double> pin_ox_, pin_oy_;
  // Each net's distinct cells when it was last added (source first), stored in the same
  // slots as its pins.
  std::vector<int32_t> net_cells_, net_cell_count_;

  std::vector<double> net_hpwl_;  // weighted
  double wirelength_ = 0;
  std::vector<double> area_;            // covered area per cell
  // Routing demand of nets as difference arrays, so that a run of cells costs O(1):
  // H demand of row r is the prefix sum of h_diff_[r*(cols+1) ..], V demand of column c
  // the prefix sum of v_diff_[c*(rows+1) ..].
  std::vector<double> h_diff_, v_diff_;
  std::vector<double> h_macro_, v_macro_;

  std::vector<int32_t> cell_stamp_;  // de-duplicates one net's cells
  int32_t stamp_ = 0;
  mutable std::vector<double> scratch_a_, scratch_b_, scratch_c_, scratch_d_, scratch_e_, scratch_f_;
  // proxy_at's working arrays, kept between calls so that a step allocates nothing.
  struct ScanNet {
    double weight;
    bool fixed_star;  // routed from another pin's cell to 4 or more cells: that part is in the base
    bool node_first;  // the node's pin is the net's first placed pin: its cell is the source
    bool any_other;   // some other pin is placed; then bx0..by1 is their box
    double bx0, bx1, by0, by1;
    int32_t cell_begin, cell_end;  // the other pins' distinct cells in cells, source first
    int32_t pin_begin, pin_end;    // the node's pins' offsets in ox, oy, in net order
  };
  struct Scan {
    std::vector<ScanNet> nets;
    std::vector<int32_t> cells, route;
    std::vector<uint64_t> bits;  // per scan net, the cells its other pins occupy
    std::vector<double> ox, oy;
    // The base (the grid without what depends on the node's position): congestion as V then
    // H values, density; the cells above each k-th largest and how many equal it.
    std::vector<double> congestion, density, h_scale, v_scale;
    std::vector<int32_t> congestion_above, density_above;
    double congestion_kth = 0, density_kth = 0;
    size_t congestion_ties = 0, density_ties = 0;
    // A position's additions: net demand as difference arrays (laid out as h_diff_, v_diff_)
    // on the rows and columns listed, then smoothed congestion and density per cell, on the
    // cells listed. All zero between positions.
    std::vector<double> h_diff, v_diff, add_congestion, add_density;
    std::vector<uint8_t> row_touched, col_touched, congestion_touched;
    std::vector<int32_t> rows, cols, congestion_cells, density_cells;
    std::vector<double> values, select;
  };
  mutable Scan scan_;
  // Guesses of the next top-k queries' thresholds (mean_of_largest in evaluator.cc).
  mutable double density_threshold_ = 0, congestion_threshold_ = 0;
};

}  // namespace rlplace
