#include "cost/design.h"

#include "netlists/netlist_reader.h"

namespace rlplace {

Design load_design(const std::string& netlist_path, const std::string& plc_path,
                   const CostOverrides& overrides) {
  Design d;
  d.netlist = read_netlist(netlist_path);
  d.placement = Placement::from_netlist(d.netlist);
  if (!plc_path.empty()) {
    d.plc = read_plc(plc_path);
    apply_plc(*d.plc, d.netlist, d.placement);
  }
  d.params = resolve_params(d.netlist, d.plc ? &*d.plc : nullptr, overrides);
  return d;
}

}  // namespace rlplace
