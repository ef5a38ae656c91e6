// rlplace bench: speed of the cost, the environment and the solver on a real netlist.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/bench.h"
#include "placer/bench.h"
#include "report/quality.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct BenchOptions {
  std::string netlist, plc;
  double seconds = 2;
  unsigned seed = 1;
  int threads = 0;
  bool json = false;
  CostFlags cost;
};

int run_bench_eval(const BenchOptions& o) {
  const EvalBench b = bench_eval(load_design(o.netlist, o.plc, o.cost.resolve()), o.seconds, o.seed);
  if (o.json) {
    nlohmann::json j = {{"full_eval_ms", b.full_ms}, {"full_evals_per_s", 1000 / b.full_ms},
                        {"move_us", b.move_us},      {"moves_per_s", 1e6 / b.move_us},
                        {"cpu", cpu_model()},        {"threads", 1},
                        {"checksum", b.checksum}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  fmt::print("machine          {} ({} hardware threads; 1 used)\n", cpu_model(), std::thread::hardware_concurrency());
  fmt::print("full evaluation  {:.3f} ms  ({:.0f} per second, {} runs)\n", b.full_ms, 1000 / b.full_ms, b.full_runs);
  fmt::print("incremental move {:.2f} us  ({:.0f} per second, {} moves, costs read after each)\n", b.move_us,
             1e6 / b.move_us, b.moves);
  return 0;
}

int run_bench_env(const BenchOptions& o) {
  const EnvBench b = bench_env(load_design(o.netlist, o.plc, o.cost.resolve()), o.seconds, o.seed);
  if (o.json) {
    nlohmann::json j = {{"step_us", b.step_us}, {"maps_us", b.maps_us}, {"reset_ms", b.reset_ms}, {"steps", b.steps},
                        {"episodes", b.episodes}, {"cpu", cpu_model()}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  fmt::print("machine          {} (1 thread)\n", cpu_model());
  fmt::print("step             {:.2f} us  (place the macro, update the costs, compute the next mask)\n", b.step_us);
  fmt::print("cost maps        {:.2f} us  (the current macro on every feasible cell: the policy's four maps, the\n"
             "                 greedy placer's proxy map among them)\n",
             b.maps_us);
  fmt::print("reset            {:.3f} ms  ({} episodes of {} steps)\n", b.reset_ms, b.episodes, b.steps_per_episode);
  return 0;
}

int run_bench_fd(const BenchOptions& o) {
  const Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  const FdBench b = bench_fd(d, o.seconds, o.threads);
  const Costs& c = b.costs;
  if (o.json) {
    nlohmann::json j = {{"fd_ms", b.fd_ms},
                        {"runs", b.runs},
                        {"threads", b.threads},
                        {"wirelength_cost", c.wirelength_cost},
                        {"density_cost", c.density_cost},
                        {"congestion_cost", c.congestion_cost},
                        {"proxy_cost", c.proxy_cost},
                        {"cpu", cpu_model()}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  fmt::print("machine          {} ({} threads)\n", cpu_model(), b.threads);
  fmt::print("schedule         {:.1f} ms  ({} runs, {} movable nodes)\n", b.fd_ms, b.runs,
             d.netlist.soft_macros.size() + d.netlist.stdcells.size());
  fmt::print("result           proxy {:.6f} (wirelength {:.6f}, density {:.6f}, congestion {:.6f})\n", c.proxy_cost,
             c.wirelength_cost, c.density_cost, c.congestion_cost);
  return 0;
}

struct QualityFlags {
  std::vector<std::string> netlists, plcs;
  QualityOptions q;
  std::string out;
};

int run_bench_quality(QualityFlags f) {
  if (f.plcs.size() != f.netlists.size())
    throw InputError("bench quality: give one --plc per --netlist");
  for (size_t i = 0; i < f.netlists.size(); ++i)
    f.q.chips.push_back({std::filesystem::path(f.netlists[i]).parent_path().filename().string(), f.netlists[i], f.plcs[i]});
  const std::string machine = fmt::format("{}, {} hardware threads", cpu_model(), std::thread::hardware_concurrency());
  const auto rows = run_quality(f.q, [](const QualityRow& r) {
    fmt::print("{:<16} {:<9} {:<7} seed {:<3} proxy {:.6f} {} {:.1f} s\n", r.chip, r.placer, r.refine.empty() ? "-" : r.refine,
               r.seed, r.proxy, r.legal ? "legal" : "ILLEGAL", r.seconds);
    std::fflush(stdout);
  });
  write_quality(rows, f.q, machine, f.out);
  fmt::print("wrote {}/quality.md, quality.csv, quality.json\n", f.out);
  return 0;
}

}  // namespace

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

void add_bench(CLI::App& app, Run& chosen) {
  CLI::App* bench = app.add_subcommand("bench", "Speed benchmarks");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchOptions>();
  auto common = [&](CLI::App* cmd) {
    cmd->add_option("--netlist", o->netlist, "Netlist")->required();
    cmd->add_option("--plc", o->plc, "Placement (.plc)");
    cmd->add_option("--seconds", o->seconds, "Time to spend")->check(CLI::PositiveNumber);
    cmd->add_option("--seed", o->seed, "Seed of the random choices");
    cmd->add_flag("--json", o->json, "Print one JSON object");
    o->cost.add_to(*cmd);
  };
  CLI::App* eval = bench->add_subcommand("eval", "Full and incremental proxy-cost evaluations per second");
  common(eval);
  eval->callback([o, &chosen] { chosen = [o] { return run_bench_eval(*o); }; });
  CLI::App* env = bench->add_subcommand("env", "Environment steps per second (place, costs, next mask)");
  common(env);
  env->callback([o, &chosen] { chosen = [o] { return run_bench_env(*o); }; });
  CLI::App* fd = bench->add_subcommand("fd", "Force-directed schedules per second");
  common(fd);
  fd->add_option("--threads", o->threads, "Threads (0: all cores)")->check(CLI::NonNegativeNumber);
  fd->callback([o, &chosen] { chosen = [o] { return run_bench_fd(*o); }; });

  auto qf = std::make_shared<QualityFlags>();
  CLI::App* quality = bench->add_subcommand(
      "quality", "Leaderboard: placers and placer + refiner pairs at equal budgets and threads, several seeds");
  quality->add_option("--netlist", qf->netlists, "Netlist (repeat for more chips)")->required();
  quality->add_option("--plc", qf->plcs, "Its placement (.plc), one per --netlist")->required();
  quality->add_option("--placers", qf->q.placers, "Placers to run (default: every registered one)")->delimiter(',');
  quality->add_option("--refiners", qf->q.refiners, "Refiners to pair with each placer (default: every registered one; none: no pairs)")
      ->delimiter(',');
  quality->add_option("--seconds", qf->q.seconds, "Budget per run")->check(CLI::PositiveNumber);
  quality->add_option("--threads", qf->q.threads, "Threads per run")->check(CLI::PositiveNumber);
  quality->add_option("--seeds", qf->q.seeds, "Seeds")->delimiter(',');
  quality->add_option("--out", qf->out, "Directory for quality.md, quality.csv, quality.json")->required();
  quality->callback([qf, &chosen] { chosen = [qf] { return run_bench_quality(*qf); }; });
}

}  // namespace rlplace::tools
