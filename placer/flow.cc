#include "placer/flow.h"

#include <chrono>

#include <fmt/format.h>

#include "cost/costs_io.h"
#include "netlists/timing.h"

namespace rlplace {

namespace {


void check_has_grid(const Design& d, const PlaceJob& job) {
  const Netlist& nl = d.netlist;
  if (nl.stdcells.empty() || !nl.soft_macros.empty() || job.cost.has("cols")) return;
  if (d.plc && params_from_plc(*d.plc).has("cols")) return;
  throw InputError(fmt::format("{}: flat netlist ({} standard cells) needs --floorplan FILE.plc for its canvas and grid",
                               job.netlist, nl.stdcells.size()));
}

std::string placer_line(const PlaceJob& job) {
  std::string s = fmt::format("rlplace place --placer {} --seed {}", job.placer, job.request.seed);
  if (job.request.samples) s += fmt::format(" --samples {}", job.request.samples);
  if (job.request.moves) s += fmt::format(" --moves {}", job.request.moves);
  if (!job.refiner.empty()) s += fmt::format(" --refine {}", job.refiner);
  return s;
}

}  // namespace

PlaceReport place_to_file(const PlaceJob& job) {
  const auto t0 = Clock::now();
  // Names first, so that a command this binary cannot run fails before any reading.
  const PlacerEntry& placer = placer_or_throw(job.placer);
  const RefinerEntry* refiner = job.refiner.empty() ? nullptr : &refiner_or_throw(job.refiner);
  const Design d = load_design(job.netlist, job.plc.empty() ? job.floorplan : job.plc, job.cost);
  check_has_grid(d, job);
  const auto t_loaded = Clock::now();

  PlaceRequest request = job.request;
  request.design = &d;
  // The solver's schedule suits the netlist (clustered or flat).
  request.env.fd = default_fd_options(d.netlist);
  request.env.fd.threads = request.threads;
  PlaceOutcome outcome = placer.place(request);
  PlaceReport r;
  r.how = outcome.how;
  if (refiner) {
    PlaceRequest refine = request;
    refine.seconds = job.refine_seconds;
    refine.moves = job.refine_moves;
    r.how += ", refined by " + refiner->refine(refine, outcome.placement);
  }
  r.place_ms = ms_since(t_loaded);

  Evaluator ev(d.netlist, d.params);
  ev.reset(outcome.placement);
  r.costs = ev.costs();
  r.legality = ev.legality();
  r.macros_placed = placement_order(d.netlist, d.placement).size();
  write_scored_plc(job.out, d, outcome.placement, r.costs, placer_line(job));
  r.total_ms = ms_since(t0);
  return r;
}

}  // namespace rlplace
