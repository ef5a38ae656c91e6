#include "placer/local_search.h"

#include <stdexcept>

#include <fmt/format.h>

#include "placer/anneal.h"
#include "placer/coord_descent.h"
#include "placer/search.h"

namespace rlplace {

namespace {

AnnealOptions anneal_options(const LocalSearchRequest& r) {
  AnnealOptions o;
  o.moves = r.moves;
  o.seconds = r.seconds;
  o.threads = r.threads;
  o.seed = r.seed;
  o.spacing = r.spacing;
  return o;
}

LocalSearchResult from(const AnnealResult& a, const char* what) {
  return {a.placement, a.costs, a.start_cost,
          fmt::format("{}: {:.6f} -> {:.6f}, {} actions ({} accepted, {} illegal) in {:.1f} s, {} solver runs",
                      what, a.start_cost, a.costs.proxy_cost, a.actions, a.accepted, a.illegal, a.seconds,
                      a.fd_runs),
          a.trace};
}

LocalSearchResult from(const CoordDescentResult& c) {
  return {c.placement, c.costs, c.start_cost,
          fmt::format("coordinate descent: {:.6f} -> {:.6f}, {} sweeps, {} macro changes in {:.1f} s", c.start_cost,
                      c.costs.proxy_cost, c.sweeps, c.moved, c.seconds),
          c.trace};
}

CoordDescentOptions cd_options(const LocalSearchRequest& r) {
  CoordDescentOptions o;
  o.seconds = r.seconds;
  o.spacing = r.spacing;
  return o;
}

}  // namespace

std::vector<std::string> search_placer_names() { return {"sa", "cd"}; }
std::vector<std::string> refiner_names() { return {"cd", "sa"}; }

LocalSearchResult run_search_placer(const std::string& name, const Netlist& nl, const CostParams& params,
                                    const Placement& input, const LocalSearchRequest& r) {
  if (name != "sa" && name != "cd")
    throw std::invalid_argument(fmt::format("unknown search placer '{}' (known: sa, cd)", name));
  Placement start = input;
  start_placement(r.start, nl, params, start, r.spacing);
  if (name == "sa") return from(anneal(nl, params, start, anneal_options(r)), "annealing");
  return from(coord_descent(nl, params, start, cd_options(r)));
}

LocalSearchResult run_refiner(const std::string& name, const Netlist& nl, const CostParams& params,
                              const Placement& placed, const LocalSearchRequest& r) {
  if (name == "sa") return from(anneal(nl, params, placed, refine_anneal_options(anneal_options(r))), "annealing refinement");
  if (name == "cd") return from(coord_descent(nl, params, placed, cd_options(r)));
  throw std::invalid_argument(fmt::format("unknown refiner '{}' (known: cd, sa)", name));
}

}  // namespace rlplace
