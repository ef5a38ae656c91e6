#include "placer/local_search.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "placer/anneal.h"
#include "placer/coord_descent.h"
#include "placer/search.h"

namespace rlplace {

namespace {

AnnealOptions anneal_options(const PlaceRequest& r) {
  AnnealOptions o;
  o.moves = r.moves;
  o.seconds = r.seconds > 0 ? r.seconds : kDefaultSearchSeconds;
  o.threads = r.threads > 0 ? r.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.seed = r.seed;
  if (r.accept_start > 0) o.accept_start = r.accept_start;
  o.spacing = r.env.macro_spacing;
  o.fd = r.env.fd;
  o.fd_set = true;
  if (!r.env.run_fd) {
    o.fd_every = 0;
    o.initial_fd = o.final_fd = false;
    o.w_soft = 0;
  }
  return o;
}

CoordDescentOptions cd_options(const PlaceRequest& r) {
  CoordDescentOptions o;
  o.seconds = r.seconds > 0 ? r.seconds : kDefaultSearchSeconds;
  o.spacing = r.env.macro_spacing;
  o.fd = r.env.fd;
  o.fd_set = true;
  o.fd_between = r.env.run_fd;
  return o;
}

std::string polish_phrase(const PolishStats& s) {
  if (!(s.after < s.before)) return "";
  return fmt::format(", the soft macros and cells polished {:.6f} -> {:.6f} ({} move{}, {:.2f} s{})", s.before, s.after,
                     s.moved, s.moved == 1 ? "" : "s", s.seconds, s.stopped ? ", stopped by the budget" : "");
}

std::string anneal_into(const PlaceRequest& r, const AnnealOptions& o, const Placement& start, Placement& out,
                        const char* what, SearchStats* stats) {
  const AnnealResult a = anneal(r.design->netlist, r.design->params, start, o);
  out = a.placement;
  const std::string summary =
      fmt::format("{}: {:.6f} -> {:.6f}, {} actions ({} accepted, {} illegal) in {:.1f} s, {} solver runs", what,
                  a.start_cost, a.costs.proxy_cost, a.actions, a.accepted, a.illegal, a.seconds, a.fd_runs) +
      polish_phrase(a.polish);
  if (stats) *stats = {a.start_cost, a.costs, a.trace, summary};
  return summary;
}

std::string descend_into(const PlaceRequest& r, const Placement& start, Placement& out, SearchStats* stats) {
  const CoordDescentResult c = coord_descent(r.design->netlist, r.design->params, start, cd_options(r));
  out = c.placement;
  const std::string summary =
      fmt::format("coordinate descent: {:.6f} -> {:.6f}, {} sweeps, {} macro changes in {:.1f} s", c.start_cost,
                  c.costs.proxy_cost, c.sweeps, c.moved, c.seconds) +
      polish_phrase(c.polish);
  if (stats) *stats = {c.start_cost, c.costs, c.trace, summary};
  return summary;
}

Placement start_of(const PlaceRequest& r, const std::string& how) {
  Placement p = r.design->placement;
  start_placement(how, r.design->netlist, r.design->params, p, r.env.macro_spacing);
  return p;
}

}  // namespace

PlaceOutcome place_sa(const PlaceRequest& r, const std::string& start, SearchStats* stats) {
  PlaceOutcome out;
  const std::string s = anneal_into(r, anneal_options(r), start_of(r, start), out.placement, "annealing", stats);
  out.how = fmt::format("'sa' (seed {}, start {}; {})", r.seed, start, s);
  return out;
}

PlaceOutcome place_cd(const PlaceRequest& r, const std::string& start, SearchStats* stats) {
  PlaceOutcome out;
  const std::string s = descend_into(r, start_of(r, start), out.placement, stats);
  out.how = fmt::format("'cd' (start {}; {})", start, s);
  return out;
}

std::string refine_sa(const PlaceRequest& r, Placement& placement, SearchStats* stats) {
  const Placement start = placement;
  AnnealOptions o = refine_anneal_options(anneal_options(r));
  if (r.accept_start > 0) o.accept_start = r.accept_start;
  return "'sa' (" + anneal_into(r, o, start, placement, "annealing refinement", stats) + ")";
}

std::string anneal_from(const PlaceRequest& r, Placement& placement, SearchStats* stats) {
  const Placement start = placement;
  return "'sa' (" + anneal_into(r, anneal_options(r), start, placement, "annealing", stats) + ")";
}

std::string refine_cd(const PlaceRequest& r, Placement& placement, SearchStats* stats) {
  const Placement start = placement;
  return "'cd' (" + descend_into(r, start, placement, stats) + ")";
}

}  // namespace rlplace
