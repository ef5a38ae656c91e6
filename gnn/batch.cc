#include <algorithm>
#include <stdexcept>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "gnn/model.h"

namespace rlplace::gnn {

torch::Tensor upload(const torch::Tensor& host, torch::Device device) {
  if (device.is_cpu()) return host;
  // The pinned block is not reused before the copy is done: the caching host allocator
  // records the copy's stream.
  const torch::Tensor pinned = host.is_pinned() ? host : host.pin_memory();
  return pinned.to(torch::TensorOptions().device(device), /*non_blocking=*/true);
}

GraphBatch GraphBatch::to(torch::Device device) const {
  GraphBatch b;
  b.node_features = node_features.to(device);
  b.node_graph = node_graph.to(device);
  b.node_degree = node_degree.to(device);
  b.edge_src = edge_src.to(device);
  b.edge_dst = edge_dst.to(device);
  b.edge_weight = edge_weight.to(device);
  b.edge_graph = edge_graph.to(device);
  b.graph_edges = graph_edges.to(device);
  b.metadata = metadata.to(device);
  b.current = current.to(device);
  b.mask = mask.to(device);
  if (cost_maps.defined()) b.cost_maps = cost_maps.to(device);
  b.uniform_nodes = uniform_nodes;
  b.uniform_edges = uniform_edges;
  return b;
}

namespace {

// Checks every state against its netlist; the batch's node and edge counts.
std::pair<int64_t, int64_t> check_states(const std::vector<StateRef>& states, int grid) {
  int64_t N = 0, E = 0;
  for (size_t i = 0; i < states.size(); ++i) {
    const StaticFeatures& sf = *states[i].netlist;
    const DynamicFeatures& st = *states[i].state;
    auto bad = [&](const std::string& what) {
      throw std::invalid_argument(fmt::format("make_batch: state {}: {}", i, what));
    };
    if (sf.num_nodes < 1) bad("the netlist has no macros or ports");
    if (sf.metadata.size() != kMetadataFeatures || sf.degree.size() != static_cast<size_t>(sf.num_nodes))
      bad("static features not built by build_static_features");
    if (static_cast<int32_t>(st.x.size()) != sf.num_nodes || st.y.size() != st.x.size() ||
        st.placed.size() != st.x.size())
      bad(fmt::format("{} node positions for a graph of {} nodes", st.x.size(), sf.num_nodes));
    if (st.mask.size() != static_cast<size_t>(sf.rows) * sf.cols)
      bad(fmt::format("mask of {} cells for a {} x {} grid", st.mask.size(), sf.rows, sf.cols));
    if (!st.cost_map.empty() && st.cost_map.size() != kCostMapChannels * st.mask.size())
      bad(fmt::format("cost maps of {} values for a {} x {} grid", st.cost_map.size(), sf.rows, sf.cols));
    if (st.current < 0 || st.current >= sf.num_nodes) bad(fmt::format("current node {} out of range", st.current));
    PaddedGrid(grid, sf.rows, sf.cols);  // throws when the grid does not fit
    N += sf.num_nodes;
    E += sf.num_edges();
  }
  return {N, E};
}

// GraphBatch::uniform_nodes and uniform_edges.
void set_uniform(GraphBatch& b, const std::vector<StateRef>& states) {
  const StaticFeatures& first = *states[0].netlist;
  bool nodes = true, edges = true;
  for (const StateRef& s : states) {
    nodes = nodes && s.netlist->num_nodes == first.num_nodes;
    edges = edges && s.netlist->num_edges() == first.num_edges();
  }
  b.uniform_nodes = nodes ? first.num_nodes : 0;
  b.uniform_edges = edges ? first.num_edges() : 0;
}

// The batch's tensors on the host, uninitialised but for the all-false mask.
GraphBatch allocate(int64_t B, int64_t N, int64_t E, int64_t G2) {
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  GraphBatch b;
  b.node_features = torch::empty({N, kNodeFeatures}, f32);
  b.node_graph = torch::empty({N}, i64);
  b.node_degree = torch::empty({N, 1}, f32);
  b.edge_src = torch::empty({E}, i64);
  b.edge_dst = torch::empty({E}, i64);
  b.edge_weight = torch::empty({E, 1}, f32);
  b.edge_graph = torch::empty({E}, i64);
  b.graph_edges = torch::empty({B, 1}, f32);
  b.metadata = torch::empty({B, kMetadataFeatures}, f32);
  b.current = torch::empty({B}, i64);
  b.mask = torch::zeros({B, G2}, torch::TensorOptions().dtype(torch::kBool));
  return b;
}

// Graph g of the batch, whose nodes start at row node0 and edges at row edge0.
void fill_graph(GraphBatch& b, int64_t g, const StateRef& state, int grid, int64_t node0, int64_t edge0) {
  const StaticFeatures& sf = *state.netlist;
  const DynamicFeatures& st = *state.state;
  float* nf = b.node_features.data_ptr<float>();
  int64_t* ng = b.node_graph.data_ptr<int64_t>();
  float* deg = b.node_degree.data_ptr<float>();
  for (int32_t n = 0; n < sf.num_nodes; ++n) {
    float* row = nf + (node0 + n) * kNodeFeatures;
    const float* s = sf.node_static.data() + static_cast<size_t>(n) * kStaticNodeFeatures;
    row[0] = st.x[n];
    row[1] = st.y[n];
    std::copy(s, s + kStaticNodeFeatures, row + 2);
    row[7] = st.placed[n];
    ng[node0 + n] = g;
    deg[node0 + n] = sf.degree[n];
  }
  int64_t* es = b.edge_src.data_ptr<int64_t>();
  int64_t* ed = b.edge_dst.data_ptr<int64_t>();
  float* ew = b.edge_weight.data_ptr<float>();
  int64_t* eg = b.edge_graph.data_ptr<int64_t>();
  for (int32_t e = 0; e < sf.num_edges(); ++e) {
    es[edge0 + e] = node0 + sf.edge_src[e];
    ed[edge0 + e] = node0 + sf.edge_dst[e];
    ew[edge0 + e] = sf.edge_weight[e];
    eg[edge0 + e] = g;
  }
  b.graph_edges.data_ptr<float>()[g] = static_cast<float>(std::max(sf.num_edges(), 1));
  std::copy(sf.metadata.begin(), sf.metadata.end(), b.metadata.data_ptr<float>() + g * kMetadataFeatures);
  b.current.data_ptr<int64_t>()[g] = node0 + st.current;
  const PaddedGrid pg(grid, sf.rows, sf.cols);
  bool* mrow = b.mask.data_ptr<bool>() + g * static_cast<int64_t>(grid) * grid;
  for (size_t c = 0; c < st.mask.size(); ++c)
    if (st.mask[c]) mrow[pg.action_of_cell(static_cast<int>(c))] = true;
  if (b.cost_maps.defined()) {
    const size_t cells = st.mask.size();
    float* crow = b.cost_maps.data_ptr<float>() + g * kCostMapChannels * static_cast<int64_t>(grid) * grid;
    for (int ch = 0; ch < kCostMapChannels; ++ch)
      for (size_t c = 0; c < cells; ++c)
        crow[ch * static_cast<int64_t>(grid) * grid + pg.action_of_cell(static_cast<int>(c))] =
            st.cost_map[ch * cells + c];
  }
}

}  // namespace

GraphBatch make_batch(const std::vector<StateRef>& states, int grid, torch::Device device) {
  if (states.empty()) throw std::invalid_argument("make_batch: no states");
  const int64_t B = static_cast<int64_t>(states.size()), G2 = static_cast<int64_t>(grid) * grid;
  const auto [N, E] = check_states(states, grid);
  GraphBatch b = allocate(B, N, E, G2);
  const bool maps = std::all_of(states.begin(), states.end(), [](const StateRef& s) { return !s.state->cost_map.empty(); });
  if (maps) b.cost_maps = torch::zeros({B, kCostMapChannels, grid, grid}, torch::TensorOptions().dtype(torch::kFloat32));
  int64_t node0 = 0, edge0 = 0;
  for (int64_t g = 0; g < B; ++g) {
    fill_graph(b, g, states[g], grid, node0, edge0);
    node0 += states[g].netlist->num_nodes;
    edge0 += states[g].netlist->num_edges();
  }
  set_uniform(b, states);
  return device.is_cpu() ? b : b.to(device);
}

const StaticTensorCache::Entry& StaticTensorCache::get(const StaticFeatures& sf) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = entries_[&sf];
  if (slot) return *slot;
  const PaddedGrid pg(grid_, sf.rows, sf.cols);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  auto floats = [&](const std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::from_blob(const_cast<float*>(v.data()), shape, f32).clone().to(device_);
  };
  auto longs = [&](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64).to(device_); };
  auto e = std::make_unique<Entry>();
  const int64_t n = sf.num_nodes, E = sf.num_edges(), cells = static_cast<int64_t>(sf.rows) * sf.cols;
  e->node_static = floats(sf.node_static, {n, kStaticNodeFeatures});
  e->degree = floats(sf.degree, {n, 1});
  e->edge_src = longs(std::vector<int64_t>(sf.edge_src.begin(), sf.edge_src.end()));
  e->edge_dst = longs(std::vector<int64_t>(sf.edge_dst.begin(), sf.edge_dst.end()));
  e->edge_weight = floats(sf.edge_weight, {E, 1});
  e->metadata = floats(sf.metadata, {1, kMetadataFeatures});
  std::vector<int64_t> action(cells), map_index(kCostMapChannels * cells);
  const int64_t G2 = static_cast<int64_t>(grid_) * grid_;
  for (int64_t c = 0; c < cells; ++c) {
    action[c] = pg.action_of_cell(static_cast<int>(c));
    for (int ch = 0; ch < kCostMapChannels; ++ch) map_index[ch * cells + c] = ch * G2 + action[c];
  }
  e->cell_action = longs(action);
  e->map_index = longs(map_index);
  slot = std::move(e);
  return *slot;
}

