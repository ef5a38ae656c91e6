// rlplace eval.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/costs_io.h"
#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/io.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {


struct EvalOptions {
  std::string netlist, plc;
  bool json = false;
  CostFlags cost;
};

int run_eval(const EvalOptions& o) {
  auto t_load = Clock::now();
  Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  const double load_ms = ms_since(t_load);
  auto t0 = Clock::now();
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  const Costs c = ev.costs();
  const LegalityReport l = ev.legality();
  const double eval_ms = ms_since(t0);
  const Netlist& nl = d.netlist;
  if (o.json) {
    nlohmann::json j = costs_to_json(c, l);
    j["eval_ms"] = eval_ms;
    j["load_ms"] = load_ms;
    j["netlist"] = o.netlist;
    if (!o.plc.empty()) j["plc"] = o.plc;
    j["params"] = params_to_json(d.params);
    j["counts"] = {{"hard_macros", nl.hard_macros.size()}, {"soft_macros", nl.soft_macros.size()},
                   {"ports", nl.ports.size()},             {"stdcells", nl.stdcells.size()},
                   {"nets", nl.num_nets()}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  const CostParams& p = d.params;
  fmt::print("netlist          {} ({} hard macros, {} soft macros, {} ports, {} standard cells, {} nets)\n",
             o.netlist, nl.hard_macros.size(), nl.soft_macros.size(), nl.ports.size(), nl.stdcells.size(),
             nl.num_nets());
  if (!o.plc.empty()) fmt::print("placement        {}\n", o.plc);
  fmt::print("canvas           {} x {} um, grid {} cols x {} rows, smoothing {}\n", p.width, p.height, p.cols,
             p.rows, p.smoothing_range());
  fmt::print("wirelength       {:.3f} um\n", c.wirelength);
  fmt::print("wirelength cost  {:.6f}\n", c.wirelength_cost);
  fmt::print("density cost     {:.6f}\n", c.density_cost);
  fmt::print("congestion cost  {:.6f}\n", c.congestion_cost);
  fmt::print("proxy cost       {:.6f}  ({} wl + {} density + {} congestion)\n", c.proxy_cost, p.weights.wirelength,
             p.weights.density, p.weights.congestion);
  fmt::print("hard macros      {} overlapping pairs (area {:.3f} um2), {} outside the canvas, {} on blockages: {}\n",
             l.overlap_count, l.overlap_area, l.out_of_canvas, l.on_blockage, l.legal() ? "legal" : "ILLEGAL");
  fmt::print("time             {:.2f} ms to evaluate, {:.1f} ms to read\n", eval_ms, load_ms);
  return 0;
}

}  // namespace

void CostFlags::add_to(CLI::App& cmd) {
  const auto& fields = cost_param_fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string flag = "--" + std::string(fields[i].key);
    std::replace(flag.begin(), flag.end(), '_', '-');
    cmd.add_option(flag, values[i], std::string(fields[i].help) + " (overrides the .plc header)");
  }
  cmd.add_option("--config", config, "JSON file with any of these parameters by key, e.g. {\"cols\": 24} (flags win)");
}

CostOverrides CostFlags::resolve() const {
  CostOverrides o;
  const auto& fields = cost_param_fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!values[i]) continue;
    std::string flag = "--" + std::string(fields[i].key);
    std::replace(flag.begin(), flag.end(), '_', '-');
    o.set(fields[i].key, *values[i], flag);
  }
  if (config.empty()) return o;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(config));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: invalid JSON: {}", config, e.what()));
  }
  return o.fill_from(params_from_json(j, config));
}

void add_eval(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Proxy cost and legality of a placement");
  cmd->add_option("--netlist", o->netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--plc", o->plc, "Placement (.plc); without it, the netlist's own positions");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  o->cost.add_to(*cmd);
  cmd->callback([o, &chosen] { chosen = [o] { return run_eval(*o); }; });
}

}  // namespace rlplace::tools
