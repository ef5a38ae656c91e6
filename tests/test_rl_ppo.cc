// The PPO learner: version checks, per-netlist reward statistics, the learning-rate
// schedule, sample building.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <numeric>
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

// The adaptive KL coefficient follows Circuit Training's rule step by step: divided by 1.5
// below the target's band, multiplied above it, never below 1e-15. It lives on the device
// during an update; this checks the value read back at its end.
TEST(RlPpo, TheKlCoefficientAdaptsAfterEveryStep) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  auto run = [&](double beta0, double target, int epochs) {
    torch::manual_seed(3);
    gnn::PolicyValueNet net(small_config().gnn);
    PpoConfig pc = small_config().ppo;
    pc.adaptive_kl = true;
    pc.kl_beta = beta0;
    pc.kl_target = target;
    pc.epochs = epochs;
    pc.minibatch = 64;  // one gradient step an epoch
    PpoLearner learner(net, pc, torch::kCPU);
    Collector c({task.get()}, 1, 1);
    auto eps = c.run(*net, torch::kCPU, 0, {{0, 1, false, 1e300}, {0, 2, false, 1e300}});
    const UpdateStats u = learner.update({task.get()}, eps, 1, 0.0);
    EXPECT_EQ(u.gradient_steps, epochs);
    EXPECT_EQ(u.kl_beta, learner.kl_beta());
    return u;
  };
  // Every step's KL is far below a huge target: 1.5 to the minus steps.
  EXPECT_NEAR(run(1.0, 1e9, 3).kl_beta, std::pow(1.5, -3), 1e-15);
  // Clamped at 1e-15.
  EXPECT_EQ(run(1e-15, 1e9, 2).kl_beta, 1e-15);
  // One step against a tiny target: the host's rule on the step's KL (0 when the policy has
  // not moved yet, which divides).
  const double target = 1e-30, tolerance = small_config().ppo.kl_tolerance;
  const UpdateStats one = run(2.0, target, 1);
  const double expected = one.approx_kl < target * (1 - tolerance)   ? 2.0 / 1.5
                          : one.approx_kl > target * (1 + tolerance) ? 2.0 * 1.5
                                                                     : 2.0;
  EXPECT_DOUBLE_EQ(one.kl_beta, expected);
  // After the first step the policy has moved and its KL is above any tiny target.
  const UpdateStats two = run(2.0, target, 2);
  EXPECT_GT(two.approx_kl, 0);
  EXPECT_DOUBLE_EQ(two.kl_beta, expected * 1.5);
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

// An episode with made-up values and step rewards, for the sample builder.
Episode fake_episode(std::vector<float> values, std::vector<double> step_rewards, double reward) {
  Episode e;
  e.actions.assign(values.size(), 0);
  e.values = std::move(values);
  e.step_rewards = std::move(step_rewards);
  e.reward = reward;
  return e;
}

TEST(RlPpo, ShapedReturnsAndGae) {
  const std::vector<Episode> eps = {fake_episode({0.1f, -0.4f, 0.3f}, {-1.0, 0.5, -2.0}, -2.5),
                                    fake_episode({0.2f, 0.7f}, {}, -1.0)};  // unshaped: all at the end
  const std::vector<double> reward = {0.75, -1.25};  // normalised
  for (double discount : {1.0, 0.9}) {
    // Unshaped, lambda 1: Circuit Training's returns, and GAE with lambda 1 gives them too.
    const auto plain = build_samples(eps, reward, discount);
    ASSERT_EQ(plain.size(), 5u);
    EXPECT_DOUBLE_EQ(plain[0].ret, discount * discount * 0.75);
    EXPECT_DOUBLE_EQ(plain[0].advantage, plain[0].ret - 0.1f);
    const auto [ret, adv] = gae({0, 0, 0.75}, eps[0].values, discount, 1.0);
    for (int t = 0; t < 3; ++t) {
      EXPECT_NEAR(ret[t], plain[t].ret, 1e-12);
      EXPECT_NEAR(adv[t], plain[t].advantage, 1e-12);
    }
    // Shaped with scale 2: steps earn 2 r_t, the last the rest of the normalised reward.
    const std::vector<double> scale = {2.0, 2.0};
    const auto shaped = build_samples(eps, reward, discount, 1.0, &scale);
    const double r0 = -2.0, r1 = 1.0, r2 = 0.75 - r0 - r1;
    EXPECT_NEAR(shaped[2].ret, r2, 1e-12);
    EXPECT_NEAR(shaped[1].ret, r1 + discount * r2, 1e-12);
    EXPECT_NEAR(shaped[0].ret, r0 + discount * r1 + discount * discount * r2, 1e-12);
    EXPECT_NEAR(shaped[0].advantage, shaped[0].ret - 0.1f, 1e-12);
    EXPECT_EQ(shaped[3].ret, plain[3].ret);  // no step rewards: unshaped
    // With discount 1 shaping is only a baseline: the first step's return is the reward.
    if (discount == 1.0) EXPECT_NEAR(shaped[0].ret, 0.75, 1e-12);
    const auto [sret, sadv] = gae({r0, r1, r2}, eps[0].values, discount, 1.0);
    for (int t = 0; t < 3; ++t) EXPECT_NEAR(sret[t], shaped[t].ret, 1e-12);
  }
  // Lambda 0: one-step TD, bootstrapped on the next value.
  const std::vector<double> scale = {1.0, 1.0};
  const auto td = build_samples(eps, reward, 0.9, 0.0, &scale);
  EXPECT_NEAR(td[0].advantage, -1.0 + 0.9 * -0.4f - 0.1f, 1e-6);
  EXPECT_NEAR(td[0].ret, -1.0 + 0.9 * -0.4f, 1e-6);
  EXPECT_NEAR(td[2].advantage, (0.75 + 0.5) - 0.3f, 1e-6);  // the last: the rest, no bootstrap
  EXPECT_NEAR(td[4].advantage, -1.25 - 0.7f, 1e-6);
  EXPECT_NEAR(td[3].advantage, 0.9 * 0.7f - 0.2f, 1e-6);
}

