#include "cost/costs_io.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rlplace {

nlohmann::json costs_to_json(const Costs& c, const LegalityReport& l) {
  return {{"wirelength", c.wirelength},       {"wirelength_cost", c.wirelength_cost},
          {"density_cost", c.density_cost},   {"congestion_cost", c.congestion_cost},
          {"proxy_cost", c.proxy_cost},       {"overlap_count", l.overlap_count},
          {"overlap_area", l.overlap_area},   {"out_of_canvas", l.out_of_canvas},
          {"on_blockage", l.on_blockage},     {"legal", l.legal()}};
}

PlcInfo costs_to_plc_info(const Costs& c) {
  return {{"Wirelength", fmt::format("{:.3f}", c.wirelength)},
          {"Wirelength cost", fmt::format("{:.6f}", c.wirelength_cost)},
          {"Congestion cost", fmt::format("{:.6f}", c.congestion_cost)},
          {"Density cost", fmt::format("{:.6f}", c.density_cost)},
          {"Proxy cost", fmt::format("{:.6f}", c.proxy_cost)}};
}

void write_scored_plc(const std::string& path, const Design& d, const Placement& placement, const Costs& c,
                      const std::string& placer) {
  const Netlist& nl = d.netlist;
  Placement out = placement;
  for (int32_t i = 0; i < nl.num_nodes(); ++i) out.fixed[i] = d.placement.fixed[i] || nl.kind[i] == NodeKind::kPort;
  PlcInfo info = costs_to_plc_info(c);
  info.emplace_back("Placer", placer);
  write_plc(path, nl, out, to_plc_header(d.params, nl.block_name), info);
}

}  // namespace rlplace
