// PPO training: episodes and their replay, the learner, the trainer's files and resume,
// the policy placer, and the tiny netlist whose optimum training must find.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/plc.h"
#include "placer/env.h"
#include "rl/config.h"
#include "rl/policy_placer.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "rl/tensorboard.h"
#include "rl/trainer.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

using test::data;
using test::temp_dir;

const std::string kTinyNetlist = data("tests/data/tiny3/netlist.pb.txt");
const std::string kTinyPlc = data("tests/data/tiny3/initial.plc");
const std::string kSampleNetlist = data("netlists/ct_samples/simple_grouped_with_coords/netlist.pb.txt");
const std::string kSamplePlc = data("netlists/ct_samples/simple_grouped_with_coords/initial.plc");

TrainConfig small_config() {
  TrainConfig c;
  c.gnn.grid = 8;
  c.gnn.policy_channels = 8;
  c.learner_threads = 1;
  return c;
}

// The sample netlist's 23 x 24 grid needs a larger action grid.
TrainConfig sample_config() {
  TrainConfig c = small_config();
  c.gnn.grid = 32;
  c.episodes_per_iteration = 4;
  c.ppo.minibatch = 32;
  return c;
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
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
void expect_same_metrics(const std::string& a, const std::string& b, size_t rows) {
  const auto ra = read_csv(a), rb = read_csv(b);
  ASSERT_EQ(ra.size(), rows + 1);
  ASSERT_EQ(rb.size(), rows + 1);
  ASSERT_EQ(ra[0], rb[0]);
  for (size_t r = 1; r < ra.size(); ++r)
    for (size_t c = 0; c < ra[0].size(); ++c)
      if (!timing_column(ra[0][c])) EXPECT_EQ(ra[r][c], rb[r][c]) << "row " << r << " column " << ra[0][c];
}

std::vector<torch::Tensor> weights(const std::string& checkpoint) {
  auto net = gnn::load_checkpoint(checkpoint, torch::kCPU);
  std::vector<torch::Tensor> w;
  for (const auto& p : net->parameters()) w.push_back(p.detach().clone());
  return w;
}

TrainOptions two_netlist_run(const std::string& out, int64_t iterations) {
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

int run_command(const std::string& args, std::string& output) { return test::run_rlplace(args, output); }

TEST(RlRollout, ChooseActionSamplesByInverseCdfAndSkipsInfeasible) {
  const float ninf = -std::numeric_limits<float>::infinity();
  const float lp[4] = {std::log(0.25f), ninf, std::log(0.75f), ninf};
  EXPECT_EQ(choose_action(lp, 4, false, 0.0), 0);
  EXPECT_EQ(choose_action(lp, 4, false, 0.2499), 0);
  EXPECT_EQ(choose_action(lp, 4, false, 0.2501), 2);
  EXPECT_EQ(choose_action(lp, 4, false, 0.999999), 2);
  EXPECT_EQ(choose_action(lp, 4, true, 0.0), 2);
  const float tie[3] = {ninf, std::log(0.5f), std::log(0.5f)};
  EXPECT_EQ(choose_action(tie, 3, true, 0.0), 1);  // lowest index among ties
  const float none[2] = {ninf, ninf};
  EXPECT_EQ(choose_action(none, 2, false, 0.5), -1);
  EXPECT_EQ(choose_action(none, 2, true, 0.5), -1);
}

TEST(RlRollout, ReplayedStatesAndLogProbsEqualThoseOfCollection) {
  EnvOptions eo;
  auto task = make_task(kSampleNetlist, kSamplePlc, eo);
  auto tiny = make_task(kTinyNetlist, kTinyPlc, eo);
  torch::manual_seed(3);
  gnn::GnnConfig gc = small_config().gnn;
  gnn::PolicyValueNet net(gc);
  net->eval();
  Collector collector({task.get(), tiny.get()}, 2, 1);
  std::vector<Collector::Job> jobs;
  for (int i = 0; i < 6; ++i) jobs.push_back({i % 2, mix_seed(5, i), false, 1e300});
  const auto eps = collector.run(*net, torch::kCPU, 0, jobs);
  ASSERT_EQ(eps.size(), 6u);
  torch::NoGradGuard no_grad;
  for (const Episode& e : eps) {
    const Task& t = e.task == 0 ? *task : *tiny;
    ASSERT_EQ(e.steps(), static_cast<int>(t.order.size()));
    ASSERT_FALSE(e.infeasible);
    ASSERT_TRUE(e.placement);
    PlacementEnv env(t.design.netlist, t.design.params, t.design.placement, t.env_options);
    env.reset();
    gnn::DynamicFeatures live, replayed;
    for (int s = 0; s < e.steps(); ++s) {
      gnn::dynamic_features(t.features, env, live);
      state_at(t, e, s, replayed);
      EXPECT_EQ(live.x, replayed.x);
      EXPECT_EQ(live.y, replayed.y);
      EXPECT_EQ(live.placed, replayed.placed);
      EXPECT_EQ(live.current, replayed.current);
      EXPECT_EQ(live.mask, replayed.mask);
      const auto out = net->forward(gnn::make_batch({{&t.features, &replayed}}, gc.grid, torch::kCPU));
      EXPECT_EQ(out.log_probs[0][e.actions[s]].item<float>(), e.log_probs[s]);
      EXPECT_EQ(out.value[0].item<float>(), e.values[s]);
      EXPECT_EQ(gnn::PaddedGrid(gc.grid, t.features.rows, t.features.cols).cell_of_action(e.actions[s]), e.cells[s]);
      env.step(e.cells[s]);
    }
    // The episode's cost is the environment's, and its reward Circuit Training's weights.
    const Costs c = env.finish();
    EXPECT_EQ(c.proxy_cost, e.costs.proxy_cost);
    EXPECT_DOUBLE_EQ(e.reward, -(c.wirelength_cost + c.density_cost + 0.5 * c.congestion_cost));
  }
}

TEST(RlRollout, EpisodesDoNotDependOnTheNumberOfWorkers) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  torch::manual_seed(11);
  gnn::PolicyValueNet net(small_config().gnn);
  net->eval();
  std::vector<Collector::Job> jobs;
  for (int i = 0; i < 10; ++i) jobs.push_back({0, mix_seed(9, i), i == 0, -1e300});
  Collector one({task.get()}, 1, 1), three({task.get()}, 3, 1);
  const auto a = one.run(*net, torch::kCPU, 4, jobs), b = three.run(*net, torch::kCPU, 4, jobs);
  std::set<std::vector<int32_t>> distinct;
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(a[i].cells, b[i].cells);
    EXPECT_EQ(a[i].log_probs, b[i].log_probs);
    EXPECT_EQ(a[i].reward, b[i].reward);
    EXPECT_EQ(a[i].policy_version, 4);
    EXPECT_FALSE(a[i].placement);  // not asked for
    distinct.insert(a[i].cells);
  }
  EXPECT_GT(distinct.size(), 3u);  // the seeds differ, so do the sampled episodes
}

