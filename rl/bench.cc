#include "rl/bench.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <thread>

#include "gnn/model.h"
#include "rl/ppo.h"
#include "rl/rollout.h"

namespace rlplace::rl {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void time_update(const BenchOptions& o, gnn::PolicyValueNet& net, const Task& task,
                 const std::vector<Episode>& episodes, torch::Device device, BenchResult& r) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(o.learner_threads > 0 ? o.learner_threads : static_cast<int>(cores));
  PpoConfig ppo;
  if (o.minibatch > 0) ppo.minibatch = o.minibatch;
  const auto t_first = Clock::now();
  // Warm-up: the backward pass's kernels and allocations. A learner takes the episodes of its
  // own policy version only, so the timed update is a second learner's.
  PpoLearner(net, ppo, device).update({&task}, episodes, 1, -1);
  r.learn_first_seconds = seconds_since(t_first);
  PpoLearner learner(net, ppo, device);
  const auto t0 = Clock::now();
  const UpdateStats u = learner.update({&task}, episodes, 1, -1);
  r.learn_seconds = seconds_since(t0);
  r.learned = true;
  r.samples = u.samples;
  r.gradient_steps = u.gradient_steps;
  r.epochs = ppo.epochs;
  r.minibatch = ppo.minibatch;
}

}  // namespace

BenchResult bench(const BenchOptions& o, const std::function<void(const CollectTiming&)>& on_collect) {
  o.config.validate();
  gnn::keep_freed_host_memory();
  const torch::Device device(o.device);
  EnvOptions eo;
  eo.fd.threads = 1;
  auto task = make_task(o.netlist, o.plc, eo);
  torch::manual_seed(o.seed);
  gnn::PolicyValueNet net(o.config);
  net->to(device);
  net->eval();
  std::vector<Collector::Job> jobs;
  for (int i = 0; i < o.episodes; ++i) jobs.push_back({0, mix_seed(o.seed, i), false, -1e300});
  BenchResult r;
  r.macros = task->order.size();
  std::vector<Episode> last;
  for (int w : o.workers)
    for (int lanes : o.lanes) {
      Collector collector({task.get()}, w, o.envs_per_worker, o.central);
      collector.set_step_rewards(o.step_rewards);
      collector.set_central_lanes(lanes);
      const auto t_first = Clock::now();
      collector.run(*net, device, 0, jobs);  // warm-up: the environments, allocations, kernels
      const double first = seconds_since(t_first);
      CollectPhases phases;
      if (o.profile) collector.set_phases(&phases);
      const auto t0 = Clock::now();
      last = collector.run(*net, device, 0, jobs);
      CollectTiming t{w, lanes, seconds_since(t0), first, 0, static_cast<int>(last.size()), phases};
      for (const auto& e : last) t.steps += e.steps();
      r.collect.push_back(t);
      if (on_collect) on_collect(t);
    }
  if (o.learn) time_update(o, net, *task, last, device, r);
  return r;
}

}  // namespace rlplace::rl
