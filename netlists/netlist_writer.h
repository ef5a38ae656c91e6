// Writes Circuit Training's text netlist (a GraphDef in protobuf text form), the format
// read_netlist reads: header comments, the __metadata__ node, then one node per entry of
// the model in index order.
#pragma once

#include <string>
#include <vector>

#include "netlists/netlist.h"

namespace rlplace {

// Node-by-node writer of the text form, as Circuit Training's own files lay it out (two
// spaces per level, one attr per key). Shared by every producer of netlists (the writer
// below, clustering, the generator) so that all write the same text.
struct NetlistTextWriter {
  std::string out;
  void comment(const std::string& line);  // "# line"
  void begin(const std::string& name);
  void input(const std::string& name);
  void f(const char* key, double v);                  // a number attribute
  void s(const char* key, const std::string& v);      // a string (placeholder) attribute
  void end();
};

// A number as protobuf's text form writes a float: shortest round-trip digits, with ".0"
// added to an integer so that it reads as a float.
std::string netlist_number(double v);

// The header comment (without '#') that gives the reader a netlist's canvas.
std::string fp_bbox_comment(double width, double height);

// The whole netlist as text: `comment` lines (without '#') first, then the header lines
// the reader takes back (FP bbox when the netlist has one, Block when named, blockages),
// __metadata__ when the bloating ratio is set, then every node. Reading the text back
// gives the same arrays (everything but `source` and `line`): same names, kinds, sizes,
// positions, orientations, pin offsets, weights and nets in the same order. A port's
// side is written when the canvas is known, for Circuit Training's tools; rlplace ignores it.
std::string format_netlist(const Netlist& nl, const std::vector<std::string>& comment = {});

}  // namespace rlplace