TEST(RlRollout, AMacroWithNowhereToGoEndsTheEpisodeWithTheInfeasibleReward) {
  // Two 30 x 30 macros on a 40 x 40 canvas: the second never fits.
  const std::string dir = temp_dir("rl_infeasible");
  test::write_text(dir + "/n.pb.txt", test::port_node("p", 0, 0, {"a/in"}) + test::macro_node("a", 30, 30, 20, 20) +
                                          test::pin_node("a/in", "a", 0, 0) + test::macro_node("b", 30, 30, 20, 20) +
                                          test::pin_node("b/in", "b", 0, 0));
  EnvOptions eo;
  Design d = load_design(dir + "/n.pb.txt", "", [] {
    CostOverrides o;
    o.set("width", 40).set("height", 40).set("cols", 4).set("rows", 4);
    return o;
  }());
  auto task = make_task(std::move(d), eo, "two_big");
  gnn::PolicyValueNet net(small_config().gnn);
  net->eval();
  Collector c({task.get()}, 1, 1);
  const auto eps = c.run(*net, torch::kCPU, 0, {{0, 1, false, 1e300}});
  EXPECT_TRUE(eps[0].infeasible);
  EXPECT_EQ(eps[0].steps(), 1);
  EXPECT_EQ(eps[0].reward, -4.0);
  EXPECT_FALSE(eps[0].placement);
}

