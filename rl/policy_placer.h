// Placing a netlist with a trained policy: greedy decoding, optionally with sampled
// episodes and a beam search, of which the best is kept.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "cost/design.h"
#include "placer/env.h"

namespace rlplace::rl {

struct PolicyPlaceOptions {
  std::string policy;    // checkpoint file or training directory
  int samples = 0;       // sampled episodes besides the greedy one
  int beam = 0;          // a beam search of this width besides them (rl/beam.h); 0: none
  int beam_expand = 4;   // the policy's cells tried from each partial placement of the beam
  bool beam_by_log_prob = false;  // rank the beam by the policy's log-probability, not the proxy
  uint64_t seed = 1;
  int workers = 0;       // 0: all cores
  std::string device = "cpu";
};

struct PolicyPlaceResult {
  Placement placement;
  Costs costs;
  int episodes = 0;
  int chosen = -1;       // -1: the greedy episode, -2: the beam's, else the sample's index
  double greedy_proxy = 0;
  double beam_proxy = std::numeric_limits<double>::quiet_NaN();  // NaN: no beam, or it found no placement
  std::string checkpoint;
};

// Runs the policy on `design` (the environment's solver places the soft macros and cells
// at the end of each episode). Throws InputError when no episode places every macro.
PolicyPlaceResult place_with_policy(const Design& design, const EnvOptions& env_options,
                                    const PolicyPlaceOptions& options);

}  // namespace rlplace::rl
