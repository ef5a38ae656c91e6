#include "rl/ppo.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include "netlists/io.h"
#include "netlists/json_number.h"
#include "rl/distributed.h"

namespace rlplace::rl {

double RewardStats::deviation() const { return std::sqrt(std::max(0.0, second - mean * mean)); }

namespace {

// Masks (0/1 bytes) as hex digits, four cells a digit, with the cell count in front.
std::string pack_bits(const std::vector<uint8_t>& bits) {
  static const char* kHex = "0123456789abcdef";
  std::string out = std::to_string(bits.size()) + ":";
  for (size_t i = 0; i < bits.size(); i += 4) {
    int d = 0;
    for (size_t b = 0; b < 4 && i + b < bits.size(); ++b) d |= (bits[i + b] ? 1 : 0) << b;
    out += kHex[d];
  }
  return out;
}

std::vector<uint8_t> unpack_bits(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("mask without its length");
  const size_t n = std::stoull(text.substr(0, colon));
  if (text.size() - colon - 1 != (n + 3) / 4) throw std::invalid_argument("mask of the wrong length");
  std::vector<uint8_t> bits(n);
  for (size_t i = 0; i < n; ++i) {
    const char c = text[colon + 1 + i / 4];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) throw std::invalid_argument("mask with a bad digit");
    bits[i] = (d >> (i % 4)) & 1;
  }
  return bits;
}

// What a netlist's rewards are divided by. The floor keeps a converged netlist's tiny
// differences from being blown up to unit scale: rewards are costs of order 1, so 1e-3 is
// already a fine distinction.
double reward_divisor(const RewardStats& st) { return std::max(st.deviation(), 1e-3); }

// Rewards standardised by a netlist's running statistics.
double standardized(const RewardStats& st, double reward) { return (reward - st.mean) / reward_divisor(st); }

}  // namespace

PpoLearner::PpoLearner(gnn::PolicyValueNet net, const PpoConfig& config, torch::Device device)
    : net_(std::move(net)), config_(config), device_(device), kl_beta_(config.kl_beta) {
  net_->to(device_);
  optimizer_ = std::make_unique<torch::optim::Adam>(
      net_->parameters(), torch::optim::AdamOptions(config_.learning_rate).eps(config_.adam_eps));
}

double PpoLearner::learning_rate(double fraction) const {
  if (config_.lr_schedule == "constant" || fraction < 0) return config_.learning_rate;
  const double f = std::clamp(fraction, 0.0, 1.0);
  const double cosine = 0.5 * (1 + std::cos(M_PI * f));
  return config_.learning_rate * ((1 - config_.cosine_alpha) * cosine + config_.cosine_alpha);
}

std::pair<std::vector<double>, std::vector<double>> gae(const std::vector<double>& rewards,
                                                        const std::vector<float>& values, double discount,
                                                        double lambda) {
  const int T = static_cast<int>(rewards.size());
  std::vector<double> ret(T), adv(T);
  double a = 0;
  for (int t = T - 1; t >= 0; --t) {
    const double next = t + 1 < T ? values[t + 1] : 0.0;
    a = rewards[t] + discount * next - values[t] + discount * lambda * a;
    adv[t] = a;
    ret[t] = a + values[t];
  }
  return {ret, adv};
}

