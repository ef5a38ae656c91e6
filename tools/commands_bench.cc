// rlplace bench: speed of the cost, the environment and the solver on a real netlist.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "placer/env.h"
#include "placer/fd.h"
#include "placer/placers.h"
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
  Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  Evaluator ev(d.netlist, d.params);
  const Netlist& nl = d.netlist;
  if (nl.hard_macros.empty()) throw InputError(fmt::format("{}: no hard macros to move", o.netlist));

  // Full evaluations.
  double sink = 0;
  long full = 0;
  auto t0 = Clock::now();
  const double half = o.seconds / 2 * 1000;
  while (ms_since(t0) < half || full < 3) {
    ev.reset(d.placement);
    sink += ev.costs().proxy_cost;
    ++full;
  }
  const double full_ms = ms_since(t0) / full;

  // Incremental moves of random hard macros to random cells, each followed by the costs.
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<size_t> pick(0, nl.hard_macros.size() - 1);
  std::uniform_real_distribution<double> ux(0, d.params.width), uy(0, d.params.height);
  ev.reset(d.placement);
  long moves = 0;
  t0 = Clock::now();
  while (ms_since(t0) < half || moves < 100) {
    for (int i = 0; i < 100; ++i) {
      ev.move(nl.hard_macros[pick(rng)], ux(rng), uy(rng));
      sink += ev.costs().proxy_cost;
    }
    moves += 100;
  }
  const double move_us = ms_since(t0) * 1000 / moves;
  if (o.json) {
    nlohmann::json j = {{"full_eval_ms", full_ms},
                        {"full_evals_per_s", 1000 / full_ms},
                        {"move_us", move_us},
                        {"moves_per_s", 1e6 / move_us},
                        {"cpu", cpu_model()},
                        {"threads", 1},
                        {"checksum", sink}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    fmt::print("machine          {} ({} hardware threads; 1 used)\n", cpu_model(), std::thread::hardware_concurrency());
    fmt::print("full evaluation  {:.3f} ms  ({:.0f} per second, {} runs)\n", full_ms, 1000 / full_ms, full);
    fmt::print("incremental move {:.2f} us  ({:.0f} per second, {} moves, costs read after each)\n", move_us,
               1e6 / move_us, moves);
  }
  return 0;
}


// Environment steps: reset, then place every macro on a random feasible cell, recomputing
// the mask after each; the solver is left out (bench fd times it).
int run_bench_env(const BenchOptions& o) {
  Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  EnvOptions eo;
  eo.run_fd = false;
  PlacementEnv env(d.netlist, d.params, d.placement, eo);
  std::mt19937_64 rng(o.seed);
  long steps = 0, episodes = 0;
  double reset_ms = 0;
  auto t0 = Clock::now();
  while (ms_since(t0) < o.seconds * 1000 || episodes < 3) {
    auto tr = Clock::now();
    env.reset();
    reset_ms += ms_since(tr);
    while (!env.done()) {
      std::uniform_int_distribution<int> pick(0, env.feasible_count() - 1);
      int k = pick(rng), cell = 0;
      for (; cell < static_cast<int>(env.mask().size()); ++cell)
        if (env.mask()[cell] && k-- == 0) break;
      env.step(cell);
      ++steps;
    }
    ++episodes;
  }
  const double total_ms = ms_since(t0);
  const double step_us = (total_ms - reset_ms) * 1000 / steps;
  if (o.json) {
    std::printf("%s\n", nlohmann::json{{"step_us", step_us}, {"reset_ms", reset_ms / episodes},
                                        {"steps", steps}, {"episodes", episodes}, {"cpu", cpu_model()}}
                              .dump()
                              .c_str());
  } else {
    fmt::print("machine          {} (1 thread)\n", cpu_model());
    fmt::print("step             {:.2f} us  (place the macro, update the costs, compute the next mask)\n", step_us);
    fmt::print("reset            {:.3f} ms  ({} episodes of {} steps)\n", reset_ms / episodes, episodes, env.order().size());
  }
  return 0;
}

// The force-directed schedule from the canvas centre, hard macros where the .plc puts them.
int run_bench_fd(const BenchOptions& o) {
  Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  FdOptions fo = default_fd_options(d.netlist);
  fo.threads = o.threads;
  Evaluator ev(d.netlist, d.params);
  long runs = 0;
  double fd_ms = 0;
  Placement p;
  auto t0 = Clock::now();
  while (ms_since(t0) < o.seconds * 1000 || runs < 3) {
    p = d.placement;
    auto tf = Clock::now();
    place_soft(d.netlist, d.params, p, fo);
    fd_ms += ms_since(tf);
    ++runs;
  }
  ev.reset(p);
  const Costs c = ev.costs();
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (o.json) {
    std::printf("%s\n", nlohmann::json{{"fd_ms", fd_ms / runs}, {"runs", runs}, {"threads", threads},
                                        {"wirelength_cost", c.wirelength_cost}, {"density_cost", c.density_cost},
                                        {"congestion_cost", c.congestion_cost}, {"proxy_cost", c.proxy_cost},
                                        {"cpu", cpu_model()}}
                              .dump()
                              .c_str());
  } else {
    fmt::print("machine          {} ({} threads)\n", cpu_model(), threads);
    fmt::print("schedule         {:.1f} ms  ({} runs, {} movable nodes)\n", fd_ms / runs, runs,
               d.netlist.soft_macros.size() + d.netlist.stdcells.size());
    fmt::print("result           proxy {:.6f} (wirelength {:.6f}, density {:.6f}, congestion {:.6f})\n", c.proxy_cost,
               c.wirelength_cost, c.density_cost, c.congestion_cost);
  }
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
  quality->add_option("--placers", qf->q.placers, "Placers to run")->delimiter(',');
  quality->add_option("--refiners", qf->q.refiners, "Refiners to pair with each placer (none: --refiners '')")
      ->delimiter(',');
  quality->add_option("--seconds", qf->q.seconds, "Budget per run")->check(CLI::PositiveNumber);
  quality->add_option("--threads", qf->q.threads, "Threads per run")->check(CLI::PositiveNumber);
  quality->add_option("--seeds", qf->q.seeds, "Seeds")->delimiter(',');
  quality->add_option("--out", qf->out, "Directory for quality.md, quality.csv, quality.json")->required();
  quality->callback([qf, &chosen] { chosen = [qf] { return run_bench_quality(*qf); }; });
}

}  // namespace rlplace::tools
