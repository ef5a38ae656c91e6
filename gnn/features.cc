#include "gnn/features.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "placer/env.h"

namespace rlplace::gnn {

namespace {

// Fixed scales for the metadata, so that one netlist's features do not depend on which
// other netlists are trained alongside it. The node and edge scales are Circuit
// Training's padding sizes; routes are counted in units of 100,000 so that a chip of a
// few millimetres gives values near 1 rather than near 100.
constexpr double kNodeScale = 5000;
constexpr double kEdgeScale = 70000;
constexpr double kRouteScale = 1e5;
constexpr double kGridScale = 128;

}  // namespace

namespace {

int32_t add_node(StaticFeatures& sf, GraphNodeType t, float w, float h, float x, float y, float placed) {
  sf.type.push_back(t);
  sf.node_static.insert(sf.node_static.end(), {w, h, t == GraphNodeType::kHardMacro ? 1.f : 0.f,
                                               t == GraphNodeType::kSoftMacro ? 1.f : 0.f,
                                               t == GraphNodeType::kPortCluster ? 1.f : 0.f});
  sf.base_x.push_back(x);
  sf.base_y.push_back(y);
  sf.base_placed.push_back(placed);
  return sf.num_nodes++;
}

void add_macro_nodes(const Netlist& nl, StaticFeatures& sf, double scale) {
  const double W = sf.width, H = sf.height;
  for (int32_t m : nl.macros) {
    const bool hard = nl.kind[m] == NodeKind::kHardMacro;
    sf.node_of[m] = add_node(sf, hard ? GraphNodeType::kHardMacro : GraphNodeType::kSoftMacro,
                             hard ? static_cast<float>(nl.width[m] * scale) : 0.f,
                             hard ? static_cast<float>(nl.height[m] * scale) : 0.f, static_cast<float>(0.5 * W * scale),
                             static_cast<float>(0.5 * H * scale), 0.f);
    sf.macro_of_node.push_back(m);
    (hard ? sf.num_hard : sf.num_soft)++;
  }
}

// Port clusters by grid cell, in cell order. A port off the canvas joins the nearest
// edge cell rather than being dropped, so every placed port keeps its nets.
void add_port_clusters(const Netlist& nl, const CostParams& params, const Placement& start, StaticFeatures& sf,
                       double scale) {
  struct Cluster {
    double sx = 0, sy = 0;
    int count = 0;
    std::vector<int32_t> ports;
  };
  const double W = params.width, H = params.height;
  std::map<int, Cluster> clusters;
  const double cw = W / params.cols, ch = H / params.rows;
  for (int32_t p : nl.ports) {
    if (!start.placed[p]) continue;
    const double x = std::clamp(start.x[p], 0.0, W), y = std::clamp(start.y[p], 0.0, H);
    const int c = std::clamp(static_cast<int>(std::floor(x / cw)), 0, params.cols - 1);
    const int r = std::clamp(static_cast<int>(std::floor(y / ch)), 0, params.rows - 1);
    Cluster& cl = clusters[r * params.cols + c];
    cl.sx += x;
    cl.sy += y;
    ++cl.count;
    cl.ports.push_back(p);
  }
  for (const auto& [cell, cl] : clusters) {
    const int32_t g = add_node(sf, GraphNodeType::kPortCluster, 0.f, 0.f, static_cast<float>(cl.sx / cl.count * scale),
                               static_cast<float>(cl.sy / cl.count * scale), 1.f);
    for (int32_t p : cl.ports) sf.node_of[p] = g;
    ++sf.num_port_clusters;
  }
}

// Edges: every (driver, sink) pin pair of a net between two distinct graph nodes adds
// the net's weight to the pair, whichever direction the net runs.
void add_edges(const Netlist& nl, StaticFeatures& sf) {
  auto graph_node = [&](int32_t pin) {
    const int32_t owner = nl.owner[pin];
    return sf.node_of[owner < 0 ? pin : owner];
  };
  std::unordered_map<uint64_t, double> adj;
  adj.reserve(static_cast<size_t>(nl.num_nets()) * 2);
  for (int32_t n = 0; n < nl.num_nets(); ++n) {
    const int32_t d = graph_node(nl.net_pins[nl.net_begin[n]]);
    if (d < 0) continue;
    for (int32_t k = nl.net_begin[n] + 1; k < nl.net_begin[n + 1]; ++k) {
      const int32_t s = graph_node(nl.net_pins[k]);
      if (s < 0 || s == d) continue;
      const uint64_t key = (static_cast<uint64_t>(std::min(d, s)) << 32) | static_cast<uint32_t>(std::max(d, s));
      adj[key] += nl.net_weight[n];
    }
  }
  std::vector<std::pair<uint64_t, double>> edges(adj.begin(), adj.end());
  std::sort(edges.begin(), edges.end());
  for (const auto& [key, w] : edges) sf.raw_weight_total += w;
  const double mean = edges.empty() ? 0 : sf.raw_weight_total / edges.size();
  for (const auto& [key, w] : edges) {
    sf.edge_src.push_back(static_cast<int32_t>(key >> 32));
    sf.edge_dst.push_back(static_cast<int32_t>(key & 0xffffffffu));
    sf.edge_weight.push_back(mean > 0 ? static_cast<float>(w / mean) : 0.f);
  }
  sf.degree.assign(sf.num_nodes, 0.f);
  for (int32_t e = 0; e < sf.num_edges(); ++e) {
    sf.degree[sf.edge_src[e]] += 1;
    sf.degree[sf.edge_dst[e]] += 1;
  }
  for (float& d : sf.degree) d = std::max(d, 1.f);
}

std::vector<float> metadata(const StaticFeatures& sf, const CostParams& params, double scale) {
  const double W = params.width, H = params.height;
  return {
      static_cast<float>(sf.raw_weight_total / kEdgeScale),
      static_cast<float>(sf.num_hard / kNodeScale),
      static_cast<float>(sf.num_soft / kNodeScale),
      static_cast<float>(sf.num_port_clusters / kNodeScale),
      static_cast<float>(params.h_routes_per_micron * H / kRouteScale),
      static_cast<float>(params.v_routes_per_micron * W / kRouteScale),
      static_cast<float>(params.h_macro_alloc * H / kRouteScale),
      static_cast<float>(params.v_macro_alloc * W / kRouteScale),
      static_cast<float>(params.cols / kGridScale),
      static_cast<float>(params.rows / kGridScale),
      static_cast<float>(W * scale),
      static_cast<float>(H * scale),
  };
}

}  // namespace

StaticFeatures build_static_features(const Netlist& nl, const CostParams& params, const Placement& start) {
  if (static_cast<int32_t>(start.x.size()) != nl.num_nodes())
    throw std::invalid_argument(fmt::format("{}: placement has {} nodes, netlist {}", nl.source, start.x.size(),
                                            nl.num_nodes()));
  if (!(params.width > 0 && params.height > 0) || params.cols < 1 || params.rows < 1)
    throw std::invalid_argument(fmt::format("{}: canvas {} x {} with grid {} x {} cannot be featurised", nl.source,
                                            params.width, params.height, params.cols, params.rows));
  StaticFeatures sf;
  sf.rows = params.rows;
  sf.cols = params.cols;
  sf.width = params.width;
  sf.height = params.height;
  const double scale = 1.0 / (params.width + params.height);
  sf.node_of.assign(nl.num_nodes(), -1);
  add_macro_nodes(nl, sf, scale);
  add_port_clusters(nl, params, start, sf, scale);
  add_edges(nl, sf);
  sf.metadata = metadata(sf, params, scale);
  return sf;
}

void dynamic_features(const StaticFeatures& sf, const Placement& p, int32_t current_node,
                      const std::vector<uint8_t>& mask, DynamicFeatures& out) {
  if (p.x.size() != sf.node_of.size())
    throw std::invalid_argument(
        fmt::format("dynamic_features: placement has {} nodes, the netlist {}", p.x.size(), sf.node_of.size()));
  // An environment with nothing to place never computes a mask: treat it as all zero.
  if (!mask.empty() && mask.size() != static_cast<size_t>(sf.rows) * sf.cols)
    throw std::invalid_argument(
        fmt::format("dynamic_features: mask has {} cells, the grid {} x {}", mask.size(), sf.rows, sf.cols));
  out.x = sf.base_x;
  out.y = sf.base_y;
  out.placed = sf.base_placed;
  const double scale = 1.0 / (sf.width + sf.height);
  const int32_t macros = sf.num_hard + sf.num_soft;
  for (int32_t g = 0; g < macros; ++g) {
    const int32_t m = sf.macro_of_node[g];
    if (!p.placed[m]) continue;
    out.x[g] = static_cast<float>(p.x[m] * scale);
    out.y[g] = static_cast<float>(p.y[m] * scale);
    out.placed[g] = 1.f;
  }
  out.current = 0;
  if (current_node >= 0) {
    if (current_node >= static_cast<int32_t>(sf.node_of.size()) || sf.node_of[current_node] < 0 ||
        sf.type[sf.node_of[current_node]] == GraphNodeType::kPortCluster)
      throw std::invalid_argument(fmt::format("dynamic_features: node {} is not a macro", current_node));
    out.current = sf.node_of[current_node];
  }
  out.cost_map.clear();
  if (mask.empty())
    out.mask.assign(static_cast<size_t>(sf.rows) * sf.cols, 0);
  else
    out.mask = mask;
}

void dynamic_features(const StaticFeatures& sf, PlacementEnv& env, DynamicFeatures& out, int cost_map_channels) {
  dynamic_features(sf, env.placement(), env.current(), env.mask(), out);
  if (cost_map_channels > 0) env.cost_maps(out.cost_map, cost_map_channels);
}

}  // namespace rlplace::gnn
