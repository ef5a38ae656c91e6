// Episodes: action choice, replay of collected states, independence from the number of
// workers, infeasible episodes, failures in the collector threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

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
#include "tests/rl_test_util.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

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

// Ranks take contiguous shares of the iteration's episodes: in rounds of a block, each share
// of a multi-chip set holds as many episodes of each chip (the netlist-major order gave rank 0
// the first chips only), and every (netlist, episode) appears once.
TEST(RlRollout, EpisodeOrderGivesEveryContiguousShareEachNetlistsEpisodes) {
  const auto order = episode_order(7, 16, 8);
  ASSERT_EQ(order.size(), 112u);
  EXPECT_EQ(order[0], std::make_pair(0, 0));
  EXPECT_EQ(order[7], std::make_pair(0, 7));
  EXPECT_EQ(order[8], std::make_pair(1, 0));
  EXPECT_EQ(order[56], std::make_pair(0, 8));
  EXPECT_EQ(order[111], std::make_pair(6, 15));
  const std::set<std::pair<int, int>> distinct(order.begin(), order.end());
  EXPECT_EQ(distinct.size(), 112u);
  for (int half = 0; half < 2; ++half) {
    std::vector<int> per_netlist(7, 0);
    for (int i = 56 * half; i < 56 * (half + 1); ++i) ++per_netlist[order[i].first];
    EXPECT_EQ(per_netlist, std::vector<int>(7, 8)) << "share " << half;
  }
  // A block of a worker's environments stays one netlist's, also when it does not divide.
  const auto uneven = episode_order(2, 5, 2);
  const std::vector<std::pair<int, int>> expected = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2},
                                                     {0, 3}, {1, 2}, {1, 3}, {0, 4}, {1, 4}};
  EXPECT_EQ(uneven, expected);
  // A block as large as the episodes is the netlist-major order.
  const std::vector<std::pair<int, int>> major = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}};
  EXPECT_EQ(episode_order(2, 3, 8), major);
  EXPECT_TRUE(episode_order(0, 4, 1).empty());
  EXPECT_THROW(episode_order(2, 3, 0), std::invalid_argument);
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
  // Central inference's batches hold both netlists, whose grids differ (only the part of the
  // action grid that holds their cells is read back): the same episodes.
  ASSERT_NE(task->features.rows * task->features.cols, tiny->features.rows * tiny->features.cols);
  for (int lanes : {1, 2}) {
    Collector central({task.get(), tiny.get()}, 2, 1, true);
    central.set_central_lanes(lanes);
    const auto c = central.run(*net, torch::kCPU, 0, jobs);
    for (size_t i = 0; i < jobs.size(); ++i) {
      EXPECT_EQ(c[i].actions, eps[i].actions) << lanes << " lanes, episode " << i;
      EXPECT_EQ(c[i].reward, eps[i].reward);
      ASSERT_EQ(c[i].log_probs.size(), eps[i].log_probs.size());
      for (size_t k = 0; k < c[i].log_probs.size(); ++k) EXPECT_NEAR(c[i].log_probs[k], eps[i].log_probs[k], 1e-5);
    }
  }
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
  // Central inference evaluates all ten states of a step in one batch, or in lanes of three
  // or four: the same episodes (log-probabilities to the rounding of another batch size).
  for (auto [workers, lanes] : {std::pair{1, 0}, {3, 0}, {3, 1}, {2, 2}, {3, 3}}) {
    Collector central({task.get()}, workers, 1, true);
    central.set_central_lanes(lanes);
    const auto c = central.run(*net, torch::kCPU, 4, jobs);
    for (size_t i = 0; i < jobs.size(); ++i) {
      EXPECT_EQ(a[i].cells, c[i].cells) << workers << " workers, " << lanes << " lanes, episode " << i;
      EXPECT_EQ(a[i].actions, c[i].actions);
      EXPECT_EQ(a[i].cost_maps, c[i].cost_maps);
      EXPECT_EQ(a[i].reward, c[i].reward);
      ASSERT_EQ(a[i].log_probs.size(), c[i].log_probs.size());
      for (size_t k = 0; k < a[i].log_probs.size(); ++k) EXPECT_NEAR(a[i].log_probs[k], c[i].log_probs[k], 1e-5);
    }
  }
  EXPECT_EQ(a[0].cost_maps.size(), static_cast<size_t>(a[0].steps()) * kCostMapChannels * 16);  // 4 x 4 grid
}

// Two lanes only where they were measured to pay: a full batch on a GPU.
TEST(RlRollout, CentralInferenceRunsTwoLanesOnlyForAFullBatchOnAGpu) {
  EXPECT_EQ(default_lanes(torch::kCPU, 512), 1);
  EXPECT_EQ(default_lanes(torch::Device("cuda:0"), 512), 2);
  EXPECT_EQ(default_lanes(torch::Device("cuda:0"), 511), 1);
  EXPECT_EQ(default_lanes(torch::Device("cuda:0"), 1), 1);
}

