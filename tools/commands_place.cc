// rlplace place: hard macros by a named placer, then the force-directed solver for the rest.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "placer/legalizer.h"
#include "placer/local_search.h"
#include "placer/placers.h"
#include "tools/commands.h"
#ifdef RLPLACE_WITH_TORCH
#include "rl/policy_placer.h"
#endif

namespace rlplace::tools {

namespace {

struct PlaceOptions {
  std::string netlist, plc, floorplan, placer = "greedy", out, policy, device = "cpu";
  uint64_t seed = 1;
  int samples = 0;
  double spacing = 0;
  bool no_fd = false, json = false;
  int threads = 0;
  CostFlags cost;
  // Local search (issue 13), until the placer registry lands on main.
  double seconds = 10, refine_seconds = 10;
  int64_t moves = 0;
  std::string refine, start = "input";
};

LocalSearchRequest search_request(const PlaceOptions& o, double seconds) {
  LocalSearchRequest r;
  r.seconds = seconds;
  r.moves = o.moves;
  r.threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  r.seed = o.seed;
  r.spacing = o.spacing;
  r.start = o.start;
  return r;
}

int run_place(const PlaceOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  Design d = load_design(o.netlist, o.plc.empty() ? o.floorplan : o.plc, o.cost.resolve());
  const Netlist& nl = d.netlist;
  const bool has_grid = d.plc && d.plc->header.cols && d.plc->header.rows;
  if (!nl.stdcells.empty() && nl.soft_macros.empty() && !has_grid && !o.cost.overrides.cols)
    throw InputError(fmt::format("{}: flat netlist ({} standard cells) needs --floorplan FILE.plc for its canvas and grid",
                                 o.netlist, nl.stdcells.size()));
  const auto t_loaded = Clock::now();

  EnvOptions env_options;
  env_options.macro_spacing = o.spacing;
  env_options.run_fd = !o.no_fd;
  env_options.fd = default_fd_options(nl);
  env_options.fd.threads = o.threads;
  Placement start = d.placement;
  if (o.placer == "legalize") {
    // Keep the input's macro positions, made legal; then the solver.
    legalize_hard_macros(nl, d.params, start, o.spacing);
    for (int32_t m : nl.hard_macros) start.fixed[m] = 1;
  }
  Placement final_placement;
  Costs c;
  LegalityReport l;
  std::string how;  // for the printed summary
  if (o.placer == "rl") {
#ifdef RLPLACE_WITH_TORCH
    // Without --policy: $RLPLACE_POLICY, else the policy bundled with the sources.
    std::string policy = o.policy;
    if (policy.empty() && std::getenv("RLPLACE_POLICY")) policy = std::getenv("RLPLACE_POLICY");
    if (policy.empty()) policy = RLPLACE_BUNDLED_POLICY;
    rl::PolicyPlaceOptions po;
    po.policy = policy;
    po.samples = o.samples;
    po.seed = o.seed;
    po.workers = o.threads;
    po.device = o.device;
    env_options.fd.threads = 1;  // one solver per worker
    const rl::PolicyPlaceResult r = rl::place_with_policy(d, env_options, po);
    final_placement = r.placement;
    Evaluator ev(nl, d.params);
    ev.reset(final_placement);
    c = ev.costs();
    l = ev.legality();
    how = r.chosen < 0 ? fmt::format("the policy {} (greedy of {} episode{})", r.checkpoint, r.episodes,
                                      r.episodes == 1 ? "" : "s")
                       : fmt::format("the policy {} (sample {} of {} episodes; greedy {:.6f})", r.checkpoint, r.chosen,
                                     r.episodes, r.greedy_proxy);
#else
    throw InputError("--placer rl needs the LibTorch build");
#endif
  } else if (o.placer == "sa" || o.placer == "cd") {
    const LocalSearchResult r = run_search_placer(o.placer, nl, d.params, d.placement, search_request(o, o.seconds));
    final_placement = r.placement;
    c = r.costs;
    how = fmt::format("'{}' (seed {}, start {}; {})", o.placer, o.seed, o.start, r.summary);
  } else {
    PlacementEnv env(nl, d.params, start, env_options);
    if (o.placer != "legalize") {
      PlacerOptions po;
      po.seed = o.seed;
      run_placer(o.placer, env, po);
    }
    c = env.finish();
    l = env.evaluator().legality();
    final_placement = env.placement();
    how = fmt::format("'{}' (seed {})", o.placer, o.seed);
  }
  std::string refined;
  if (!o.refine.empty()) {
    final_placement.fixed = d.placement.fixed;  // `legalize` fixes the macros it keeps for the solver
    const LocalSearchResult r = run_refiner(o.refine, nl, d.params, final_placement, search_request(o, o.refine_seconds));
    final_placement = r.placement;
    c = r.costs;
    refined = fmt::format("by '{}' for {} s ({})", o.refine, o.refine_seconds, r.summary);
  }
  {
    Evaluator ev(nl, d.params);
    ev.reset(final_placement);
    l = ev.legality();
  }
  const double place_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_loaded).count();

