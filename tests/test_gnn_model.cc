// The edge-GNN policy/value network: shapes, masking, invariances, gradients.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <random>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>
#include <torch/serialize/output-archive.h>

#include "cost/design.h"
#include "gnn/config.h"
#include "gnn/features.h"
#include "gnn/model.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "placer/env.h"
#include "tests/gnn_test_util.h"
#include "tests/test_util.h"

namespace rlplace::gnn {
namespace {

// --- Network --------------------------------------------------------------------------

TEST(GnnModel, ShapesForNetlistsOfDifferentSizesInOneBatch) {
  torch::manual_seed(1);
  auto cases = sample_cases();
  cases.push_back(std::make_unique<Case>("netlists/data/ariane133_ng45/netlist.pb.txt.gz",
                                         "netlists/data/ariane133_ng45/legalized.plc", 3));
  const Case& ariane = *cases.back();
  EXPECT_EQ(ariane.features.num_hard, 133);
  EXPECT_EQ(ariane.features.num_soft, 782);
  EXPECT_GT(ariane.features.num_port_clusters, 0);
  EXPECT_LT(ariane.features.num_port_clusters, 495);  // ports share cells

  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const GraphBatch b = batch_of(cases, config.grid);
  const int64_t B = static_cast<int64_t>(cases.size());
  int64_t nodes = 0, edges = 0;
  for (const auto& c : cases) {
    nodes += c->features.num_nodes;
    edges += c->features.num_edges();
  }
  EXPECT_EQ(b.node_features.sizes(), (std::vector<int64_t>{nodes, kNodeFeatures}));
  EXPECT_EQ(b.edge_src.sizes(), (std::vector<int64_t>{edges}));
  EXPECT_EQ(b.metadata.sizes(), (std::vector<int64_t>{B, kMetadataFeatures}));
  EXPECT_EQ(b.mask.sizes(), (std::vector<int64_t>{B, 32 * 32}));

  const PolicyOutput out = net->forward(b);
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{B, 32 * 32}));
  EXPECT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{B, 32 * 32}));
  EXPECT_EQ(out.value.sizes(), (std::vector<int64_t>{B}));
  EXPECT_EQ(net->trunk(b).sizes(), (std::vector<int64_t>{B, config.trunk_dim()}));
  EXPECT_TRUE(torch::isfinite(out.value).all().item<bool>());

  // Each graph's outputs do not depend on what else is in the batch.
  for (int64_t i = 0; i < B; ++i) {
    const PolicyOutput alone = net->forward(make_batch({cases[i]->ref()}, config.grid, torch::kCPU));
    expect_same_policy(alone.log_probs[0], out.log_probs[i], 1e-5);
    EXPECT_NEAR(alone.value[0].item<double>(), out.value[i].item<double>(), 1e-5) << i;
  }

  // The default 128 grid takes the same batch.
  PolicyValueNet big(GnnConfig{});
  const PolicyOutput out128 = big->forward(batch_of(cases, 128));
  EXPECT_EQ(out128.log_probs.sizes(), (std::vector<int64_t>{B, 128 * 128}));
  // A grid larger than the network's is refused.
  Case tiles(kTiles + "netlist.pb.txt", kTiles + "initial.plc", 0);
  EXPECT_THROW(make_batch({tiles.ref()}, 16, torch::kCPU), std::invalid_argument);
}

TEST(GnnModel, InfeasibleCellsHaveProbabilityZeroAndTheRestSumToOne) {
  torch::manual_seed(2);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const PolicyOutput out = net->forward(batch_of(cases, config.grid));
  const torch::Tensor probs = out.log_probs.exp();
  for (size_t i = 0; i < cases.size(); ++i) {
    const StaticFeatures& sf = cases[i]->features;
    const PaddedGrid pg(config.grid, sf.rows, sf.cols);
    const torch::Tensor row = probs[i].contiguous();
    const auto p = row.accessor<float, 1>();
    double total = 0;
    int feasible = 0;
    for (int a = 0; a < config.grid * config.grid; ++a) {
      const int cell = pg.cell_of_action(a);
      const bool ok = cell >= 0 && cases[i]->state.mask[cell];
      if (ok) {
        EXPECT_GT(p[a], 0.f) << "state " << i << " action " << a;
        total += p[a];
        ++feasible;
      } else {
        ASSERT_EQ(p[a], 0.f) << "state " << i << " action " << a;
      }
    }
    EXPECT_EQ(feasible, cases[i]->env->feasible_count());
    EXPECT_NEAR(total, 1.0, 1e-5) << "state " << i;
  }
  const torch::Tensor h = entropy(out.log_probs);
  EXPECT_TRUE(torch::isfinite(h).all().item<bool>());
  EXPECT_TRUE((h >= 0).all().item<bool>());
}

