// rlplace place: hard macros by a named placer, then the force-directed solver for the rest.
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "placer/legalizer.h"
#include "placer/placers.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct PlaceOptions {
  std::string netlist, plc, floorplan, placer = "greedy", out;
  uint64_t seed = 1;
  double spacing = 0;
  bool no_fd = false, json = false;
  int threads = 0;
  CostFlags cost;
};

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
  PlacementEnv env(nl, d.params, start, env_options);
  if (o.placer != "legalize") {
    PlacerOptions po;
    po.seed = o.seed;
    run_placer(o.placer, env, po);
  }
  const Costs c = env.finish();
  const LegalityReport l = env.evaluator().legality();
  const double place_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_loaded).count();

  Placement out = env.placement();
  // As Circuit Training writes them: ports fixed, and whatever the input fixed.
  for (int32_t i = 0; i < nl.num_nodes(); ++i) out.fixed[i] = d.placement.fixed[i] || nl.kind[i] == NodeKind::kPort;
  PlcInfo info = {{"Wirelength", fmt::format("{:.3f}", c.wirelength)},
                  {"Wirelength cost", fmt::format("{:.6f}", c.wirelength_cost)},
                  {"Congestion cost", fmt::format("{:.6f}", c.congestion_cost)},
                  {"Density cost", fmt::format("{:.6f}", c.density_cost)},
                  {"Proxy cost", fmt::format("{:.6f}", c.proxy_cost)},
                  {"Placer", fmt::format("rlplace place --placer {} --seed {}", o.placer, o.seed)}};
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
                        {"out", o.out}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    if (o.placer == "legalize")
      fmt::print("legalized        {} hard macros of {} in place, soft macros and cells by the solver\n",
                 nl.hard_macros.size(), o.netlist);
    else
      fmt::print("placed           {} hard macros of {} with '{}' (seed {}), soft macros and cells by the solver\n",
                 env.order().size(), o.netlist, o.placer, o.seed);
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
  cmd->add_option("--placer", o->placer, "greedy, random, or legalize (keep the input's macros, made legal)")
      ->check(CLI::IsMember({"greedy", "random", "legalize"}));
  cmd->add_option("--out", o->out, "Output placement (.plc), written atomically")->required();
  cmd->add_option("--seed", o->seed, "Random seed");
  cmd->add_option("--spacing", o->spacing, "Clearance between hard macros, microns")->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", o->threads, "Threads for the solver (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-fd", o->no_fd, "Leave soft macros and standard cells where they start");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  o->cost.add_to(*cmd);
  cmd->callback([o, &chosen] { chosen = [o] { return run_place(*o); }; });
}

}  // namespace rlplace::tools
