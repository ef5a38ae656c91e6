// Tests that run the rlplace binary (bench gnn through the companion binary).
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

// `rlplace` itself carries no LibTorch; it hands `bench gnn` to its companion binary,
// which builds the same network this test does.
TEST(GnnCommand, RlplaceRunsTheTorchCommandsThroughItsCompanion) {
  std::string output;
  ASSERT_EQ(test::run_rlplace("bench gnn --json --seconds 0.1 --batch 2 --grid 32 --netlist " +
                                  test::data("netlists/data/ct_samples/sample_clustered/netlist.pb.txt") + " --plc " +
                                  test::data("netlists/data/ct_samples/sample_clustered/initial.plc"),
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

// --trace writes one forward + backward's operations as a Chrome trace; a path it cannot
// write is a one-line error before any timing.
TEST(GnnCommand, TraceIsWrittenOrRefusedAtOnce) {
  const std::string dir = test::temp_dir("gnn_trace");
  const std::string args = " --seconds 0.1 --batch 2 --grid 32 --netlist " +
                           test::data("netlists/data/ct_samples/sample_clustered/netlist.pb.txt") + " --plc " +
                           test::data("netlists/data/ct_samples/sample_clustered/initial.plc");
  std::string output;
  ASSERT_EQ(test::run_rlplace("bench gnn --json --trace " + dir + "/t.json" + args, output), 0) << output;
  const auto trace = nlohmann::json::parse(read_file(dir + "/t.json"));
  const auto& events = trace.is_object() ? trace["traceEvents"] : trace;
  ASSERT_TRUE(events.is_array());
  bool backward = false;
  for (const auto& e : events) backward = backward || e.value("name", "").find("Backward") != std::string::npos;
  EXPECT_TRUE(backward);
  EXPECT_NE(test::run_rlplace("bench gnn --trace " + dir + "/no/such/t.json" + args, output), 0);
  EXPECT_NE(output.find(dir + "/no/such/t.json: cannot write the trace"), std::string::npos) << output;
  EXPECT_EQ(output.find("graph "), std::string::npos) << output;  // refused before the timings
}

// --profile splits central inference's steps into their phases, per step and in the JSON;
// without --central there is no such step, and the flag is refused.
TEST(GnnCommand, BenchTrainProfilesTheCentralSteps) {
  const std::string args = " --grid 32 --workers 2 --episodes 4 --no-learn --netlist " +
                           test::data("netlists/data/ct_samples/toy_macro_stdcell/netlist.pb.txt") + " --plc " +
                           test::data("netlists/data/ct_samples/toy_macro_stdcell/initial.plc");
  std::string output;
  ASSERT_EQ(test::run_rlplace("bench train --central --profile --json" + args, output), 0) << output;
  const auto j = nlohmann::json::parse(output);
  ASSERT_EQ(j["collect"].size(), 1u);
  const auto& phases = j["collect"][0]["phases_ms_per_step"];
  // Every episode of the toy chip places its macros in the one batch: a step per macro.
  EXPECT_EQ(phases["steps"].get<int64_t>(), j["macros"].get<int64_t>());
  double total = 0;
  for (const char* k : {"features", "batch", "forward", "copy_back", "actions"}) {
    ASSERT_TRUE(phases.contains(k)) << k;
    EXPECT_GE(phases[k].get<double>(), 0) << k;
    total += phases[k].get<double>();
  }
  EXPECT_GT(phases["forward"].get<double>(), 0);
  const double run_ms = 1e3 * j["collect"][0]["seconds"].get<double>();
  EXPECT_LE(total * phases["steps"].get<double>(), run_ms);
  ASSERT_EQ(test::run_rlplace("bench train --central --profile" + args, output), 0) << output;
  EXPECT_NE(output.find("a step, ms"), std::string::npos) << output;
  // Unprofiled: no phases.
  ASSERT_EQ(test::run_rlplace("bench train --central --json" + args, output), 0) << output;
  EXPECT_FALSE(nlohmann::json::parse(output)["collect"][0].contains("phases_ms_per_step"));
  EXPECT_NE(test::run_rlplace("bench train --profile" + args, output), 0);
  EXPECT_NE(output.find("--central"), std::string::npos) << output;
  // --lanes: one timed run per value, each reported with its lanes and a batch per lane and step.
  ASSERT_EQ(test::run_rlplace("bench train --central --profile --json --lanes 1 2" + args, output), 0) << output;
  const auto lanes = nlohmann::json::parse(output)["collect"];
  ASSERT_EQ(lanes.size(), 2u);
  EXPECT_EQ(lanes[0]["lanes"].get<int>(), 1);
  EXPECT_EQ(lanes[1]["lanes"].get<int>(), 2);
  EXPECT_EQ(lanes[1]["phases_ms_per_step"]["steps"].get<int64_t>(), 2 * j["macros"].get<int64_t>());
  EXPECT_NE(test::run_rlplace("bench train --lanes 2" + args, output), 0);
  EXPECT_NE(output.find("--central"), std::string::npos) << output;
}

// The timed collection is a second run of the same episodes (the environments built by the
// first, as a training run's later iterations find them) and the timed update a second one;
// both first runs are reported beside them.
TEST(GnnCommand, BenchTrainTimesASecondRunAndASecondUpdate) {
  const std::string args = " --grid 32 --workers 1 --episodes 2 --json --netlist " +
                           test::data("netlists/data/ct_samples/toy_macro_stdcell/netlist.pb.txt") + " --plc " +
                           test::data("netlists/data/ct_samples/toy_macro_stdcell/initial.plc");
  std::string output;
  ASSERT_EQ(test::run_rlplace("bench train" + args, output), 0) << output;
  const auto j = nlohmann::json::parse(output);
  ASSERT_EQ(j["collect"].size(), 1u);
  EXPECT_GT(j["collect"][0]["first_seconds"].get<double>(), 0);
  EXPECT_GT(j["collect"][0]["seconds"].get<double>(), 0);
  ASSERT_TRUE(j.contains("learn"));
  EXPECT_GT(j["learn"]["first_seconds"].get<double>(), 0);
  EXPECT_GT(j["learn"]["seconds"].get<double>(), 0);
  // Both episodes place every macro: a sample per step.
  EXPECT_EQ(j["learn"]["samples"].get<int64_t>(), 2 * j["macros"].get<int64_t>());
}

}  // namespace
}  // namespace rlplace::gnn
