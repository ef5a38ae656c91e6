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

}  // namespace
}  // namespace rlplace::gnn
