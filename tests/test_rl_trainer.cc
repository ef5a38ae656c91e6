// Training runs through rl::train: the tiny netlist's optimum, the files of a run, resume
// bit for bit, corrupt checkpoints on resume, failures in the collector threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/plc.h"
#include "gnn/model.h"
#include "placer/env.h"
#include "placer/placers.h"
#include "rl/config.h"
#include "rl/policy_placer.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "rl/tensorboard.h"
#include "rl/trainer.h"
#include "tests/rl_test_util.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

const int64_t kTinyIterations = 100;

// The best reward over every legal placement of the tiny netlist's macros, by brute force.
double exhaustive_best_reward(const Task& task) {
  PlacementEnv env(task.design.netlist, task.design.params, task.design.placement, task.env_options);
  double best = -std::numeric_limits<double>::infinity();
  std::vector<int> path;
  std::function<void()> search = [&] {
    if (env.done()) {
      if (!env.infeasible()) best = std::max(best, env.reward(env.finish()));
      return;
    }
    const std::vector<uint8_t> mask = env.mask();
    for (int cell = 0; cell < static_cast<int>(mask.size()); ++cell) {
      if (!mask[cell]) continue;
      // Replay the prefix: the env has no undo.
      env.reset();
      for (int c : path) env.step(c);
      env.step(cell);
      path.push_back(cell);
      search();
      path.pop_back();
      env.reset();
      for (int c : path) env.step(c);
    }
  };
  env.reset();
  search();
  return best;
}

// Default settings, five seeds: the final policy's greedy decode, not merely the run's best
// episode, must be the optimum. Two changes from TrainConfig{}, neither a learning setting:
// an 8 x 8 action grid, since the 4 x 4 netlist fits and 128 x 128 only pads, and one
// learner thread, since LibTorch's OpenMP threads spin-wait next to the two collector
// threads on a 2-core machine shared with builds (a 6 s run took minutes).
TEST(RlTraining, ReachesAndKeepsTheExhaustiveOptimumOfATinyNetlistForEverySeed) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  const double optimum = exhaustive_best_reward(*task);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    TrainOptions o;
    o.train = {{kTinyNetlist, kTinyPlc}};
    o.out = temp_dir("rl_tiny") + "/run";
    o.iterations = kTinyIterations;
    o.workers = 2;
    o.seed = seed;
    o.config.gnn.grid = 8;
    o.config.learner_threads = 1;
    const TrainResult r = train(o);
    ASSERT_EQ(r.iterations, kTinyIterations);
    // The greedy policy of the last iteration, placed again through the policy placer.
    PolicyPlaceOptions po;
    po.policy = o.out;
    const PolicyPlaceResult placed = place_with_policy(task->design, task->env_options, po);
    const double w =
        1.0 * placed.costs.wirelength_cost + 1.0 * placed.costs.density_cost + 0.5 * placed.costs.congestion_cost;
    std::printf("seed %d: optimum reward %.6f, trained greedy %.6f\n", static_cast<int>(seed), optimum, -w);
    EXPECT_NEAR(-w, optimum, 1e-12) << "seed " << seed;
  }
}

// The greedy prior's promise: a network that has learned nothing yet decodes, step by step,
// the cell the greedy placer picks, on the chip trained on most and on the held-out family.
TEST(RlPolicyPlacer, AnUntrainedGreedyPriorNetworkPlacesAsTheGreedyPlacer) {
  const std::string dir = temp_dir("rl_prior");
  gnn::GnnConfig cfg;
  cfg.grid = 64;
  cfg.greedy_prior = true;
  torch::manual_seed(7);
  gnn::PolicyValueNet net(cfg);
  const std::string path = dir + "/untrained.pt";
  gnn::save_checkpoint(path, *net);
  for (const auto& [netlist, plc] : {std::pair{"netlists/data/ariane133_ng45/netlist.pb.txt.gz",
                                               "netlists/data/ariane133_ng45/legalized.plc"},
                                     std::pair{"netlists/data/clustered/mempool_tile_ng45/netlist.pb.txt.gz",
                                               "netlists/data/clustered/mempool_tile_ng45/initial.plc"}}) {
    auto task = make_task(data(netlist), data(plc), EnvOptions{});
    PolicyPlaceOptions po;
    po.policy = path;
    po.workers = 1;
    const PolicyPlaceResult policy = place_with_policy(task->design, task->env_options, po);
    PlacementEnv env(task->design.netlist, task->design.params, task->design.placement, task->env_options);
    run_placer("greedy", env);
    const Costs greedy = env.finish();
    int macros = 0;
    for (int32_t m : task->design.netlist.hard_macros) {
      ASSERT_EQ(policy.placement.x[m], env.placement().x[m]) << netlist << " " << task->design.netlist.name[m];
      ASSERT_EQ(policy.placement.y[m], env.placement().y[m]) << netlist << " " << task->design.netlist.name[m];
      ++macros;
    }
    EXPECT_GE(macros, 20) << netlist;  // MemPool has 20, Ariane133 133
    EXPECT_EQ(policy.costs.proxy_cost, greedy.proxy_cost) << netlist;
  }
}