std::vector<Sample> build_samples(const std::vector<Episode>& episodes, const std::vector<double>& reward,
                                  double discount, double gae_lambda, const std::vector<double>* step_scale) {
  std::vector<Sample> samples;
  std::vector<double> r;
  for (size_t i = 0; i < episodes.size(); ++i) {
    const Episode& e = episodes[i];
    const int T = e.steps();
    const bool shaped = step_scale && static_cast<int>(e.step_rewards.size()) == T;
    if (!shaped && gae_lambda == 1) {  // Circuit Training's returns, bit for bit
      for (int t = 0; t < T; ++t) {
        const double ret = std::pow(discount, T - 1 - t) * reward[i];
        samples.push_back({static_cast<int>(i), t, ret, ret - e.values[t]});
      }
      continue;
    }
    r.assign(T, 0.0);
    double sum = 0;
    for (int t = 0; shaped && t + 1 < T; ++t) sum += r[t] = (*step_scale)[i] * e.step_rewards[t];
    if (T > 0) r[T - 1] = reward[i] - sum;  // the normalisation's mean is taken off once
    if (gae_lambda == 1) {
      double g = 0;
      for (int t = T - 1; t >= 0; --t) r[t] = g = r[t] + discount * g;
      for (int t = 0; t < T; ++t) samples.push_back({static_cast<int>(i), t, r[t], r[t] - e.values[t]});
    } else {
      const auto [ret, adv] = gae(r, e.values, discount, gae_lambda);
      for (int t = 0; t < T; ++t) samples.push_back({static_cast<int>(i), t, ret[t], adv[t]});
    }
  }
  return samples;
}

std::vector<float> standardized_advantages(const std::vector<Sample>& samples, const std::vector<int>& index,
                                           int64_t lo, const std::map<int, std::vector<int64_t>>& groups,
                                           int64_t size) {
  std::vector<float> advantages(size, 0.f);
  for (const auto& [task, members] : groups) {
    double sum = 0, sq = 0;
    for (int64_t k : members) sum += samples[index[lo + k]].advantage;
    const double mean = sum / members.size();
    for (int64_t k : members) sq += std::pow(samples[index[lo + k]].advantage - mean, 2);
    const double sd = std::sqrt(sq / members.size());
    for (int64_t k : members) advantages[k] = static_cast<float>((samples[index[lo + k]].advantage - mean) / (sd + 1e-8));
  }
  return advantages;
}

void PpoLearner::check_episodes(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes) const {
  for (const Episode& e : episodes) {
    if (e.policy_version != version_)
      throw std::logic_error(fmt::format("PPO update: an episode of policy version {} reached the learner at version {}",
                                         e.policy_version, version_));
    if (e.task < 0 || e.task >= static_cast<int>(tasks.size()))
      throw std::logic_error(fmt::format("PPO update: episode of unknown task {}", e.task));
  }
}

// Rewards on one scale per netlist. Without this a netlist whose costs are simply larger
// than another's gets negative advantages everywhere, the value head spends itself on
// telling netlists apart, and the minibatch statistics are those of the mixture: the
// reason multi-netlist training in Circuit Training stalls.
std::vector<double> PpoLearner::normalized_rewards(const std::vector<const Task*>& tasks,
                                                   const std::vector<Episode>& episodes) {
  std::vector<double> reward(episodes.size());
  for (size_t i = 0; i < episodes.size(); ++i) reward[i] = episodes[i].reward;
  if (config_.normalization != "per_netlist") return reward;
  // (task, reward) of every episode of the update: with several ranks, every rank's, in one
  // process's order, so that the statistics are that process's to the last bit.
  std::vector<double> pairs;
  for (const Episode& e : episodes) pairs.insert(pairs.end(), {static_cast<double>(e.task), e.reward});
  if (comm_) pairs = comm_->gather(pairs);
  std::map<int, std::pair<double, double>> sums;  // task -> (sum, sum of squares)
  std::map<int, int> counts;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    const int task = static_cast<int>(pairs[i]);
    const double r = pairs[i + 1];
    sums[task].first += r;
    sums[task].second += r * r;
    ++counts[task];
  }
  for (const auto& [task, s] : sums) {
    RewardStats& st = reward_stats_[tasks[task]->label];
    const double n = counts[task], m = s.first / n, sq = s.second / n;
    if (st.episodes == 0) {
      st.mean = m;
      st.second = sq;
    } else {
      const double d = config_.reward_stats_decay;
      st.mean = d * st.mean + (1 - d) * m;
      st.second = d * st.second + (1 - d) * sq;
    }
    st.episodes += counts[task];
  }
  for (size_t i = 0; i < episodes.size(); ++i) {
    const RewardStats& st = reward_stats_[tasks[episodes[i].task]->label];
    reward[i] = standardized(st, episodes[i].reward);
  }
  return reward;
}