TEST(RlPpo, RefusesEpisodesOfAnotherPolicyVersion) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  gnn::PolicyValueNet net(small_config().gnn);
  PpoLearner learner(net, small_config().ppo, torch::kCPU);
  Collector c({task.get()}, 1, 1);
  auto eps = c.run(*net, torch::kCPU, learner.version(), {{0, 1, false, 1e300}, {0, 2, false, 1e300}});
  const UpdateStats u = learner.update({task.get()}, eps, 1, 0.0);
  EXPECT_EQ(learner.version(), 1);
  EXPECT_EQ(u.samples, 6);  // two episodes of three steps
  EXPECT_EQ(u.gradient_steps, small_config().ppo.epochs);
  EXPECT_TRUE(std::isfinite(u.policy_loss) && std::isfinite(u.value_loss) && u.entropy > 0);
  EXPECT_THROW(learner.update({task.get()}, eps, 1, 0.0), std::logic_error);  // still version 0
}

TEST(RlPpo, PerNetlistStatisticsPutRewardsOfDifferentScalesOnOne) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  gnn::PolicyValueNet net(small_config().gnn);
  PpoConfig pc = small_config().ppo;
  pc.reward_stats_decay = 0.5;
  PpoLearner learner(net, pc, torch::kCPU);
  Collector c({task.get()}, 1, 1);
  auto eps = c.run(*net, torch::kCPU, 0, {{0, 1, false, 1e300}, {0, 2, false, 1e300}, {0, 3, false, 1e300}});
  double mean = 0, second = 0;
  for (const auto& e : eps) mean += e.reward / 3, second += e.reward * e.reward / 3;
  learner.update({task.get()}, eps, 1, 0.0);
  const RewardStats& s = learner.reward_stats().at("tiny3");
  EXPECT_DOUBLE_EQ(s.mean, mean);  // the first batch sets the statistics
  EXPECT_DOUBLE_EQ(s.second, second);
  EXPECT_EQ(s.episodes, 3);
  auto later = c.run(*net, torch::kCPU, 1, {{0, 4, false, 1e300}});
  learner.update({task.get()}, later, 2, 0.0);
  EXPECT_DOUBLE_EQ(learner.reward_stats().at("tiny3").mean, 0.5 * mean + 0.5 * later[0].reward);
  // Exact round trip of the learner's state, as resume needs.
  PpoLearner other(gnn::PolicyValueNet(small_config().gnn), pc, torch::kCPU);
  other.restore_state_json(learner.state_json());
  EXPECT_EQ(other.state_json(), learner.state_json());
  EXPECT_EQ(other.version(), 2);
}

TEST(RlPpo, CosineScheduleEndsAtAlphaTimesTheRate) {
  PpoConfig pc;
  pc.lr_schedule = "cosine";
  pc.schedule_iterations = 10;
  pc.learning_rate = 1e-3;
  pc.cosine_alpha = 0.1;
  PpoLearner l(gnn::PolicyValueNet(small_config().gnn), pc, torch::kCPU);
  EXPECT_DOUBLE_EQ(l.learning_rate(0), 1e-3);
  EXPECT_DOUBLE_EQ(l.learning_rate(0.5), 0.55e-3);
  EXPECT_DOUBLE_EQ(l.learning_rate(1), 1e-4);
  EXPECT_DOUBLE_EQ(l.learning_rate(-1), 1e-3);  // no schedule horizon: constant
}

