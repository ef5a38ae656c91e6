// Speed of the evaluator, measured where it is defined; `rlplace bench eval` prints it.
#pragma once

#include <cstdint>

#include "cost/design.h"

namespace rlplace {

struct EvalBench {
  double full_ms = 0;   // one full evaluation
  long full_runs = 0;
  double move_us = 0;   // one hard macro moved to a random point, then every cost read
  long moves = 0;
  double checksum = 0;  // keeps the work from being optimised away
};

// Half of `seconds` on each measurement (at least 3 full runs and 100 moves). Throws
// InputError for a design without hard macros.
EvalBench bench_eval(const Design& design, double seconds, uint64_t seed);

}  // namespace rlplace
