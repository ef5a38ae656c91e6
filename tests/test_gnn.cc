// Graph features, the edge-GNN policy/value network, batching and checkpoints.
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
#include "tests/test_util.h"

namespace rlplace::gnn {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;
using test::stdcell_node;

// A small grid keeps the policy head cheap; every sample netlist's grid fits in it.
GnnConfig small_config(int node_dim = 8) {
  GnnConfig c;
  c.node_dim = node_dim;
  c.grid = 32;
  c.policy_channels = 8;
  return c;
}

CostParams square_params(double side = 100, int cells = 10) {
  CostParams p;
  p.width = p.height = side;
  p.cols = p.rows = cells;
  return p;
}

// A netlist with its features and an environment a few random steps into an episode.
struct Case {
  Design design;
  StaticFeatures features;
  std::unique_ptr<PlacementEnv> env;
  DynamicFeatures state;

  Case(const std::string& netlist, const std::string& plc, int steps, uint64_t seed = 1) {
    design = load_design(test::data(netlist), plc.empty() ? "" : test::data(plc));
    features = build_static_features(design.netlist, design.params, design.placement);
    EnvOptions o;
    o.run_fd = false;
    env = std::make_unique<PlacementEnv>(design.netlist, design.params, design.placement, o);
    std::mt19937_64 rng(seed);
    for (int s = 0; s < steps && !env->done(); ++s) {
      std::vector<int> cells;
      for (int c = 0; c < static_cast<int>(env->mask().size()); ++c)
        if (env->mask()[c]) cells.push_back(c);
      env->step(cells[rng() % cells.size()]);
    }
    dynamic_features(features, *env, state);
  }
  StateRef ref() const { return {&features, &state}; }
};

const std::string kClustered = "netlists/ct_samples/sample_clustered/";
const std::string kTiles = "netlists/ct_samples/macro_tiles_10x10/";
const std::string kToy = "netlists/ct_samples/toy_macro_stdcell/";
const std::string kGrouped = "netlists/ct_samples/simple_grouped_with_coords/";

std::vector<std::unique_ptr<Case>> sample_cases() {
  std::vector<std::unique_ptr<Case>> cases;
  cases.push_back(std::make_unique<Case>(kClustered + "netlist.pb.txt", kClustered + "initial.plc", 0));
  cases.push_back(std::make_unique<Case>(kTiles + "netlist.pb.txt", kTiles + "initial.plc", 7));
  cases.push_back(std::make_unique<Case>(kToy + "netlist.pb.txt", kToy + "initial.plc", 1));
  cases.push_back(std::make_unique<Case>(kGrouped + "netlist.pb.txt", kGrouped + "initial.plc", 1));
  return cases;
}

GraphBatch batch_of(const std::vector<std::unique_ptr<Case>>& cases, int grid) {
  std::vector<StateRef> refs;
  for (const auto& c : cases) refs.push_back(c->ref());
  return make_batch(refs, grid, torch::kCPU);
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Log-probabilities compared where finite; the -inf pattern must match exactly.
void expect_same_policy(const torch::Tensor& a, const torch::Tensor& b, double tol) {
  ASSERT_TRUE(torch::equal(torch::isinf(a), torch::isinf(b)));
  const torch::Tensor finite = torch::isfinite(a);
  EXPECT_LE(max_abs_diff(a.masked_select(finite), b.masked_select(finite)), tol);
}

// --- Features -------------------------------------------------------------------------

// Canvas 100 x 100, 10 x 10 grid. Graph nodes: a (0), b (1), Grp_s (2), then port
// clusters by cell: {in1, in2} in cell 0 (in2 lies off the canvas and is clamped into
// it) as node 3, {out} in cell 59 as node 4.
Netlist hand_made() {
  return parse_netlist(
      "hand.pb.txt",
      macro_node("a", 20, 10, 25, 25) + macro_node("b", 10, 10, 75, 75) + macro_node("Grp_s", 30, 30, 50, 50) +
          pin_node("a/p1", "a", 0, 0) + pin_node("a/p2", "a", 0, 0) +
          pin_node("a/p3", "a", 0, 0, {"b/p2", "Grp_s/p1", "a/p4"}, 2) + pin_node("a/p4", "a", 0, 0) +
          pin_node("b/p1", "b", 0, 0) + pin_node("b/p2", "b", 0, 0) + pin_node("b/p3", "b", 0, 0, {"out"}) +
          pin_node("b/p4", "b", 0, 0) + pin_node("Grp_s/p1", "Grp_s", 0, 0) +
          port_node("in1", 1, 1, {"a/p1", "b/p1"}) + port_node("in2", -5, 3, {"a/p2"}) + port_node("out", 99, 50) +
          stdcell_node("c", 1, 1, 40, 40, {"b/p4"}));
}

TEST(GnnFeatures, NodesEdgesAndWeightsOfAHandMadeNetlist) {
  const Netlist nl = hand_made();
  const StaticFeatures sf = build_static_features(nl, square_params(), Placement::from_netlist(nl));
  ASSERT_EQ(sf.num_nodes, 5);
  EXPECT_EQ(sf.num_hard, 2);
  EXPECT_EQ(sf.num_soft, 1);
  EXPECT_EQ(sf.num_port_clusters, 2);
  EXPECT_EQ(sf.node_of[nl.find("in1")], 3);
  EXPECT_EQ(sf.node_of[nl.find("in2")], 3);
  EXPECT_EQ(sf.node_of[nl.find("out")], 4);
  EXPECT_EQ(sf.node_of[nl.find("c")], -1);

  // Raw: a-b 2 (net of weight 2), a-s 2, a-in 2 (two nets), b-in 1, b-out 1; the
  // self-connection a/p3 -> a/p4 and the standard cell's net add nothing. Mean 8 / 5.
  const std::vector<int32_t> src = {0, 0, 0, 1, 1}, dst = {1, 2, 3, 3, 4};
  EXPECT_EQ(sf.edge_src, src);
  EXPECT_EQ(sf.edge_dst, dst);
  const std::vector<float> w = {1.25f, 1.25f, 1.25f, 0.625f, 0.625f};
  ASSERT_EQ(sf.edge_weight.size(), w.size());
  for (size_t e = 0; e < w.size(); ++e) EXPECT_FLOAT_EQ(sf.edge_weight[e], w[e]) << e;
  EXPECT_DOUBLE_EQ(sf.raw_weight_total, 8);
  EXPECT_EQ(sf.degree, (std::vector<float>{3, 3, 1, 2, 1}));

  // Static node features: sizes over W + H = 200 for hard macros only, one-hot type.
  auto node = [&](int n) {
    return std::vector<float>(sf.node_static.begin() + n * kStaticNodeFeatures,
                              sf.node_static.begin() + (n + 1) * kStaticNodeFeatures);
  };
  EXPECT_EQ(node(0), (std::vector<float>{0.1f, 0.05f, 1, 0, 0}));
  EXPECT_EQ(node(1), (std::vector<float>{0.05f, 0.05f, 1, 0, 0}));
  EXPECT_EQ(node(2), (std::vector<float>{0, 0, 0, 1, 0}));
  EXPECT_EQ(node(3), (std::vector<float>{0, 0, 0, 0, 1}));
  // Port clusters sit at the mean of their (clamped) ports: (1, 1) and (0, 3).
  EXPECT_FLOAT_EQ(sf.base_x[3], 0.5f / 200);
  EXPECT_FLOAT_EQ(sf.base_y[3], 2.f / 200);
  EXPECT_FLOAT_EQ(sf.base_x[4], 99.f / 200);
  EXPECT_EQ(sf.base_placed[3], 1.f);

  ASSERT_EQ(sf.metadata.size(), static_cast<size_t>(kMetadataFeatures));
  EXPECT_FLOAT_EQ(sf.metadata[1], 2.f / 5000);
  EXPECT_FLOAT_EQ(sf.metadata[8], 10.f / 128);
  EXPECT_FLOAT_EQ(sf.metadata[10], 0.5f);
}

TEST(GnnFeatures, DynamicFeaturesFollowThePlacement) {
  const Netlist nl = hand_made();
  Placement p = Placement::from_netlist(nl);
  const StaticFeatures sf = build_static_features(nl, square_params(), p);
  p.placed[nl.find("a")] = 0;
  DynamicFeatures st;
  std::vector<uint8_t> mask(100, 0);
  mask[42] = 1;
  dynamic_features(sf, p, nl.find("a"), mask, st);
  EXPECT_EQ(st.current, 0);
  EXPECT_EQ(st.placed, (std::vector<float>{0, 1, 1, 1, 1}));
  EXPECT_FLOAT_EQ(st.x[0], 0.25f);  // unplaced: canvas centre
  EXPECT_FLOAT_EQ(st.x[1], 75.f / 200);
  EXPECT_FLOAT_EQ(st.y[2], 50.f / 200);
  EXPECT_EQ(st.mask, mask);
  EXPECT_THROW(dynamic_features(sf, p, nl.find("in1"), mask, st), std::invalid_argument);
  EXPECT_THROW(dynamic_features(sf, p, 0, std::vector<uint8_t>(99, 0), st), std::invalid_argument);
}

TEST(GnnFeatures, EnvStepsMarkMacrosPlacedAndMoveTheCurrentNode) {
  Case c(kTiles + "netlist.pb.txt", kTiles + "initial.plc", 0);
  const PlacementEnv& env = *c.env;
  const int32_t first = env.order()[0];
  const int32_t g = c.features.node_of[first];
  EXPECT_EQ(c.state.current, g);
  EXPECT_EQ(c.state.placed[g], 0.f);
  int cell = 0;
  while (!env.mask()[cell]) ++cell;
  c.env->step(cell);
  dynamic_features(c.features, env, c.state);
  EXPECT_EQ(c.state.placed[g], 1.f);
  EXPECT_FLOAT_EQ(c.state.x[g], static_cast<float>(env.placement().x[first] / (c.features.width + c.features.height)));
  EXPECT_EQ(c.state.current, c.features.node_of[env.order()[1]]);
  EXPECT_EQ(c.state.mask, env.mask());
}

// --- Action grid ----------------------------------------------------------------------

TEST(GnnGrid, PaddedActionsMapToCellsAndBack) {
  const PaddedGrid pg(32, 21, 24);
  EXPECT_EQ(pg.row_pad, 5);
  EXPECT_EQ(pg.col_pad, 4);
  EXPECT_EQ(pg.action_of_cell(0), 5 * 32 + 4);
  EXPECT_EQ(pg.action_of_cell(20 * 24 + 23), 25 * 32 + 27);
  int real = 0;
  for (int a = 0; a < 32 * 32; ++a) {
    const int c = pg.cell_of_action(a);
    if (c < 0) continue;
    ++real;
    EXPECT_EQ(pg.action_of_cell(c), a);
  }
  EXPECT_EQ(real, 21 * 24);
  EXPECT_EQ(pg.cell_of_action(0), -1);
  EXPECT_EQ(pg.cell_of_action(-1), -1);
  EXPECT_EQ(pg.cell_of_action(32 * 32), -1);
  EXPECT_THROW(PaddedGrid(16, 21, 10), std::invalid_argument);
}

TEST(GnnConfig, JsonRoundTripAndValidation) {
  GnnConfig c = small_config(16);
  c.layers = 2;
  c.value_hidden = {7};
  EXPECT_EQ(GnnConfig::from_json(c.to_json()), c);
  GnnConfig bad = c;
  bad.grid = 100;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  EXPECT_THROW(GnnConfig::from_json(R"({"node_dim":8})"), std::invalid_argument);
  EXPECT_THROW(GnnConfig::from_json(c.to_json().substr(0, 10)), std::invalid_argument);
  std::string extra = c.to_json();
  extra.insert(1, R"("dropout":0.1,)");
  EXPECT_THROW(GnnConfig::from_json(extra), std::invalid_argument);
}

// --- Network --------------------------------------------------------------------------

TEST(GnnModel, ShapesForNetlistsOfDifferentSizesInOneBatch) {
  torch::manual_seed(1);
  auto cases = sample_cases();
  cases.push_back(std::make_unique<Case>("netlists/ariane133_ng45/netlist.pb.txt.gz",
                                         "netlists/ariane133_ng45/legalized.plc", 3));
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

TEST(GnnModel, GradientsReachEveryParameter) {
  torch::manual_seed(5);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const GraphBatch b = batch_of(cases, config.grid);
  const PolicyOutput out = net->forward(b);
  const torch::Tensor actions = b.mask.to(torch::kFloat).multinomial(1);
  const torch::Tensor loss = -out.log_probs.gather(1, actions).mean() + (out.value - 1).square().mean() -
                             0.01 * entropy(out.log_probs).mean();
  loss.backward();
  int checked = 0;
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
    ++checked;
  }
  // 2 encoders, 3 edge layers, 3 attention projections, policy fc, 2 up-convolutions and
  // the output convolution, 3 value layers: a weight and a bias each, but the key
  // projection and the output convolution have no bias.
  EXPECT_EQ(checked, 2 * (2 + 3 + 3 + 1 + 2 + 1 + 3) - 2);
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
}

TEST(GnnModel, ParameterCountFollowsTheConfiguration) {
  // d = 8, G = 128, 32 channels: encoders 72 + 104, edge layers 3 * 144, attention 72 + 64 +
  // 72, policy fc 40 * 2048 + 2048, up-convolutions 32>16>8>4>2 and 2>1 (no bias), value
  // 40>32>8>1.
  PolicyValueNet net(GnnConfig{});
  const int64_t expected = 72 + 104 + 3 * 144 + (72 + 64 + 72) + (40 * 2048 + 2048) + (32 * 16 * 9 + 16) +
                           (16 * 8 * 9 + 8) + (8 * 4 * 9 + 4) + (4 * 2 * 9 + 2) + 2 * 9 + (40 * 32 + 32) +
                           (32 * 8 + 8) + (8 + 1);
  EXPECT_EQ(net->parameter_count(), expected);
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

// --- Checkpoints ----------------------------------------------------------------------

TEST(GnnCheckpoint, SaveThenLoadGivesIdenticalOutputs) {
  torch::manual_seed(6);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const GraphBatch b = batch_of(cases, config.grid);
  const PolicyOutput ref = net->forward(b);
  const std::string path = test::temp_dir("gnn_ckpt") + "/policy.pt";
  save_checkpoint(path, *net);
  EXPECT_EQ(checkpoint_config(path), config);

  PolicyValueNet loaded = load_checkpoint(path, torch::kCPU);
  const PolicyOutput a = loaded->forward(b);
  EXPECT_TRUE(torch::equal(a.log_probs, ref.log_probs));
  EXPECT_TRUE(torch::equal(a.value, ref.value));

  torch::manual_seed(99);
  PolicyValueNet other(config);
  EXPECT_FALSE(torch::equal(other->forward(b).value, ref.value));
  load_weights(path, *other);
  const PolicyOutput c = other->forward(b);
  EXPECT_TRUE(torch::equal(c.log_probs, ref.log_probs));
  EXPECT_TRUE(torch::equal(c.value, ref.value));
  // Written atomically: no temporary file left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(GnnCheckpoint, LoadingIntoAnotherConfigurationNamesBoth) {
  const std::string path = test::temp_dir("gnn_ckpt_config") + "/policy.pt";
  PolicyValueNet net(small_config(8));
  save_checkpoint(path, *net);
  PolicyValueNet wider(small_config(16));
  try {
    load_weights(path, *wider);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(small_config(8).to_json()), std::string::npos) << msg;
    EXPECT_NE(msg.find(small_config(16).to_json()), std::string::npos) << msg;
  }
}

TEST(GnnCheckpoint, CorruptForeignAndOtherVersionFilesAreRejected) {
  const std::string dir = test::temp_dir("gnn_ckpt_bad");
  PolicyValueNet net(small_config());
  auto expect_error = [&](const std::string& path, const std::string& needle) {
    try {
      load_weights(path, *net);
      FAIL() << "expected an error for " << path;
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  };
  expect_error(dir + "/missing.pt", "missing.pt");

  test::write_text(dir + "/garbage.pt", "this is not a checkpoint");
  expect_error(dir + "/garbage.pt", "not a readable checkpoint");

  const std::string good = dir + "/good.pt";
  save_checkpoint(good, *net);
  const std::string bytes = read_file(good);
  test::write_text(dir + "/truncated.pt", bytes.substr(0, bytes.size() / 2));
  expect_error(dir + "/truncated.pt", "checkpoint");

  auto write_archive = [&](const std::string& path, const std::string& tag, int64_t version) {
    torch::serialize::OutputArchive a;
    a.write("format", c10::IValue(tag));
    a.write("version", c10::IValue(version));
    a.write("config", c10::IValue(small_config().to_json()));
    a.save_to(path);
  };
  write_archive(dir + "/v2.pt", "rlplace-gnn-checkpoint", kCheckpointVersion + 1);
  expect_error(dir + "/v2.pt", "format version 2");
  write_archive(dir + "/foreign.pt", "something-else", kCheckpointVersion);
  expect_error(dir + "/foreign.pt", "not an rlplace GNN checkpoint");
  write_archive(dir + "/noparams.pt", "rlplace-gnn-checkpoint", kCheckpointVersion);
  expect_error(dir + "/noparams.pt", "corrupt checkpoint");
}

}  // namespace
}  // namespace rlplace::gnn

namespace rlplace::gnn {
namespace {

// `rlplace` itself carries no LibTorch; it hands `bench gnn` to its companion binary,
// which builds the same network this test does.
TEST(GnnCommand, RlplaceRunsTheTorchCommandsThroughItsCompanion) {
  std::string output;
  ASSERT_EQ(test::run_rlplace("bench gnn --json --seconds 0.1 --batch 2 --grid 32 --netlist " +
                                  test::data("netlists/ct_samples/sample_clustered/netlist.pb.txt") + " --plc " +
                                  test::data("netlists/ct_samples/sample_clustered/initial.plc"),
                              output),
            0)
      << output;
  const auto j = nlohmann::json::parse(output);
  GnnConfig config;
  config.grid = 32;
  PolicyValueNet net(config);
  EXPECT_EQ(j["parameters"].get<int64_t>(), net->parameter_count());
  EXPECT_EQ(j["graph_nodes"].get<int>(), 5);
}

}  // namespace
}  // namespace rlplace::gnn
