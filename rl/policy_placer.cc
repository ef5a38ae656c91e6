#include "rl/policy_placer.h"

#include <thread>

#include <fmt/format.h>

#include "gnn/model.h"
#include "rl/beam.h"
#include "rl/rollout.h"
#include "rl/run_dir.h"

namespace rlplace::rl {

PolicyPlaceResult place_with_policy(const Design& design, const EnvOptions& env_options,
                                    const PolicyPlaceOptions& o) {
  PolicyPlaceResult r;
  r.checkpoint = resolve_policy(o.policy);
  const torch::Device device(o.device);
  gnn::PolicyValueNet net = nullptr;
  try {
    net = gnn::load_checkpoint(r.checkpoint, device);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  net->eval();
  if (placement_order(design.netlist, design.placement).empty())
    throw InputError("the netlist has no movable hard macro to place");
  const auto task = make_task(design, env_options, "netlist");
  gnn::PaddedGrid(net->config().grid, task->features.rows, task->features.cols);  // throws if it does not fit
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Collector collector({task.get()}, o.workers > 0 ? o.workers : cores, 1, !device.is_cpu());
  std::vector<Collector::Job> jobs;
  Collector::Job greedy;
  greedy.greedy = true;
  greedy.keep_placement_below = std::numeric_limits<double>::infinity();
  jobs.push_back(greedy);
  for (int i = 0; i < o.samples; ++i) {
    Collector::Job j;
    j.seed = mix_seed(o.seed, static_cast<uint64_t>(i), 0x5a3b1e);
    j.keep_placement_below = std::numeric_limits<double>::infinity();
    jobs.push_back(j);
  }
  const std::vector<Episode> eps = collector.run(*net, device, 0, jobs);
  r.episodes = static_cast<int>(eps.size());
  const Episode* best = nullptr;
  for (size_t i = 0; i < eps.size(); ++i) {
    if (eps[i].infeasible) continue;
    if (!best || eps[i].costs.proxy_cost < best->costs.proxy_cost) {
      best = &eps[i];
      r.chosen = static_cast<int>(i) - 1;
    }
  }
  r.greedy_proxy = eps[0].infeasible ? std::numeric_limits<double>::quiet_NaN() : eps[0].costs.proxy_cost;
  bool found = best != nullptr;
  if (best) {
    r.placement = *best->placement;
    r.costs = best->costs;
  }
  if (o.beam > 0) {
    BeamOptions bo;
    bo.width = o.beam;
    bo.expand = o.beam_expand;
    bo.rank = o.beam_by_log_prob ? BeamRank::kLogProb : BeamRank::kProxy;
    bo.threads = collector.workers();
    BeamResult b = beam_decode(*task, *net, device, bo);
    r.beam_proxy = b.infeasible ? std::numeric_limits<double>::quiet_NaN() : b.costs.proxy_cost;
    if (!b.infeasible && (!found || b.costs.proxy_cost < r.costs.proxy_cost)) {
      r.placement = std::move(b.placement);
      r.costs = b.costs;
      r.chosen = -2;
      found = true;
    }
  }
  if (!found)
    throw InputError(fmt::format("the policy found no legal position for every hard macro in {} episode{}{}", eps.size(),
                                 eps.size() == 1 ? "" : "s", o.beam > 0 ? " nor in its beam search" : ""));
  return r;
}

}  // namespace rlplace::rl
