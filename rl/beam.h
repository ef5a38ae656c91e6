// Beam search over a policy's decode: the policy proposes each step's cells, a ranking
// keeps the best partial placements. With the exact proxy cost of the partial placement
// as the ranking, the policy prunes a search that the greedy placer runs with a width of
// one over every cell; with the policy's own log-probability, it is the classic beam decode
// of a sequence model. docs/quality.md measures both against greedy decoding and sampling.
#pragma once

#include "rl/rollout.h"

namespace rlplace::rl {

enum class BeamRank {
  kProxy,    // lowest proxy cost of the partial placement (soft macros where the input has them)
  kLogProb,  // highest summed log-probability of the policy's choices
};

struct BeamOptions {
  int width = 8;   // partial placements kept after each step
  int expand = 4;  // the policy's most probable feasible cells tried from each of them
  BeamRank rank = BeamRank::kProxy;
  int threads = 1;
};

struct BeamResult {
  bool infeasible = false;  // every partial placement ran out of cells for some macro
  Placement placement;      // the best finished placement (by its full proxy cost)
  Costs costs;
  int finished = 0;    // complete placements the solver finished (every one the beam kept)
  int64_t scored = 0;  // (partial placement, cell) pairs ranked over the whole decode
};

// Decodes `task` with `net` (evaluated without gradients, states batched on `device`).
// Deterministic for given inputs and options. Throws std::invalid_argument for a width or
// expansion below 1.
BeamResult beam_decode(const Task& task, gnn::PolicyValueNetImpl& net, torch::Device device, const BeamOptions& o);

}  // namespace rlplace::rl
