#include "rl/config.h"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlists/json_number.h"

namespace rlplace::rl {

namespace {

using nlohmann::json;

json ppo_json(const PpoConfig& p) {
  return {{"clip", p.clip},
          {"entropy_coef", p.entropy_coef},
          {"value_coef", p.value_coef},
          {"discount", p.discount},
          {"reward_shaping", p.reward_shaping},
          {"gae_lambda", p.gae_lambda},
          {"learning_rate", p.learning_rate},
          {"lr_schedule", p.lr_schedule},
          {"cosine_alpha", p.cosine_alpha},
          {"schedule_iterations", p.schedule_iterations},
          {"adam_eps", p.adam_eps},
          {"grad_clip", p.grad_clip},
          {"epochs", p.epochs},
          {"minibatch", p.minibatch},
          {"adaptive_kl", p.adaptive_kl},
          {"kl_beta", p.kl_beta},
          {"kl_target", p.kl_target},
          {"kl_tolerance", p.kl_tolerance},
          {"kl_cutoff_factor", p.kl_cutoff_factor},
          {"kl_cutoff_coef", p.kl_cutoff_coef},
          {"normalization", p.normalization},
          {"reward_stats_decay", p.reward_stats_decay},
          {"self_imitation_coef", p.self_imitation_coef},
          {"self_imitation_episodes", p.self_imitation_episodes}};
}

// Copies the fields `j` has into `out`, whose existing JSON form `like` names the allowed
// keys and their types.
template <class T>
void take(const json& j, const char* key, T& out, const std::string& where) {
  if (!j.contains(key)) return;
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    if (!j.at(key).is_number())
      throw std::invalid_argument(fmt::format("training config: {}{}: wrong type ({})", where, key, j.at(key).dump()));
    // Checked: a plain get<int>() of 1e300 is undefined behaviour, and of 2.5 gives 2.
    try {
      out = json_number<T>(j.at(key));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("training config: {}{}: {}", where, key, e.what()));
    }
    return;
  }
  try {
    out = j.at(key).get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(fmt::format("training config: {}{}: wrong type ({})", where, key, j.at(key).dump()));
  }
}

void reject_unknown(const json& j, const json& like, const std::string& where) {
  if (!j.is_object()) throw std::invalid_argument(fmt::format("training config: {} must be an object", where.empty() ? "the document" : where));
  for (const auto& [key, value] : j.items())
    if (!like.contains(key)) throw std::invalid_argument(fmt::format("training config: unknown field '{}{}'", where, key));
}

}  // namespace

void TrainConfig::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("training config: " + what); };
  gnn.validate();
  const PpoConfig& p = ppo;
  if (!(p.clip > 0)) bad(fmt::format("ppo.clip must be positive (got {})", p.clip));
  if (!(p.entropy_coef >= 0)) bad("ppo.entropy_coef must be at least 0");
  if (!(p.value_coef >= 0)) bad("ppo.value_coef must be at least 0");
  if (!(p.discount > 0 && p.discount <= 1)) bad(fmt::format("ppo.discount must be in (0, 1] (got {})", p.discount));
  if (p.reward_shaping != "none" && p.reward_shaping != "potential")
    bad(fmt::format("ppo.reward_shaping must be \"none\" or \"potential\" (got \"{}\")", p.reward_shaping));
  if (!(p.gae_lambda >= 0 && p.gae_lambda <= 1)) bad(fmt::format("ppo.gae_lambda must be in [0, 1] (got {})", p.gae_lambda));
  if (!(p.learning_rate > 0)) bad(fmt::format("ppo.learning_rate must be positive (got {})", p.learning_rate));
  if (p.lr_schedule != "constant" && p.lr_schedule != "cosine")
    bad(fmt::format("ppo.lr_schedule must be \"constant\" or \"cosine\" (got \"{}\")", p.lr_schedule));
  if (!(p.cosine_alpha >= 0 && p.cosine_alpha <= 1)) bad("ppo.cosine_alpha must be in [0, 1]");
  if (p.lr_schedule == "cosine" && p.schedule_iterations < 1)
    bad("ppo.lr_schedule \"cosine\" needs ppo.schedule_iterations, the iterations it decays over");
  if (!(p.adam_eps > 0)) bad("ppo.adam_eps must be positive");
  if (!(p.grad_clip > 0)) bad("ppo.grad_clip must be positive");
  if (p.epochs < 1) bad(fmt::format("ppo.epochs must be at least 1 (got {})", p.epochs));
  if (p.minibatch < 1) bad(fmt::format("ppo.minibatch must be at least 1 (got {})", p.minibatch));
  if (!(p.kl_beta >= 0 && p.kl_target > 0 && p.kl_tolerance >= 0 && p.kl_cutoff_factor > 0 && p.kl_cutoff_coef >= 0))
    bad("ppo.kl_* values must be non-negative (kl_target and kl_cutoff_factor positive)");
  if (p.normalization != "per_netlist" && p.normalization != "minibatch")
    bad(fmt::format("ppo.normalization must be \"per_netlist\" or \"minibatch\" (got \"{}\")", p.normalization));
  if (!(p.reward_stats_decay >= 0 && p.reward_stats_decay < 1)) bad("ppo.reward_stats_decay must be in [0, 1)");
  if (!(p.self_imitation_coef >= 0)) bad("ppo.self_imitation_coef must be at least 0");
  if (p.self_imitation_episodes < 1)
    bad(fmt::format("ppo.self_imitation_episodes must be at least 1 (got {})", p.self_imitation_episodes));
  if (episodes_per_iteration < 1) bad("episodes_per_iteration must be at least 1");
  if (!(env.infeasible_reward < 0)) bad("infeasible_reward must be negative");
  if (!(env.macro_spacing >= 0)) bad("macro_spacing must be at least 0");
  if (envs_per_worker < 1) bad("envs_per_worker must be at least 1");
  if (inference != "auto" && inference != "central" && inference != "per_worker")
    bad(fmt::format("inference must be \"auto\", \"central\" or \"per_worker\" (got \"{}\")", inference));
  if (learner_threads < 0) bad("learner_threads must be at least 0");
  if (eval_every < 1) bad("eval_every must be at least 1");
  if (device.empty()) bad("device must name a device (cpu, cuda, cuda:1, ...)");
}

