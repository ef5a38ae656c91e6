// A netlist with its placement and cost parameters, loaded the way every command does.
#pragma once

#include <optional>
#include <string>

#include "cost/params.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"
#include "netlists/plc.h"

namespace rlplace {

struct Design {
  Netlist netlist;
  Placement placement;
  CostParams params;
  std::optional<PlcFile> plc;
};

// Reads the netlist and, if `plc_path` is not empty, the .plc (its header supplies the
// parameters, its body the positions). Throws InputError.
Design load_design(const std::string& netlist_path, const std::string& plc_path,
                   const CostOverrides& overrides = {});

}  // namespace rlplace
