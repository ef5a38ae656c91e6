// Shared by the gnn test files: sample netlists with features and an environment a few
// steps into an episode, small configurations, and output comparisons.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cost/design.h"
#include "gnn/config.h"
#include "gnn/features.h"
#include "gnn/model.h"
#include "placer/env.h"
#include "tests/test_util.h"

namespace rlplace::gnn {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;
using test::stdcell_node;

// A small grid keeps the policy head cheap; every sample netlist's grid fits in it.
[[maybe_unused]] GnnConfig small_config(int node_dim = 8) {
  GnnConfig c;
  c.node_dim = node_dim;
  c.grid = 32;
  c.policy_channels = 8;
  return c;
}

[[maybe_unused]] CostParams square_params(double side = 100, int cells = 10) {
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

const std::string kClustered = "netlists/data/ct_samples/sample_clustered/";
const std::string kTiles = "netlists/data/ct_samples/macro_tiles_10x10/";
const std::string kToy = "netlists/data/ct_samples/toy_macro_stdcell/";
const std::string kGrouped = "netlists/data/ct_samples/simple_grouped_with_coords/";

[[maybe_unused]] std::vector<std::unique_ptr<Case>> sample_cases() {
  std::vector<std::unique_ptr<Case>> cases;
  cases.push_back(std::make_unique<Case>(kClustered + "netlist.pb.txt", kClustered + "initial.plc", 0));
  cases.push_back(std::make_unique<Case>(kTiles + "netlist.pb.txt", kTiles + "initial.plc", 7));
  cases.push_back(std::make_unique<Case>(kToy + "netlist.pb.txt", kToy + "initial.plc", 1));
  cases.push_back(std::make_unique<Case>(kGrouped + "netlist.pb.txt", kGrouped + "initial.plc", 1));
  return cases;
}

[[maybe_unused]] GraphBatch batch_of(const std::vector<std::unique_ptr<Case>>& cases, int grid) {
  std::vector<StateRef> refs;
  for (const auto& c : cases) refs.push_back(c->ref());
  return make_batch(refs, grid, torch::kCPU);
}

[[maybe_unused]] double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Log-probabilities compared where finite; the -inf pattern must match exactly.
[[maybe_unused]] void expect_same_policy(const torch::Tensor& a, const torch::Tensor& b, double tol) {
  ASSERT_TRUE(torch::equal(torch::isinf(a), torch::isinf(b)));
  const torch::Tensor finite = torch::isfinite(a);
  EXPECT_LE(max_abs_diff(a.masked_select(finite), b.masked_select(finite)), tol);
}

}  // namespace
}  // namespace rlplace::gnn
