// Episodes: a netlist to place (Task), one placement run by the policy (Episode), and the
// workers that run many of them in parallel (Collector).
//
// An episode keeps what the learner needs and nothing it can rebuild: the env cell and
// padded action of each step, the step's feasibility mask, the position given to each
// placed macro, the old log-probability and value. The graph features of step t are the
// task's reset state with the first t macros placed (state_at), which is exact and costs
// a few hundred bytes a step instead of the dozens of kilobytes of the full features.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "cost/design.h"
#include "gnn/features.h"
#include "gnn/model.h"
#include "placer/env.h"
#include "rl/phases.h"

namespace rlplace::rl {

// One netlist, loaded once, shared read-only by every worker.
struct Task {
  std::string label;  // short name for logs and metrics
  std::string netlist_path, plc_path;
  Design design;
  EnvOptions env_options;
  gnn::StaticFeatures features;
  std::vector<int32_t> order;        // macros in placement order
  gnn::DynamicFeatures reset_state;  // features right after reset (current = order[0])
};

// Loads the design and builds everything the workers share. `label` empty: derived from
// the path (the netlist's directory name). Throws InputError for bad files and when
// the netlist has no hard macro to place.
std::unique_ptr<Task> make_task(const std::string& netlist_path, const std::string& plc_path,
                                const EnvOptions& env_options, const std::string& label = "");
// From a loaded design (netlist_path and plc_path stay empty).
std::unique_ptr<Task> make_task(Design design, const EnvOptions& env_options, const std::string& label);

struct Episode {
  int task = 0;
  int64_t policy_version = -1;  // the weights that chose the actions
  uint64_t seed = 0;
  std::vector<int32_t> cells;    // env cell of each step
  std::vector<int32_t> actions;  // padded action of each step
  std::vector<uint8_t> masks;    // steps x (rows * cols), the mask each action was drawn from
  std::vector<float> x, y;       // scaled position of the macro each step placed
  // steps x kCostMapChannels x (rows * cols), the cost maps each action saw; empty for a
  // policy that does not read them.
  std::vector<float> cost_maps;
  std::vector<float> log_probs, values;
  // Raw reward of each step, recorded only when the collector is asked to (potential-based
  // shaping, rl/ppo.h): step t earns Phi(after t) - Phi(after t - 1) with Phi the negated
  // weighted cost of the partial placement (0 before the first step), and the last step is
  // topped up so that they sum to `reward`. Empty: the whole reward at the last step.
  std::vector<double> step_rewards;
  bool infeasible = false;       // a macro found no feasible cell; the episode stopped there
  Costs costs;                   // of the final placement (zero if infeasible)
  double reward = 0;
  double seconds = 0;
  // The final placement, kept only when asked for (see Collector::Job::keep_placement_below).
  std::shared_ptr<Placement> placement;

  int steps() const { return static_cast<int>(actions.size()); }
};

// Rebuilds e.cost_maps by stepping an environment through e.cells (exactly the maps the
// collection saw: the environment is deterministic). For episodes restored from a state file,
// which keeps the cells but not the maps. `channels`: the network's GnnConfig::cost_map_channels().
void replay_cost_maps(const Task& task, Episode& e, int channels);

// The features of step t of `e` (0 <= t < e.steps()).
void state_at(const Task& task, const Episode& e, int t, gnn::DynamicFeatures& out);

// Runs episodes on K worker threads; the policy is shared read-only and evaluated without
// gradients. Per worker (the default): each worker owns its environments, steps
// envs_per_worker episodes together and evaluates their states in one batch. Central (in
// the manner of SEED RL's inference server): every episode of the run (up to
// kCentralBatch at a time) is stepped together, the workers computing features and
// stepping environments in parallel and one evaluation of all the states per step, which
// gives a GPU one large batch instead of K small ones competing for it.
inline constexpr int kCentralBatch = 512;
class Collector {
 public:
  struct Job {
    int task = 0;
    uint64_t seed = 0;
    bool greedy = false;  // highest-probability action instead of a sample
    // Keep the final placement when the proxy cost is below this.
    double keep_placement_below = -1e300;
  };
  // Called after each finished episode with (done, total); from worker threads, serialised.
  using Progress = std::function<void(int, int)>;
  // Returns true to abandon the run (run() then throws Interrupted).
  using StopCheck = std::function<bool()>;
  struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
  };