  Placement out = final_placement;
  // As Circuit Training writes them: ports fixed, and whatever the input fixed.
  for (int32_t i = 0; i < nl.num_nodes(); ++i) out.fixed[i] = d.placement.fixed[i] || nl.kind[i] == NodeKind::kPort;
  PlcInfo info = {{"Wirelength", fmt::format("{:.3f}", c.wirelength)},
                  {"Wirelength cost", fmt::format("{:.6f}", c.wirelength_cost)},
                  {"Congestion cost", fmt::format("{:.6f}", c.congestion_cost)},
                  {"Density cost", fmt::format("{:.6f}", c.density_cost)},
                  {"Proxy cost", fmt::format("{:.6f}", c.proxy_cost)},
                  {"Placer", o.placer == "rl" ? fmt::format("rlplace place --placer rl --samples {} --seed {}", o.samples, o.seed)
                                              : fmt::format("rlplace place --placer {} --seed {}{}", o.placer, o.seed,
                                                            o.refine.empty() ? "" : " --refine " + o.refine)}};
  write_plc(o.out, nl, out, to_plc_header(d.params, nl.block_name), info);

  const double total_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (o.json) {
    nlohmann::json j = {{"wirelength", c.wirelength},     {"wirelength_cost", c.wirelength_cost},
                        {"density_cost", c.density_cost}, {"congestion_cost", c.congestion_cost},
                        {"proxy_cost", c.proxy_cost},     {"overlap_count", l.overlap_count},
                        {"overlap_area", l.overlap_area}, {"out_of_canvas", l.out_of_canvas},
                        {"on_blockage", l.on_blockage},   {"legal", l.legal()},
                        {"place_ms", place_ms},           {"total_ms", total_ms},
                        {"placer", o.placer},             {"seed", o.seed},
                        {"refine", o.refine},
                        {"out", o.out}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    if (o.placer == "legalize")
      fmt::print("legalized        {} hard macros of {} in place, soft macros and cells by the solver\n",
                 nl.hard_macros.size(), o.netlist);
    else
      fmt::print("placed           {} hard macros of {} with {}, soft macros and cells by the solver\n",
                 placement_order(nl, d.placement).size(), o.netlist, how);
    if (!refined.empty()) fmt::print("refined          {}\n", refined);
    fmt::print("wirelength cost  {:.6f}\ndensity cost     {:.6f}\ncongestion cost  {:.6f}\nproxy cost       {:.6f}\n",
               c.wirelength_cost, c.density_cost, c.congestion_cost, c.proxy_cost);
    fmt::print("hard macros      {} overlapping pairs, {} outside the canvas, {} on blockages: {}\n", l.overlap_count,
               l.out_of_canvas, l.on_blockage, l.legal() ? "legal" : "ILLEGAL");
    fmt::print("time             {:.0f} ms to place, {:.0f} ms in all\nwrote            {}\n", place_ms, total_ms, o.out);
  }
  return 0;
}

}  // namespace

void add_place(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<PlaceOptions>();
  CLI::App* cmd = app.add_subcommand("place", "Place the hard macros, then the soft macros and standard cells");
  cmd->add_option("--netlist", o->netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  auto* plc = cmd->add_option("--plc", o->plc, "Starting placement and parameters (.plc)");
  auto* fp = cmd->add_option("--floorplan", o->floorplan, "Canvas, grid and routing parameters (.plc header)");
  plc->excludes(fp);
  cmd->add_option("--placer", o->placer,
                  "greedy, random, legalize (keep the input's macros, made legal), rl (a trained policy), sa (simulated "
                  "annealing) or cd (coordinate descent)")
      ->check(CLI::IsMember({"greedy", "random", "legalize", "rl", "sa", "cd"}));
  cmd->add_option("--policy", o->policy,
                  "For --placer rl: a checkpoint (.pt) or a training directory (its latest); default: $RLPLACE_POLICY, "
                  "else the bundled pretrained policy");
  cmd->add_option("--samples", o->samples, "For --placer rl: sampled episodes besides the greedy one; the best is kept")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--device", o->device, "For --placer rl: cpu, cuda, cuda:1, ...");
  cmd->add_option("--out", o->out, "Output placement (.plc), written atomically")->required();
  cmd->add_option("--seed", o->seed, "Random seed");
  cmd->add_option("--spacing", o->spacing, "Clearance between hard macros, microns")->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", o->threads, "Threads for the solver (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seconds", o->seconds, "For --placer sa|cd: wall-clock budget")->check(CLI::PositiveNumber);
  cmd->add_option("--moves", o->moves, "For --placer sa: annealing actions per thread instead of --seconds (reproducible)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--start", o->start, "For --placer sa|cd: starting hard macros, input (legalized), greedy or spiral")
      ->check(CLI::IsMember({"input", "greedy", "spiral"}));
  cmd->add_option("--refine", o->refine, "After the placer: cd (coordinate descent) or sa (low-temperature annealing)")
      ->check(CLI::IsMember({"cd", "sa"}));
  cmd->add_option("--refine-seconds", o->refine_seconds, "Wall-clock budget of --refine")->check(CLI::PositiveNumber);
  cmd->add_flag("--no-fd", o->no_fd, "Leave soft macros and standard cells where they start");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  o->cost.add_to(*cmd);
  cmd->callback([o, &chosen] { chosen = [o] { return run_place(*o); }; });
}

}  // namespace rlplace::tools
