#include "cost/bench.h"

#include <chrono>
#include <random>

#include <fmt/format.h>

#include "cost/evaluator.h"
#include "netlists/timing.h"

namespace rlplace {

EvalBench bench_eval(const Design& d, double seconds, uint64_t seed) {
  const Netlist& nl = d.netlist;
  if (nl.hard_macros.empty()) throw InputError(fmt::format("{}: no hard macros to move", nl.source));
  Evaluator ev(nl, d.params);
  EvalBench b;
  const double half = seconds / 2 * 1000;
  auto t0 = Clock::now();
  while (ms_since(t0) < half || b.full_runs < 3) {
    ev.reset(d.placement);
    b.checksum += ev.costs().proxy_cost;
    ++b.full_runs;
  }
  b.full_ms = ms_since(t0) / b.full_runs;

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, nl.hard_macros.size() - 1);
  std::uniform_real_distribution<double> ux(0, d.params.width), uy(0, d.params.height);
  ev.reset(d.placement);
  t0 = Clock::now();
  while (ms_since(t0) < half || b.moves < 100) {
    for (int i = 0; i < 100; ++i) {
      ev.move(nl.hard_macros[pick(rng)], ux(rng), uy(rng));
      b.checksum += ev.costs().proxy_cost;
    }
    b.moves += 100;
  }
  b.move_us = ms_since(t0) * 1000 / b.moves;
  return b;
}

}  // namespace rlplace