namespace {

// A step's policy, value, entropy, KL and clip-fraction statistics as one device tensor, so
// that reading them waits on the device once, not five times. The clip fraction is the
// minibatch's mean in one process (`global_size` 1), else this rank's count over `global_size`.
torch::Tensor step_statistics(const torch::Tensor& policy, const torch::Tensor& value, const torch::Tensor& entropy,
                              const torch::Tensor& kl, const torch::Tensor& clipped, double global_size) {
  const torch::Tensor c = clipped.to(torch::kFloat64);
  return torch::stack({policy.to(torch::kFloat64), value.to(torch::kFloat64), entropy.to(torch::kFloat64),
                       kl.to(torch::kFloat64), global_size == 1.0 ? c.mean() : c.sum() / global_size});
}

// Clips the gradients' global 2-norm to `max_norm` as torch::nn::utils::clip_grad_norm_
// does, op for op, but returns the norm as a device tensor: LibTorch's returns a double, which
// makes the host wait for the device at every gradient step.
torch::Tensor clip_gradients(const std::vector<torch::Tensor>& params, double max_norm, torch::Device device) {
  std::vector<torch::Tensor> norms;
  for (const torch::Tensor& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm(2));
  if (norms.empty()) return torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  const torch::Tensor total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  const torch::Tensor coef = torch::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& p : params)
    if (p.grad().defined()) p.grad().mul_(coef);
  return total;
}

std::vector<double> to_host(const torch::Tensor& t) {
  const torch::Tensor h = t.to(torch::kCPU).contiguous();
  return std::vector<double>(h.data_ptr<double>(), h.data_ptr<double>() + h.numel());
}

// Where each sample of `samples` (all of them this process's) comes from.
std::vector<int> sample_tasks(const std::vector<Episode>& episodes, const std::vector<Sample>& samples) {
  std::vector<int> task;
  for (const Sample& s : samples) task.push_back(episodes[s.episode].task);
  return task;
}

}  // namespace

// One process: its samples. Several ranks: every rank's advantages and netlists, gathered
// in rank order, which is the order one process would have built them in.
PpoLearner::Layout PpoLearner::layout(const std::vector<Episode>& episodes, const std::vector<Sample>& samples,
                                      std::vector<Sample>& gathered) const {
  Layout l;
  l.mine = static_cast<int64_t>(samples.size());
  if (!comm_) {
    l.all = &samples;
    l.task = sample_tasks(episodes, samples);
    return l;
  }
  std::vector<double> counts(comm_->size(), 0.0), local;
  counts[comm_->rank()] = static_cast<double>(samples.size());
  counts = comm_->sum(counts);
  for (int r = 0; r < comm_->rank(); ++r) l.first += static_cast<int64_t>(counts[r]);
  for (const Sample& s : samples) local.insert(local.end(), {static_cast<double>(episodes[s.episode].task), s.advantage});
  const std::vector<double> all = comm_->gather(local);
  gathered.assign(all.size() / 2, Sample{-1, -1, 0, 0});
  l.task.resize(gathered.size());
  for (size_t k = 0; k < gathered.size(); ++k) {
    l.task[k] = static_cast<int>(all[2 * k]);
    gathered[k].advantage = all[2 * k + 1];
  }
  l.all = &gathered;
  return l;
}

