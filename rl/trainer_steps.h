// One training run's moving parts, as steps a driver calls in turn: collect (sampled
// episodes on every training netlist), learn (one PPO update), evaluate (greedy episodes on
// every netlist) and commit (checkpoint, state, metrics). rl::train (rl/trainer.cc) drives
// them, in one process or in each rank of a data-parallel run (TrainOptions::dist): then
// each rank collects a contiguous share of the iteration's episodes, the learner and the
// metrics reduce over the ranks, the netlists' greedy episodes are dealt out among the ranks,
// and rank 0 alone holds the run directory and writes; the other ranks receive the run from
// it at the start.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gnn/model.h"
#include "rl/distributed.h"
#include "rl/metrics_log.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "rl/run_dir.h"
#include "rl/trainer.h"

namespace rlplace::rl {

class Trainer {
 public:
  // Locks the run directory, checks a resume against the stored run, loads the netlists,
  // builds the network and learner, and restores the state of a resumed run (from the
  // latest intact checkpoint). Throws InputError as rl::train documents.
  explicit Trainer(const TrainOptions& options);
  ~Trainer();

  bool resumed() const { return resumed_; }
  bool leader() const { return !comm_ || comm_->rank() == 0; }
  // One process: `local`. Several ranks: the largest of every rank's, so that all of them
  // take the same turn (stop, go on).
  int agree(int local);
  // Tells the other ranks, if any, why this one stops.
  void report_failure(const std::string& what) noexcept;
  int64_t iteration() const { return iteration_; }  // the last committed one
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Row 0: the policy before any training (untrained, or the --init checkpoint), committed.
  void commit_initial();
  // Iteration iteration() + 1, committed. Returns its seconds, or nothing when a stop
  // request came during the update (the iteration is abandoned).
  std::optional<double> run_iteration();

  // The steps. `row` collects the iteration's metrics.
  std::vector<Episode> collect(int64_t it, MetricsRow& row);  // its collect_seconds(): the episodes' time
  double collect_seconds() const { return collect_seconds_; }
  UpdateStats learn(int64_t it, const std::vector<Episode>& episodes);
  void evaluate(int64_t it, MetricsRow& row);
  void commit(int64_t it, const MetricsRow& row);

  // Committed iterations, latest checkpoint and best costs, into `result`.
  void report(TrainResult& result) const;

 private:
  void setup();
  void open_run();   // the only process, or rank 0: the run directory
  void join_run();   // the other ranks: the run as rank 0 opened it
  void share_run();  // rank 0: the run, for join_run
  void build_learner();
  void load_netlists(const RunIdentity& id);
  void share_best_sampled(int64_t it, const std::vector<const Episode*>& kept, const std::vector<double>& lowest);
  void share_best(size_t k, int holder, const Episode* e, double proxy, int64_t it, const char* how);
  std::vector<int> eval_owners() const;
  void restore(const nlohmann::json& state);
  double best_proxy(const std::string& label) const;
  void write_best(const Task& task, const Episode& e, int64_t it, const char* how);
  void netlist_metrics(const std::vector<Episode>& episodes, int64_t it, MetricsRow& row);
  nlohmann::json state_json(int64_t it) const;
  bool stop_requested() const;

  const TrainOptions& o_;
  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<RunDir> dir_;  // rank 0's only
  bool resumed_ = false;
  TrainConfig config_;
  uint64_t seed_ = 1;
  std::vector<std::unique_ptr<Task>> train_tasks_, eval_tasks_;
  std::vector<const Task*> train_ptrs_, all_ptrs_;
  torch::Device device_{torch::kCPU};
  gnn::PolicyValueNet net_{nullptr};
  std::unique_ptr<PpoLearner> learner_;
  std::unique_ptr<Collector> collector_, evaluator_;
  std::unique_ptr<MetricsLog> metrics_;  // rank 0's only
  int learner_threads_ = 1;
  int64_t iteration_ = 0;
  double elapsed_ = 0;
  nlohmann::json best_ = nlohmann::json::object();
  std::vector<std::string> warnings_;
  std::vector<nlohmann::json> restored_history_;
  double collect_seconds_ = 0;
};

}  // namespace rlplace::rl