TEST(RlTraining, WritesCheckpointsMetricsBestPlacementsAndEvents) {
  const std::string dir = temp_dir("rl_files") + "/run";
  TrainOptions o = two_netlist_run(dir, 3);
  o.eval = {{data("netlists/data/ct_samples/sample_clustered/netlist.pb.txt"), data("netlists/data/ct_samples/sample_clustered/initial.plc")}};
  const TrainResult r = train(o);
  EXPECT_EQ(r.iterations, 3);
  EXPECT_EQ(r.this_run, 3);
  EXPECT_FALSE(r.interrupted);
  const auto csv = read_csv(dir + "/metrics.csv");
  ASSERT_EQ(csv.size(), 5u);  // header, row 0 (before training), 3 iterations
  auto col = [&](const std::string& name) {
    const auto it = std::find(csv[0].begin(), csv[0].end(), name);
    EXPECT_NE(it, csv[0].end()) << name;
    return static_cast<size_t>(it - csv[0].begin());
  };
  for (size_t r = 1; r < csv.size(); ++r) {
    EXPECT_EQ(csv[r][col("iteration")], std::to_string(r - 1));
    EXPECT_EQ(csv[r][col("policy_version")], std::to_string(r - 1));
    for (const char* c : {"tiny3/greedy_proxy", "simple_grouped_with_coords/greedy_proxy",
                          "eval:sample_clustered/greedy_proxy"})
      EXPECT_GT(std::stod(csv[r][col(c)]), 0) << c;
  }
  EXPECT_EQ(csv[3][col("episodes")], "16");
  EXPECT_EQ(csv[3][col("steps")], "40");  // 8 episodes of 3 macros, 8 of 2
  // The last two checkpoints stay, older ones go.
  EXPECT_TRUE(std::filesystem::exists(dir + "/checkpoints/policy-000003.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/checkpoints/optimizer-000002.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/checkpoints/policy-000001.pt"));
  EXPECT_EQ(resolve_policy(dir), dir + "/checkpoints/policy-000003.pt");
  // Best placements: the .plc evaluates to the cost the state file records, and is legal.
  const auto state = nlohmann::json::parse(read_file(dir + "/state.json"));
  for (const auto& [label, netlist, plc] : {std::tuple{"tiny3", kTinyNetlist, kTinyPlc},
                                            std::tuple{"simple_grouped_with_coords", kSampleNetlist, kSamplePlc}}) {
    std::string out;
    ASSERT_EQ(run_command(fmt::format("eval --netlist {} --plc {}/best/{}.plc --json", netlist, dir, label), out), 0) << out;
    const auto j = nlohmann::json::parse(out);
    EXPECT_DOUBLE_EQ(j["proxy_cost"].get<double>(), state["best"][label]["proxy"].get<double>());
    EXPECT_EQ(j["overlap_count"].get<int>(), 0);
    double lowest = 1e300;  // no better cost in the metrics than the one kept
    for (size_t r = 1; r < csv.size(); ++r) {
      lowest = std::min(lowest, std::stod(csv[r][col(std::string(label) + "/greedy_proxy")]));
      if (r > 1) lowest = std::min(lowest, std::stod(csv[r][col(std::string(label) + "/best_proxy")]));
    }
    EXPECT_DOUBLE_EQ(lowest, state["best"][label]["proxy"].get<double>());
  }
  // TensorBoard: one scalar per metric and iteration, matching the CSV.
  std::string events;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().filename().string().rfind("events.out.tfevents.", 0) == 0) events = f.path().string();
  ASSERT_FALSE(events.empty());
  int seen = 0;
  for (const auto& e : read_scalar_events(events))
    if (e.tag == "tiny3/greedy_proxy") {
      EXPECT_FLOAT_EQ(e.value, static_cast<float>(std::stod(csv[e.step + 1][col("tiny3/greedy_proxy")])));
      ++seen;
    }
  EXPECT_EQ(seen, 4);
}

TEST(RlTraining, ResumedRunRepeatsTheUninterruptedOne) {
  const std::string base = temp_dir("rl_resume");
  train(two_netlist_run(base + "/whole", 4));
  train(two_netlist_run(base + "/split", 2));
  TrainOptions again = two_netlist_run(base + "/split", 4);
  again.resume = true;
  const TrainResult r = train(again);
  EXPECT_EQ(r.iterations, 4);
  EXPECT_EQ(r.this_run, 2);
  expect_same_metrics(base + "/whole/metrics.csv", base + "/split/metrics.csv", 5);
  const auto a = weights(base + "/whole/checkpoints/policy-000004.pt"), b = weights(base + "/split/checkpoints/policy-000004.pt");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  // The same best placement, header lines naming the file or the time aside.
  auto body = [](const std::string& path) {
    std::istringstream in(read_file(path));
    std::string kept;
    for (std::string line; std::getline(in, line);)
      if (line.rfind("# This file", 0) != 0 && line.rfind("# Date", 0) != 0) kept += line + "\n";
    return kept;
  };
  EXPECT_EQ(body(base + "/whole/best/tiny3.plc"), body(base + "/split/best/tiny3.plc"));
}