UpdateStats PpoLearner::update(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes,
                               uint64_t seed, double fraction) {
  check_episodes(tasks, episodes);
  if (comm_ && config_.self_imitation_coef > 0)
    throw std::logic_error("PPO update: self-imitation is not supported across ranks");
  // On a GPU, each netlist's static graph rows are uploaded once per update instead of with
  // every minibatch (7 to 24 times faster batches on the H200, docs/benchmarks.md). Scoped to
  // the update because the cache is keyed by the tasks' addresses, which only this call pins.
  struct CacheScope {
    std::unique_ptr<gnn::StaticTensorCache>& cache;
    ~CacheScope() { cache.reset(); }
  } cache_scope{cache_};
  if (!device_.is_cpu()) cache_ = std::make_unique<gnn::StaticTensorCache>(net_->config().grid, device_);
  const std::vector<double> reward = normalized_rewards(tasks, episodes);
  const std::vector<Sample> samples =
      build_samples(episodes, reward, config_.discount, config_.gae_lambda, step_scales(tasks, episodes).get());
  UpdateStats stats;
  stats.learning_rate = learning_rate(fraction);
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(stats.learning_rate);
  std::vector<Sample> gathered;
  const Layout lay = layout(episodes, samples, gathered);
  stats.samples = static_cast<int64_t>(lay.all->size());
  if (stats.samples == 0) {
    ++version_;
    stats.kl_beta = kl_beta_;
    return stats;
  }
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device_);
  beta_ = torch::full({}, kl_beta_, f64);
  step_sums_ = torch::zeros({6}, f64);
  net_->train();
  Replay r;
  if (config_.self_imitation_coef > 0) {
    keep_elite(tasks, episodes);
    r = replay(tasks);
  }
  std::mt19937_64 rng(seed);
  // Its own stream, so that the PPO minibatches are those of a run without self-imitation.
  std::mt19937_64 replay_rng(mix_seed(seed, 0x5e1f));
  const int64_t n = stats.samples, nr = static_cast<int64_t>(r.samples.size());
  const int64_t minibatches = std::max<int64_t>(1, (n + config_.minibatch - 1) / config_.minibatch);
  Layout replayed;
  if (nr > 0) {
    replayed.all = &r.samples;
    replayed.task = sample_tasks(r.episodes, r.samples);
    replayed.mine = nr;
  }
  std::vector<int> index(lay.all->size());
  for (int epoch = 0; epoch < config_.epochs; ++epoch) {
    std::iota(index.begin(), index.end(), 0);
    std::shuffle(index.begin(), index.end(), rng);
    std::shuffle(r.index.begin(), r.index.end(), replay_rng);
    // Nearly equal minibatches rather than a runt at the end; the replayed steps are spread
    // over them, each once an epoch. (Building the next minibatch on a second thread during
    // a step was measured on the H200 and not kept: docs/benchmarks.md.)
    for (int64_t mb = 0; mb < minibatches; ++mb) {
      const Minibatch m =
          make_minibatch(tasks, episodes, samples, lay, index, n * mb / minibatches, n * (mb + 1) / minibatches);
      const int64_t rlo = nr * mb / minibatches, rhi = nr * (mb + 1) / minibatches;
      minibatch_step(m, rhi > rlo ? make_minibatch(tasks, r.episodes, r.samples, replayed, r.index, rlo, rhi) : Minibatch{},
                     stats);
    }
  }
  // The update's one wait for the device.
  const std::vector<double> sums = to_host(step_sums_);
  kl_beta_ = beta_.item<double>();
  const double steps = static_cast<double>(stats.gradient_steps);
  stats.policy_loss = sums[0] / steps;
  stats.value_loss = sums[1] / steps;
  stats.entropy = sums[2] / steps;
  stats.approx_kl = sums[3] / steps;
  stats.clip_fraction = sums[4] / steps;
  stats.grad_norm = sums[5] / steps;
  stats.kl_beta = kl_beta_;
  net_->eval();
  ++version_;
  return stats;
}