TEST(RlPpo, ShapedUpdatesRunWithSelfImitationAndResume) {
  EnvOptions eo;
  auto task = make_task(kTinyNetlist, kTinyPlc, eo);
  PpoConfig pc = small_config().ppo;
  pc.reward_shaping = "potential";
  pc.gae_lambda = 0.9;
  pc.self_imitation_coef = 0.5;
  gnn::PolicyValueNet net(small_config().gnn);
  PpoLearner learner(net, pc, torch::kCPU);
  Collector c({task.get()}, 1, 1);
  c.set_step_rewards(true);
  for (int it = 0; it < 2; ++it) {
    auto eps = c.run(*net, torch::kCPU, learner.version(), {{0, 1u + it, false, 1e300}, {0, 7u + it, false, 1e300}});
    const UpdateStats u = learner.update({task.get()}, eps, 1, 0.0);
    EXPECT_TRUE(std::isfinite(u.policy_loss) && std::isfinite(u.value_loss));
  }
  ASSERT_FALSE(learner.elite().at("tiny3").empty());
  EXPECT_EQ(learner.elite().at("tiny3")[0].step_rewards.size(), 3u);
  PpoLearner other(gnn::PolicyValueNet(small_config().gnn), pc, torch::kCPU);
  other.restore_state_json(learner.state_json());
  EXPECT_EQ(other.state_json(), learner.state_json());  // the kept step rewards come back
}

TEST(RlPpo, SelfImitationKeepsEachNetlistsBestDistinctEpisodes) {
  for (const bool prior : {false, true}) {
    SCOPED_TRACE(prior ? "greedy prior" : "cost maps");
    TrainConfig cfg = small_config();
    cfg.gnn.greedy_prior = prior;
    EnvOptions eo;
    auto task = make_task(kTinyNetlist, kTinyPlc, eo);
    gnn::PolicyValueNet net(cfg.gnn);
    PpoConfig pc = cfg.ppo;
    pc.self_imitation_coef = 1;
    pc.self_imitation_episodes = 3;
    PpoLearner learner(net, pc, torch::kCPU);
    Collector c({task.get()}, 1, 1);
    std::vector<Collector::Job> jobs;
    for (uint64_t s = 1; s <= 12; ++s) jobs.push_back({0, s, false, 1e300});
    auto eps = c.run(*net, torch::kCPU, 0, jobs);
    eps.push_back(eps[0]);  // a repeat is kept once
    const UpdateStats u = learner.update({task.get()}, eps, 1, 0.0);
    EXPECT_TRUE(std::isfinite(u.policy_loss));
    // Distinct action sequences by reward, the earlier first among equals.
    std::vector<const Episode*> distinct;
    for (const Episode& e : eps)
      if (std::none_of(distinct.begin(), distinct.end(), [&](const Episode* d) { return d->actions == e.actions; }))
        distinct.push_back(&e);
    std::stable_sort(distinct.begin(), distinct.end(), [](const Episode* a, const Episode* b) { return a->reward > b->reward; });
    const auto& kept = learner.elite().at("tiny3");
    ASSERT_EQ(kept.size(), 3u);
    for (size_t i = 0; i < kept.size(); ++i) {
      EXPECT_EQ(kept[i].reward, distinct[i]->reward) << i;
      EXPECT_EQ(kept[i].actions, distinct[i]->actions) << i;
    }
    // Resume restores them exactly; a state written before self-imitation has none.
    PpoLearner other(gnn::PolicyValueNet(cfg.gnn), pc, torch::kCPU);
    other.restore_state_json(learner.state_json());
    EXPECT_EQ(other.state_json(), learner.state_json());
    EXPECT_EQ(other.elite().at("tiny3")[1].masks, kept[1].masks);
    // The state file leaves the cost maps out; replaying the cells gives them back exactly,
    // the proxy map of the greedy prior too (it moves the macro through the evaluator).
    ASSERT_FALSE(kept[1].cost_maps.empty());
    const size_t cells = kept[1].masks.size() / kept[1].steps();
    const auto proxy0 = kept[1].cost_maps.begin() + kProxyChannel * cells;
    EXPECT_EQ(std::accumulate(proxy0, proxy0 + cells, 0.0) > 0, prior) << "the proxy map is computed only for the prior";
    Episode replayed = other.elite().at("tiny3")[1];
    EXPECT_TRUE(replayed.cost_maps.empty());
    replay_cost_maps(*task, replayed, cfg.gnn.cost_map_channels());
    EXPECT_EQ(replayed.cost_maps, kept[1].cost_maps);
    // An update after resume rebuilds them itself.
    other.restore_state_json(learner.state_json());
    for (Episode& e : eps) e.policy_version = other.version();
    EXPECT_TRUE(std::isfinite(other.update({task.get()}, eps, 2, 0.0).policy_loss));
    EXPECT_EQ(other.elite().at("tiny3")[1].cost_maps, kept[1].cost_maps);
    auto old = nlohmann::json::parse(learner.state_json());
    old.erase("elite");
    other.restore_state_json(old.dump());
    EXPECT_TRUE(other.elite().empty());
  }
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

}  // namespace
}  // namespace rlplace::rl
