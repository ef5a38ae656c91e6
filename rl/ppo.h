// The PPO learner: one update per iteration from that iteration's fresh episodes. An update
// is: reward normalisation (normalized_rewards), sample building (build_samples), then for
// each epoch and minibatch the minibatch's tensors (make_minibatch), its loss (losses) and a
// gradient step (minibatch_step).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/optim/adam.h>

#include "gnn/model.h"
#include "rl/config.h"
#include "rl/rollout.h"

namespace rlplace::rl {

class Communicator;

// Running mean and second moment of one netlist's episode rewards.
struct RewardStats {
  double mean = 0, second = 0;
  int64_t episodes = 0;
  double deviation() const;
};

struct UpdateStats {
  double policy_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0, grad_norm = 0;
  double kl_beta = 0, learning_rate = 0;
  int64_t samples = 0, gradient_steps = 0;
};

// One step of one episode, with its return and advantage (return - value at collection).
struct Sample {
  int episode, step;
  double ret, advantage;
};

// Every step of every episode; `reward[i]` is episode i's (normalised) reward. Without
// `step_scale` it arrives at the last step and is discounted back. With it, episodes that
// have step_rewards are shaped: step t earns step_scale[i] * step_rewards[t] (the
// normalisation's 1/deviation) and the last step the rest of reward[i], so that an
// episode's steps still sum to its normalised reward. gae_lambda < 1: GAE(lambda)
// advantages bootstrapped on the collection-time values; 1: Monte Carlo.
std::vector<Sample> build_samples(const std::vector<Episode>& episodes, const std::vector<double>& reward,
                                  double discount, double gae_lambda = 1.0,
                                  const std::vector<double>* step_scale = nullptr);

// GAE(lambda) (Schulman et al. 2016) over one episode's step rewards: (returns, advantages)
// with returns = advantages + values and no value after the last step.
std::pair<std::vector<double>, std::vector<double>> gae(const std::vector<double>& rewards,
                                                        const std::vector<float>& values, double discount,
                                                        double lambda);

// Advantages of samples index[lo + k] (k < size), standardised within each group of k.
std::vector<float> standardized_advantages(const std::vector<Sample>& samples, const std::vector<int>& index,
                                           int64_t lo, const std::map<int, std::vector<int64_t>>& groups,
                                           int64_t size);

class PpoLearner {
 public:
  PpoLearner(gnn::PolicyValueNet net, const PpoConfig& config, torch::Device device);

  // One PPO update over every step of `episodes`, all of which must come from the current
  // policy version (throws std::logic_error otherwise). `fraction` in [0, 1] is the run's
  // progress, for the learning-rate schedule (negative: constant). Advances the version.
  UpdateStats update(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes, uint64_t seed,
                     double fraction);

  // Data-parallel updates (rl/distributed.h): from then on each rank passes its own share of
  // the iteration's episodes, every rank's in the order of one process's list, each a
  // contiguous block in rank order. The reward statistics, the minibatches (a permutation of
  // the global sample indices, the same on every rank), the advantage standardisation and
  // the KL coefficient are those one process would have; each rank differentiates the sum of
  // the losses of the minibatch samples it holds over the minibatch's global size, the
  // gradients are summed over the ranks, then clipped: the update equals one process's to
  // the rounding of the reduction. Self-imitation is not supported across ranks.
  void set_communicator(Communicator* comm) { comm_ = comm; }

  gnn::PolicyValueNet net() const { return net_; }
  int64_t version() const { return version_; }
  double kl_beta() const { return kl_beta_; }
  const std::map<std::string, RewardStats>& reward_stats() const { return reward_stats_; }
  // Self-imitation's episodes by task label, best first (empty when it is off).
  const std::map<std::string, std::vector<Episode>>& elite() const { return elite_; }

  // Episode rewards as the returns use them: raw ("minibatch"), or standardised by each
  // netlist's running statistics ("per_netlist"), which this updates (from every rank's
  // episodes, in one process's order).
  std::vector<double> normalized_rewards(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes);