// The samples of global minibatch index[lo, hi) this rank holds (all of them in one
// process), with advantages standardised within the whole minibatch (per netlist or over all
// of it).
PpoLearner::Minibatch PpoLearner::make_minibatch(const std::vector<const Task*>& tasks,
                                                 const std::vector<Episode>& episodes,
                                                 const std::vector<Sample>& samples, const Layout& lay,
                                                 const std::vector<int>& index, int64_t lo, int64_t hi) const {
  const int64_t B = hi - lo;
  std::map<int, std::vector<int64_t>> by_task;
  const bool per_netlist = config_.normalization == "per_netlist";
  for (int64_t k = 0; k < B; ++k) by_task[per_netlist ? lay.task[index[lo + k]] : 0].push_back(k);
  const std::vector<float> all = standardized_advantages(*lay.all, index, lo, by_task, B);
  std::vector<int> ids;
  std::vector<float> advantages;
  for (int64_t k = 0; k < B; ++k) {
    const int64_t g = index[lo + k];
    if (g < lay.first || g >= lay.first + lay.mine) continue;
    ids.push_back(static_cast<int>(g - lay.first));
    advantages.push_back(all[k]);
  }
  Minibatch m;
  if (!ids.empty()) m = make_minibatch(tasks, episodes, samples, ids, advantages);
  m.global_size = B;
  return m;
}

// The tensors of samples `ids`: states as one graph batch, actions, old log-probabilities,
// returns, and the given advantages.
PpoLearner::Minibatch PpoLearner::make_minibatch(const std::vector<const Task*>& tasks,
                                                 const std::vector<Episode>& episodes,
                                                 const std::vector<Sample>& samples, const std::vector<int>& ids,
                                                 const std::vector<float>& advantages) const {
  const int64_t B = static_cast<int64_t>(ids.size());
  std::vector<gnn::DynamicFeatures> states(B);
  // Replaying the states is most of a step's host time (each copies its mask and cost maps),
  // and at large minibatches it outlasts the device's forward and backward.
  at::parallel_for(0, B, 8, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const Sample& s = samples[ids[k]];
      const Episode& e = episodes[s.episode];
      state_at(*tasks[e.task], e, s.step, states[k]);
    }
  });
  std::vector<gnn::StateRef> refs;
  std::vector<int64_t> actions;
  std::vector<float> old_lp, returns;
  for (int64_t k = 0; k < B; ++k) {
    const Sample& s = samples[ids[k]];
    const Episode& e = episodes[s.episode];
    const Task& task = *tasks[e.task];
    refs.push_back({&task.features, &states[k]});
    actions.push_back(e.actions[s.step]);
    old_lp.push_back(e.log_probs[s.step]);
    returns.push_back(static_cast<float>(s.ret));
  }
  auto to_dev = [&](const torch::Tensor& t) { return gnn::upload(t, device_); };
  return {cache_ ? gnn::make_batch(refs, *cache_) : gnn::make_batch(refs, net_->config().grid, device_), to_dev(torch::tensor(actions, torch::kInt64)).unsqueeze(1),
          to_dev(torch::tensor(old_lp)), to_dev(torch::tensor(returns)), to_dev(torch::tensor(advantages))};
}

PpoLearner::Losses PpoLearner::losses(const Minibatch& m) {
  gnn::PolicyOutput out = net_->forward(m.batch);
  // One process: means over the minibatch. Several ranks: this rank's share of them, its
  // sum over the minibatch's global size; the shares' gradients add up to the mean's.
  auto mean = [&](const torch::Tensor& t) { return comm_ ? t.sum() / static_cast<double>(m.global_size) : t.mean(); };
  Losses l;
  torch::Tensor lp = out.log_probs.gather(1, m.actions).squeeze(1);
  torch::Tensor log_ratio = lp - m.old_log_probs;
  l.ratio = torch::exp(log_ratio);
  torch::Tensor surrogate =
      torch::min(l.ratio * m.advantages, torch::clamp(l.ratio, 1 - config_.clip, 1 + config_.clip) * m.advantages);
  l.policy = -mean(surrogate);
  l.value = config_.value_coef * mean((m.returns - out.value).square());
  l.entropy = mean(gnn::entropy(out.log_probs));
  l.kl = mean((l.ratio - 1) - log_ratio);
  l.total = l.policy + l.value - config_.entropy_coef * l.entropy;
  // Across ranks the penalty needs the global KL first (shared_step).
  if (config_.adaptive_kl && !comm_) {
    const double cutoff = config_.kl_cutoff_factor * config_.kl_target;
    l.total = l.total + beta_.to(torch::kFloat32) * l.kl + config_.kl_cutoff_coef * torch::relu(l.kl - cutoff).square();
  }
  return l;
}

