// A training run in a directory: PPO iterations on one or more netlists, with everything
// needed to stop at any moment and go on with --resume.
//
// DIR/state.json         the commit point: iteration, configuration, netlists, learner
//                        state, best costs, metrics history; written atomically after
//                        the files it names
// DIR/checkpoints/       policy-NNNNNN.pt and optimizer-NNNNNN.pt of the last two iterations
// DIR/best/LABEL.plc     best placement found per training netlist
// DIR/metrics.csv        one row per iteration (row 0: the policy before training)
// DIR/events.out.tfevents.*  the same scalars for TensorBoard, one file per invocation
//
// A run killed at any point restarts from the last committed iteration; the seeds of an
// iteration depend only on (seed, iteration), so the resumed run repeats exactly the
// iterations an uninterrupted one would have done.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rl/config.h"

namespace rlplace::rl {

struct NetlistSpec {
  std::string netlist, plc;
};

struct TrainOptions {
  std::vector<NetlistSpec> train, eval;  // eval: held out, greedy episodes only
  std::string out;
  int64_t iterations = 0;  // total over every invocation of the run; 0: until `minutes`
  double minutes = 0;      // this invocation's budget; 0: until `iterations`
  int workers = 0;         // collector threads; 0: all cores
  uint64_t seed = 1;
  std::string init;        // checkpoint to start from (fine-tuning)
  bool resume = false;
  TrainConfig config;
  bool config_given = false;  // with resume: the config must equal the run's
  // Polled between episodes and minibatches; true abandons the unfinished iteration.
  std::function<bool()> stop;
  // After each committed iteration: the metrics row (name, value) in CSV column order.
  std::function<void(const std::vector<std::pair<std::string, double>>&)> on_iteration;
  // While collecting: episodes finished and total of the current phase.
  std::function<void(const char* phase, int, int)> on_progress;
};

struct TrainResult {
  int64_t iterations = 0;  // committed iterations in the run directory
  int64_t this_run = 0;    // of which this invocation did
  bool interrupted = false;
  std::string checkpoint;  // latest policy
  std::vector<std::pair<std::string, double>> best;  // best proxy cost per training netlist
};

// Throws InputError for bad inputs (netlists, a directory that holds another run, a
// resume whose netlists or configuration differ) and std::runtime_error for I/O.
TrainResult train(const TrainOptions& options);

// A checkpoint file, or a training directory (its latest checkpoint).
std::string resolve_policy(const std::string& path);

}  // namespace rlplace::rl
