// Beam search over a policy's decode (rl/beam.h): exhaustive at a large width, the greedy
// decode at width one, independent of the thread count, and what the policy placer keeps.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <stdexcept>

#include "gnn/model.h"
#include "placer/env.h"
#include "placer/fd.h"
#include "placer/registry.h"
#include "rl/placers.h"
#include "rl/beam.h"
#include "rl/policy_placer.h"
#include "rl/rollout.h"
#include "tests/rl_test_util.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

// The lowest proxy cost of every complete grid placement of the task's macros, each
// finished by the solver as an episode is.
double exhaustive_optimum(const Task& t, int& leaves) {
  double best = std::numeric_limits<double>::infinity();
  std::function<void(const PlacementEnv&)> visit = [&](const PlacementEnv& env) {
    if (env.done()) {
      if (env.infeasible()) return;
      PlacementEnv last(env);
      best = std::min(best, last.finish().proxy_cost);
      ++leaves;
      return;
    }
    for (int cell = 0; cell < static_cast<int>(env.mask().size()); ++cell)
      if (env.mask()[cell]) {
        PlacementEnv next(env);
        next.step(cell);
        visit(next);
      }
  };
  visit(PlacementEnv(t.design.netlist, t.design.params, t.design.placement, t.env_options));
  return best;
}

gnn::PolicyValueNet untrained(uint64_t seed, const gnn::GnnConfig& config = small_config().gnn) {
  torch::manual_seed(seed);
  gnn::PolicyValueNet net(config);
  net->eval();
  return net;
}

// Wide enough to keep every partial placement and to try every cell, the beam is an
// exhaustive search, whatever the policy: its result is the grid's optimum, exactly, for
// either ranking.
TEST(RlBeam, AWideEnoughBeamFindsTheExhaustiveOptimum) {
  auto task = make_task(kTinyNetlist, kTinyPlc, EnvOptions{});
  int leaves = 0;
  const double optimum = exhaustive_optimum(*task, leaves);
  EXPECT_EQ(leaves, 16 * 15 * 14);  // 3 one-cell macros on a 4 x 4 grid
  auto net = untrained(5);
  for (bool by_log_prob : {false, true}) {
    BeamOptions o;
    o.width = 4096;
    o.expand = 16;
    o.rank = by_log_prob ? BeamRank::kLogProb : BeamRank::kProxy;
    const BeamResult r = beam_decode(*task, *net, torch::kCPU, o);
    ASSERT_FALSE(r.infeasible);
    EXPECT_EQ(r.finished, leaves);
    EXPECT_EQ(r.costs.proxy_cost, optimum) << "by log-probability: " << by_log_prob;
    // 16 first cells, then each of them with the second macro's 15, then the third's 14.
    EXPECT_EQ(r.scored, 16 + 16 * 15 + 16 * 15 * 14);
  }
  // A narrow beam keeps fewer and finishes no more than its width.
  BeamOptions narrow;
  narrow.width = 2;
  narrow.expand = 3;
  const BeamResult n = beam_decode(*task, *net, torch::kCPU, narrow);
  EXPECT_EQ(n.finished, 2);
  EXPECT_GE(n.costs.proxy_cost, optimum);
  EXPECT_EQ(n.scored, 3 + 2 * 3 + 2 * 3);
}

// Width one, one cell per step, ranked by log-probability: the policy's greedy decode.
TEST(RlBeam, WidthOneByLogProbabilityIsTheGreedyDecode) {
  auto task = make_task(kSampleNetlist, kSamplePlc, EnvOptions{});
  auto net = untrained(13, sample_config().gnn);
  Collector collector({task.get()}, 1, 1);
  Collector::Job greedy;
  greedy.greedy = true;
  greedy.keep_placement_below = std::numeric_limits<double>::infinity();
  const auto eps = collector.run(*net, torch::kCPU, 0, {greedy});
  ASSERT_FALSE(eps[0].infeasible);
  BeamOptions o;
  o.width = 1;
  o.expand = 1;
  o.rank = BeamRank::kLogProb;
  const BeamResult b = beam_decode(*task, *net, torch::kCPU, o);
  ASSERT_FALSE(b.infeasible);
  for (int32_t m : task->order) {
    EXPECT_EQ(b.placement.x[m], eps[0].placement->x[m]) << task->design.netlist.name[m];
    EXPECT_EQ(b.placement.y[m], eps[0].placement->y[m]) << task->design.netlist.name[m];
  }
  EXPECT_EQ(b.costs.proxy_cost, eps[0].costs.proxy_cost);
  EXPECT_EQ(b.finished, 1);
}

