// The one-pass placers that need no trained policy: one episode of the environment, each
// macro on a cell chosen by a rule. placer/registry.h lists them among all placers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "placer/env.h"

namespace rlplace {

struct PlacerOptions {
  uint64_t seed = 1;
};

// Runs an episode of `env` from reset() to done(), choosing cells by the named rule:
//   random  a uniformly random feasible cell (seeded); an episode that leaves a macro without
//           a cell is drawn again, up to 100 episodes
//   greedy  the feasible cell that minimises the proxy cost of the partial placement
// Throws InputError if a macro finds no feasible cell (in every draw), std::invalid_argument
// for an unknown name.
void run_placer(const std::string& name, PlacementEnv& env, const PlacerOptions& options = {});

}  // namespace rlplace
