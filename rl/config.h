// Everything a training run is configured by, as one JSON document (`--config FILE.json`,
// and the copy a run keeps in its state file so that `--resume` cannot silently change it).
// Free of LibTorch so that tools can read and validate it cheaply.
#pragma once

#include <cstdint>
#include <string>

#include "gnn/config.h"
#include "placer/env.h"

namespace rlplace::rl {

// PPO as Circuit Training runs it; the defaults are its values unless a comment says why not.
struct PpoConfig {
  double clip = 0.2;             // importance-ratio clipping
  // Circuit Training's 0.01 lets the policy collapse before it finds the optimum of the
  // 3-macro netlist in 3 of 5 seeds; 0.1 keeps it for 5 of 5 (docs/training.md).
  double entropy_coef = 0.1;
  double value_coef = 0.5;
  double discount = 1.0;         // the reward arrives at the last step
  // Who earns the reward: "none" (Circuit Training: all of it at the last step) or
  // "potential": each step earns the change in the negated weighted cost of the partial
  // placement, the last step the rest (Ng et al. 1999: the optimum is kept). With discount
  // 1 and gae_lambda 1 the returns are those of "none" less a per-step baseline; credit
  // moves only with discount < 1 or gae_lambda < 1 (docs/training.md, "Shaped rewards").
  std::string reward_shaping = "none";
  // GAE(lambda) advantages from the collection-time values; 1 is Monte Carlo (return - value).
  double gae_lambda = 1.0;
  // Circuit Training's 4e-3 goes with minibatches of 1,024 steps over 8 GPUs; with 128
  // the policy collapses onto a local optimum within a few iterations (docs/training.md).
  double learning_rate = 3e-4;
  // "constant", or "cosine": from learning_rate down to cosine_alpha * learning_rate over
  // schedule_iterations. Part of the configuration rather than taken from --iterations so
  // that a run resumed with another iteration target keeps its schedule. (Circuit Training
  // decays over 1e9 iterations by default, which is constant in practice.)
  std::string lr_schedule = "constant";
  double cosine_alpha = 0.1;
  int64_t schedule_iterations = 0;
  double adam_eps = 1e-5;
  double grad_clip = 1.0;        // global gradient norm
  int epochs = 4;                // passes over each iteration's steps
  int minibatch = 128;           // steps per gradient step
  // Circuit Training's adaptive KL penalty. The KL is estimated from the sampled actions
  // ((r - 1) - log r, r the probability ratio) because episodes keep only the log
  // probability of the action taken, not the 16,384 of every step.
  bool adaptive_kl = true;
  double kl_beta = 1.0, kl_target = 0.01, kl_tolerance = 0.3, kl_cutoff_factor = 2.0, kl_cutoff_coef = 1000;
  // How rewards and advantages are made comparable: "per_netlist" (each netlist's rewards
  // standardised by its own running mean and deviation, then advantages standardised per
  // netlist within each minibatch) or "minibatch" (Circuit Training: raw rewards,
  // advantages standardised over the whole minibatch).
  std::string normalization = "per_netlist";
  double reward_stats_decay = 0.9;  // weight of the past in the running reward statistics
  // Self-imitation (Oh et al. 2018): each netlist's best distinct episodes so far are
  // replayed every update with the loss -log pi(a|s) max(R - V(s), 0) (plus the value
  // term max(R - V(s), 0)^2 / 2 at value_coef), weighted by self_imitation_coef; 0 is
  // plain PPO. A best-so-far anchor: without it the policy finds the optimum of small
  // netlists and then drifts off it (docs/training.md).
  double self_imitation_coef = 0;
  int self_imitation_episodes = 4;  // kept per netlist
};

struct TrainConfig {
  PpoConfig ppo;
  gnn::GnnConfig gnn;
  // Per training netlist. 32, not 16: with the cost maps the 3-macro test netlist settled on
  // a local optimum for 2 of 5 seeds at 16 and kept the optimum for 5 of 5 at 32
  // (docs/training.md).
  int episodes_per_iteration = 32;
  // The environment's options: reward weights (env.reward_weights, a CostWeights: reward =
  // -(w * wirelength + d * density + c * congestion), -4 when macros do not fit), macro
  // spacing, and whether the force-directed solver runs at the end of each episode. In JSON
  // as the top-level fields reward_wirelength_weight, reward_density_weight,
  // reward_congestion_weight, infeasible_reward, macro_spacing and run_fd, as before (the
  // solver's own options, env.fd, are not part of the configuration: the trainer picks them
  // per netlist).
  EnvOptions env;
  int envs_per_worker = 1;           // environments each worker steps together (one batched forward)
  // How collection evaluates the policy (rl/rollout.h): "per_worker", "central" (one batch
  // of every environment per step), or "auto": central on a GPU, per worker on the CPU.
  std::string inference = "auto";
  int learner_threads = 0;           // LibTorch threads for learning; 0: all cores
  std::string device = "cpu";        // learner and policy evaluations
  int eval_every = 1;                // greedy episode on every netlist every N iterations

  // Whether collection on `device` runs central inference.
  bool central_inference() const;

  void validate() const;              // throws std::invalid_argument naming the field
  std::string to_json() const;        // every field
  // Fields missing from `text` keep the values of `base`; unknown fields are errors.
  static TrainConfig from_json(const std::string& text, const TrainConfig& base);
  static TrainConfig from_json(const std::string& text);
};

}  // namespace rlplace::rl
