#include "rl/placers.h"

#include <cstdlib>

#include <fmt/format.h>

#include "placer/registry.h"
#include "rl/policy_placer.h"

namespace rlplace::rl {

namespace {

// Without a policy named: $RLPLACE_POLICY, else the policy bundled with the sources.
std::string default_policy() {
  if (const char* env = std::getenv("RLPLACE_POLICY"); env && *env) return env;
  return RLPLACE_BUNDLED_POLICY;
}

PlaceOutcome place_rl(const PlaceRequest& r) {
  PolicyPlaceOptions po;
  po.policy = r.policy.empty() ? default_policy() : r.policy;
  po.samples = r.samples;
  po.seed = r.seed;
  po.workers = r.threads;
  po.device = r.device;
  EnvOptions env = r.env;
  env.fd.threads = 1;  // one solver per worker
  const PolicyPlaceResult res = place_with_policy(*r.design, env, po);
  std::string how =
      res.chosen < 0
          ? fmt::format("the policy {} (greedy of {} episode{})", res.checkpoint, res.episodes, res.episodes == 1 ? "" : "s")
          : fmt::format("the policy {} (sample {} of {} episodes; greedy {:.6f})", res.checkpoint, res.chosen,
                        res.episodes, res.greedy_proxy);
  return {res.placement, std::move(how)};
}

}  // namespace

void register_placers() {
  register_placer({"rl", "a trained policy (--policy), greedy plus --samples sampled episodes, the best kept", place_rl});
}

}  // namespace rlplace::rl
