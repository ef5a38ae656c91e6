#include "rl/ppo.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/nn/utils/clip_grad.h>
#include <torch/serialize.h>

namespace rlplace::rl {

double RewardStats::deviation() const { return std::sqrt(std::max(0.0, second - mean * mean)); }

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

namespace {

struct Sample {
  int episode, step;
  double ret, advantage;
};

}  // namespace

UpdateStats PpoLearner::update(const std::vector<const Task*>& tasks, const std::vector<Episode>& episodes,
                               uint64_t seed, double fraction) {
  for (const Episode& e : episodes) {
    if (e.policy_version != version_)
      throw std::logic_error(fmt::format("PPO update: an episode of policy version {} reached the learner at version {}",
                                         e.policy_version, version_));
    if (e.task < 0 || e.task >= static_cast<int>(tasks.size()))
      throw std::logic_error(fmt::format("PPO update: episode of unknown task {}", e.task));
  }
  const bool per_netlist = config_.normalization == "per_netlist";

  // Rewards on one scale per netlist. Without this a netlist whose costs are simply larger
  // than another's gets negative advantages everywhere, the value head spends itself on
  // telling netlists apart, and the minibatch statistics are those of the mixture: the
  // reason multi-netlist training in Circuit Training stalls.
  std::vector<double> reward(episodes.size());
  for (size_t i = 0; i < episodes.size(); ++i) reward[i] = episodes[i].reward;
  if (per_netlist) {
    std::map<int, std::pair<double, double>> sums;  // task -> (sum, sum of squares)
    std::map<int, int> counts;
    for (const Episode& e : episodes) {
      sums[e.task].first += e.reward;
      sums[e.task].second += e.reward * e.reward;
      ++counts[e.task];
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
      // The floor keeps a converged netlist's tiny differences from being blown up to unit
      // scale: rewards are costs of order 1, so 1e-3 is already a fine distinction.
      reward[i] = (episodes[i].reward - st.mean) / std::max(st.deviation(), 1e-3);
    }
  }

  std::vector<Sample> samples;
  for (size_t i = 0; i < episodes.size(); ++i) {
    const Episode& e = episodes[i];
    const int T = e.steps();
    for (int t = 0; t < T; ++t) {
      const double ret = std::pow(config_.discount, T - 1 - t) * reward[i];
      samples.push_back({static_cast<int>(i), t, ret, ret - e.values[t]});
    }
  }
  UpdateStats stats;
  stats.learning_rate = learning_rate(fraction);
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(stats.learning_rate);
  stats.samples = static_cast<int64_t>(samples.size());
  if (samples.empty()) {
    ++version_;
    stats.kl_beta = kl_beta_;
    return stats;
  }

  net_->train();
  std::mt19937_64 rng(seed);
  std::vector<int> index(samples.size());
  const int64_t n = static_cast<int64_t>(samples.size());
  const int64_t minibatches = std::max<int64_t>(1, (n + config_.minibatch - 1) / config_.minibatch);
  const int G = net_->config().grid;
  std::vector<gnn::DynamicFeatures> states;
  std::vector<gnn::StateRef> refs;
  std::vector<int64_t> actions;
  std::vector<float> old_lp, returns, advantages;

  for (int epoch = 0; epoch < config_.epochs; ++epoch) {
    std::iota(index.begin(), index.end(), 0);
    std::shuffle(index.begin(), index.end(), rng);
    for (int64_t mb = 0; mb < minibatches; ++mb) {
      // Nearly equal minibatches rather than a runt at the end.
      const int64_t lo = n * mb / minibatches, hi = n * (mb + 1) / minibatches, B = hi - lo;
      states.resize(B);
      refs.clear();
      actions.clear();
      old_lp.clear();
      returns.clear();
      advantages.clear();
      std::map<int, std::vector<int64_t>> by_task;
      for (int64_t k = 0; k < B; ++k) {
        const Sample& s = samples[index[lo + k]];
        const Episode& e = episodes[s.episode];
        const Task& task = *tasks[e.task];
        state_at(task, e, s.step, states[k]);
        refs.push_back({&task.features, &states[k]});
        actions.push_back(e.actions[s.step]);
        old_lp.push_back(e.log_probs[s.step]);
        returns.push_back(static_cast<float>(s.ret));
        by_task[per_netlist ? e.task : 0].push_back(k);
      }
      // Advantages standardised within the minibatch, per netlist or over all of it.
      advantages.assign(B, 0.f);
      for (const auto& [task, members] : by_task) {
        double sum = 0, sq = 0;
        for (int64_t k : members) sum += samples[index[lo + k]].advantage;
        const double mean = sum / members.size();
        for (int64_t k : members) sq += std::pow(samples[index[lo + k]].advantage - mean, 2);
        const double sd = std::sqrt(sq / members.size());
        for (int64_t k : members) advantages[k] = static_cast<float>((samples[index[lo + k]].advantage - mean) / (sd + 1e-8));
      }

      gnn::GraphBatch batch = gnn::make_batch(refs, G, device_);
      auto to_dev = [&](const torch::Tensor& t) { return t.to(device_); };
      const torch::Tensor act = to_dev(torch::tensor(actions, torch::kInt64)).unsqueeze(1);
      const torch::Tensor lp_old = to_dev(torch::tensor(old_lp));
      const torch::Tensor ret = to_dev(torch::tensor(returns));
      const torch::Tensor adv = to_dev(torch::tensor(advantages));

      gnn::PolicyOutput out = net_->forward(batch);
      torch::Tensor lp = out.log_probs.gather(1, act).squeeze(1);
      torch::Tensor log_ratio = lp - lp_old;
      torch::Tensor ratio = torch::exp(log_ratio);
      torch::Tensor surrogate =
          torch::min(ratio * adv, torch::clamp(ratio, 1 - config_.clip, 1 + config_.clip) * adv);
      torch::Tensor policy_loss = -surrogate.mean();
      torch::Tensor value_loss = config_.value_coef * (ret - out.value).square().mean();
      torch::Tensor ent = gnn::entropy(out.log_probs).mean();
      torch::Tensor kl = ((ratio - 1) - log_ratio).mean();
      torch::Tensor loss = policy_loss + value_loss - config_.entropy_coef * ent;
      if (config_.adaptive_kl) {
        const double cutoff = config_.kl_cutoff_factor * config_.kl_target;
        loss = loss + kl_beta_ * kl + config_.kl_cutoff_coef * torch::relu(kl - cutoff).square();
      }
      optimizer_->zero_grad();
      loss.backward();
      const double norm = torch::nn::utils::clip_grad_norm_(net_->parameters(), config_.grad_clip);
      optimizer_->step();

      const double kl_value = kl.item<double>();
      if (config_.adaptive_kl) {
        if (kl_value < config_.kl_target * (1 - config_.kl_tolerance))
          kl_beta_ /= 1.5;
        else if (kl_value > config_.kl_target * (1 + config_.kl_tolerance))
          kl_beta_ *= 1.5;
        kl_beta_ = std::max(kl_beta_, 1e-15);
      }
      stats.policy_loss += policy_loss.item<double>();
      stats.value_loss += value_loss.item<double>();
      stats.entropy += ent.item<double>();
      stats.approx_kl += kl_value;
      stats.clip_fraction += ((ratio - 1).abs() > config_.clip).to(torch::kFloat64).mean().item<double>();
      stats.grad_norm += norm;
      ++stats.gradient_steps;
    }
  }
  const double steps = static_cast<double>(stats.gradient_steps);
  stats.policy_loss /= steps;
  stats.value_loss /= steps;
  stats.entropy /= steps;
  stats.approx_kl /= steps;
  stats.clip_fraction /= steps;
  stats.grad_norm /= steps;
  stats.kl_beta = kl_beta_;
  net_->eval();
  ++version_;
  return stats;
}

std::string PpoLearner::state_json() const {
  nlohmann::json stats = nlohmann::json::object();
  for (const auto& [label, s] : reward_stats_)
    stats[label] = {{"mean", s.mean}, {"second", s.second}, {"episodes", s.episodes}};
  nlohmann::json j = {{"version", version_}, {"kl_beta", kl_beta_}, {"reward_stats", stats}};
  return j.dump();
}

void PpoLearner::restore_state_json(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  version_ = j.at("version").get<int64_t>();
  kl_beta_ = j.at("kl_beta").get<double>();
  reward_stats_.clear();
  for (const auto& [label, s] : j.at("reward_stats").items())
    reward_stats_[label] = {s.at("mean").get<double>(), s.at("second").get<double>(), s.at("episodes").get<int64_t>()};
}

void PpoLearner::save_optimizer(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  optimizer_->save(archive);
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::filesystem::rename(tmp, path);
}

void PpoLearner::load_optimizer(const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device_);
  } catch (const c10::Error& e) {
    throw std::runtime_error(fmt::format("{}: not an optimizer state file", path));
  }
  optimizer_->load(archive);
}

}  // namespace rlplace::rl