// Central inference's phase profile: a step per batch (one per macro when every episode
// runs in the one batch), phases that add up to no more than the run, adding up across
// runs; workers with their own batches leave it untouched.
TEST(RlRollout, CentralInferenceProfilesThePhasesOfItsSteps) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  torch::manual_seed(11);
  gnn::PolicyValueNet net(small_config().gnn);
  net->eval();
  std::vector<Collector::Job> jobs;
  for (int i = 0; i < 6; ++i) jobs.push_back({0, mix_seed(3, i), false, -1e300});
  CollectPhases phases;
  Collector central({task.get()}, 2, 1, true);
  central.set_phases(&phases);
  const auto t0 = std::chrono::steady_clock::now();
  const auto episodes = central.run(*net, torch::kCPU, 0, jobs);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int longest = 0;
  for (const auto& e : episodes) longest = std::max(longest, e.steps());
  EXPECT_EQ(longest, 3);
  EXPECT_EQ(phases.steps, longest);
  for (double s : {phases.features, phases.batch, phases.forward, phases.copy_back, phases.step}) EXPECT_GE(s, 0);
  EXPECT_GT(phases.forward, 0);
  EXPECT_GT(phases.batch, 0);
  EXPECT_LE(phases.features + phases.batch + phases.forward + phases.copy_back + phases.step, wall);
  central.run(*net, torch::kCPU, 0, jobs);
  EXPECT_EQ(phases.steps, 2 * longest);
  // In two lanes, a batch per lane and step.
  central.set_central_lanes(2);
  central.run(*net, torch::kCPU, 0, jobs);
  EXPECT_EQ(phases.steps, 4 * longest);
  CollectPhases untouched;
  Collector own({task.get()}, 2, 1, false);
  own.set_phases(&untouched);
  own.run(*net, torch::kCPU, 0, jobs);
  EXPECT_EQ(untouched.steps, 0);
  EXPECT_EQ(untouched.forward, 0);
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
  EXPECT_TRUE(eps[0].step_rewards.empty());  // not asked for
  // Shaped, the one step taken earns the infeasible reward.
  c.set_step_rewards(true);
  const auto shaped = c.run(*net, torch::kCPU, 0, {{0, 1, false, 1e300}});
  EXPECT_EQ(shaped[0].step_rewards, std::vector<double>{-4.0});
}

TEST(RlRollout, ShapedStepRewardsArePotentialDifferencesThatSumToTheReward) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  torch::manual_seed(3);
  gnn::PolicyValueNet net(small_config().gnn);
  net->eval();
  std::vector<Collector::Job> jobs;
  for (int i = 0; i < 6; ++i) jobs.push_back({0, mix_seed(5, i), i == 0, -1e300});
  Collector plain({task.get()}, 2, 1), shaping({task.get()}, 2, 1);
  shaping.set_step_rewards(true);
  const auto a = plain.run(*net, torch::kCPU, 0, jobs), b = shaping.run(*net, torch::kCPU, 0, jobs);
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(a[i].cells, b[i].cells);  // recording changes nothing the policy sees
    EXPECT_EQ(a[i].reward, b[i].reward);
    ASSERT_EQ(b[i].step_rewards.size(), 3u);
    double sum = 0;
    for (double r : b[i].step_rewards) sum += r;
    EXPECT_NEAR(sum, b[i].reward, 1e-9 * std::abs(b[i].reward));
    // Steps before the last earn the change in the partial placement's negated cost.
    PlacementEnv env(task->design.netlist, task->design.params, task->design.placement, task->env_options);
    env.reset();
    double previous = 0;
    for (int t = 0; t < 2; ++t) {
      env.step(b[i].cells[t]);
      const double potential = env.reward(env.evaluator().costs());
      EXPECT_DOUBLE_EQ(b[i].step_rewards[t], potential - previous);
      previous = potential;
    }
    EXPECT_NE(b[i].step_rewards[0], 0.0);  // the partial cost does carry information
  }
}

TEST(RlRollout, AWorkersExceptionEndsTheRunInsteadOfHanging) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  gnn::PolicyValueNet net(small_config().gnn);
  net->eval();
  for (auto [workers, central] : {std::pair{1, false}, {3, false}, {3, true}}) {
    Collector c({task.get()}, workers, 1, central);
    c.set_episode_hook([](const Collector::Job& j) {
      if (j.seed == 5) throw std::runtime_error("injected failure");
    });
    std::vector<Collector::Job> jobs;
    for (uint64_t i = 0; i < 12; ++i) jobs.push_back({0, i, false, 1e300});
    try {
      c.run(*net, torch::kCPU, 0, jobs);
      FAIL() << "expected the worker's exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "injected failure") << workers << " workers";
    }
    // The collector is usable again afterwards.
    c.set_episode_hook({});
    EXPECT_EQ(c.run(*net, torch::kCPU, 0, jobs).size(), jobs.size());
  }
}

}  // namespace
}  // namespace rlplace::rl