TEST(RlTraining, InitFromATrainingDirectoryStartsFromItsLatestWeights) {
  const std::string base = temp_dir("rl_init_dir");
  train(tiny_run(base + "/source", 2));
  TrainOptions from_dir = tiny_run(base + "/from_dir", 1, 4, 2, 11);
  from_dir.init = base + "/source";
  train(from_dir);
  TrainOptions from_file = tiny_run(base + "/from_file", 1, 4, 2, 11);
  from_file.init = base + "/source/checkpoints/policy-000002.pt";
  train(from_file);
  // Before any training (row 0) both hold the source's final weights: its last greedy episode.
  const auto src = read_csv(base + "/source/metrics.csv"), dir = read_csv(base + "/from_dir/metrics.csv");
  const auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(src[0].begin(), src[0].end(), name) - src[0].begin());
  };
  ASSERT_EQ(src.size(), 4u);
  ASSERT_EQ(dir.size(), 3u);
  EXPECT_EQ(dir[1][column("tiny3/greedy_proxy")], src[3][column("tiny3/greedy_proxy")]);
  expect_same_metrics(base + "/from_dir/metrics.csv", base + "/from_file/metrics.csv", 2);
  const auto a = weights(base + "/from_dir/checkpoints/policy-000001.pt"),
             b = weights(base + "/from_file/checkpoints/policy-000001.pt");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  TrainOptions missing = tiny_run(base + "/missing", 1);
  missing.init = base + "/no_such_run";
  EXPECT_THROW(train(missing), InputError);
}

// 64 bytes of 0xFF written into the middle of a file, as a bad disk or copy might.
void corrupt_middle(const std::string& path) {
  std::string bytes = read_file(path);
  ASSERT_GT(bytes.size(), 128u);
  for (size_t i = 0; i < 64; ++i) bytes[bytes.size() / 2 + i] = '\xff';
  test::write_text(path, bytes);
}

TEST(RlTraining, ResumeFallsBackFromACorruptLatestCheckpointAndStillRepeatsTheRun) {
  const std::string base = temp_dir("rl_corrupt");
  train(tiny_run(base + "/whole", 3));
  train(tiny_run(base + "/split", 2));
  corrupt_middle(base + "/split/checkpoints/policy-000002.pt");
  TrainOptions again = tiny_run(base + "/split", 3);
  again.resume = true;
  std::vector<std::string> seen;
  again.on_warning = [&](const std::string& w) { seen.push_back(w); };
  const TrainResult r = train(again);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(seen, r.warnings);
  EXPECT_EQ(r.warnings[0].rfind(base + "/split/checkpoints/policy-000002.pt: ", 0), 0u) << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("; resuming from iteration 1 instead"), std::string::npos) << r.warnings[0];
  EXPECT_EQ(r.iterations, 3);
  EXPECT_EQ(r.this_run, 2);  // iteration 2 again, then 3
  // Never trained on NaN: the run is the uninterrupted one, bit for bit.
  expect_same_metrics(base + "/whole/metrics.csv", base + "/split/metrics.csv", 4);
  const auto a = weights(base + "/whole/checkpoints/policy-000003.pt"), b = weights(base + "/split/checkpoints/policy-000003.pt");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;

  // Both remaining checkpoints corrupt: the resume stops with one line.
  corrupt_middle(base + "/split/checkpoints/policy-000003.pt");
  corrupt_middle(base + "/split/checkpoints/policy-000002.pt");
  TrainOptions stuck = tiny_run(base + "/split", 4);
  stuck.resume = true;
  try {
    train(stuck);
    FAIL() << "expected a refusal";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind(base + "/split/checkpoints/policy-000003.pt: ", 0), 0u) << msg;
    EXPECT_NE(msg.find("the previous iteration's checkpoint is unusable too"), std::string::npos) << msg;
  }
  EXPECT_EQ(nlohmann::json::parse(read_file(base + "/split/state.json"))["iteration"], 3);
}

TEST(RlTraining, ACollectorThreadThatThrowsEndsTheRunWithItsMessage) {
  const std::string dir = temp_dir("rl_throw") + "/run";
  TrainOptions o = tiny_run(dir, 3);
  std::atomic<int> episodes{0};
  // Row 0 takes one greedy episode, iteration 1 four: fail in iteration 2's collection.
  o.before_episode = [&](int, uint64_t) {
    if (++episodes == 8) throw std::runtime_error("injected failure in a collector thread");
  };
  try {
    train(o);
    FAIL() << "expected the collector's error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "injected failure in a collector thread");
  }
  // The committed iterations are intact, and the run goes on from them.
  EXPECT_EQ(nlohmann::json::parse(read_file(dir + "/state.json"))["iteration"], 1);
  TrainOptions again = tiny_run(dir, 2);
  again.resume = true;
  EXPECT_EQ(train(again).iterations, 2);
}

}  // namespace
}  // namespace rlplace::rl