std::string TrainConfig::to_json() const {
  json j = {{"ppo", ppo_json(ppo)},
            {"gnn", json::parse(gnn.to_json())},
            {"episodes_per_iteration", episodes_per_iteration},
            {"reward_wirelength_weight", env.reward_weights.wirelength},
            {"reward_density_weight", env.reward_weights.density},
            {"reward_congestion_weight", env.reward_weights.congestion},
            {"infeasible_reward", env.infeasible_reward},
            {"macro_spacing", env.macro_spacing},
            {"run_fd", env.run_fd},
            {"envs_per_worker", envs_per_worker},
            {"inference", inference},
            {"learner_threads", learner_threads},
            {"device", device},
            {"eval_every", eval_every}};
  return j.dump(2);
}

TrainConfig TrainConfig::from_json(const std::string& text, const TrainConfig& base) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw std::invalid_argument(fmt::format("training config: not JSON: {}", e.what()));
  }
  TrainConfig c = base;
  const json like = json::parse(c.to_json());
  reject_unknown(j, like, "");
  if (j.contains("ppo")) {
    const json& p = j.at("ppo");
    reject_unknown(p, like.at("ppo"), "ppo.");
    PpoConfig& o = c.ppo;
    take(p, "clip", o.clip, "ppo.");
    take(p, "entropy_coef", o.entropy_coef, "ppo.");
    take(p, "value_coef", o.value_coef, "ppo.");
    take(p, "discount", o.discount, "ppo.");
    take(p, "reward_shaping", o.reward_shaping, "ppo.");
    take(p, "gae_lambda", o.gae_lambda, "ppo.");
    take(p, "learning_rate", o.learning_rate, "ppo.");
    take(p, "lr_schedule", o.lr_schedule, "ppo.");
    take(p, "cosine_alpha", o.cosine_alpha, "ppo.");
    take(p, "schedule_iterations", o.schedule_iterations, "ppo.");
    take(p, "adam_eps", o.adam_eps, "ppo.");
    take(p, "grad_clip", o.grad_clip, "ppo.");
    take(p, "epochs", o.epochs, "ppo.");
    take(p, "minibatch", o.minibatch, "ppo.");
    take(p, "adaptive_kl", o.adaptive_kl, "ppo.");
    take(p, "kl_beta", o.kl_beta, "ppo.");
    take(p, "kl_target", o.kl_target, "ppo.");
    take(p, "kl_tolerance", o.kl_tolerance, "ppo.");
    take(p, "kl_cutoff_factor", o.kl_cutoff_factor, "ppo.");
    take(p, "kl_cutoff_coef", o.kl_cutoff_coef, "ppo.");
    take(p, "normalization", o.normalization, "ppo.");
    take(p, "reward_stats_decay", o.reward_stats_decay, "ppo.");
    take(p, "self_imitation_coef", o.self_imitation_coef, "ppo.");
    take(p, "self_imitation_episodes", o.self_imitation_episodes, "ppo.");
  }
  if (j.contains("gnn")) {
    // The network's own reader wants every field; fill the missing ones from the base.
    json g = json::parse(c.gnn.to_json());
    reject_unknown(j.at("gnn"), g, "gnn.");
    for (const auto& [key, value] : j.at("gnn").items()) g[key] = value;
    c.gnn = gnn::GnnConfig::from_json(g.dump());
  }
  take(j, "episodes_per_iteration", c.episodes_per_iteration, "");
  take(j, "reward_wirelength_weight", c.env.reward_weights.wirelength, "");
  take(j, "reward_density_weight", c.env.reward_weights.density, "");
  take(j, "reward_congestion_weight", c.env.reward_weights.congestion, "");
  take(j, "infeasible_reward", c.env.infeasible_reward, "");
  take(j, "macro_spacing", c.env.macro_spacing, "");
  take(j, "run_fd", c.env.run_fd, "");
  take(j, "envs_per_worker", c.envs_per_worker, "");
  take(j, "inference", c.inference, "");
  take(j, "learner_threads", c.learner_threads, "");
  take(j, "device", c.device, "");
  take(j, "eval_every", c.eval_every, "");
  c.validate();
  return c;
}

TrainConfig TrainConfig::from_json(const std::string& text) { return from_json(text, TrainConfig{}); }

bool TrainConfig::central_inference() const {
  return inference == "central" || (inference == "auto" && device.rfind("cpu", 0) != 0);
}

}  // namespace rlplace::rl
