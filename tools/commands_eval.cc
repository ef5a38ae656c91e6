// rlplace eval.
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/io.h"
#include "netlists/json_number.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {


template <class T>
void from_config(const nlohmann::json& j, const char* key, std::optional<T>& slot, const std::string& path) {
  if (slot || !j.contains(key)) return;
  const auto& v = j.at(key);
  if (!v.is_number()) throw InputError(fmt::format("{}: '{}' must be a number", path, key));
  try {
    slot = json_number<T>(v);  // checked: get<int>() of 1e300 is undefined behaviour
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: '{}' {}", path, key, e.what()));
  }
}

nlohmann::json costs_json(const Costs& c, const LegalityReport& l) {
  return {{"wirelength", c.wirelength},       {"wirelength_cost", c.wirelength_cost},
          {"density_cost", c.density_cost},   {"congestion_cost", c.congestion_cost},
          {"proxy_cost", c.proxy_cost},       {"overlap_count", l.overlap_count},
          {"overlap_area", l.overlap_area},   {"out_of_canvas", l.out_of_canvas},
          {"on_blockage", l.on_blockage},     {"legal", l.legal()}};
}

nlohmann::json params_json(const CostParams& p) {
  return {{"width", p.width},
          {"height", p.height},
          {"cols", p.cols},
          {"rows", p.rows},
          {"h_routes_per_micron", p.h_routes_per_micron},
          {"v_routes_per_micron", p.v_routes_per_micron},
          {"h_macro_alloc", p.h_macro_alloc},
          {"v_macro_alloc", p.v_macro_alloc},
          {"smoothing", p.smoothing},
          {"overlap_threshold", p.overlap_threshold},
          {"weights", {p.wirelength_weight, p.density_weight, p.congestion_weight}}};
}

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
    nlohmann::json j = costs_json(c, l);
    j["eval_ms"] = eval_ms;
    j["load_ms"] = load_ms;
    j["netlist"] = o.netlist;
    if (!o.plc.empty()) j["plc"] = o.plc;
    j["params"] = params_json(d.params);
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
  fmt::print("proxy cost       {:.6f}  ({} wl + {} density + {} congestion)\n", c.proxy_cost, p.wirelength_weight,
             p.density_weight, p.congestion_weight);
  fmt::print("hard macros      {} overlapping pairs (area {:.3f} um2), {} outside the canvas, {} on blockages: {}\n",
             l.overlap_count, l.overlap_area, l.out_of_canvas, l.on_blockage, l.legal() ? "legal" : "ILLEGAL");
  fmt::print("time             {:.2f} ms to evaluate, {:.1f} ms to read\n", eval_ms, load_ms);
  return 0;
}

}  // namespace

void CostFlags::add_to(CLI::App& cmd) {
  auto& o = overrides;
  cmd.add_option("--width", o.width, "Canvas width, microns (overrides the .plc header)")->check(CLI::PositiveNumber);
  cmd.add_option("--height", o.height, "Canvas height, microns")->check(CLI::PositiveNumber);
  cmd.add_option("--cols", o.cols, "Grid columns")->check(CLI::Range(1, 4096));
  cmd.add_option("--rows", o.rows, "Grid rows")->check(CLI::Range(1, 4096));
  cmd.add_option("--h-routes-per-micron", o.h_routes_per_micron, "Horizontal routes per micron")->check(CLI::PositiveNumber);
  cmd.add_option("--v-routes-per-micron", o.v_routes_per_micron, "Vertical routes per micron")->check(CLI::PositiveNumber);
  cmd.add_option("--h-macro-alloc", o.h_macro_alloc, "Horizontal routes used by macros per micron")->check(CLI::NonNegativeNumber);
  cmd.add_option("--v-macro-alloc", o.v_macro_alloc, "Vertical routes used by macros per micron")->check(CLI::NonNegativeNumber);
  cmd.add_option("--smoothing", o.smoothing, "Congestion smoothing factor (range = floor of it)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--overlap-threshold", o.overlap_threshold, "Macro overlap threshold")->check(CLI::NonNegativeNumber);
  cmd.add_option("--wirelength-weight", o.wirelength_weight, "Weight of the wirelength cost (default 1)");
  cmd.add_option("--density-weight", o.density_weight, "Weight of the density cost (default 0.5)");
  cmd.add_option("--congestion-weight", o.congestion_weight, "Weight of the congestion cost (default 0.5)");
  cmd.add_option("--config", config, "JSON file with any of these parameters (flags win)");
}

CostOverrides CostFlags::resolve() const {
  CostOverrides o = overrides;
  if (config.empty()) return o;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(config));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: invalid JSON: {}", config, e.what()));
  }
  if (!j.is_object()) throw InputError(fmt::format("{}: expected a JSON object", config));
  from_config(j, "width", o.width, config);
  from_config(j, "height", o.height, config);
  from_config(j, "cols", o.cols, config);
  from_config(j, "rows", o.rows, config);
  from_config(j, "h_routes_per_micron", o.h_routes_per_micron, config);
  from_config(j, "v_routes_per_micron", o.v_routes_per_micron, config);
  from_config(j, "h_macro_alloc", o.h_macro_alloc, config);
  from_config(j, "v_macro_alloc", o.v_macro_alloc, config);
  from_config(j, "smoothing", o.smoothing, config);
  from_config(j, "overlap_threshold", o.overlap_threshold, config);
  from_config(j, "wirelength_weight", o.wirelength_weight, config);
  from_config(j, "density_weight", o.density_weight, config);
  from_config(j, "congestion_weight", o.congestion_weight, config);
  return o;
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