// Imitation of the replayed actions where they did better than the value head expects,
// and the value pulled up to their returns; zero once the policy reaches them reliably.
torch::Tensor PpoLearner::self_imitation_loss(const Minibatch& m) {
  gnn::PolicyOutput out = net_->forward(m.batch);
  torch::Tensor lp = out.log_probs.gather(1, m.actions).squeeze(1);
  torch::Tensor gap = torch::relu(m.returns - out.value);
  return -(lp * gap.detach()).mean() + config_.value_coef * 0.5 * gap.square().mean();
}

// Merges this update's feasible episodes into each netlist's best ones: the best distinct
// action sequences by raw reward, earlier ones first among equals.
void PpoLearner::keep_elite(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes) {
  for (const Episode& e : episodes) {
    if (e.infeasible) continue;
    std::vector<Episode>& kept = elite_[tasks[e.task]->label];
    bool seen = false;
    for (const Episode& k : kept) seen = seen || k.actions == e.actions;
    if (seen) continue;
    const auto at = std::find_if(kept.begin(), kept.end(), [&](const Episode& k) { return e.reward > k.reward; });
    if (at == kept.end() && static_cast<int>(kept.size()) >= config_.self_imitation_episodes) continue;
    // Only what replaying needs (state_at, the action, the reward), so that the copy
    // restored from the state file is the same.
    Episode copy;
    copy.cells = e.cells;
    copy.actions = e.actions;
    copy.masks = e.masks;
    copy.cost_maps = e.cost_maps;  // not in the state file: rebuilt from the cells on resume
    copy.x = e.x;
    copy.y = e.y;
    copy.reward = e.reward;
    copy.step_rewards = e.step_rewards;
    copy.log_probs.assign(e.actions.size(), 0.f);
    copy.values.assign(e.actions.size(), 0.f);
    kept.insert(at, std::move(copy));
    if (static_cast<int>(kept.size()) > config_.self_imitation_episodes) kept.pop_back();
  }
  // Episodes restored from a state file come without their cost maps.
  if (net_->config().cost_maps)
    for (const Task* t : tasks)
      if (auto it = elite_.find(t->label); it != elite_.end())
        for (Episode& e : it->second)
          if (e.cost_maps.empty()) replay_cost_maps(*t, e, net_->config().cost_map_channels());
}

std::unique_ptr<std::vector<double>> PpoLearner::step_scales(const std::vector<const Task*>& tasks,
                                                             const std::vector<Episode>& episodes) const {
  if (config_.reward_shaping == "none") return nullptr;
  auto scale = std::make_unique<std::vector<double>>(episodes.size(), 1.0);
  if (config_.normalization == "per_netlist")
    for (size_t i = 0; i < episodes.size(); ++i)
      (*scale)[i] = 1 / reward_divisor(reward_stats_.at(tasks[episodes[i].task]->label));
  return scale;
}

// The kept episodes of this update's netlists, their rewards normalised as the returns are.
PpoLearner::Replay PpoLearner::replay(const std::vector<const Task*>& tasks) const {
  Replay r;
  std::vector<double> reward;
  for (size_t k = 0; k < tasks.size(); ++k) {
    const auto it = elite_.find(tasks[k]->label);
    if (it == elite_.end()) continue;
    for (const Episode& e : it->second) {
      r.episodes.push_back(e);
      r.episodes.back().task = static_cast<int>(k);
      double R = e.reward;
      if (config_.normalization == "per_netlist") {
        R = standardized(reward_stats_.at(tasks[k]->label), R);
      }
      reward.push_back(R);
    }
  }
  // Monte Carlo whatever gae_lambda is: the kept episodes' values are not kept.
  r.samples = build_samples(r.episodes, reward, config_.discount, 1.0, step_scales(tasks, r.episodes).get());
  r.index.resize(r.samples.size());
  std::iota(r.index.begin(), r.index.end(), 0);
  return r;
}

