// A training run in a directory: PPO iterations on one or more netlists, with everything
// needed to stop at any moment and go on with --resume. This header is the entry point and
// is free of LibTorch; the parts are
//
//   rl/run_dir.h        DIR/lock, DIR/state.json, resume checks, checkpoint names and
//                       rotation, the atomic commit (and resolve_policy)
//   rl/metrics_log.h    DIR/metrics.csv and DIR/events.out.tfevents.* (TensorBoard)
//   rl/trainer_steps.h  the Trainer: collect, learn, evaluate and commit one iteration
//   DIR/best/LABEL.plc  best placement found per training netlist (trainer_steps.cc)
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
#include "rl/run_dir.h"

namespace rlplace::rl {

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
  // One-line warnings (a corrupt latest checkpoint replaced by the previous one on resume).
  std::function<void(const std::string&)> on_warning;
  // Tests only: called by the collector threads before each episode (task, seed); what it
  // throws ends the run with that error.
  std::function<void(int, uint64_t)> before_episode;
};

struct TrainResult {
  int64_t iterations = 0;  // committed iterations in the run directory
  int64_t this_run = 0;    // of which this invocation did
  bool interrupted = false;
  std::string checkpoint;  // latest policy
  std::vector<std::pair<std::string, double>> best;  // best proxy cost per training netlist
  std::vector<std::string> warnings;                 // those on_warning was given
};

// Throws InputError for bad inputs (netlists, a directory that holds another run or that
// another process is writing, a resume whose netlists or configuration differ, a run with no
// intact checkpoint) and std::runtime_error for I/O and failures in the collector threads.
TrainResult train(const TrainOptions& options);

// A training configuration file; throws InputError naming the file.
TrainConfig read_train_config(const std::string& path);

// Process-wide settings a training command wants (glibc keeps freed memory for LibTorch's
// allocator, see gnn::keep_freed_host_memory); call once, before train().
void prepare_training_process();

}  // namespace rlplace::rl