TEST(RlConfig, JsonRoundTripPartialFilesAndErrors) {
  TrainConfig c;
  c.ppo.clip = 0.3;
  c.gnn.grid = 64;
  c.episodes_per_iteration = 5;
  EXPECT_EQ(TrainConfig::from_json(c.to_json()).to_json(), c.to_json());
  const TrainConfig p = TrainConfig::from_json(R"({"ppo": {"epochs": 2}, "gnn": {"layers": 2}})");
  EXPECT_EQ(p.ppo.epochs, 2);
  EXPECT_EQ(p.gnn.layers, 2);
  EXPECT_EQ(p.gnn.grid, 128);  // untouched fields keep their defaults
  EXPECT_EQ(p.ppo.clip, 0.2);
  auto message = [](const std::string& text) {
    try {
      TrainConfig::from_json(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(R"({"ppo": {"clipp": 0.1}})"), "training config: unknown field 'ppo.clipp'");
  EXPECT_EQ(message(R"({"episodes": 3})"), "training config: unknown field 'episodes'");
  EXPECT_EQ(message(R"({"ppo": {"epochs": "four"}})"), "training config: ppo.epochs: wrong type (\"four\")");
  // Integers are checked, not cast: get<int>() of 1e300 is undefined behaviour, of 2.5 gives 2.
  EXPECT_EQ(message(R"({"ppo": {"epochs": 1e300}})"), "training config: ppo.epochs: is out of range (got 1e+300)");
  EXPECT_EQ(message(R"({"ppo": {"epochs": 2.5}})"), "training config: ppo.epochs: must be an integer (got 2.5)");
  EXPECT_EQ(message(R"({"gnn": {"layers": -1e19}})"), "GNN config: layers is out of range (got -1e+19)");
  EXPECT_EQ(message(R"({"ppo": {"epochs": 2.0}, "gnn": {"grid": 64.0}})"), "no error");
  EXPECT_EQ(message(R"({"ppo": {"lr_schedule": "cosine"}})"),
            "training config: ppo.lr_schedule \"cosine\" needs ppo.schedule_iterations, the iterations it decays over");
  EXPECT_EQ(message(R"({"ppo": {"lr_schedule": "linear"}})"),
            "training config: ppo.lr_schedule must be \"constant\" or \"cosine\" (got \"linear\")");
  EXPECT_EQ(message(R"({"gnn": {"grid": 100}})").rfind("GNN config: grid must be", 0), 0u);
  EXPECT_EQ(message("[1"), message("[1"));
  EXPECT_EQ(message("[1").rfind("training config: not JSON", 0), 0u);
}

TEST(RlTensorboard, CrcAndEventsReadBack) {
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);  // the CRC-32C check value
  EXPECT_EQ(crc32c("", 0), 0u);
  const std::string dir = temp_dir("rl_tb");
  std::string path;
  {
    EventWriter w(dir);
    path = w.path();
    w.scalars(1, {{"a/loss", 0.5}, {"b", -2.25}}, 1000.0);
    w.scalars(2, {{"a/loss", 0.25}}, 1001.0);
  }
  const auto ev = read_scalar_events(path);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].step, 1);
  EXPECT_EQ(ev[0].tag, "a/loss");
  EXPECT_EQ(ev[0].value, 0.5f);
  EXPECT_EQ(ev[1].tag, "b");
  EXPECT_EQ(ev[1].value, -2.25f);
  EXPECT_EQ(ev[2].step, 2);
  // A flipped byte is caught by the checksums.
  std::string bytes = read_file(path);
  bytes[bytes.size() - 6] ^= 0x20;
  test::write_text(path, bytes);
  EXPECT_THROW(read_scalar_events(path), std::runtime_error);
}


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

TEST(RlTraining, ReachesTheExhaustiveOptimumOfATinyNetlist) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  const double optimum = exhaustive_best_reward(*task);
  TrainOptions o;
  o.train = {{kTinyNetlist, kTinyPlc}};
  o.out = temp_dir("rl_tiny") + "/run";
  o.iterations = 30;
  o.workers = 2;
  o.seed = 1;
  o.config = small_config();
  o.config.episodes_per_iteration = 128;
  const TrainResult r = train(o);
  ASSERT_EQ(r.iterations, 30);
  // The greedy policy of the last iteration, placed again through the policy placer.
  PolicyPlaceOptions po;
  po.policy = o.out;
  const PolicyPlaceResult placed = place_with_policy(task->design, task->env_options, po);
  const double w = 1.0 * placed.costs.wirelength_cost + 1.0 * placed.costs.density_cost + 0.5 * placed.costs.congestion_cost;
  std::printf("optimum reward %.6f, trained greedy %.6f\n", optimum, -w);
  EXPECT_NEAR(-w, optimum, 1e-12);
}