// One gradient step; adapts the KL coefficient and adds to `stats`.
void PpoLearner::minibatch_step(const Minibatch& m, const Minibatch& replayed, UpdateStats& stats) {
  if (comm_) return shared_step(m, stats);
  const Losses l = losses(m);
  torch::Tensor total = l.total;
  if (replayed.actions.defined()) total = total + config_.self_imitation_coef * self_imitation_loss(replayed);
  optimizer_->zero_grad();
  total.backward();
  const torch::Tensor norm = clip_gradients(net_->parameters(), config_.grad_clip, device_);
  optimizer_->step();
  finish_step(step_statistics(l.policy, l.value, l.entropy, l.kl, (l.ratio - 1).abs() > config_.clip, 1.0), norm, stats);
}

// Every rank's share of the minibatch's losses is summed before the backward pass: the KL
// coefficient and the cutoff penalty need the global KL. Each rank then differentiates its
// share, the gradients are summed, and the sum is clipped and applied alike on every rank.
void PpoLearner::shared_step(const Minibatch& m, UpdateStats& stats) {
  const bool holds = m.actions.defined();  // a rank may hold none of a minibatch's samples
  Losses l;
  torch::Tensor global = torch::zeros({5}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  if (holds) {
    l = losses(m);
    global = step_statistics(l.policy, l.value, l.entropy, l.kl, (l.ratio - 1).abs() > config_.clip,
                             static_cast<double>(m.global_size));
  }
  comm_->sum(global);  // on the device with NCCL: the host does not wait
  optimizer_->zero_grad();
  if (holds) {
    torch::Tensor total = l.total;
    if (config_.adaptive_kl) {
      // d/dθ c relu(K - cutoff)^2 = 2 c relu(K - cutoff) dK/dθ, K the sum of the ranks' shares.
      const double cutoff = config_.kl_cutoff_factor * config_.kl_target;
      const torch::Tensor penalty = config_.kl_cutoff_coef * 2 * torch::relu(global[3] - cutoff);
      total = total + beta_.to(torch::kFloat32) * l.kl + penalty.to(torch::kFloat32) * l.kl;
    }
    total.backward();
  }
  sum_gradients();
  const torch::Tensor norm = clip_gradients(net_->parameters(), config_.grad_clip, device_);
  optimizer_->step();
  finish_step(global, norm, stats);
}

// The sum over the ranks of every parameter's gradient, in one reduction.
void PpoLearner::sum_gradients() {
  std::vector<torch::Tensor> params = net_->parameters(), flat;
  for (torch::Tensor& p : params) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    flat.push_back(p.grad().reshape(-1));
  }
  torch::Tensor all = torch::cat(flat);
  comm_->sum(all);
  int64_t at = 0;
  for (torch::Tensor& p : params) {
    p.mutable_grad().copy_(all.slice(0, at, at + p.numel()).view_as(p));
    at += p.numel();
  }
}

// On the device: the next step's loss needs the coefficient, and reading it on the host
// would make the host wait for this step before it can queue the next.
void PpoLearner::finish_step(const torch::Tensor& v, const torch::Tensor& norm, UpdateStats& stats) {
  torch::NoGradGuard no_grad;
  if (config_.adaptive_kl) {
    const torch::Tensor kl = v[3];
    beta_ = torch::where(kl < config_.kl_target * (1 - config_.kl_tolerance), beta_ / 1.5,
                         torch::where(kl > config_.kl_target * (1 + config_.kl_tolerance), beta_ * 1.5, beta_))
                .clamp_min(1e-15);
  }
  step_sums_ += torch::cat({v, norm.to(torch::kFloat64).reshape({1})});
  ++stats.gradient_steps;
}