TEST(GnnModel, StateWithNoFeasibleCellGivesZerosWithoutNaN) {
  torch::manual_seed(3);
  auto cases = sample_cases();
  cases[1]->state.mask.assign(cases[1]->state.mask.size(), 0);
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const GraphBatch b = batch_of(cases, config.grid);
  const PolicyOutput out = net->forward(b);
  EXPECT_EQ(out.log_probs[1].exp().sum().item<float>(), 0.f);
  EXPECT_FALSE(torch::isnan(out.log_probs).any().item<bool>());
  EXPECT_FALSE(torch::isnan(out.logits).any().item<bool>());
  EXPECT_EQ(entropy(out.log_probs)[1].item<float>(), 0.f);
  EXPECT_NEAR(out.log_probs[0].exp().sum().item<double>(), 1.0, 1e-5);
  // The backward pass stays finite too.
  torch::Tensor finite = torch::where(torch::isfinite(out.log_probs), out.log_probs, torch::zeros_like(out.log_probs));
  (finite.sum() + out.value.sum() + entropy(out.log_probs).sum()).backward();
  for (const auto& p : net->parameters()) EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
}

// Renumbers every node of the batch (across graphs), reverses half of the edges, shuffles
// the edge list, and remaps the current nodes.
GraphBatch permuted(const GraphBatch& b, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t N = b.node_features.size(0), E = b.edge_src.size(0);
  const torch::Tensor perm = torch::randperm(N, torch::kInt64);  // new position p holds old node perm[p]
  const torch::Tensor inverse = torch::empty_like(perm).index_put_({perm}, torch::arange(N, torch::kInt64));
  const torch::Tensor eperm = torch::randperm(E, torch::kInt64);
  const torch::Tensor flip = torch::rand({E}) < 0.5;
  GraphBatch p = b;
  p.uniform_nodes = p.uniform_edges = 0;  // rows no longer in graph order
  p.node_features = b.node_features.index_select(0, perm);
  p.node_graph = b.node_graph.index_select(0, perm);
  p.node_degree = b.node_degree.index_select(0, perm);
  const torch::Tensor src = inverse.index_select(0, b.edge_src), dst = inverse.index_select(0, b.edge_dst);
  p.edge_src = torch::where(flip, dst, src).index_select(0, eperm);
  p.edge_dst = torch::where(flip, src, dst).index_select(0, eperm);
  p.edge_weight = b.edge_weight.index_select(0, eperm);
  p.edge_graph = b.edge_graph.index_select(0, eperm);
  p.current = inverse.index_select(0, b.current);
  return p;
}

TEST(GnnModel, PolicyAndValueAreInvariantToNodeAndEdgeOrder) {
  torch::manual_seed(4);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const GraphBatch b = batch_of(cases, config.grid);
  const PolicyOutput ref = net->forward(b);
  for (uint64_t seed : {11, 12, 13}) {
    const GraphBatch pb = permuted(b, seed);
    ASSERT_FALSE(torch::equal(pb.edge_src, b.edge_src));
    const PolicyOutput out = net->forward(pb);
    expect_same_policy(ref.log_probs, out.log_probs, 1e-5);
    EXPECT_LE(max_abs_diff(ref.value, out.value), 1e-5);
  }
  // The check can fail: pointing the current node elsewhere changes the outputs.
  GraphBatch moved = b;
  moved.current = b.current + 1;
  const PolicyOutput other = net->forward(moved);
  EXPECT_GT(max_abs_diff(ref.value, other.value), 1e-4);
}

