#include "placer/bench.h"

#include <chrono>
#include <random>
#include <thread>

#include "netlists/timing.h"
#include "placer/env.h"
#include "placer/fd.h"

namespace rlplace {

EnvBench bench_env(const Design& d, double seconds, uint64_t seed) {
  EnvOptions eo;
  eo.run_fd = false;
  PlacementEnv env(d.netlist, d.params, d.placement, eo);
  std::mt19937_64 rng(seed);
  EnvBench b;
  double reset_ms = 0, maps_ms = 0;
  std::vector<float> maps;
  auto t0 = Clock::now();
  while (ms_since(t0) < seconds * 1000 || b.episodes < 3) {
    auto tr = Clock::now();
    env.reset();
    reset_ms += ms_since(tr);
    while (!env.done()) {
      const auto tm = Clock::now();
      env.cost_maps(maps);
      maps_ms += ms_since(tm);
      std::uniform_int_distribution<int> pick(0, env.feasible_count() - 1);
      int k = pick(rng), cell = 0;
      for (; cell < static_cast<int>(env.mask().size()); ++cell)
        if (env.mask()[cell] && k-- == 0) break;
      env.step(cell);
      ++b.steps;
    }
    ++b.episodes;
  }
  b.step_us = (ms_since(t0) - reset_ms - maps_ms) * 1000 / b.steps;
  b.maps_us = maps_ms * 1000 / b.steps;
  b.reset_ms = reset_ms / b.episodes;
  b.steps_per_episode = env.order().size();
  return b;
}

FdBench bench_fd(const Design& d, double seconds, int threads) {
  FdOptions fo = default_fd_options(d.netlist);
  fo.threads = threads;
  FdBench b;
  Placement p;
  double fd_ms = 0;
  auto t0 = Clock::now();
  while (ms_since(t0) < seconds * 1000 || b.runs < 3) {
    p = d.placement;
    auto tf = Clock::now();
    place_soft(d.netlist, d.params, p, fo);
    fd_ms += ms_since(tf);
    ++b.runs;
  }
  Evaluator ev(d.netlist, d.params);
  ev.reset(p);
  b.costs = ev.costs();
  b.fd_ms = fd_ms / b.runs;
  b.threads = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  return b;
}

}  // namespace rlplace
