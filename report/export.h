// Hard-macro placements as commands for other tools: Innovus, IC Compiler II, OpenROAD,
// or a DEF COMPONENTS section. docs/compare.md has the orientation table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cost/params.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"

namespace rlplace {

enum class ExportFormat { kInnovus, kIcc2, kOpenroad, kDef };

// "innovus", "icc2", "openroad", "def".
std::optional<ExportFormat> parse_export_format(std::string_view s);

// The tool's name for an orientation: DEF keeps N, S, E, W, FN, FS, FE, FW; the Tcl tools
// use R0, R180, R270, R90, MY, MX, and for FE / FW MY90 / MX90 (Innovus) or MYR90 / MXR90.
std::string_view tool_orientation(Orientation o, ExportFormat f);

// A name as one Tcl word: braced when it holds characters Tcl would expand ([0] in bus
// indices), backslash-escaped when braces would not be safe.
std::string tcl_word(std::string_view name);

struct ExportOptions {
  int dbu = 1000;  // DEF database units per micron
  std::string design = "top";  // the DEF DESIGN name
};

// One line per hard macro (placed ones only), in node order, at the lower-left corner of its
// oriented outline; every macro fixed. Microns with up to 4 decimals for the Tcl tools,
// rounded database units for DEF.
std::string export_macros(const Netlist& nl, const Placement& p, const CostParams& params, ExportFormat f,
                          const ExportOptions& options = {});

}  // namespace rlplace
