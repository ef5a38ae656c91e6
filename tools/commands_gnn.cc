// rlplace bench gnn: speed of the policy/value network on a real netlist.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "gnn/features.h"
#include "gnn/model.h"
#include "placer/env.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {



struct BenchGnnOptions {
  std::string netlist, plc, device = "cpu";
  int batch = 64, threads = 1;
  double seconds = 1;
  unsigned seed = 1;
  bool json = false, default_malloc = false;
  gnn::GnnConfig config;
  CostFlags cost;
};

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

int run_bench_gnn(const BenchGnnOptions& o) {
  o.config.validate();
  if (!o.default_malloc) gnn::keep_freed_host_memory();
  torch::set_num_threads(o.threads);
  const torch::Device device(o.device);
  Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  torch::manual_seed(o.seed);
  gnn::PolicyValueNet net(o.config);
  net->to(device);
  net->eval();

  const auto ts = Clock::now();
  const gnn::StaticFeatures sf = gnn::build_static_features(d.netlist, d.params, d.placement);
  const double static_ms = ms_since(ts);

  // States along random episodes, so the batch mixes early and late steps.
  EnvOptions eo;
  eo.run_fd = false;
  PlacementEnv env(d.netlist, d.params, d.placement, eo);
  if (env.order().empty()) throw InputError(fmt::format("{}: no movable hard macros", o.netlist));
  std::mt19937_64 rng(o.seed);
  std::vector<gnn::DynamicFeatures> states(o.batch);
  for (auto& st : states) {
    if (env.done()) env.reset();
    gnn::dynamic_features(sf, env, st);
    std::uniform_int_distribution<int> pick(0, env.feasible_count() - 1);
    int k = pick(rng), cell = 0;
    for (; cell < static_cast<int>(env.mask().size()); ++cell)
      if (env.mask()[cell] && k-- == 0) break;
    env.step(cell);
  }
  env.reset();

  torch::NoGradGuard no_grad;
  gnn::DynamicFeatures one;
  gnn::GraphBatch single;
  const double single_features_ms = time_ms(o.seconds, 20, [&] {
    gnn::dynamic_features(sf, env, one);
    single = gnn::make_batch({{&sf, &one}}, o.config.grid, device);
  });
  double sink = 0;
  const double single_forward_ms = time_ms(o.seconds, 20, [&] {
    gnn::PolicyOutput out = net->forward(single);
    sink += out.value.sum().item<double>();
  });

  std::vector<gnn::StateRef> refs;
  for (const auto& st : states) refs.push_back({&sf, &st});
  gnn::GraphBatch batch;
  const double batch_build_ms =
      time_ms(o.seconds, 3, [&] { batch = gnn::make_batch(refs, o.config.grid, device); });
  const double batch_forward_ms = time_ms(o.seconds, 3, [&] {
    gnn::PolicyOutput out = net->forward(batch);
    sink += out.value.sum().item<double>();
  });

  // A PPO-style update touches both heads: forward and backward of the batch.
  double batch_backward_ms = 0;
  {
    torch::AutoGradMode grad(true);
    net->train();
    torch::Tensor actions = batch.mask.to(torch::kFloat).multinomial(1);
    batch_backward_ms = time_ms(o.seconds, 3, [&] {
      net->zero_grad();
      gnn::PolicyOutput out = net->forward(batch);
      torch::Tensor loss = -out.log_probs.gather(1, actions).mean() + out.value.square().mean();
      loss.backward();
      sink += loss.item<double>();
    });
  }

  if (o.json) {
    nlohmann::json j = {{"cpu", cpu_model()},
                        {"device", o.device},
                        {"threads", o.threads},
                        {"keep_freed_memory", !o.default_malloc},
                        {"config", nlohmann::json::parse(o.config.to_json())},
                        {"parameters", net->parameter_count()},
                        {"graph_nodes", sf.num_nodes},
                        {"hard_macros", sf.num_hard},
                        {"soft_macros", sf.num_soft},
                        {"port_clusters", sf.num_port_clusters},
                        {"edges", sf.num_edges()},
                        {"static_features_ms", static_ms},
                        {"single_features_ms", single_features_ms},
                        {"single_forward_ms", single_forward_ms},
                        {"batch", o.batch},
                        {"batch_build_ms", batch_build_ms},
                        {"batch_forward_ms", batch_forward_ms},
                        {"batch_forward_backward_ms", batch_backward_ms},
                        {"checksum", sink}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    fmt::print("machine          {} (device {}, {} LibTorch thread{}, {})\n", cpu_model(), o.device, o.threads,
               o.threads == 1 ? "" : "s", o.default_malloc ? "default malloc" : "freed memory kept");
    fmt::print("network          {} parameters, config {}\n", net->parameter_count(), o.config.to_json());
    fmt::print("graph            {} nodes ({} hard, {} soft, {} port clusters), {} edges\n", sf.num_nodes,
               sf.num_hard, sf.num_soft, sf.num_port_clusters, sf.num_edges());
    fmt::print("static features  {:.2f} ms (once per netlist)\n", static_ms);
    fmt::print("one state        {:.3f} ms features + batch, {:.3f} ms forward, {:.3f} ms total\n",
               single_features_ms, single_forward_ms, single_features_ms + single_forward_ms);
    fmt::print("batch of {:<3}     {:.2f} ms build, {:.2f} ms forward ({:.3f} ms per state), "
               "{:.2f} ms forward + backward\n",
               o.batch, batch_build_ms, batch_forward_ms, batch_forward_ms / o.batch, batch_backward_ms);
  }
  return 0;
}

}  // namespace

