// Where central inference's time goes (`rlplace bench train --central --profile`), free of
// LibTorch so that the benchmark's callers can read it.
#pragma once

#include <cstdint>

namespace rlplace::rl {

// Seconds spent in each phase of the steps of a run, summed over its steps. A step computes
// every active environment's features (on the collector's threads), builds one batch, runs
// the network, copies its outputs back, then takes each environment's action (and finishes
// the episodes that end). Profiling waits for the device after building the batch and after
// the forward pass, so that the device's work is charged to its own phase; on a GPU this
// makes the run a little slower than an unprofiled one.
struct CollectPhases {
  double features = 0, batch = 0, forward = 0, copy_back = 0, step = 0;
  int64_t steps = 0;  // policy evaluations, one batch each
};

}  // namespace rlplace::rl