GraphBatch make_batch(const std::vector<StateRef>& states, StaticTensorCache& cache) {
  if (states.empty()) throw std::invalid_argument("make_batch: no states");
  const int grid = cache.grid();
  const torch::Device device = cache.device();
  const int64_t B = static_cast<int64_t>(states.size()), G2 = static_cast<int64_t>(grid) * grid;
  const auto [N, E] = check_states(states, grid);
  const bool maps = std::all_of(states.begin(), states.end(), [](const StateRef& s) { return !s.state->cost_map.empty(); });

  // What the states change, gathered on the host in one pass.
  std::vector<const StaticTensorCache::Entry*> entries(B);
  std::vector<int64_t> ncount(B), ecount(B), ccount(B), current(B);
  int64_t C = 0;
  for (int64_t g = 0; g < B; ++g) {
    entries[g] = &cache.get(*states[g].netlist);
    ncount[g] = states[g].netlist->num_nodes;
    ecount[g] = states[g].netlist->num_edges();
    ccount[g] = static_cast<int64_t>(states[g].state->mask.size());
    C += ccount[g];
  }
  // Filled in place, so allocated pinned for upload() to copy without staging.
  const bool pin = !device.is_cpu();
  torch::Tensor dyn = torch::empty({N, 3}, torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(pin));
  torch::Tensor masks = torch::empty({C}, torch::TensorOptions().dtype(torch::kBool).pinned_memory(pin));
  torch::Tensor values =
      maps ? torch::empty({kCostMapChannels * C}, torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(pin))
           : torch::Tensor();
  float* dp = dyn.data_ptr<float>();
  bool* mp = masks.data_ptr<bool>();
  float* vp = maps ? values.data_ptr<float>() : nullptr;
  // Each state's first node and first cell, so that the states fill their rows in parallel.
  // A worker's own few environments (at most the grain) are filled inline, not by the pool
  // that the other workers share.
  std::vector<int64_t> node0(B), c0(B);
  for (int64_t g = 1; g < B; ++g) {
    node0[g] = node0[g - 1] + ncount[g - 1];
    c0[g] = c0[g - 1] + ccount[g - 1];
  }
  at::parallel_for(0, B, 16, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      const DynamicFeatures& st = *states[g].state;
      for (int64_t n = 0; n < ncount[g]; ++n) {
        float* row = dp + (node0[g] + n) * 3;
        row[0] = st.x[n];
        row[1] = st.y[n];
        row[2] = st.placed[n];
      }
      current[g] = node0[g] + st.current;
      for (int64_t c = 0; c < ccount[g]; ++c) mp[c0[g] + c] = st.mask[c] != 0;
      if (maps) std::copy(st.cost_map.begin(), st.cost_map.end(), vp + kCostMapChannels * c0[g]);
    }
  });

  auto cat = [&](torch::Tensor StaticTensorCache::Entry::*field) {
    std::vector<torch::Tensor> parts;
    parts.reserve(B);
    for (const auto* e : entries) parts.push_back(e->*field);
    return torch::cat(parts, 0);
  };
  const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  const torch::Tensor nc = upload(torch::tensor(ncount, i64), device), ec = upload(torch::tensor(ecount, i64), device),
                      cc = upload(torch::tensor(ccount, i64), device);
  const torch::Tensor graphs = torch::arange(B, i64.device(device));
  // Each row's graph, and each graph's first node, repeated over its rows.
  const torch::Tensor first_node = nc.cumsum(0) - nc;
  const torch::Tensor edge_shift = torch::repeat_interleave(first_node, ec, 0, E);

  GraphBatch b;
  dyn = upload(dyn, device);
  b.node_features = torch::cat({dyn.narrow(1, 0, 2), cat(&StaticTensorCache::Entry::node_static), dyn.narrow(1, 2, 1)}, 1);
  b.node_graph = torch::repeat_interleave(graphs, nc, 0, N);
  b.node_degree = cat(&StaticTensorCache::Entry::degree);
  b.edge_src = cat(&StaticTensorCache::Entry::edge_src) + edge_shift;
  b.edge_dst = cat(&StaticTensorCache::Entry::edge_dst) + edge_shift;
  b.edge_weight = cat(&StaticTensorCache::Entry::edge_weight);
  b.edge_graph = torch::repeat_interleave(graphs, ec, 0, E);
  b.graph_edges = ec.clamp_min(1).to(torch::kFloat32).unsqueeze(1);
  b.metadata = cat(&StaticTensorCache::Entry::metadata);
  b.current = upload(torch::tensor(current, i64), device);
  const torch::Tensor where = cat(&StaticTensorCache::Entry::cell_action) + torch::repeat_interleave(graphs * G2, cc, 0, C);
  b.mask = torch::zeros({B * G2}, torch::TensorOptions().dtype(torch::kBool).device(device))
               .index_put_({where}, upload(masks, device))
               .view({B, G2});
  if (maps) {
    const torch::Tensor at = cat(&StaticTensorCache::Entry::map_index) +
                             torch::repeat_interleave(graphs * (kCostMapChannels * G2), cc * kCostMapChannels, 0,
                                                      kCostMapChannels * C);
    b.cost_maps = torch::zeros({B * kCostMapChannels * G2}, torch::TensorOptions().dtype(torch::kFloat32).device(device))
                      .index_put_({at}, upload(values, device))
                      .view({B, kCostMapChannels, grid, grid});
  }
  set_uniform(b, states);
  return b;
}

}  // namespace rlplace::gnn
