#include "rl/placers.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "cost/evaluator.h"
#include "netlists/error.h"
#include "netlists/timing.h"
#include "placer/local_search.h"
#include "placer/registry.h"
#include "rl/policy_placer.h"

namespace rlplace::rl {

namespace {

// Where the policy leaves off, annealing starts this hot: docs/quality.md measures the
// choices (the refiner's 0.01 keeps the policy's arrangement; sa's 0.3 forgets it).
constexpr double kPipelineAcceptStart = 0.01;

// Without a policy named: $RLPLACE_POLICY, else the policy bundled with the sources.
std::string default_policy() {
  if (const char* env = std::getenv("RLPLACE_POLICY"); env && *env) return env;
  return RLPLACE_BUNDLED_POLICY;
}

// The policy placer's beam: on the tuning chips of docs/quality.md a width of 4 placed lower
// than the greedy decode on every chip, for 2.5-3.5x its time; a width of 8 was not lower
// than 4 (the partial proxy ranks the last steps' placements before the solver moves the
// soft macros).
constexpr int kPolicyBeam = 4;

PolicyPlaceResult run_policy(const PlaceRequest& r, int samples, int beam) {
  PolicyPlaceOptions po;
  po.policy = r.policy.empty() ? default_policy() : r.policy;
  po.samples = samples;
  po.beam = r.beam >= 0 ? r.beam : beam;
  po.beam_expand = r.beam_expand;
  po.beam_by_log_prob = r.beam_by_log_prob;
  po.seed = r.seed;
  po.workers = r.threads;
  po.device = r.device;
  EnvOptions env = r.env;
  env.fd.threads = 1;  // one solver per worker
  return place_with_policy(*r.design, env, po);
}

// What the policy placed from: the greedy episode, a sample or the beam, with the others' costs.
std::string policy_phrase(const PolicyPlaceResult& res) {
  const std::string episodes = fmt::format("{} episode{}", res.episodes, res.episodes == 1 ? "" : "s");
  std::string detail =
      res.chosen == -2 ? fmt::format("its beam search, {:.6f}; greedy of {} {:.6f}", res.costs.proxy_cost, episodes,
                                     res.greedy_proxy)
      : res.chosen < 0 ? fmt::format("greedy of {}; {:.6f}", episodes, res.costs.proxy_cost)
                       : fmt::format("sample {} of {}, {:.6f}; greedy {:.6f}", res.chosen, episodes, res.costs.proxy_cost,
                                     res.greedy_proxy);
  if (res.chosen != -2 && !std::isnan(res.beam_proxy)) detail += fmt::format("; its beam search {:.6f}", res.beam_proxy);
  return fmt::format("the policy {} ({})", res.checkpoint, detail);
}

PlaceOutcome place_policy(const PlaceRequest& r) {
  const PolicyPlaceResult res = run_policy(r, r.samples, kPolicyBeam);
  return {res.placement, policy_phrase(res)};
}

// The policy as the prior of a search: its greedy and sampled episodes (one episode per
// thread unless --samples says otherwise, so that they decode in one round: a second round
// cost more search time than it gained on the tuning chips of docs/quality.md), then
// annealing from the best of them for the rest of the budget (or --moves actions). The
// input's own macro positions, made legal, compete with the episodes as the start: a
// designer who brings a placement gets no worse a start than it (docs/quality.md measures
// this on chips the policy never saw).
PlaceOutcome place_rl(const PlaceRequest& r) {
  const auto t0 = Clock::now();
  const double budget = r.seconds > 0 ? r.seconds : kDefaultSearchSeconds;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const PolicyPlaceResult res =
      run_policy(r, r.samples > 0 ? r.samples : (r.threads > 0 ? r.threads : cores) - 1, 0);
  PlaceOutcome out{res.placement, policy_phrase(res)};
  // An input whose macros fit on no grid cells, which the policy placed, gives no start.
  std::optional<PlaceOutcome> input;
  try {
    input = placer_or_throw("legalize").place(r);
  } catch (const InputError&) {
    out.how += "; the input's positions cannot be legalized";
  }
  if (input) {
    Evaluator ev(r.design->netlist, r.design->params);
    ev.reset(input->placement);
    if (const double cost = ev.costs().proxy_cost; cost < res.costs.proxy_cost) {
      out.placement = std::move(input->placement);
      out.how += fmt::format("; {}, start lower ({:.6f})", input->how, cost);
    }
  }
  PlaceRequest search = r;
  search.seconds = budget - ms_since(t0) / 1000;
  if (r.moves <= 0 && search.seconds < 0.05) {
    out.how += fmt::format(", no time left to search (--seconds {})", budget);
    return out;
  }
  if (pipeline_anneals_hot(r)) {
    out.how += ", then " + anneal_from(search, out.placement);
    return out;
  }
  if (search.accept_start <= 0) search.accept_start = kPipelineAcceptStart;
  out.how += ", then " + refine_sa(search, out.placement);
  return out;
}

}  // namespace

bool pipeline_anneals_hot(const PlaceRequest& r) { return r.seconds >= kPipelineHotSeconds; }

void register_placers() {
  register_placer({"policy",
                   "a trained policy alone (--policy): its greedy episode, --samples sampled ones and a beam search "
                   "(--beam, 4 wide unless told), the best kept",
                   place_policy});
  register_placer({"rl",
                   "the learned pipeline: the policy's greedy and sampled episodes (one per thread) or the input's positions, "
                   "then annealing from the best within --seconds (default 10; from 120, with sa's own schedule)",
                   place_rl});
}

}  // namespace rlplace::rl