TEST(GnnBatch, TheCachedBatchEqualsTheHostBuiltOne) {
  auto cases = sample_cases();
  std::vector<StateRef> refs;
  for (const auto& c : cases) refs.push_back(c->ref());
  refs.push_back(cases[0]->ref());  // a netlist twice: its cache entry is reused
  const int grid = small_config().grid;
  StaticTensorCache cache(grid, torch::kCPU);
  auto expect_equal = [](const GraphBatch& a, const GraphBatch& b) {
    EXPECT_TRUE(torch::equal(a.node_features, b.node_features));
    EXPECT_TRUE(torch::equal(a.node_graph, b.node_graph));
    EXPECT_TRUE(torch::equal(a.node_degree, b.node_degree));
    EXPECT_TRUE(torch::equal(a.edge_src, b.edge_src));
    EXPECT_TRUE(torch::equal(a.edge_dst, b.edge_dst));
    EXPECT_TRUE(torch::equal(a.edge_weight, b.edge_weight));
    EXPECT_TRUE(torch::equal(a.edge_graph, b.edge_graph));
    EXPECT_TRUE(torch::equal(a.graph_edges, b.graph_edges));
    EXPECT_TRUE(torch::equal(a.metadata, b.metadata));
    EXPECT_TRUE(torch::equal(a.current, b.current));
    EXPECT_TRUE(torch::equal(a.mask, b.mask));
    ASSERT_EQ(a.cost_maps.defined(), b.cost_maps.defined());
    if (a.cost_maps.defined()) EXPECT_TRUE(torch::equal(a.cost_maps, b.cost_maps));
  };
  const GraphBatch host = make_batch(refs, grid, torch::kCPU);
  ASSERT_TRUE(host.cost_maps.defined());
  expect_equal(host, make_batch(refs, cache));
  expect_equal(host, make_batch(refs, cache));
  // More states than make_batch's grain, so that their rows are filled in parallel.
  std::vector<StateRef> many;
  while (many.size() < 40) many.insert(many.end(), refs.begin(), refs.end());
  expect_equal(make_batch(many, grid, torch::kCPU), make_batch(many, cache));
  // A state without cost maps: neither batch has any.
  DynamicFeatures bare = *refs[1].state;
  bare.cost_map.clear();
  refs[1].state = &bare;
  const GraphBatch host_bare = make_batch(refs, grid, torch::kCPU);
  EXPECT_FALSE(host_bare.cost_maps.defined());
  expect_equal(host_bare, make_batch(refs, cache));
}

TEST(GnnModel, GradientsReachEveryParameter) {
  auto cases = sample_cases();
  for (const bool prior : {false, true}) {
    torch::manual_seed(5);
    GnnConfig config = small_config();
    config.greedy_prior = prior;
    PolicyValueNet net(config);
    if (prior) {
      // A new prior network's scoring convolution is zero, so nothing before it gets a
      // gradient until the first update moves it (that the gate and it do is checked here).
      torch::NoGradGuard no_grad;
      for (auto& p : net->named_parameters())
        if (p.key().rfind("cost_out", 0) == 0) p.value().normal_(0, 0.1);
    }
    const GraphBatch b = batch_of(cases, config.grid);
    const PolicyOutput out = net->forward(b);
    const torch::Tensor actions = b.mask.to(torch::kFloat).multinomial(1);
    const torch::Tensor loss = -out.log_probs.gather(1, actions).mean() + (out.value - 1).square().mean() -
                               0.01 * entropy(out.log_probs).mean();
    loss.backward();
    int checked = 0;
    for (const auto& p : net->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key() << (prior ? " (prior)" : "");
      ++checked;
    }
    // 2 encoders, 3 edge layers, 3 attention projections, policy fc, 2 up-convolutions, the
    // cost-map mixing and output convolutions, 3 value layers (and the prior's gate): a
    // weight and a bias each, but the key projection and the output convolution have no bias.
    EXPECT_EQ(checked, 2 * (2 + 3 + 3 + 1 + 2 + 2 + 3 + (prior ? 1 : 0)) - 2);
  }
}

// A new prior network scores cells by the proxy map alone: its logits are the map times
// minus the gate's starting weight, whatever the graph.
TEST(GnnModel, ANewGreedyPriorNetworkScoresByTheProxyMap) {
  torch::manual_seed(9);
  auto cases = sample_cases();
  GnnConfig config = small_config();
  config.greedy_prior = true;
  PolicyValueNet net(config);
  const GraphBatch b = batch_of(cases, config.grid);
  const PolicyOutput out = net->forward(b);
  const int64_t B = b.num_graphs(), G2 = int64_t{config.grid} * config.grid;
  const torch::Tensor expected = (-10.0 * b.cost_maps.narrow(1, kProxyChannel, 1)).reshape({B, G2});
  const torch::Tensor m = b.mask;
  EXPECT_LT(max_abs_diff(out.logits.masked_select(m), expected.masked_select(m)), 1e-4);
  // And the maps before it still count once the scoring convolution has moved.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->named_parameters())
      if (p.key().rfind("cost_out", 0) == 0) p.value().fill_(0.5);
  }
  EXPECT_GT(max_abs_diff(net->forward(b).logits.masked_select(m), expected.masked_select(m)), 1e-3);
}