std::string PpoLearner::state_json() const {
  nlohmann::json stats = nlohmann::json::object();
  for (const auto& [label, s] : reward_stats_)
    stats[label] = {{"mean", s.mean}, {"second", s.second}, {"episodes", s.episodes}};
  nlohmann::json elite = nlohmann::json::object();
  for (const auto& [label, kept] : elite_) {
    nlohmann::json a = nlohmann::json::array();
    for (const Episode& e : kept) {
      a.push_back({{"reward", e.reward}, {"cells", e.cells}, {"actions", e.actions}, {"x", e.x}, {"y", e.y},
                   {"masks", pack_bits(e.masks)}});
      if (!e.step_rewards.empty()) a.back()["step_rewards"] = e.step_rewards;  // unshaped states as before
    }
    elite[label] = a;
  }
  nlohmann::json j = {{"version", version_}, {"kl_beta", kl_beta_}, {"reward_stats", stats}, {"elite", elite}};
  return j.dump();
}

void PpoLearner::restore_state_json(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  version_ = json_number<int64_t>(j.at("version"));
  kl_beta_ = json_number<double>(j.at("kl_beta"));
  reward_stats_.clear();
  for (const auto& [label, s] : j.at("reward_stats").items())
    reward_stats_[label] = {json_number<double>(s.at("mean")), json_number<double>(s.at("second")),
                            json_number<int64_t>(s.at("episodes"))};
  elite_.clear();
  if (j.contains("elite"))  // states written before self-imitation have none
    for (const auto& [label, kept] : j.at("elite").items())
      for (const auto& k : kept) {
        Episode e;
        e.reward = json_number<double>(k.at("reward"));
        e.cells = k.at("cells").get<std::vector<int32_t>>();
        e.actions = k.at("actions").get<std::vector<int32_t>>();
        e.x = k.at("x").get<std::vector<float>>();
        e.y = k.at("y").get<std::vector<float>>();
        e.masks = unpack_bits(k.at("masks").get<std::string>());
        if (k.contains("step_rewards")) e.step_rewards = k.at("step_rewards").get<std::vector<double>>();
        e.log_probs.assign(e.actions.size(), 0.f);
        e.values.assign(e.actions.size(), 0.f);
        elite_[label].push_back(std::move(e));
      }
}

std::string PpoLearner::optimizer_bytes() const {
  torch::serialize::OutputArchive archive;
  optimizer_->save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

void PpoLearner::save_optimizer(const std::string& path) const {
  // Through the project's atomic write (flushed, fsync'ed, renamed): a full disk leaves the
  // previous file whole and no partial temporary behind.
  write_file_atomic(path, optimizer_bytes());
}

void PpoLearner::load_optimizer(const std::string& path) { load_optimizer_from(path, path); }

void PpoLearner::load_optimizer_bytes(const std::string& bytes, const std::string& name) {
  load_optimizer_from(bytes, name, true);
}

void PpoLearner::load_optimizer_from(const std::string& source, const std::string& path, bool in_memory) {
  torch::serialize::InputArchive archive;
  try {
    if (in_memory) {
      std::istringstream in(source);
      archive.load_from(in, device_);
    } else {
      archive.load_from(source, device_);
    }
    optimizer_->load(archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error(fmt::format("{}: not an optimizer state file", path));
  }
  // Adam's moments: a corrupt file that still parses must not reach the next update.
  for (const auto& [key, state] : optimizer_->state()) {
    const auto& adam = static_cast<const torch::optim::AdamParamState&>(*state);
    for (const torch::Tensor* t : {&adam.exp_avg(), &adam.exp_avg_sq()})
      if (t->defined() && !torch::isfinite(*t).all().item<bool>())
        throw std::runtime_error(fmt::format("{}: corrupt optimizer state: non-finite moments", path));
  }
}

}  // namespace rlplace::rl