  // The learner's state besides the weights, for resuming: version, KL beta, reward
  // statistics, self-imitation's episodes (JSON, exact), and Adam's moments (a torch archive, written atomically;
  // load_optimizer throws std::runtime_error naming the file for an unreadable file or
  // non-finite moments).
  std::string state_json() const;
  void restore_state_json(const std::string& text);
  void save_optimizer(const std::string& path) const;
  void load_optimizer(const std::string& path);
  // The same as bytes, for passing to other ranks; `name` names the source in errors.
  std::string optimizer_bytes() const;
  void load_optimizer_bytes(const std::string& bytes, const std::string& name);

  // The learning rate at progress `fraction` of the run.
  double learning_rate(double fraction) const;

 private:
  struct Minibatch {
    gnn::GraphBatch batch;
    torch::Tensor actions, old_log_probs, returns, advantages;
    int64_t global_size = 0;  // with a communicator: the minibatch's size over every rank
  };
  struct Losses {
    torch::Tensor ratio, policy, value, entropy, kl, total;
  };
  // Every rank's samples of one update, as far as the minibatches need them: the advantage
  // (in Sample::advantage) and netlist of each, in global order, and where this rank's are.
  struct Layout {
    const std::vector<Sample>* all = nullptr;
    std::vector<int> task;
    int64_t first = 0, mine = 0;
  };
  Layout layout(const std::vector<Episode>& episodes, const std::vector<Sample>& samples,
                std::vector<Sample>& gathered) const;
  void check_episodes(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes) const;
  // Samples ids (this rank's) with their standardised advantages, as tensors.
  Minibatch make_minibatch(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes,
                           const std::vector<Sample>& samples, const std::vector<int>& ids,
                           const std::vector<float>& advantages) const;
  // Global samples index[lo, hi): this rank's members, advantages standardised over all.
  Minibatch make_minibatch(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes,
                           const std::vector<Sample>& samples, const Layout& layout, const std::vector<int>& index,
                           int64_t lo, int64_t hi) const;
  Losses losses(const Minibatch& m);
  // One gradient step of every rank together (set_communicator).
  void shared_step(const Minibatch& m, UpdateStats& stats);
  void sum_gradients();
  // The KL coefficient's adaptation and the step's statistics, both kept on the device.
  void finish_step(const torch::Tensor& policy_value_entropy_kl_clip, const torch::Tensor& grad_norm,
                   UpdateStats& stats);
  // An optimizer archive from a file (`in_memory` false) or from bytes; `path` names it.
  void load_optimizer_from(const std::string& source, const std::string& path, bool in_memory = false);
  torch::Tensor self_imitation_loss(const Minibatch& m);
  // Self-imitation's replayed steps in one update: episodes (task indices of this update),
  // their samples and the order they are visited in.
  struct Replay {
    std::vector<Episode> episodes;
    std::vector<Sample> samples;
    std::vector<int> index;
  };
  void keep_elite(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes);
  Replay replay(const std::vector<const Task*>& tasks) const;
  // What each episode's step rewards are multiplied by to match its normalised reward;
  // null when rewards are not shaped.
  std::unique_ptr<std::vector<double>> step_scales(const std::vector<const Task*>& tasks,
                                                   const std::vector<Episode>& episodes) const;
  // One gradient step on the PPO minibatch `m` and, with self-imitation, the replayed one
  // (no actions: none this step).
  void minibatch_step(const Minibatch& m, const Minibatch& replayed, UpdateStats& stats);

  gnn::PolicyValueNet net_;
  PpoConfig config_;
  torch::Device device_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  int64_t version_ = 0;
  double kl_beta_;
  // During update(): kl_beta_ and the sums of the steps' statistics (and gradient norms) on
  // the device, read back once at its end.
  torch::Tensor beta_, step_sums_;
  std::map<std::string, RewardStats> reward_stats_;  // by task label
  std::map<std::string, std::vector<Episode>> elite_;  // by task label, best first
  Communicator* comm_ = nullptr;
  // During update() on a GPU: the tasks' static graph rows on the device.
  std::unique_ptr<gnn::StaticTensorCache> cache_;
};

}  // namespace rlplace::rl
