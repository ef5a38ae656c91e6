// The shape of the policy/value network and the padded action grid. Free of LibTorch so
// that code which only reads or writes configurations compiles quickly.
#pragma once

#include <string>
#include <vector>

#include "placer/cost_map.h"

namespace rlplace::gnn {

struct GnnConfig {
  int node_dim = 8;         // width of node, edge and metadata embeddings (Circuit Training: 8)
  int layers = 3;           // edge-GNN layers, each with its own weights
  int grid = 128;           // G: the policy's padded G x G action grid
  int policy_channels = 32; // channels of the 8 x 8 map the policy head starts from
  std::vector<int> value_hidden = {32, 8};
  // The policy head also reads the cost maps of placer/cost_map.h (what the current macro
  // would cost on each cell). Checkpoints written before the maps existed lack the field
  // and load with it off.
  bool cost_maps = true;
  // The policy's logits add -softplus(gate(trunk)) times the proxy map (channel 3): a
  // network whose learned logits are still zero, as a new one's are, decodes the greedy
  // placer's placement, and training learns where to depart from it and, through the
  // gate, how far to trust it on a chip. Needs cost_maps; absent in older checkpoints (off).
  // Off by default: on the 3-macro netlist it settled on the second-best placement for one
  // seed of five. docs/training.md measures it against the network without it.
  bool greedy_prior = false;

  // Throws std::invalid_argument naming the bad field. The policy head doubles 8 x 8 up
  // to G x G, so G must be 8 times a power of two.
  void validate() const;
  // The cost maps the network reads (placer/cost_map.h), all but the proxy map unless the
  // greedy prior is on; 0 without cost maps. Environments compute only these.
  int cost_map_channels() const { return !cost_maps ? 0 : greedy_prior ? kCostMapChannels : kProxyChannel; }
  // Trunk width: metadata, edge mean, edge max, attention read-out, current node.
  int trunk_dim() const { return 5 * node_dim; }

  // One-line JSON with every field; from_json rejects unknown or missing fields so that a
  // file written by a differently shaped network is never half-understood.
  std::string to_json() const;
  static GnnConfig from_json(const std::string& text);
  bool operator==(const GnnConfig&) const = default;
};

// The real rows x cols grid centred in the G x G action grid as Circuit Training does:
// (G - rows) / 2 padding rows before row 0, (G - cols) / 2 padding columns before column 0.
// Action a = padded_row * G + padded_col; env cell = row * cols + col.
struct PaddedGrid {
  int grid = 0, rows = 0, cols = 0;
  int row_pad = 0, col_pad = 0;

  // Throws std::invalid_argument when rows or cols exceed G.
  PaddedGrid(int grid, int rows, int cols);
  int action_of_cell(int cell) const {
    return (cell / cols + row_pad) * grid + cell % cols + col_pad;
  }
  // -1 for an action in the padding.
  int cell_of_action(int action) const {
    const int r = action / grid - row_pad, c = action % grid - col_pad;
    if (action < 0 || action >= grid * grid || r < 0 || r >= rows || c < 0 || c >= cols) return -1;
    return r * cols + c;
  }
};

}  // namespace rlplace::gnn
