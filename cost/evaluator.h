// The proxy cost of a placement (wirelength, density, congestion), evaluated in full or
// kept up to date as single nodes move. Definitions: docs/proxy-cost.md, whose
// rules this follows to the operation (cell lookup, overlap clipping, the 3-cell routing
// cases, the partial-overlap rule for macro routing blockage).
#pragma once

#include <cstdint>
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
  void orient_pins(int32_t node);  // refresh the oriented offsets of a macro's pins
  void add_area(int32_t node, double sign);
  void add_macro_blockage(int32_t node, double sign);
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
  // Guesses of the next top-k queries' thresholds (mean_of_largest in evaluator.cc).
  mutable double density_threshold_ = 0, congestion_threshold_ = 0;
};

}  // namespace rlplace
