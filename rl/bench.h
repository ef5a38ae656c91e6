// Training throughput on one netlist (`rlplace bench train`): episode collection with K
// workers (policy evaluations, environment steps, the solver at each episode's end), then
// one PPO update, the two halves of a training iteration, timed separately. Free of
// LibTorch: commands call it and print.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gnn/config.h"
#include "rl/phases.h"

namespace rlplace::rl {

struct BenchOptions {
  std::string netlist, plc, device = "cpu";
  std::vector<int> workers = {1};  // collector threads; several values run one after another
  int envs_per_worker = 1, episodes = 16;
  bool central = false;            // central inference (rl/rollout.h)
  int learner_threads = 0;         // 0: all cores
  unsigned seed = 1;
  bool learn = true;               // false: collection only
  bool step_rewards = false;       // record shaped step rewards (ppo.reward_shaping)
  int minibatch = 0;               // the update's; 0: the default PPO configuration's
  bool profile = false;            // time each phase of central inference's steps (rl/phases.h)
  // Central inference's lanes (Collector::set_central_lanes; 0: its default); several values
  // run one after another for each worker count.
  std::vector<int> lanes = {0};
  gnn::GnnConfig config;
};

struct CollectTiming {
  int workers = 0, lanes = 0;
  // The timed run, after a first run of the same episodes has built the environments (as a
  // training run's later iterations find them), and that first run.
  double seconds = 0, first_seconds = 0;
  int64_t steps = 0;
  int episodes = 0;
  CollectPhases phases;  // with BenchOptions::profile and central inference
};

struct BenchResult {
  size_t macros = 0;
  std::vector<CollectTiming> collect;
  bool learned = false;
  double learn_seconds = 0, learn_first_seconds = 0;  // the timed update, and the warm-up before it
  int64_t samples = 0, gradient_steps = 0;
  int epochs = 0, minibatch = 0;  // of the default PPO configuration the update used
};

// `on_collect` is called after each worker count's run. Throws InputError for bad files.
BenchResult bench(const BenchOptions& options, const std::function<void(const CollectTiming&)>& on_collect = {});

}  // namespace rlplace::rl
