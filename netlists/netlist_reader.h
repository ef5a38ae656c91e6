// Reads Circuit Training netlists: text (.pb.txt), gzipped text (.pb.txt.gz) and binary
// GraphDef (.pb, .pb.gz).
#pragma once

#include <string>

#include "netlists/netlist.h"

namespace rlplace {

// Throws InputError with a one-line message naming the file and, where known, the line.
Netlist read_netlist(const std::string& path);

// Same, for a netlist already in memory; `path` only names it in messages and decides
// text or binary by its extension when the content alone does not.
Netlist parse_netlist(const std::string& path, const std::string& content);

}  // namespace rlplace
