// The netlist model: Circuit Training's node list held as parallel arrays.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "netlists/error.h"

namespace rlplace {

enum class NodeKind : uint8_t {
  kHardMacro,
  kSoftMacro,
  kPort,
  kStdCell,
  kHardMacroPin,
  kSoftMacroPin,
};

enum class Orientation : uint8_t { N, FN, S, FS, E, FE, W, FW };

std::string_view to_string(Orientation o);
std::optional<Orientation> parse_orientation(std::string_view s);
std::string_view to_string(NodeKind k);

// A pin offset (dx, dy) given for orientation N, as it lies under orientation o.
inline void orient_offset(Orientation o, double dx, double dy, double& ox, double& oy) {
  switch (o) {
    case Orientation::N: ox = dx; oy = dy; return;
    case Orientation::FN: ox = -dx; oy = dy; return;
    case Orientation::S: ox = -dx; oy = -dy; return;
    case Orientation::FS: ox = dx; oy = -dy; return;
    case Orientation::E: ox = dy; oy = -dx; return;
    case Orientation::FE: ox = -dy; oy = -dx; return;
    case Orientation::W: ox = -dy; oy = dx; return;
    case Orientation::FW: ox = dy; oy = dx; return;
  }
  ox = dx;
  oy = dy;
}

struct Blockage {
  double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
  double rate = 0;
};

// "Blockage : x0 y0 x1 y1 rate", as netlist and .plc headers both write it (`text` without
// the leading '#'). Returns nothing for another line; throws InputError naming `where` for
// a blockage line whose numbers are not finite, whose box is empty or whose rate is
// outside [0, 1], so that both readers accept exactly the same blockages.
std::optional<Blockage> parse_blockage_line(std::string_view text, const std::string& where);
// The header line (without '#') that parse_blockage_line reads back exactly.
std::string format_blockage_line(const Blockage& b);

// The canvas side a port at (x, y) sits on: the nearest edge of a width x height canvas,
// 0 LEFT, 1 TOP, 2 RIGHT, 3 BOTTOM; ties go in that order, the order in which Circuit
// Training's port grouping walks the boundary.
enum PortSide : int { kSideLeft = 0, kSideTop = 1, kSideRight = 2, kSideBottom = 3 };
PortSide nearest_side(double x, double y, double width, double height);
const char* side_name(PortSide side);  // "LEFT", "TOP", "RIGHT", "BOTTOM", as netlists write it

inline bool is_macro(NodeKind k) { return k == NodeKind::kHardMacro || k == NodeKind::kSoftMacro; }
inline bool is_pin(NodeKind k) {
  return k == NodeKind::kHardMacroPin || k == NodeKind::kSoftMacroPin;
}
// Nodes that own a position of their own and appear in a .plc body.
inline bool is_placeable(NodeKind k) { return !is_pin(k); }

struct Netlist {
  std::string source;  // the file it was read from

  // One entry per node, indexed as Circuit Training does: file order, __metadata__ excluded.
  std::vector<std::string> name;
  std::vector<NodeKind> kind;
  std::vector<double> x, y;           // centre given in the netlist (0 when absent)
  std::vector<double> width, height;  // 0 for ports and pins
  std::vector<Orientation> orientation;
  std::vector<int32_t> owner;         // a pin's macro; -1 for every other node
  std::vector<double> pin_dx, pin_dy; // a pin's offset from its macro's centre, orientation N
  std::vector<double> weight;         // weight of the net the node drives (default 1)
  std::vector<int32_t> line;          // line of the node in its file (1-based; 0 if unknown)

  // Nets in CSR form: net n has pins net_pins[net_begin[n] .. net_begin[n+1]), the driver
  // first, then its distinct sinks in file order.
  std::vector<int32_t> net_begin{0};
  std::vector<int32_t> net_pins;
  std::vector<double> net_weight;

  // The pins of each macro in CSR form over nodes (empty for non-macros).
  std::vector<int32_t> pin_begin;
  std::vector<int32_t> pins;

  // Node indices by kind, ascending.
  std::vector<int32_t> hard_macros, soft_macros, ports, stdcells;
  std::vector<int32_t> macros;  // hard and soft, ascending

  // From the file header comments.
  std::optional<double> fp_width, fp_height;  // "FP bbox: {x0 y0} {x1 y1}"
  std::string block_name;
  std::vector<Blockage> blockages;
  // From the __metadata__ node; 0 when absent.
  double soft_macro_area_bloating_ratio = 0;

  int32_t num_nodes() const { return static_cast<int32_t>(name.size()); }
  int32_t num_nets() const { return static_cast<int32_t>(net_weight.size()); }
  // Returns -1 when no node has that name.
  int32_t find(std::string_view node_name) const;
  // Total area of macros and standard cells.
  double total_area() const;
  double total_net_weight() const;

  // Builds the derived arrays (name index, nets, pin lists, kind lists) from the per-node
  // arrays and `sinks`, the nodes each node drives.
  void finalize(const std::vector<std::vector<int32_t>>& sinks);

  std::unordered_map<std::string, int32_t> index;  // name -> node
};

}  // namespace rlplace
