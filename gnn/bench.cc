#include "gnn/bench.h"

#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include "cost/design.h"
#include "gnn/features.h"
#include "gnn/model.h"
#include "netlists/io.h"
#include "netlists/timing.h"
#include "placer/env.h"

namespace rlplace::gnn {

namespace {


// Mean milliseconds of `f` over at least `min_runs` runs and `seconds` / 3 of time, after
// two warm-up runs (the first call allocates and picks kernels).
template <class F>
double time_ms(double seconds, int min_runs, F&& f) {
  f();
  f();
  int runs = 0;
  const auto t0 = Clock::now();
  while (runs < min_runs || ms_since(t0) < seconds * 1000 / 3) {
    f();
    ++runs;
  }
  return ms_since(t0) / runs;
}

// States along random episodes, so the batch mixes early and late steps.
std::vector<DynamicFeatures> random_states(const BenchOptions& o, const StaticFeatures& sf, PlacementEnv& env) {
  if (env.order().empty()) throw InputError(fmt::format("{}: no movable hard macros", o.netlist));
  std::mt19937_64 rng(o.seed);
  std::vector<DynamicFeatures> states(o.batch);
  for (auto& st : states) {
    if (env.done()) env.reset();
    dynamic_features(sf, env, st, o.config.cost_map_channels());
    std::uniform_int_distribution<int> pick(0, env.feasible_count() - 1);
    int k = pick(rng), cell = 0;
    for (; cell < static_cast<int>(env.mask().size()); ++cell)
      if (env.mask()[cell] && k-- == 0) break;
    env.step(cell);
  }
  env.reset();
  return states;
}

// A PPO-style update touches both heads: forward and backward of the batch.
void forward_backward(PolicyValueNet& net, const GraphBatch& batch, const torch::Tensor& actions, double& sink) {
  net->zero_grad();
  PolicyOutput out = net->forward(batch);
  torch::Tensor loss = -out.log_probs.gather(1, actions).mean() + out.value.square().mean();
  loss.backward();
  sink += loss.item<double>();
}

double forward_backward_ms(const BenchOptions& o, PolicyValueNet& net, const GraphBatch& batch, double& sink) {
  torch::AutoGradMode grad(true);
  net->train();
  torch::Tensor actions = batch.mask.to(torch::kFloat).multinomial(1);
  return time_ms(o.seconds, 3, [&] { forward_backward(net, batch, actions, sink); });
}

void time_network(const BenchOptions& o, PolicyValueNet& net, const StaticFeatures& sf, PlacementEnv& env,
                  const std::vector<DynamicFeatures>& states, torch::Device device, BenchResult& r) {
  torch::NoGradGuard no_grad;
  DynamicFeatures one;
  GraphBatch single;
  r.single_features_ms = time_ms(o.seconds, 20, [&] {
    dynamic_features(sf, env, one, o.config.cost_map_channels());
    single = make_batch({{&sf, &one}}, o.config.grid, device);
  });
  r.single_forward_ms = time_ms(o.seconds, 20, [&] {
    PolicyOutput out = net->forward(single);
    r.checksum += out.value.sum().item<double>();
  });
  std::vector<StateRef> refs;
  for (const auto& st : states) refs.push_back({&sf, &st});
  GraphBatch batch;
  r.batch_build_ms = time_ms(o.seconds, 3, [&] { batch = make_batch(refs, o.config.grid, device); });
  StaticTensorCache cache(o.config.grid, device);
  r.batch_build_cached_ms = time_ms(o.seconds, 3, [&] { batch = make_batch(refs, cache); });
  r.batch_forward_ms = time_ms(o.seconds, 3, [&] {
    PolicyOutput out = net->forward(batch);
    r.checksum += out.value.sum().item<double>();
  });
  r.batch_forward_backward_ms = forward_backward_ms(o, net, batch, r.checksum);
  r.batch_trunk_ms = time_ms(o.seconds, 3, [&] { r.checksum += net->trunk(batch).sum().item<double>(); });
  torch::AutoGradMode grad(true);
  r.batch_trunk_backward_ms = time_ms(o.seconds, 3, [&] {
    net->zero_grad();
    torch::Tensor loss = net->trunk(batch).square().mean();
    loss.backward();
    r.checksum += loss.item<double>();
  });
  if (!o.trace.empty()) {
    std::ostringstream trace;
    torch::AutoGradMode grad(true);
    const torch::Tensor actions = batch.mask.to(torch::kFloat).multinomial(1);
    {
      torch::autograd::profiler::RecordProfile profile(trace);
      forward_backward(net, batch, actions, r.checksum);  // warm already: the timings ran it
    }
    write_file_atomic(o.trace, trace.str());
  }
}

}  // namespace

BenchResult bench(const BenchOptions& o) {
  o.config.validate();
  if (!o.trace.empty()) {
    // Before the timings, not after them.
    const std::filesystem::path dir = std::filesystem::absolute(o.trace).parent_path();
    if (!std::filesystem::is_directory(dir))
      throw InputError(fmt::format("{}: cannot write the trace: no directory {}", o.trace, dir.string()));
  }
  if (o.keep_freed_memory) keep_freed_host_memory();
  torch::set_num_threads(o.threads);
  const torch::Device device(o.device);
  Design d = load_design(o.netlist, o.plc, o.cost);
  torch::manual_seed(o.seed);
  PolicyValueNet net(o.config);
  net->to(device);
  net->eval();

  BenchResult r;
  const auto ts = Clock::now();
  const StaticFeatures sf = build_static_features(d.netlist, d.params, d.placement);
  r.static_features_ms = ms_since(ts);
  EnvOptions eo;
  eo.run_fd = false;
  PlacementEnv env(d.netlist, d.params, d.placement, eo);
  const std::vector<DynamicFeatures> states = random_states(o, sf, env);
  time_network(o, net, sf, env, states, device, r);
  r.parameters = net->parameter_count();
  r.graph_nodes = sf.num_nodes;
  r.hard_macros = sf.num_hard;
  r.soft_macros = sf.num_soft;
  r.port_clusters = sf.num_port_clusters;
  r.edges = sf.num_edges();
  return r;
}

}  // namespace rlplace::gnn