void add_bench_gnn(CLI::App& app, Run& chosen) {
  CLI::App* bench = app.get_subcommand("bench");
  auto o = std::make_shared<BenchGnnOptions>();
  CLI::App* cmd = bench->add_subcommand("gnn", "Policy/value network evaluations: one state and a batch");
  cmd->add_option("--netlist", o->netlist, "Netlist")->required();
  cmd->add_option("--plc", o->plc, "Placement (.plc)");
  cmd->add_option("--batch", o->batch, "States per batch")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", o->threads, "LibTorch intra-op threads")->check(CLI::PositiveNumber);
  cmd->add_option("--device", o->device, "cpu, cuda, cuda:1, ...");
  cmd->add_option("--seconds", o->seconds, "Time to spend")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "Seed of the weights and of the random episode");
  cmd->add_option("--node-dim", o->config.node_dim, "Embedding width")->check(CLI::PositiveNumber);
  cmd->add_option("--layers", o->config.layers, "Edge-GNN layers")->check(CLI::PositiveNumber);
  cmd->add_option("--grid", o->config.grid, "Action grid G (8 times a power of two)");
  cmd->add_option("--policy-channels", o->config.policy_channels, "Channels of the policy head's 8 x 8 map")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--default-malloc", o->default_malloc,
                "Leave glibc's allocator as it is (by default freed memory is kept for reuse)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  o->cost.add_to(*cmd);
  cmd->callback([o, &chosen] { chosen = [o] { return run_bench_gnn(*o); }; });
}

}  // namespace rlplace::tools

