// The parameters of the proxy cost and where each comes from.
#pragma once

#include <optional>
#include <vector>

#include "netlists/netlist.h"
#include "netlists/plc.h"

namespace rlplace {

struct CostParams {
  double width = 0, height = 0;  // canvas, microns
  int cols = 10, rows = 10;      // placement grid
  double h_routes_per_micron = 70.33, v_routes_per_micron = 74.51;
  double h_macro_alloc = 51.79, v_macro_alloc = 51.79;
  double smoothing = 2;  // range k = floor(smoothing)
  double overlap_threshold = 0.004;
  std::vector<Blockage> blockages;
  // Weights of the proxy cost (Google's flow and the TILOS studies).
  double wirelength_weight = 1.0, density_weight = 0.5, congestion_weight = 0.5;

  int smoothing_range() const { return static_cast<int>(smoothing); }
  double cell_width() const { return width / cols; }
  double cell_height() const { return height / rows; }
};

// Values given on the command line or in a config file; each beats the .plc header.
struct CostOverrides {
  std::optional<double> width, height;
  std::optional<int> cols, rows;
  std::optional<double> h_routes_per_micron, v_routes_per_micron;
  std::optional<double> h_macro_alloc, v_macro_alloc;
  std::optional<double> smoothing, overlap_threshold;
  std::optional<double> wirelength_weight, density_weight, congestion_weight;
};

// Precedence: overrides, then the .plc header, then the netlist header, then defaults
// (canvas: a square of 60% utilisation). Throws InputError for values that make no sense.
CostParams resolve_params(const Netlist& nl, const PlcHeader* plc, const CostOverrides& overrides = {});

// The header that records `params` in a .plc file.
PlcHeader to_plc_header(const CostParams& params, const std::string& block_name = "");

}  // namespace rlplace