TEST(GnnModel, GraphsOfOneSizeReduceOverAViewAsTheScatterDoes) {
  torch::manual_seed(13);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const std::vector<StateRef> one{cases[0]->ref(), cases[0]->ref(), cases[0]->ref()};
  const GraphBatch uniform = make_batch(one, config.grid, torch::kCPU);
  ASSERT_EQ(uniform.uniform_nodes, cases[0]->ref().netlist->num_nodes);
  ASSERT_EQ(uniform.uniform_edges, cases[0]->ref().netlist->num_edges());
  GraphBatch scattered = uniform;
  scattered.uniform_nodes = scattered.uniform_edges = 0;
  const torch::Tensor actions = uniform.mask.to(torch::kFloat).multinomial(1);
  std::vector<PolicyOutput> outs;
  std::vector<std::vector<torch::Tensor>> grads;
  for (const GraphBatch* b : std::vector<const GraphBatch*>{&uniform, &scattered}) {
    net->zero_grad();
    outs.push_back(net->forward(*b));
    (-outs.back().log_probs.gather(1, actions).mean() + outs.back().value.square().mean()).backward();
    grads.emplace_back();
    for (const auto& p : net->parameters()) grads.back().push_back(p.grad().clone());
  }
  // On the CPU the maxima are the same values and the sums the same loops: equal bit for bit.
  EXPECT_TRUE(torch::equal(outs[0].log_probs, outs[1].log_probs));
  EXPECT_TRUE(torch::equal(outs[0].value, outs[1].value));
  for (size_t i = 0; i < grads[0].size(); ++i) EXPECT_TRUE(torch::equal(grads[0][i], grads[1][i])) << i;
  // A batch of different netlists has no uniform size.
  std::vector<StateRef> mixed;
  for (const auto& c : cases) mixed.push_back(c->ref());
  const GraphBatch m = make_batch(mixed, config.grid, torch::kCPU);
  EXPECT_EQ(m.uniform_nodes, 0);
  EXPECT_EQ(m.uniform_edges, 0);
  StaticTensorCache cache(config.grid, torch::kCPU);
  EXPECT_EQ(make_batch(one, cache).uniform_edges, uniform.uniform_edges);
  EXPECT_EQ(make_batch(mixed, cache).uniform_nodes, 0);
}

TEST(GnnModel, RowGatherAndSumMatchIndexSelectAndIndexAddWithGradients) {
  torch::manual_seed(7);
  const torch::Tensor index = torch::randint(0, 6, {40}, torch::kInt64);
  const torch::Tensor nodes = torch::randn({6, 3}, torch::requires_grad());
  const torch::Tensor edges = torch::randn({40, 3}, torch::requires_grad());
  const torch::Tensor up = torch::randn({40, 3}), down = torch::randn({6, 3});

  const torch::Tensor g = gather_rows(nodes, index);
  EXPECT_TRUE(torch::equal(g, nodes.index_select(0, index)));
  const torch::Tensor gn = torch::autograd::grad({(g * up).sum()}, {nodes})[0];
  const torch::Tensor gn_ref = torch::autograd::grad({(nodes.index_select(0, index) * up).sum()}, {nodes})[0];
  EXPECT_LE(max_abs_diff(gn, gn_ref), 1e-5);

  const torch::Tensor s = sum_rows(edges, index, 6);
  EXPECT_LE(max_abs_diff(s, torch::zeros({6, 3}).index_add(0, index, edges)), 1e-5);
  const torch::Tensor ge = torch::autograd::grad({(s * down).sum()}, {edges})[0];
  const torch::Tensor ge_ref =
      torch::autograd::grad({(torch::zeros({6, 3}).index_add(0, index, edges) * down).sum()}, {edges})[0];
  EXPECT_LE(max_abs_diff(ge, ge_ref), 1e-6);

  // The path of devices other than the CPU's (flat element indices through `take`), which
  // the CPU takes for other types: the same rows exactly, and the same row sums backward.
  const torch::Tensor wide = torch::randn({6, 5}, torch::dtype(torch::kFloat64).requires_grad(true));
  const torch::Tensor gw = gather_rows(wide, index);
  EXPECT_TRUE(torch::equal(gw, wide.index_select(0, index)));
  const torch::Tensor up64 = torch::randn({40, 5}, torch::kFloat64);
  const torch::Tensor gw_grad = torch::autograd::grad({(gw * up64).sum()}, {wide})[0];
  EXPECT_LE(max_abs_diff(gw_grad, torch::zeros({6, 5}, torch::kFloat64).index_add(0, index, up64)), 1e-12);
}

