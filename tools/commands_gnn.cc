// rlplace bench gnn (speed of the policy/value network, gnn/bench.h) and rlplace bench train
// (training throughput, rl/bench.h): flags in, one library call, results out.
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gnn/bench.h"
#include "rl/bench.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct BenchGnnFlags {
  gnn::BenchOptions options;
  bool json = false, default_malloc = false;
  CostFlags cost;
};

int run_bench_gnn(BenchGnnFlags& f) {
  gnn::BenchOptions& o = f.options;
  o.cost = f.cost.resolve();
  o.keep_freed_memory = !f.default_malloc;
  const gnn::BenchResult r = gnn::bench(o);
  if (f.json) {
    nlohmann::json j = {{"cpu", cpu_model()},
                        {"device", o.device},
                        {"threads", o.threads},
                        {"keep_freed_memory", o.keep_freed_memory},
                        {"config", nlohmann::json::parse(o.config.to_json())},
                        {"parameters", r.parameters},
                        {"graph_nodes", r.graph_nodes},
                        {"hard_macros", r.hard_macros},
                        {"soft_macros", r.soft_macros},
                        {"port_clusters", r.port_clusters},
                        {"edges", r.edges},
                        {"static_features_ms", r.static_features_ms},
                        {"single_features_ms", r.single_features_ms},
                        {"single_forward_ms", r.single_forward_ms},
                        {"batch", o.batch},
                        {"batch_build_ms", r.batch_build_ms},
                        {"batch_build_cached_ms", r.batch_build_cached_ms},
                        {"batch_forward_ms", r.batch_forward_ms},
                        {"batch_forward_backward_ms", r.batch_forward_backward_ms},
                        {"batch_trunk_ms", r.batch_trunk_ms},
                        {"batch_trunk_backward_ms", r.batch_trunk_backward_ms},
                        {"checksum", r.checksum}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  fmt::print("machine          {} (device {}, {} LibTorch thread{}, {})\n", cpu_model(), o.device, o.threads,
             o.threads == 1 ? "" : "s", f.default_malloc ? "default malloc" : "freed memory kept");
  fmt::print("network          {} parameters, config {}\n", r.parameters, o.config.to_json());
  fmt::print("graph            {} nodes ({} hard, {} soft, {} port clusters), {} edges\n", r.graph_nodes, r.hard_macros,
             r.soft_macros, r.port_clusters, r.edges);
  fmt::print("static features  {:.2f} ms (once per netlist)\n", r.static_features_ms);
  fmt::print("one state        {:.3f} ms features + batch, {:.3f} ms forward, {:.3f} ms total\n", r.single_features_ms,
             r.single_forward_ms, r.single_features_ms + r.single_forward_ms);
  fmt::print("batch of {:<3}     {:.2f} ms build ({:.2f} ms with the static rows cached), {:.2f} ms forward ({:.3f} ms "
             "per state), {:.2f} ms forward + backward\n",
             o.batch, r.batch_build_ms, r.batch_build_cached_ms, r.batch_forward_ms, r.batch_forward_ms / o.batch,
             r.batch_forward_backward_ms);
  fmt::print("  graph trunk alone: {:.2f} ms forward, {:.2f} ms forward + backward\n", r.batch_trunk_ms,
             r.batch_trunk_backward_ms);
  return 0;
}

}  // namespace

void add_bench_gnn(CLI::App& app, Run& chosen) {
  CLI::App* bench = app.get_subcommand("bench");
  auto f = std::make_shared<BenchGnnFlags>();
  gnn::BenchOptions& o = f->options;
  CLI::App* cmd = bench->add_subcommand("gnn", "Policy/value network evaluations: one state and a batch");
  cmd->add_option("--netlist", o.netlist, "Netlist")->required();
  cmd->add_option("--plc", o.plc, "Placement (.plc)");
  cmd->add_option("--batch", o.batch, "States per batch")->check(CLI::PositiveNumber);
  cmd->add_option("--threads", o.threads, "LibTorch intra-op threads")->check(CLI::PositiveNumber);
  cmd->add_option("--device", o.device, "cpu, cuda, cuda:1, ...");
  cmd->add_option("--seconds", o.seconds, "Time to spend")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o.seed, "Seed of the weights and of the random episode");
  cmd->add_option("--node-dim", o.config.node_dim, "Embedding width")->check(CLI::PositiveNumber);
  cmd->add_option("--layers", o.config.layers, "Edge-GNN layers")->check(CLI::PositiveNumber);
  cmd->add_option("--grid", o.config.grid, "Action grid G (8 times a power of two)");
  cmd->add_option("--policy-channels", o.config.policy_channels, "Channels of the policy head's 8 x 8 map")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("!--no-cost-maps", o.config.cost_maps, "A network without the cost maps (as before they existed)");
  cmd->add_flag("--default-malloc", f->default_malloc,
                "Leave glibc's allocator as it is (by default freed memory is kept for reuse)");
  cmd->add_option("--trace", o.trace, "Write one more forward + backward's operations here (Chrome trace JSON)");
  cmd->add_flag("--json", f->json, "Print one JSON object");
  f->cost.add_to(*cmd);
  cmd->callback([f, &chosen] { chosen = [f] { return run_bench_gnn(*f); }; });
}

