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

// One process's place in a data-parallel run (rl/distributed.h, docs/distributed.md).
// world 1: the only process, with no process group at all.
struct DistOptions {
  int rank = 0, world = 1, local_rank = 0;
  int local_world = 1;  // ranks on this machine, which share its cores
  std::string master_addr = "127.0.0.1";  // rank 0's rendezvous store; the others connect to it
  int master_port = 29500;
  // Address this rank's Gloo connections bind; empty: the loopback when master_addr is a
  // loopback address, else the address this host's name resolves to.
  std::string bind;
  double timeout_s = 300;  // a rendezvous or collective waiting longer ends the run
  // Where the local launcher's ranks meet: c10d file stores in this private directory
  // instead of rank 0's TCP store, so that a run on one machine opens no listening port for
  // its rendezvous (LibTorch 1.13's TCP store listens on every interface). Empty: TCP.
  std::string store_dir;
};

// torchrun's variables: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK,
// LOCAL_WORLD_SIZE (world 1 when WORLD_SIZE is unset), and the local launcher's
// RLPLACE_STORE_DIR. Throws InputError naming a malformed or inconsistent variable.
DistOptions dist_from_environment();

// Starts `nproc` ranks of this very program (same arguments) on this machine, with torchrun's
// variables set (MASTER_ADDR 127.0.0.1 unless set; MASTER_PORT a free port unless set) and
// RLPLACE_STORE_DIR a fresh directory only this user can open (removed afterwards), and
// waits for all of them. `pending_signal` is polled: a non-zero signal is passed on to every
// rank. Returns 0 when every rank exits with 0, else the first failing rank's status, with
// `failure` saying which rank and how (the rank prints its own error).
int launch_local_ranks(int nproc, const std::function<int()>& pending_signal, std::string& failure);

// A loopback port the kernel has just given out (free then; another process may take it
// before it is bound). What launch_local_ranks uses when MASTER_PORT is unset.
int free_loopback_port();

struct TrainOptions {
  std::vector<NetlistSpec> train, eval;  // eval: held out, greedy episodes only
  std::string out;
  int64_t iterations = 0;  // total over every invocation of the run; 0: until `minutes`
  double minutes = 0;      // this invocation's budget; 0: until `iterations`
  int workers = 0;         // collector threads; 0: all cores (shared by the ranks on a machine)
  uint64_t seed = 1;
  std::string init;        // checkpoint to start from (fine-tuning)
  bool resume = false;
  int64_t keep_every = 0;  // keep the policy checkpoint of every k-th iteration; 0: the last two only
  TrainConfig config;
  bool config_given = false;  // with resume: the config must equal the run's
  std::string device;         // overrides the configuration's (also on resume); with several
                              // ranks "cuda" means cuda:LOCAL_RANK
  DistOptions dist;
  // Polled between episodes and minibatches; true abandons the unfinished iteration.
  std::function<bool()> stop;
  // After each committed iteration (on rank 0 only): the metrics row (name, value) in CSV
  // column order.
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
// With options.dist.world > 1 every rank calls it: each collects its share of the
// iteration's episodes and all learn together; rank 0 alone holds the directory and writes.
// A rank that fails or stops answering ends the others with a one-line std::runtime_error
// naming it.
TrainResult train(const TrainOptions& options);

// A training configuration file; throws InputError naming the file.
TrainConfig read_train_config(const std::string& path);

// Process-wide settings a training command wants (glibc keeps freed memory for LibTorch's
// allocator, see gnn::keep_freed_host_memory); call once, before train().
void prepare_training_process();

}  // namespace rlplace::rl
