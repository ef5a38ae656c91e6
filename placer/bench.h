// Speed of the environment and the solver, measured where they are defined; `rlplace
// bench env|fd` prints it.
#pragma once

#include <cstdint>

#include "cost/design.h"
#include "cost/evaluator.h"

namespace rlplace {

struct EnvBench {
  double step_us = 0;   // place the macro, update the costs, compute the next mask
  // The current macro's cost maps before each step (placer/cost_map.h: the four a policy
  // reads, the proxy map included, which is also the greedy placer's step).
  double maps_us = 0;
  double reset_ms = 0;  // per episode
  long steps = 0, episodes = 0;
  size_t steps_per_episode = 0;
};

// Episodes of random feasible cells for `seconds` (at least 3), the cost maps computed before
// each step and timed apart; the solver left out.
EnvBench bench_env(const Design& design, double seconds, uint64_t seed);

struct FdBench {
  double fd_ms = 0;  // one schedule
  long runs = 0;
  int threads = 0;
  Costs costs;       // of the last run's placement
};

// The force-directed schedule from the canvas centre, hard macros where the design puts
// them, for `seconds` (at least 3 runs). threads 0: all cores.
FdBench bench_fd(const Design& design, double seconds, int threads);

}  // namespace rlplace