namespace {

struct BenchTrainFlags {
  rl::BenchOptions options;
  bool json = false;
};

// Milliseconds per step of a profiled phase.
double ms_per_step(double seconds, const rl::CollectPhases& p) { return 1e3 * seconds / static_cast<double>(p.steps); }

int run_bench_train(const BenchTrainFlags& f) {
  const rl::BenchOptions& o = f.options;
  const rl::BenchResult r = rl::bench(o, [&](const rl::CollectTiming& t) {
    if (f.json) return;
    const double s = t.seconds;
    fmt::print("collect          {:>3} worker{} x {} env{}{}: {:.2f} s for {} episodes, {:.0f} steps/s, {:.2f} episodes/s "
               "(the first run, building the environments: {:.2f} s)\n",
               t.workers, t.workers == 1 ? " " : "s", o.envs_per_worker, o.envs_per_worker == 1 ? "" : "s",
               t.lanes > 0 ? fmt::format(", {} lane{}", t.lanes, t.lanes == 1 ? "" : "s") : "", s, t.episodes,
               t.steps / s, t.episodes / s, t.first_seconds);
    const rl::CollectPhases& p = t.phases;
    if (p.steps > 0)
      fmt::print("  a step, ms     features {:.2f}, batch {:.2f}, forward {:.2f}, copy back {:.2f}, actions {:.2f} "
                 "({} steps; the device waited for after each phase)\n",
                 ms_per_step(p.features, p), ms_per_step(p.batch, p), ms_per_step(p.forward, p),
                 ms_per_step(p.copy_back, p), ms_per_step(p.step, p), p.steps);
  });
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& t : r.collect) {
    runs.push_back({{"workers", t.workers}, {"lanes", t.lanes}, {"seconds", t.seconds}, {"first_seconds", t.first_seconds},
                    {"steps_per_s", t.steps / t.seconds},
                    {"episodes_per_s", t.episodes / t.seconds}});
    const rl::CollectPhases& p = t.phases;
    if (p.steps > 0)
      runs.back()["phases_ms_per_step"] = {{"features", ms_per_step(p.features, p)},
                                           {"batch", ms_per_step(p.batch, p)},
                                           {"forward", ms_per_step(p.forward, p)},
                                           {"copy_back", ms_per_step(p.copy_back, p)},
                                           {"actions", ms_per_step(p.step, p)},
                                           {"steps", p.steps}};
  }
  nlohmann::json j = {{"cpu", cpu_model()},   {"device", o.device},     {"netlist", o.netlist},
                      {"macros", r.macros},   {"episodes", o.episodes}, {"envs_per_worker", o.envs_per_worker},
                      {"config", nlohmann::json::parse(o.config.to_json())}, {"collect", runs}};
  if (r.learned) {
    const double rate = r.samples * r.epochs / r.learn_seconds;
    j["learn"] = {{"seconds", r.learn_seconds}, {"first_seconds", r.learn_first_seconds},
                  {"samples", r.samples}, {"gradient_steps", r.gradient_steps},
                  {"minibatch", r.minibatch},
                  {"samples_per_s", rate}};
    if (!f.json)
      fmt::print("learn            {:.2f} s for {} steps x {} epochs ({} gradient steps of {}): {:.0f} samples/s\n",
                 r.learn_seconds, r.samples, r.epochs, r.gradient_steps, r.minibatch, rate);
  }
  if (f.json) std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace

void add_bench_train(CLI::App& app, Run& chosen) {
  CLI::App* bench = app.get_subcommand("bench");
  auto f = std::make_shared<BenchTrainFlags>();
  rl::BenchOptions& o = f->options;
  CLI::App* cmd = bench->add_subcommand("train", "Training throughput: episode collection with K workers, one PPO update");
  cmd->add_option("--netlist", o.netlist, "Netlist")->required();
  cmd->add_option("--plc", o.plc, "Placement (.plc)");
  cmd->add_option("--workers", o.workers, "Collector threads; several values run one after another")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--envs-per-worker", o.envs_per_worker, "Environments each worker steps together (one batch)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--episodes", o.episodes, "Episodes to collect")->check(CLI::PositiveNumber);
  cmd->add_option("--device", o.device, "cpu, cuda, cuda:1, ...");
  cmd->add_option("--learner-threads", o.learner_threads, "LibTorch threads for the update (0: all cores)");
  cmd->add_option("--grid", o.config.grid, "Action grid G (8 times a power of two)");
  cmd->add_option("--seed", o.seed, "Seed of the weights and episodes");
  cmd->add_flag("!--no-learn", o.learn, "Collection only");
  cmd->add_flag("--step-rewards", o.step_rewards, "Record the shaped step rewards (ppo.reward_shaping)");
  CLI::Option* central = cmd->add_flag("--central", o.central, "Central inference: one batch of every environment per step");
  cmd->add_flag("--profile", o.profile,
                "Time each phase of a central step (features, batch, forward, copy back, actions); waits for the device "
                "after each")
      ->needs(central);
  cmd->add_option("--lanes", o.lanes,
                  "Central inference in this many lanes, the device evaluating one while the host steps the others "
                  "(0: the default, 2 on a GPU and 1 on the CPU); several values run one after another")
      ->check(CLI::NonNegativeNumber)
      ->needs(central);
  cmd->add_flag("!--no-cost-maps", o.config.cost_maps, "A network without the cost maps (as before they existed)");
  cmd->add_flag("--greedy-prior", o.config.greedy_prior, "A network with the greedy placer's proxy map as its prior");
  cmd->add_option("--minibatch", o.minibatch, "Samples per gradient step of the update (default: ppo.minibatch's)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", f->json, "Print one JSON object");
  cmd->callback([f, &chosen] { chosen = [f] { return run_bench_train(*f); }; });
}

}  // namespace rlplace::tools
