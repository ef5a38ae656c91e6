// The training configuration: JSON round trip, partial files, errors, the embedded
// environment options.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/plc.h"
#include "placer/env.h"
#include "rl/config.h"
#include "rl/policy_placer.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "rl/tensorboard.h"
#include "rl/trainer.h"
#include "tests/rl_test_util.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

TEST(RlConfig, JsonRoundTripPartialFilesAndErrors) {
  TrainConfig c;
  c.ppo.clip = 0.3;
  c.gnn.grid = 64;
  c.episodes_per_iteration = 5;
  EXPECT_EQ(TrainConfig::from_json(c.to_json()).to_json(), c.to_json());
  const TrainConfig p = TrainConfig::from_json(R"({"ppo": {"epochs": 2}, "gnn": {"layers": 2}})");
  EXPECT_EQ(p.ppo.epochs, 2);
  EXPECT_EQ(p.gnn.layers, 2);
  EXPECT_EQ(p.gnn.grid, 128);  // untouched fields keep their defaults
  EXPECT_EQ(p.ppo.clip, 0.2);
  auto message = [](const std::string& text) {
    try {
      TrainConfig::from_json(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(R"({"ppo": {"clipp": 0.1}})"), "training config: unknown field 'ppo.clipp'");
  EXPECT_EQ(message(R"({"episodes": 3})"), "training config: unknown field 'episodes'");
  EXPECT_EQ(message(R"({"ppo": {"epochs": "four"}})"), "training config: ppo.epochs: wrong type (\"four\")");
  // Integers are checked, not cast: get<int>() of 1e300 is undefined behaviour, of 2.5 gives 2.
  EXPECT_EQ(message(R"({"ppo": {"epochs": 1e300}})"), "training config: ppo.epochs: is out of range (got 1e+300)");
  EXPECT_EQ(message(R"({"ppo": {"epochs": 2.5}})"), "training config: ppo.epochs: must be an integer (got 2.5)");
  EXPECT_EQ(message(R"({"gnn": {"layers": -1e19}})"), "GNN config: layers is out of range (got -1e+19)");
  EXPECT_EQ(message(R"({"ppo": {"epochs": 2.0}, "gnn": {"grid": 64.0}})"), "no error");
  EXPECT_EQ(message(R"({"ppo": {"lr_schedule": "cosine"}})"),
            "training config: ppo.lr_schedule \"cosine\" needs ppo.schedule_iterations, the iterations it decays over");
  EXPECT_EQ(message(R"({"ppo": {"lr_schedule": "linear"}})"),
            "training config: ppo.lr_schedule must be \"constant\" or \"cosine\" (got \"linear\")");
  EXPECT_EQ(message(R"({"ppo": {"self_imitation_coef": -1}})"), "training config: ppo.self_imitation_coef must be at least 0");
  EXPECT_EQ(message(R"({"ppo": {"self_imitation_episodes": 0}})"),
            "training config: ppo.self_imitation_episodes must be at least 1 (got 0)");
  // A file written before self-imitation existed keeps the base's values for it.
  TrainConfig base;
  base.ppo.self_imitation_coef = 0.25;
  base.ppo.self_imitation_episodes = 2;
  const TrainConfig older = TrainConfig::from_json(R"({"ppo": {"entropy_coef": 0.02}})", base);
  EXPECT_EQ(older.ppo.self_imitation_coef, 0.25);
  EXPECT_EQ(older.ppo.self_imitation_episodes, 2);
  EXPECT_EQ(TrainConfig::from_json(R"({"ppo": {"self_imitation_coef": 0.5}})").ppo.self_imitation_coef, 0.5);
  EXPECT_EQ(message(R"({"ppo": {"reward_shaping": "dense"}})"),
            "training config: ppo.reward_shaping must be \"none\" or \"potential\" (got \"dense\")");
  EXPECT_EQ(message(R"({"ppo": {"gae_lambda": 1.5}})"), "training config: ppo.gae_lambda must be in [0, 1] (got 1.5)");
  TrainConfig shaped;
  shaped.ppo.reward_shaping = "potential";
  shaped.ppo.gae_lambda = 0.95;
  const TrainConfig back = TrainConfig::from_json(shaped.to_json());
  EXPECT_EQ(back.ppo.reward_shaping, "potential");
  EXPECT_EQ(back.ppo.gae_lambda, 0.95);
  // A file written before shaping existed keeps the base's values (Circuit Training's).
  const TrainConfig unshaped = TrainConfig::from_json(R"({"ppo": {"entropy_coef": 0.02}})", shaped);
  EXPECT_EQ(unshaped.ppo.reward_shaping, "potential");
  EXPECT_EQ(TrainConfig::from_json("{}").ppo.reward_shaping, "none");
  EXPECT_EQ(TrainConfig::from_json("{}").ppo.gae_lambda, 1.0);
  EXPECT_EQ(message(R"({"gnn": {"grid": 100}})").rfind("GNN config: grid must be", 0), 0u);
  EXPECT_EQ(message("[1"), message("[1"));
  EXPECT_EQ(message("[1").rfind("training config: not JSON", 0), 0u);
}

TEST(RlConfig, TheEnvironmentsOptionsKeepTheirFieldNames) {
  const TrainConfig c = TrainConfig::from_json(
      R"({"reward_density_weight": 2, "macro_spacing": 1.5, "run_fd": false, "infeasible_reward": -3})");
  EXPECT_EQ(c.env.reward_weights.density, 2.0);
  EXPECT_EQ(c.env.reward_weights.wirelength, 1.0);
  EXPECT_EQ(c.env.reward_weights.congestion, 0.5);
  EXPECT_EQ(c.env.macro_spacing, 1.5);
  EXPECT_FALSE(c.env.run_fd);
  EXPECT_EQ(c.env.infeasible_reward, -3.0);
  // The defaults are the environment's own, and the JSON document has the fields it always had.
  const EnvOptions defaults;
  EXPECT_EQ(TrainConfig{}.env.reward_weights, defaults.reward_weights);
  const auto j = nlohmann::json::parse(TrainConfig{}.to_json());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"device", "envs_per_worker", "episodes_per_iteration", "eval_every", "gnn",
                                            "infeasible_reward", "inference", "learner_threads", "macro_spacing", "ppo",
                                            "reward_congestion_weight", "reward_density_weight",
                                            "reward_wirelength_weight", "run_fd"}));
  EXPECT_EQ(j["reward_congestion_weight"], 0.5);
  EXPECT_THROW(TrainConfig::from_json(R"({"macro_spacing": -1})"), std::invalid_argument);
  EXPECT_THROW(TrainConfig::from_json(R"({"inference": "remote"})"), std::invalid_argument);
  // Central inference where a GPU evaluates the policy, unless the configuration says.
  EXPECT_FALSE(TrainConfig{}.central_inference());
  EXPECT_TRUE(TrainConfig::from_json(R"({"device": "cuda"})").central_inference());
  EXPECT_FALSE(TrainConfig::from_json(R"({"device": "cuda", "inference": "per_worker"})").central_inference());
  EXPECT_TRUE(TrainConfig::from_json(R"({"inference": "central"})").central_inference());
}

}  // namespace
}  // namespace rlplace::rl