TEST(RlTraining, WritesCheckpointsMetricsBestPlacementsAndEvents) {
  const std::string dir = temp_dir("rl_files") + "/run";
  TrainOptions o = two_netlist_run(dir, 3);
  o.eval = {{data("netlists/ct_samples/sample_clustered/netlist.pb.txt"), data("netlists/ct_samples/sample_clustered/initial.plc")}};
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

TEST(RlTraining, SigkillMidIterationLosesNoFinishedIteration) {
  const std::string base = temp_dir("rl_kill");
  const std::string args = fmt::format(
      "train --netlist {} --plc {} --netlist {} --plc {} --seed 7 --workers 2 --episodes-per-iteration 8 --quiet "
      "--config {}/config.json",
      kTinyNetlist, kTinyPlc, kSampleNetlist, kSamplePlc, base);
  TrainConfig c = small_config();
  c.ppo.minibatch = 16;
  test::write_text(base + "/config.json", c.to_json());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = fmt::format("exec {} {} --out {}/killed --iterations 1000 >/dev/null 2>&1", RLPLACE_BINARY, args, base);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for two committed iterations, then kill it partway through the next one.
  const auto t0 = std::chrono::steady_clock::now();
  int64_t committed = 0;
  auto iteration_of = [&]() -> int64_t {
    try {
      return nlohmann::json::parse(read_file(base + "/killed/state.json")).at("iteration").get<int64_t>();
    } catch (...) {
      return -1;
    }
  };
  while ((committed = iteration_of()) < 2 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_GE(committed, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int64_t k = iteration_of();
  ASSERT_GE(k, 2);

  std::string out;
  ASSERT_EQ(run_command(fmt::format("{} --out {}/killed --iterations {} --resume", args, base, k + 2), out), 0) << out;
  ASSERT_EQ(run_command(fmt::format("{} --out {}/whole --iterations {}", args, base, k + 2), out), 0) << out;
  expect_same_metrics(base + "/whole/metrics.csv", base + "/killed/metrics.csv", k + 3);
}

TEST(RlCommand, TrainRefusesBadRequestsWithOneLine) {
  const std::string base = temp_dir("rl_cli");
  std::string out;
  const std::string tiny = fmt::format("--netlist {} --plc {}", kTinyNetlist, kTinyPlc);
  test::write_text(base + "/config.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 2})");
  const std::string cfg = " --config " + base + "/config.json";
  ASSERT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 1 --quiet{}", tiny, base, cfg), out), 0) << out;
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 2{}", tiny, base, cfg), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/run: already holds a training run; add --resume to continue it or choose "
                             "another --out\n", base));
  EXPECT_EQ(run_command(fmt::format("train --netlist {} --plc {} --out {}/run --iterations 2 --resume{}", kSampleNetlist,
                                    kSamplePlc, base, cfg), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/run: the netlists differ from those of the run being resumed\n", base));
  test::write_text(base + "/other.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 3})");
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 2 --resume --config {}/other.json", tiny, base, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/run: --config differs from the configuration of the run being resumed\n", base));
  EXPECT_EQ(run_command(fmt::format("train --plc {} --netlist {} --out {}/x --iterations 1", kTinyPlc, kTinyNetlist, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: --plc {} has no --netlist before it\n", kTinyPlc));
  EXPECT_EQ(run_command(fmt::format("train --netlist {}/missing.pb.txt --out {}/y --iterations 1", base, base), out), 1);
  EXPECT_NE(out.find("missing.pb.txt"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/z", tiny, base), out), 1);
  EXPECT_EQ(out, "rlplace: error: train: give --iterations N or --minutes M\n");
  test::write_text(base + "/bad.json", R"({"ppo": {"epochs": 0}})");
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/w --iterations 1 --config {}/bad.json", tiny, base, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/bad.json: training config: ppo.epochs must be at least 1 (got 0)\n", base));
  // The resumed run goes on from iteration 1.
  ASSERT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 2 --resume --quiet", tiny, base), out), 0) << out;
  EXPECT_NE(out.find("1 iteration in this run, 2 in all"), std::string::npos) << out;
}

TEST(RlCommand, PlaceWithThePolicyRepeatsTheTrainersGreedyEpisode) {
  const std::string base = temp_dir("rl_place");
  std::string out;
  test::write_text(base + "/config.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 4})");
  ASSERT_EQ(run_command(fmt::format("train --netlist {} --plc {} --out {}/run --iterations 2 --quiet --config {}/config.json",
                                    kTinyNetlist, kTinyPlc, base, base), out), 0) << out;
  const auto csv = read_csv(base + "/run/metrics.csv");
  const size_t c = std::find(csv[0].begin(), csv[0].end(), "tiny3/greedy_proxy") - csv[0].begin();
  ASSERT_EQ(run_command(fmt::format("place --placer rl --policy {}/run --netlist {} --plc {} --out {}/p.plc --json", base,
                                    kTinyNetlist, kTinyPlc, base), out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(fmt::format("{}", j["proxy_cost"].get<double>()), csv.back()[c]);
  EXPECT_TRUE(j["legal"].get<bool>());
  ASSERT_EQ(run_command(fmt::format("eval --netlist {} --plc {}/p.plc --json", kTinyNetlist, base), out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["proxy_cost"], j["proxy_cost"]);
  // Sampling more episodes can only keep or improve the greedy one.
  ASSERT_EQ(run_command(fmt::format("place --placer rl --policy {}/run/checkpoints/policy-000002.pt --samples 20 --netlist {} "
                                    "--plc {} --out {}/s.plc --json", base, kTinyNetlist, kTinyPlc, base), out), 0) << out;
  EXPECT_LE(nlohmann::json::parse(out)["proxy_cost"].get<double>(), j["proxy_cost"].get<double>());
  EXPECT_EQ(run_command(fmt::format("place --placer rl --policy {}/config.json --netlist {} --plc {} --out {}/q.plc", base,
                                    kTinyNetlist, kTinyPlc, base), out), 1);
  EXPECT_EQ(out.rfind(fmt::format("rlplace: error: {}/config.json: ", base), 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_EQ(run_command(fmt::format("place --placer rl --policy {}/nothing --netlist {} --plc {} --out {}/q.plc", base,
                                    kTinyNetlist, kTinyPlc, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/nothing: no such policy checkpoint or training directory\n", base));
}

TEST(RlCommand, BundledPretrainedPolicyBeatsTheGreedyPlacerOnAriane) {
  // Without --policy, place --placer rl uses netlists/policies/pretrained.pt.
  const std::string base = temp_dir("rl_bundled");
  const std::string nl = data("netlists/ariane133_ng45/netlist.pb.txt.gz"), plc = data("netlists/ariane133_ng45/legalized.plc");
  std::string out;
  ASSERT_EQ(run_command(fmt::format("place --placer rl --netlist {} --plc {} --out {}/rl.plc --json", nl, plc, base), out), 0) << out;
  const auto rl = nlohmann::json::parse(out);
  ASSERT_EQ(run_command(fmt::format("place --placer greedy --netlist {} --plc {} --out {}/g.plc --json", nl, plc, base), out), 0) << out;
  const auto greedy = nlohmann::json::parse(out);
  EXPECT_TRUE(rl["legal"].get<bool>());
  EXPECT_LT(rl["proxy_cost"].get<double>(), greedy["proxy_cost"].get<double>());
  ASSERT_EQ(run_command(fmt::format("eval --netlist {} --plc {}/rl.plc --json", nl, base), out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["proxy_cost"], rl["proxy_cost"]);
}

}  // namespace
}  // namespace rlplace::rl
