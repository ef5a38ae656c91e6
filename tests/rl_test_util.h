// Shared by the rl test files: the bundled test netlists, small configurations, and
// metrics and weight comparisons.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <torch/types.h>

#include "gnn/model.h"
#include "netlists/io.h"
#include "rl/config.h"
#include "rl/trainer.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

using test::data;
using test::temp_dir;

const std::string kTinyNetlist = data("tests/data/tiny3/netlist.pb.txt");
const std::string kTinyPlc = data("tests/data/tiny3/initial.plc");
const std::string kSampleNetlist = data("netlists/data/ct_samples/simple_grouped_with_coords/netlist.pb.txt");
const std::string kSamplePlc = data("netlists/data/ct_samples/simple_grouped_with_coords/initial.plc");

[[maybe_unused]] TrainConfig small_config() {
  TrainConfig c;
  c.gnn.grid = 8;
  c.gnn.policy_channels = 8;
  c.learner_threads = 1;
  return c;
}

// The sample netlist's 23 x 24 grid needs a larger action grid.
[[maybe_unused]] TrainConfig sample_config() {
  TrainConfig c = small_config();
  c.gnn.grid = 32;
  c.episodes_per_iteration = 4;
  c.ppo.minibatch = 32;
  return c;
}

[[maybe_unused]] std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

// Columns that depend on the clock; every other column depends only on the seeds.
bool timing_column(const std::string& name) {
  for (const char* c : {"elapsed_s", "iteration_s", "collect_s", "learn_s", "eval_s", "steps_per_s", "episodes_per_s"})
    if (name == c) return true;
  return false;
}

// Rows of two metrics.csv files equal in every column but the timings.
[[maybe_unused]] void expect_same_metrics(const std::string& a, const std::string& b, size_t rows) {
  const auto ra = read_csv(a), rb = read_csv(b);
  ASSERT_EQ(ra.size(), rows + 1);
  ASSERT_EQ(rb.size(), rows + 1);
  ASSERT_EQ(ra[0], rb[0]);
  for (size_t r = 1; r < ra.size(); ++r)
    for (size_t c = 0; c < ra[0].size(); ++c)
      if (!timing_column(ra[0][c])) {
        EXPECT_EQ(ra[r][c], rb[r][c]) << "row " << r << " column " << ra[0][c];
      }
}

[[maybe_unused]] std::vector<torch::Tensor> weights(const std::string& checkpoint) {
  auto net = gnn::load_checkpoint(checkpoint, torch::kCPU);
  std::vector<torch::Tensor> w;
  for (const auto& p : net->parameters()) w.push_back(p.detach().clone());
  return w;
}

// tiny3 alone (3 macros an episode).
[[maybe_unused]] TrainOptions tiny_run(const std::string& out, int64_t iterations, int episodes = 4, int workers = 2,
                                       uint64_t seed = 3) {
  TrainOptions o;
  o.train = {{kTinyNetlist, kTinyPlc}};
  o.out = out;
  o.iterations = iterations;
  o.workers = workers;
  o.seed = seed;
  o.config = small_config();
  o.config.episodes_per_iteration = episodes;
  return o;
}

[[maybe_unused]] TrainOptions two_netlist_run(const std::string& out, int64_t iterations) {
  TrainOptions o;
  o.train = {{kTinyNetlist, kTinyPlc}, {kSampleNetlist, kSamplePlc}};
  o.out = out;
  o.iterations = iterations;
  o.workers = 2;
  o.seed = 7;
  o.config = small_config();
  o.config.episodes_per_iteration = 8;
  o.config.ppo.minibatch = 16;
  return o;
}

[[maybe_unused]] int run_command(const std::string& args, std::string& output) { return test::run_rlplace(args, output); }

}  // namespace
}  // namespace rlplace::rl
