// What the policy sees of a netlist and of a placement state, as plain arrays (no LibTorch
// here: gnn/model.h turns them into tensors). The graph has one node per hard macro and
// soft macro (netlist node order) followed by one node per port cluster (the ports of one
// grid cell); standard cells are not nodes, and nets reach the graph only through the
// macros' pins and the ports.
#pragma once

#include <cstdint>
#include <vector>

#include "cost/params.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"
#include "placer/cost_map.h"

namespace rlplace {
class PlacementEnv;
}

namespace rlplace::gnn {

enum class GraphNodeType : uint8_t { kHardMacro = 0, kSoftMacro = 1, kPortCluster = 2 };

// Per node, in this order: x, y, width, height, is_hard, is_soft, is_port_cluster, is_placed.
// Lengths are divided by (W + H) as in Circuit Training, so both axes share one scale.
inline constexpr int kNodeFeatures = 8;
inline constexpr int kStaticNodeFeatures = 5;  // width .. is_port_cluster
inline constexpr int kMetadataFeatures = 12;

// Everything that stays fixed during an episode; built once per netlist.
struct StaticFeatures {
  int32_t num_nodes = 0;
  int32_t num_hard = 0, num_soft = 0, num_port_clusters = 0;
  int rows = 0, cols = 0;
  double width = 0, height = 0;

  // Graph node -> netlist node for the macro nodes (the first num_hard + num_soft nodes).
  std::vector<int32_t> macro_of_node;
  // Netlist node -> graph node: macros, and ports to their cluster; -1 for the rest.
  std::vector<int32_t> node_of;
  std::vector<GraphNodeType> type;
  // kStaticNodeFeatures per node (width, height, one-hot type), row-major.
  std::vector<float> node_static;
  // x, y and is_placed before any macro-dependent update: port clusters at the mean of
  // their ports (clamped to the canvas) and placed; macros at the canvas centre, unplaced.
  std::vector<float> base_x, base_y, base_placed;

  // Undirected edges, each once with src < dst, sorted. Weight: the net weight summed over
  // every (driver, sink) pin pair joining the two nodes, divided by the mean of all edges.
  std::vector<int32_t> edge_src, edge_dst;
  std::vector<float> edge_weight;
  double raw_weight_total = 0;  // before normalisation
  // Per node, the number of edges that touch it, at least 1 (the divisor of the GNN's
  // mean over incident edges; an isolated node's sum is 0 anyway).
  std::vector<float> degree;

  // kMetadataFeatures values, see build_static_features.
  std::vector<float> metadata;

  int32_t num_edges() const { return static_cast<int32_t>(edge_src.size()); }
};

// `start` gives the port positions (and must have as many nodes as `nl`). Ports that
// `start` marks unplaced are left out of the graph, as the cost leaves them out.
StaticFeatures build_static_features(const Netlist& nl, const CostParams& params, const Placement& start);

// One placement state.
struct DynamicFeatures {
  std::vector<float> x, y, placed;  // per graph node
  int32_t current = 0;              // graph node of the macro to place (0 once done)
  std::vector<uint8_t> mask;        // rows * cols, row-major from the bottom-left (the env's)
  // kCostMapChannels * rows * cols (placer/cost_map.h); empty where no environment gave them.
  std::vector<float> cost_map;
};

// Macros take their position from `placement` where it marks them placed and keep the
// base values (canvas centre, unplaced) otherwise. `current_node` is a netlist node, or -1.
void dynamic_features(const StaticFeatures& sf, const Placement& placement, int32_t current_node,
                      const std::vector<uint8_t>& mask, DynamicFeatures& out);
// From an environment, with the first `cost_map_channels` of its cost maps (a network's
// GnnConfig::cost_map_channels(); 0: none, for networks that do not read them).
void dynamic_features(const StaticFeatures& sf, PlacementEnv& env, DynamicFeatures& out,
                      int cost_map_channels = kCostMapChannels);

}  // namespace rlplace::gnn
