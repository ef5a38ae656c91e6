// Placing a netlist with a trained policy: greedy decoding, optionally with sampled
// episodes of which the best is kept.
#pragma once

#include <cstdint>
#include <string>

#include "cost/design.h"
#include "placer/env.h"

namespace rlplace::rl {

struct PolicyPlaceOptions {
  std::string policy;    // checkpoint file or training directory
  int samples = 0;       // sampled episodes besides the greedy one
  uint64_t seed = 1;
  int workers = 0;       // 0: all cores
  std::string device = "cpu";
};

struct PolicyPlaceResult {
  Placement placement;
  Costs costs;
  int episodes = 0;
  int chosen = -1;       // -1: the greedy episode, else the sample's index
  double greedy_proxy = 0;
  std::string checkpoint;
};

// Runs the policy on `design` (the environment's solver places the soft macros and cells
// at the end of each episode). Throws InputError when no episode places every macro.
PolicyPlaceResult place_with_policy(const Design& design, const EnvOptions& env_options,
                                    const PolicyPlaceOptions& options);

}  // namespace rlplace::rl