  Collector(const std::vector<const Task*>& tasks, int workers, int envs_per_worker, bool central = false);
  ~Collector();

  // Called by the worker threads before each episode starts (tests inject failures with
  // it). An exception thrown in a worker, from here or from the environment, abandons the
  // run: the other workers stop at their next step and run() rethrows it.
  using EpisodeHook = std::function<void(const Job&)>;
  void set_episode_hook(EpisodeHook hook) { hook_ = std::move(hook); }
  // Fill Episode::step_rewards: one evaluation of the partial placement per step.
  void set_step_rewards(bool on) { step_rewards_ = on; }
  // Add each phase's time of central inference's steps to `phases` (nullptr: off, the
  // default). Runs of workers with their own batches leave it untouched.
  void set_phases(CollectPhases* phases) { phases_ = phases; }
  // Central inference splits each batch into this many lanes, each evaluated on the device
  // while the host steps the others' environments (0: default_lanes).
  void set_central_lanes(int lanes) { lanes_ = lanes; }

  // Episodes in job order. `net` must not be trained while this runs.
  std::vector<Episode> run(gnn::PolicyValueNetImpl& net, torch::Device device, int64_t policy_version,
                           const std::vector<Job>& jobs, const Progress& progress = {},
                           const StopCheck& stop = {});

  int workers() const { return workers_; }

 private:
  // Static graph rows on the device of the last run() (a GPU only), kept across runs: the
  // tasks, whose features are its keys, outlive the collector.
  std::unique_ptr<gnn::StaticTensorCache> cache_;
  struct Worker;
  struct Run;
  struct Slot;
  void work(Run& r, int worker);
  void run_central(Run& r);
  void start_episode(Run& r, int index, Slot& slot);
  struct Box;
  struct Flight;
  void step_slot(Run& r, int index, Slot& slot, const gnn::DynamicFeatures& state, const float* log_probs,
                 const Box& box, float value);
  Flight launch(Run& r, std::vector<int> rows, std::vector<gnn::StateRef> refs);
  void land(Run& r, int first, std::vector<Slot>& slots, Flight& f, int threads);
  bool run_group(Run& r, Worker& ws, int group, std::vector<gnn::DynamicFeatures>& states);
  void step(Run& r, int first, std::vector<Slot>& slots, const std::vector<int>& rows,
            const std::vector<gnn::StateRef>& refs, int threads);
  void finish(Run& r, int index, Slot& slot);

  std::vector<const Task*> tasks_;
  int workers_, envs_per_worker_;
  bool central_;
  std::vector<std::unique_ptr<Worker>> worker_state_;
  EpisodeHook hook_;
  bool step_rewards_ = false;
  CollectPhases* phases_ = nullptr;
  int lanes_ = 0;
};

// Central inference's lanes for a batch of `states` on `device` when none are asked for:
// two on a GPU for a batch of 512 or more, else one (on the CPU the evaluation takes the cores
// the host would step with).
int default_lanes(torch::Device device, int states);

// Samples an action from one row of log-probabilities (-inf = infeasible) with `u` uniform
// in [0, 1), by inverse CDF in double precision; greedy: the most probable action, the
// lowest index among ties. -1 when no action is feasible.
int64_t choose_action(const float* log_probs, int64_t n, bool greedy, double u);

// f(i) for i in [0, n) on up to `threads` threads (the caller is one of them); the first
// exception is rethrown once all have stopped.
void parallel_for(int n, int threads, const std::function<void(int)>& f);

// Distinct seeds for (seed, a, b, c) by SplitMix64 mixing.
uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0);

// The order of an iteration's sampled episodes, as (netlist, episode) pairs: rounds of up to
// `block` episodes of each netlist in turn. Ranks take contiguous shares of this list, and in
// netlist-major order one rank got the large chips and another the small ones; in rounds every
// share holds about as many episodes of each netlist. A block of a worker's environments
// (envs_per_worker) keeps each worker's batch one netlist's. block >= episodes: netlist-major.
std::vector<std::pair<int, int>> episode_order(int netlists, int episodes, int block);

}  // namespace rlplace::rl
