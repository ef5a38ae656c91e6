// rlplace place: hard macros by a registered placer (and optionally a refiner), then the
// force-directed solver for the rest.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/costs_io.h"
#include "placer/flow.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct PlaceOptions {
  PlaceJob job;
  double spacing = 0;
  bool no_fd = false, json = false;
  CostFlags cost;
};

int run_place(PlaceOptions& o) {
  PlaceJob& job = o.job;
  job.cost = o.cost.resolve();
  job.request.env.macro_spacing = o.spacing;
  job.request.env.run_fd = !o.no_fd;
  const PlaceReport r = place_to_file(job);
  const Costs& c = r.costs;
  const LegalityReport& l = r.legality;
  if (o.json) {
    nlohmann::json j = costs_to_json(c, l);
    j.update({{"place_ms", r.place_ms}, {"total_ms", r.total_ms}, {"placer", job.placer},
              {"seed", job.request.seed}, {"out", job.out}, {"how", r.how}});
    if (!job.refiner.empty()) j["refiner"] = job.refiner;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  fmt::print("placed           {} hard macros of {} with {}, soft macros and cells by the solver\n", r.macros_placed,
             job.netlist, r.how);
  fmt::print("wirelength cost  {:.6f}\ndensity cost     {:.6f}\ncongestion cost  {:.6f}\nproxy cost       {:.6f}\n",
             c.wirelength_cost, c.density_cost, c.congestion_cost, c.proxy_cost);
  fmt::print("hard macros      {} overlapping pairs, {} outside the canvas, {} on blockages: {}\n", l.overlap_count,
             l.out_of_canvas, l.on_blockage, l.legal() ? "legal" : "ILLEGAL");
  fmt::print("time             {:.0f} ms to place, {:.0f} ms in all\nwrote            {}\n", r.place_ms, r.total_ms,
             job.out);
  return 0;
}

std::string placers_help() {
  std::string s = "One of:";
  for (const std::string& name : placer_names()) s += " " + name + ",";
  return s + " or rl and policy (a trained policy; the LibTorch build)";
}

}  // namespace

void add_place(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<PlaceOptions>();
  PlaceJob& job = o->job;
  PlaceRequest& rq = job.request;
  CLI::App* cmd = app.add_subcommand("place", "Place the hard macros, then the soft macros and standard cells");
  cmd->add_option("--netlist", job.netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  auto* plc = cmd->add_option("--plc", job.plc, "Starting placement and parameters (.plc)");
  auto* fp = cmd->add_option("--floorplan", job.floorplan, "Canvas, grid and routing parameters (.plc header)");
  plc->excludes(fp);
  cmd->add_option("--placer", job.placer, placers_help());
  cmd->add_option("--refine", job.refiner, "A refiner run on the placer's result");
  cmd->add_option("--refine-seconds", job.refine_seconds, "The refiner's wall-clock budget (0: its default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seconds", rq.seconds, "Wall-clock budget of search placers (0: their default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--moves", rq.moves, "Action budget of search placers instead of --seconds: reproducible")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--accept-start", rq.accept_start,
                  "Annealing (sa, rl, --refine sa): probability of accepting the first actions' mean uphill step, "
                  "which sets the starting temperature (0: the placer's own)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--policy", rq.policy,
                  "For --placer rl|policy: a checkpoint (.pt) or a training directory (its latest); default: $RLPLACE_POLICY, "
                  "else the bundled pretrained policy");
  cmd->add_option("--samples", rq.samples, "For --placer rl|policy: sampled episodes besides the greedy one; the best is kept (0: none for policy; for rl, one episode per thread in all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--beam", rq.beam,
                  "For --placer rl|policy: also a beam search of this width, the policy proposing --beam-expand cells "
                  "per partial placement and the partial proxy cost ranking them; the best placement is kept (0: none; "
                  "the placer's own unless given: 4 for policy, none for rl; at most 1024, each kept placement being a copy "
                  "of the environment)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--beam-expand", rq.beam_expand, "For --beam: the policy's most probable cells tried per partial placement")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--beam-by-log-prob", rq.beam_by_log_prob,
                "For --beam: rank partial placements by the policy's summed log-probability instead of the proxy cost");
  cmd->add_option("--device", rq.device, "For --placer rl|policy: cpu, cuda, cuda:1, ...");
  cmd->add_option("--out", job.out, "Output placement (.plc), written atomically")->required();
  cmd->add_option("--seed", rq.seed, "Random seed");
  cmd->add_option("--spacing", o->spacing, "Clearance between hard macros, microns")->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", rq.threads, "Threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-fd", o->no_fd, "Leave soft macros and standard cells where they start");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  o->cost.add_to(*cmd);
  cmd->callback([o, &chosen] { chosen = [o] { return run_place(*o); }; });
}

}  // namespace rlplace::tools