TEST(GnnModel, ParameterCountFollowsTheConfiguration) {
  // d = 8, G = 128, 32 channels: encoders 72 + 104, edge layers 3 * 144, attention 72 + 64 +
  // 72, policy fc 40 * 2048 + 2048, up-convolutions 32>16>8>4>2 and 2>1 (no bias), value
  // 40>32>8>1; then either the output convolution 2>1 (no bias), or with the cost maps the
  // mixing convolution (2 + 3)>8 (3 x 3) and the scoring one 8>1 (1 x 1, no bias); the
  // greedy prior adds the proxy map to the mixing, (2 + 4)>8, and its gate 40>1.
  const int64_t common = 72 + 104 + 3 * 144 + (72 + 64 + 72) + (40 * 2048 + 2048) + (32 * 16 * 9 + 16) +
                         (16 * 8 * 9 + 8) + (8 * 4 * 9 + 4) + (4 * 2 * 9 + 2) + (40 * 32 + 32) + (32 * 8 + 8) + (8 + 1);
  EXPECT_EQ(PolicyValueNet(GnnConfig{})->parameter_count(), common + (5 * 8 * 9 + 8) + 8);
  GnnConfig prior;
  prior.greedy_prior = true;
  EXPECT_EQ(PolicyValueNet(prior)->parameter_count(), common + (6 * 8 * 9 + 8) + 8 + (40 + 1));
  GnnConfig without;
  without.cost_maps = false;
  EXPECT_EQ(PolicyValueNet(without)->parameter_count(), common + 2 * 9);
  without.greedy_prior = true;
  EXPECT_THROW(PolicyValueNet{without}, std::invalid_argument);  // the prior is a cost map
}

TEST(GnnModel, TheCostMapsMoveTheScoresAndAreRequired) {
  torch::manual_seed(3);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  GraphBatch b = batch_of(cases, config.grid);
  ASSERT_TRUE(b.cost_maps.defined());
  const PolicyOutput ref = net->forward(b);
  // The scores follow the maps: other maps, other scores.
  GraphBatch other = b;
  other.cost_maps = b.cost_maps.flip({3});
  EXPECT_GT(max_abs_diff(ref.logits.masked_fill(b.mask.logical_not(), 0), net->forward(other).logits.masked_fill(b.mask.logical_not(), 0)), 1e-4);
  GraphBatch none = b;
  none.cost_maps = torch::Tensor();
  EXPECT_THROW(net->forward(none), c10::Error);
}

// Built only against a CUDA LibTorch (TORCH_CUDA_LIBRARIES set), where a GPU is expected:
// a CPU-only build has nothing to compare, and a test that always skips checks nothing.
#ifdef RLPLACE_TORCH_CUDA
TEST(GnnModel, CudaGivesTheCpuOutputs) {
  ASSERT_TRUE(torch::cuda::is_available()) << "a CUDA LibTorch build without a usable GPU";
  torch::manual_seed(8);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const PolicyOutput cpu = net->forward(batch_of(cases, config.grid));
  std::vector<StateRef> refs;
  for (const auto& c : cases) refs.push_back(c->ref());
  net->to(torch::kCUDA);
  const PolicyOutput gpu = net->forward(make_batch(refs, config.grid, torch::kCUDA));
  EXPECT_TRUE(gpu.log_probs.is_cuda());
  expect_same_policy(cpu.log_probs, gpu.log_probs.cpu(), 1e-4);
  EXPECT_LE(max_abs_diff(cpu.value, gpu.value.cpu()), 1e-4);
}
#endif  // RLPLACE_TORCH_CUDA

}  // namespace
}  // namespace rlplace::gnn