// The threads only share the work: the same placement from one thread and from three.
TEST(RlBeam, TheResultDoesNotDependOnTheNumberOfThreads) {
  auto task = make_task(kSampleNetlist, kSamplePlc, EnvOptions{});
  auto net = untrained(17, sample_config().gnn);
  BeamOptions o;
  o.width = 4;
  o.expand = 3;
  o.threads = 1;
  const BeamResult a = beam_decode(*task, *net, torch::kCPU, o);
  o.threads = 3;
  const BeamResult b = beam_decode(*task, *net, torch::kCPU, o);
  ASSERT_FALSE(a.infeasible);
  EXPECT_EQ(a.placement.x, b.placement.x);
  EXPECT_EQ(a.placement.y, b.placement.y);
  EXPECT_EQ(a.costs.proxy_cost, b.costs.proxy_cost);
  EXPECT_EQ(a.scored, b.scored);
  EXPECT_EQ(a.finished, 4);
}

TEST(RlBeam, AWidthOrExpansionBelowOneIsRefused) {
  auto task = make_task(kTinyNetlist, kTinyPlc, EnvOptions{});
  auto net = untrained(1);
  BeamOptions o;
  o.width = 0;
  EXPECT_THROW(beam_decode(*task, *net, torch::kCPU, o), std::invalid_argument);
  o.width = 2;
  o.expand = 0;
  EXPECT_THROW(beam_decode(*task, *net, torch::kCPU, o), std::invalid_argument);
}

// The policy placer keeps the beam's placement when it costs less than the greedy episode's,
// and says so; on the tiny netlist an exhaustive beam reaches the optimum.
TEST(RlBeam, ThePolicyPlacerKeepsTheBeamsPlacementWhenItCostsLess) {
  const std::string dir = test::temp_dir("rl_beam");
  auto net = untrained(5);
  const std::string path = dir + "/untrained.pt";
  gnn::save_checkpoint(path, *net);
  auto task = make_task(kTinyNetlist, kTinyPlc, EnvOptions{});
  int leaves = 0;
  const double optimum = exhaustive_optimum(*task, leaves);
  PolicyPlaceOptions po;
  po.policy = path;
  po.workers = 2;
  const PolicyPlaceResult plain = place_with_policy(task->design, task->env_options, po);
  EXPECT_TRUE(std::isnan(plain.beam_proxy));
  ASSERT_GT(plain.costs.proxy_cost, optimum);  // else this check could not tell the beam was used
  po.beam = 4096;
  po.beam_expand = 16;
  const PolicyPlaceResult beam = place_with_policy(task->design, task->env_options, po);
  EXPECT_EQ(beam.chosen, -2);
  EXPECT_EQ(beam.costs.proxy_cost, optimum);
  EXPECT_EQ(beam.beam_proxy, optimum);
  EXPECT_EQ(beam.greedy_proxy, plain.costs.proxy_cost);
  Evaluator ev(task->design.netlist, task->design.params);
  ev.reset(beam.placement);
  EXPECT_EQ(ev.costs().proxy_cost, optimum);
  EXPECT_TRUE(ev.legality().legal());
}

// The bundled policy's default decode (its greedy episode and a beam of 4) on Circuit
// Training's two-macro sample, which it never trained on: the grid's exhaustive optimum, well
// below the greedy placer (docs/quality.md), through the placer a user runs.
TEST(RlBeam, TheBundledPolicyReachesTheGridOptimumOfAnUnseenSample) {
  register_builtin_placers();
  register_placers();
  auto task = make_task(data("netlists/data/ct_samples/simple_with_coords/netlist.pb.txt"),
                        data("netlists/data/ct_samples/simple_with_coords/initial.plc"), EnvOptions{});
  EnvOptions env;
  env.fd = default_fd_options(task->design.netlist);
  env.fd.threads = 1;
  auto exact = make_task(task->design, env, "sample");
  int leaves = 0;
  const double optimum = exhaustive_optimum(*exact, leaves);
  EXPECT_EQ(leaves, 4 * 3);  // two macros on a 2 x 2 grid
  PlaceRequest r;
  r.design = &task->design;
  r.env = env;
  r.threads = 1;
  r.policy = data("netlists/data/policies/pretrained.pt");
  const PlaceOutcome policy = placer_or_throw("policy").place(r);
  EXPECT_NE(policy.how.find("its beam search"), std::string::npos) << policy.how;
  Evaluator ev(task->design.netlist, task->design.params);
  ev.reset(policy.placement);
  EXPECT_NEAR(ev.costs().proxy_cost, 0.419956, 5e-7);
  EXPECT_EQ(ev.costs().proxy_cost, optimum);
  const PlaceOutcome greedy = placer_or_throw("greedy").place(r);
  ev.reset(greedy.placement);
  EXPECT_NEAR(ev.costs().proxy_cost, 0.461732, 5e-7);
  r.beam = 0;  // the greedy decode alone places as the greedy placer does here
  ev.reset(placer_or_throw("policy").place(r).placement);
  EXPECT_NEAR(ev.costs().proxy_cost, 0.461732, 5e-7);
}

}  // namespace
}  // namespace rlplace::rl
