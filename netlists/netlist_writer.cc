#include "netlists/netlist_writer.h"

#include <fmt/format.h>

#include "netlists/io.h"

namespace rlplace {

namespace {

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + '"';
}

}  // namespace

std::string netlist_number(double v) {
  std::string s = format_double(v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

void NetlistTextWriter::comment(const std::string& line) { out += "# " + line + "\n"; }
void NetlistTextWriter::begin(const std::string& name) { out += "node {\n  name: " + quoted(name) + "\n"; }
void NetlistTextWriter::input(const std::string& name) { out += "  input: " + quoted(name) + "\n"; }
void NetlistTextWriter::f(const char* key, double v) {
  out += "  attr {\n    key: \"";
  out += key;
  out += "\"\n    value {\n      f: " + netlist_number(v) + "\n    }\n  }\n";
}
void NetlistTextWriter::s(const char* key, const std::string& v) {
  out += "  attr {\n    key: \"";
  out += key;
  out += "\"\n    value {\n      placeholder: " + quoted(v) + "\n    }\n  }\n";
}
void NetlistTextWriter::end() { out += "}\n"; }

std::string fp_bbox_comment(double width, double height) {
  return fmt::format("FP bbox: {{0.0 0.0}} {{{} {}}}", netlist_number(width), netlist_number(height));
}

std::string format_netlist(const Netlist& nl, const std::vector<std::string>& comment) {
  const int32_t n = nl.num_nodes();
  std::vector<int32_t> driven(n, -1);
  for (int32_t net = 0; net < nl.num_nets(); ++net) driven[nl.net_pins[nl.net_begin[net]]] = net;

  NetlistTextWriter w;
  w.out.reserve(static_cast<size_t>(n) * 160 + 4096);
  for (const std::string& line : comment) w.comment(line);
  const bool canvas = nl.fp_width && nl.fp_height;
  if (canvas) w.comment(fp_bbox_comment(*nl.fp_width, *nl.fp_height));
  if (!nl.block_name.empty()) w.comment("Block : " + nl.block_name);
  for (const Blockage& b : nl.blockages) w.comment(format_blockage_line(b));
  if (nl.soft_macro_area_bloating_ratio != 0) {
    w.begin("__metadata__");
    w.f("soft_macro_area_bloating_ratio", nl.soft_macro_area_bloating_ratio);
    w.end();
  }
  for (int32_t i = 0; i < n; ++i) {
    const NodeKind k = nl.kind[i];
    w.begin(nl.name[i]);
    if (const int32_t net = driven[i]; net >= 0) {
      // A net of its driver alone was a node listing itself (an output port, as Circuit
      // Training writes them).
      if (nl.net_begin[net + 1] - nl.net_begin[net] == 1) w.input(nl.name[i]);
      for (int32_t j = nl.net_begin[net] + 1; j < nl.net_begin[net + 1]; ++j) w.input(nl.name[nl.net_pins[j]]);
    }
    if (is_macro(k) || k == NodeKind::kStdCell) w.f("height", nl.height[i]);
    if (is_pin(k)) w.s("macro_name", nl.name[nl.owner[i]]);
    // Hard macros always carry their orientation, as Circuit Training writes them; a soft
    // macro only when it is not the default.
    if (k == NodeKind::kHardMacro || (k == NodeKind::kSoftMacro && nl.orientation[i] != Orientation::N))
      w.s("orientation", std::string(to_string(nl.orientation[i])));
    if (k == NodeKind::kPort && canvas) w.s("side", side_name(nearest_side(nl.x[i], nl.y[i], *nl.fp_width, *nl.fp_height)));
    switch (k) {
      case NodeKind::kHardMacro: w.s("type", "MACRO"); break;
      case NodeKind::kSoftMacro: w.s("type", "macro"); break;
      case NodeKind::kPort: w.s("type", "PORT"); break;
      case NodeKind::kStdCell: w.s("type", "STDCELL"); break;
      case NodeKind::kHardMacroPin: w.s("type", "MACRO_PIN"); break;
      case NodeKind::kSoftMacroPin: w.s("type", "macro_pin"); break;
    }
    if (nl.weight[i] != 1.0) w.f("weight", nl.weight[i]);
    if (is_macro(k) || k == NodeKind::kStdCell) w.f("width", nl.width[i]);
    if (is_pin(k)) {
      // The pin's position under its macro's orientation, for tools that read x and y;
      // rlplace takes pins' positions from their macro and offset.
      const int32_t m = nl.owner[i];
      double ox, oy;
      orient_offset(nl.orientation[m], nl.pin_dx[i], nl.pin_dy[i], ox, oy);
      w.f("x", nl.x[m] + ox);
      w.f("x_offset", nl.pin_dx[i]);
      w.f("y", nl.y[m] + oy);
      w.f("y_offset", nl.pin_dy[i]);
    } else {
      w.f("x", nl.x[i]);
      w.f("y", nl.y[i]);
    }
    w.end();
  }
  return std::move(w.out);
}

}  // namespace rlplace
