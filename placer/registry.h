// Every placer and refiner by name. A placer puts the hard macros of a design somewhere
// legal and lets the solver place the rest; a refiner improves a legal placement. The
// commands (place, compare, bench) list and run them from here, so a new one is one file
// plus one registration line (register_builtin_placers, or its own library's
// register_placers for those that need more than this library, like rl/).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cost/design.h"
#include "placer/env.h"

namespace rlplace {

// What every placer and refiner is given. Fields a placer has no use for are ignored.
struct PlaceRequest {
  const Design* design = nullptr;  // netlist, parameters, and the start placement
  EnvOptions env;                  // macro spacing; the solver that places the rest
  uint64_t seed = 1;
  int threads = 0;                 // 0: all cores
  double seconds = 0;              // wall-clock budget of placers that search; 0: their default
  int64_t moves = 0;               // an action budget instead, exactly reproducible for a seed
  // Annealing's starting temperature, as the probability of accepting the first actions'
  // mean uphill step; 0: the placer's or refiner's own (sa 0.3, the refiner 0.01).
  double accept_start = 0;
  // Learned placers.
  std::string policy;              // checkpoint or training directory; empty: the bundled one
  int samples = 0;                 // sampled episodes besides the greedy one
  int beam = -1;                   // width of a beam search besides them (rl/beam.h); 0: none; -1: the placer's own
  int beam_expand = 4;             // the policy's cells the beam tries from each partial placement
  bool beam_by_log_prob = false;   // rank the beam by the policy's log-probability, not the proxy
  std::string device = "cpu";
};

struct PlaceOutcome {
  Placement placement;  // every node; soft macros and cells placed by the solver unless env.run_fd is off
  std::string how;      // a phrase for summaries: "'greedy' (seed 1)"
};

struct PlacerEntry {
  std::string name, help;
  std::function<PlaceOutcome(const PlaceRequest&)> place;
};

struct RefinerEntry {
  std::string name, help;
  // Improves `placement` (legal in, legal out, soft macros re-placed as the request's
  // solver says); returns a phrase for summaries.
  std::function<std::string(const PlaceRequest&, Placement&)> refine;
};

// An entry of the same name is replaced.
void register_placer(PlacerEntry entry);
void register_refiner(RefinerEntry entry);
// nullptr when no such entry is registered in this binary.
const PlacerEntry* find_placer(std::string_view name);
const RefinerEntry* find_refiner(std::string_view name);
std::vector<std::string> placer_names();
std::vector<std::string> refiner_names();

// Raised for a name no entry has; the `rlplace` binary then hands the command to its
// LibTorch companion, which registers the learned placers.
class UnknownPlacer : public InputError {
 public:
  using InputError::InputError;
};
const PlacerEntry& placer_or_throw(std::string_view name);
const RefinerEntry& refiner_or_throw(std::string_view name);

// greedy, random, legalize and the search placers of this library. Safe to call again.
void register_builtin_placers();

}  // namespace rlplace
