// Graph features, the padded action grid and the network configuration.
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
  PlacementEnv& env = *c.env;
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
  // A configuration written before the cost maps existed describes a network without them.
  EXPECT_TRUE(c.cost_maps);
  const GnnConfig old = GnnConfig::from_json(
      R"({"node_dim":8,"layers":3,"grid":64,"policy_channels":32,"value_hidden":[32,8]})");
  EXPECT_FALSE(old.cost_maps);
  EXPECT_FALSE(old.greedy_prior);
  EXPECT_THROW(GnnConfig::from_json(R"({"node_dim":8,"layers":3,"grid":64,"policy_channels":32,"value_hidden":[32,8],"cost_maps":1})"),
               std::invalid_argument);
  // One written before the greedy prior (the policy bundled until 2026-12-01) has none.
  EXPECT_FALSE(c.greedy_prior);
  const GnnConfig maps = GnnConfig::from_json(
      R"({"node_dim":8,"layers":3,"grid":64,"policy_channels":32,"value_hidden":[32,8],"cost_maps":true})");
  EXPECT_TRUE(maps.cost_maps);
  EXPECT_FALSE(maps.greedy_prior);
  EXPECT_THROW(GnnConfig::from_json(R"({"node_dim":8,"layers":3,"grid":64,"policy_channels":32,"value_hidden":[32,8],"cost_maps":false,"greedy_prior":true})"),
               std::invalid_argument);
  EXPECT_THROW(GnnConfig::from_json(R"({"node_dim":8,"layers":3,"grid":64,"policy_channels":32,"value_hidden":[32,8],"cost_maps":true,"greedy_prior":"yes"})"),
               std::invalid_argument);
}

}  // namespace
}  // namespace rlplace::gnn
