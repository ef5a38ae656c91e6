// Circuit Training's .plc placement files: a commented header of parameters, then one
// line per port, macro and standard cell: `index x y orientation fixed`.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netlists/io.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"

namespace rlplace {

// One header comment line, without its '#'.
struct PlcHeaderLine {
  int line = 0;  // in the file read; 0 for lines made to be written
  std::string text;
};

// The header as far as the file format goes. The cost parameters in it (grid, canvas,
// routing, smoothing, blockages) are read and written by cost/params.h, next to their
// definition.
struct PlcHeader {
  std::string block_name;
  // "Counts of node types" as written, to catch a .plc made for another netlist.
  std::optional<int> count_hard_macros, count_soft_macros, count_ports, count_stdcells;
  // Read: every other header line, in file order. Written: the lines to_plc_header makes.
  std::vector<PlcHeaderLine> lines;
};

struct PlcEntry {
  int32_t node = -1;
  double x = 0, y = 0;
  std::optional<Orientation> orientation;  // none for "-"
  bool fixed = false;
  int line = 0;
};

struct PlcFile {
  std::string path;
  PlcHeader header;
  std::vector<PlcEntry> entries;
};

// Throws InputError naming the file and line.
PlcFile read_plc(const std::string& path);
PlcFile parse_plc(const std::string& path, const std::string& content);

// Applies the body to `placement`, checking every index and value against the netlist.
// Nodes the file does not list keep their positions.
void apply_plc(const PlcFile& plc, const Netlist& nl, Placement& placement);

// Extra "Key : value" header lines, such as costs.
using PlcInfo = std::vector<std::pair<std::string, std::string>>;

// The .plc text for a placement. `header` should carry every parameter (the grid, canvas
// and routing values used), so that tools reading the file back see the same setup.
// Coordinates are written in shortest round-trip form: reading the file back gives the
// same doubles.
std::string format_plc(const Netlist& nl, const Placement& placement, const PlcHeader& header,
                       const PlcInfo& info = {}, const std::string& this_file = "");

// format_plc written atomically.
void write_plc(const std::string& path, const Netlist& nl, const Placement& placement,
               const PlcHeader& header, const PlcInfo& info = {});

}  // namespace rlplace
