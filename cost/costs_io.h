// Costs and legality in the two forms outputs carry them: a JSON object (eval, place,
// compare, bench) and "Key : value" lines of a .plc header (place, the trainer's best
// placements), each written by one function.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/plc.h"

namespace rlplace {

nlohmann::json costs_to_json(const Costs& costs, const LegalityReport& legality);
// Wirelength, the three costs and the proxy cost, as Circuit Training's .plc files
// record them.
PlcInfo costs_to_plc_info(const Costs& costs);

// Writes `placement` of `design` atomically as Circuit Training writes placements: ports
// fixed, and whatever the input fixed; the costs and `placer` (the command that made it)
// in the header.
void write_scored_plc(const std::string& path, const Design& design, const Placement& placement, const Costs& costs,
                      const std::string& placer);

}  // namespace rlplace