namespace rlplace::tools {

namespace {

struct BenchTrainOptions {
  std::string netlist, plc, device = "cpu";
  std::vector<int> workers = {1};
  int envs_per_worker = 1, episodes = 16, learner_threads = 0;
  unsigned seed = 1;
  bool json = false, learn = true;
  gnn::GnnConfig config;
};

// Collection (policy evaluations, environment steps, the solver at each episode's end)
// and one PPO update, the two halves of a training iteration, timed separately.
int run_bench_train(const BenchTrainOptions& o) {
  o.config.validate();
  gnn::keep_freed_host_memory();
  const torch::Device device(o.device);
  EnvOptions eo;
  eo.fd.threads = 1;
  auto task = rl::make_task(o.netlist, o.plc, eo);
  torch::manual_seed(o.seed);
  gnn::PolicyValueNet net(o.config);
  net->to(device);
  net->eval();
  std::vector<rl::Collector::Job> jobs;
  for (int i = 0; i < o.episodes; ++i) jobs.push_back({0, rl::mix_seed(o.seed, i), false, -1e300});
  nlohmann::json runs = nlohmann::json::array();
  std::vector<rl::Episode> last;
  for (int w : o.workers) {
    rl::Collector collector({task.get()}, w, o.envs_per_worker);
    collector.run(*net, device, 0, {{0, 99, false, -1e300}});  // warm-up: allocations, kernels
    const auto t0 = Clock::now();
    last = collector.run(*net, device, 0, jobs);
    const double s = ms_since(t0) / 1000;
    int64_t steps = 0;
    for (const auto& e : last) steps += e.steps();
    runs.push_back({{"workers", w}, {"seconds", s}, {"steps_per_s", steps / s}, {"episodes_per_s", last.size() / s}});
    if (!o.json)
      fmt::print("collect          {:>3} worker{} x {} env{}: {:.2f} s for {} episodes, {:.0f} steps/s, {:.2f} episodes/s\n", w,
                 w == 1 ? " " : "s", o.envs_per_worker, o.envs_per_worker == 1 ? "" : "s", s, last.size(), steps / s,
                 last.size() / s);
  }
  nlohmann::json j = {{"cpu", cpu_model()},         {"device", o.device},       {"netlist", o.netlist},
                      {"macros", task->order.size()}, {"episodes", o.episodes}, {"envs_per_worker", o.envs_per_worker},
                      {"config", nlohmann::json::parse(o.config.to_json())}, {"collect", runs}};
  if (o.learn) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    at::set_num_threads(o.learner_threads > 0 ? o.learner_threads : static_cast<int>(cores));
    rl::PpoLearner learner(net, rl::PpoConfig{}, device);
    const auto t0 = Clock::now();
    const rl::UpdateStats u = learner.update({task.get()}, last, 1, -1);
    const double s = ms_since(t0) / 1000;
    j["learn"] = {{"seconds", s}, {"samples", u.samples}, {"gradient_steps", u.gradient_steps},
                  {"samples_per_s", u.samples * rl::PpoConfig{}.epochs / s}};
    if (!o.json)
      fmt::print("learn            {:.2f} s for {} steps x {} epochs ({} gradient steps of {}): {:.0f} samples/s\n", s,
                 u.samples, rl::PpoConfig{}.epochs, u.gradient_steps, rl::PpoConfig{}.minibatch,
                 u.samples * rl::PpoConfig{}.epochs / s);
  }
  if (o.json) std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace

void add_bench_train(CLI::App& app, Run& chosen) {
  CLI::App* bench = app.get_subcommand("bench");
  auto o = std::make_shared<BenchTrainOptions>();
  CLI::App* cmd = bench->add_subcommand("train", "Training throughput: episode collection with K workers, one PPO update");
  cmd->add_option("--netlist", o->netlist, "Netlist")->required();
  cmd->add_option("--plc", o->plc, "Placement (.plc)");
  cmd->add_option("--workers", o->workers, "Collector threads; several values run one after another")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--envs-per-worker", o->envs_per_worker, "Environments each worker steps together (one batch)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--episodes", o->episodes, "Episodes to collect")->check(CLI::PositiveNumber);
  cmd->add_option("--device", o->device, "cpu, cuda, cuda:1, ...");
  cmd->add_option("--learner-threads", o->learner_threads, "LibTorch threads for the update (0: all cores)");
  cmd->add_option("--grid", o->config.grid, "Action grid G (8 times a power of two)");
  cmd->add_option("--seed", o->seed, "Seed of the weights and episodes");
  cmd->add_flag("!--no-learn", o->learn, "Collection only");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &chosen] { chosen = [o] { return run_bench_train(*o); }; });
}

}  // namespace rlplace::tools
