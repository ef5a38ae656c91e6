#include "netlists/plc.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "netlists/io.h"

namespace rlplace {

namespace {

void parse_header_line(const std::string& path, int line_no, std::string_view line, PlcHeader& h) {
  static const std::regex block(R"(^\s*Block\s*:\s*(\S+))", std::regex::icase);
  static const std::regex count(R"(^\s*(HARD_MACROs|SOFT_MACROs|PORTs|STDCELLs)\s*:\s*(\d{1,9})\s*$)", std::regex::icase);
  std::string text(line);
  std::smatch m;
  if (std::regex_search(text, m, block)) {
    h.block_name = m[1].str();
  } else if (std::regex_search(text, m, count)) {
    const int v = std::stoi(m[2].str());
    std::string key = m[1].str();
    for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (key == "HARD_MACROS") h.count_hard_macros = v;
    else if (key == "SOFT_MACROS") h.count_soft_macros = v;
    else if (key == "PORTS") h.count_ports = v;
    else h.count_stdcells = v;
  } else {
    h.lines.push_back({line_no, std::move(text)});
  }
}

}  // namespace

PlcFile parse_plc(const std::string& path, const std::string& content) {
  PlcFile plc;
  plc.path = path;
  if (content.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InputError(fmt::format("{}: empty placement file", path));
  size_t pos = 0;
  int line_no = 0;
  std::string_view tok[6];
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    if (line[first] == '#') {
      parse_header_line(path, line_no, line.substr(first + 1), plc.header);
      continue;
    }
    int n = 0;
    size_t i = first;
    while (i < line.size()) {
      size_t j = line.find_first_of(" \t", i);
      if (j == std::string_view::npos) j = line.size();
      if (n == 6) break;
      tok[n++] = line.substr(i, j - i);
      i = line.find_first_not_of(" \t", j);
      if (i == std::string_view::npos) break;
    }
    if (n != 5)
      throw InputError(fmt::format("{}:{}: expected 'index x y orientation fixed', got '{}'", path, line_no, line));
    PlcEntry e;
    e.line = line_no;
    long long idx;
    if (!parse_integer(tok[0], idx) || idx < 0 || idx > INT32_MAX)
      throw InputError(fmt::format("{}:{}: invalid node index '{}'", path, line_no, tok[0]));
    e.node = static_cast<int32_t>(idx);
    if (!parse_number(tok[1], e.x) || !parse_number(tok[2], e.y) || !std::isfinite(e.x) || !std::isfinite(e.y))
      throw InputError(fmt::format("{}:{}: invalid coordinates '{} {}' for node {}", path, line_no, tok[1], tok[2], idx));
    if (tok[3] != "-") {
      e.orientation = parse_orientation(tok[3]);
      if (!e.orientation)
        throw InputError(fmt::format("{}:{}: unknown orientation '{}'", path, line_no, tok[3]));
    }
    if (tok[4] == "1") e.fixed = true;
    else if (tok[4] != "0")
      throw InputError(fmt::format("{}:{}: fixed flag must be 0 or 1, got '{}'", path, line_no, tok[4]));
    plc.entries.push_back(e);
  }
  return plc;
}

PlcFile read_plc(const std::string& path) { return parse_plc(path, read_file(path)); }

void apply_plc(const PlcFile& plc, const Netlist& nl, Placement& p) {
  const PlcHeader& h = plc.header;
  auto check = [&](const std::optional<int>& written, size_t actual, const char* what) {
    if (written && static_cast<size_t>(*written) != actual)
      throw InputError(fmt::format("{}: written for another netlist: header counts {} {}, {} has {}",
                                   plc.path, *written, what, nl.source, actual));
  };
  check(h.count_hard_macros, nl.hard_macros.size(), "hard macros");
  check(h.count_soft_macros, nl.soft_macros.size(), "soft macros");
  check(h.count_ports, nl.ports.size(), "ports");
  check(h.count_stdcells, nl.stdcells.size(), "standard cells");
  std::vector<uint8_t> seen(nl.num_nodes(), 0);
  for (const PlcEntry& e : plc.entries) {
    if (e.node >= nl.num_nodes())
      throw InputError(fmt::format("{}:{}: index {} is not a node of {} ({} nodes)", plc.path, e.line,
                                   e.node, nl.source, nl.num_nodes()));
    const NodeKind k = nl.kind[e.node];
    if (!is_placeable(k))
      throw InputError(fmt::format("{}:{}: index {} is {} '{}'; a .plc lists ports, macros and standard cells",
                                   plc.path, e.line, e.node, to_string(k), nl.name[e.node]));
    if (seen[e.node])
      throw InputError(fmt::format("{}:{}: index {} listed twice", plc.path, e.line, e.node));
    seen[e.node] = 1;
    p.x[e.node] = e.x;
    p.y[e.node] = e.y;
    if (e.orientation && is_macro(k)) p.orientation[e.node] = *e.orientation;
    p.fixed[e.node] = e.fixed;
    p.placed[e.node] = 1;
  }
}

std::string format_plc(const Netlist& nl, const Placement& p, const PlcHeader& h, const PlcInfo& info,
                       const std::string& this_file) {
  std::string out;
  out.reserve(64 * (nl.num_nodes() / 4 + 64));
  auto line = [&](const std::string& s) {
    out += "# ";
    out += s;
    out += '\n';
  };
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  line("Placement file for Circuit Training");
  line("Source input file(s) : " + nl.source);
  line("This file : " + this_file);
  line(std::string("Date : ") + date);
  for (const PlcHeaderLine& l : h.lines) line(l.text);
  line(fmt::format("Area (stdcell+macros) : {}", format_double(nl.total_area())));
  for (const auto& [k, v] : info) line(k + " : " + v);
  line("Project : rlplace");
  line("Block : " + (h.block_name.empty() ? std::string("unset_block") : h.block_name));
  out += "#\n";
  line("Counts of node types:");
  size_t hard_pins = 0, soft_pins = 0;
  for (NodeKind k : nl.kind) {
    hard_pins += k == NodeKind::kHardMacroPin;
    soft_pins += k == NodeKind::kSoftMacroPin;
  }
  line(fmt::format("HARD_MACROs     : {:9}", nl.hard_macros.size()));
  line(fmt::format("HARD_MACRO_PINs : {:9}", hard_pins));
  line(fmt::format("MACROs          : {:9}", nl.macros.size()));
  line(fmt::format("MACRO_PINs      : {:9}", hard_pins + soft_pins));
  line(fmt::format("PORTs           : {:9}", nl.ports.size()));
  line(fmt::format("SOFT_MACROs     : {:9}", nl.soft_macros.size()));
  line(fmt::format("SOFT_MACRO_PINs : {:9}", soft_pins));
  line(fmt::format("STDCELLs        : {:9}", nl.stdcells.size()));
  out += "#\n";
  line("node_index x y orientation fixed");
  for (int32_t i = 0; i < nl.num_nodes(); ++i) {
    const NodeKind k = nl.kind[i];
    if (!is_placeable(k) || !p.placed[i]) continue;
    out += std::to_string(i);
    out += ' ';
    out += format_double(p.x[i]);
    out += ' ';
    out += format_double(p.y[i]);
    out += ' ';
    out += is_macro(k) ? to_string(p.orientation[i]) : std::string_view("-");
    out += p.fixed[i] ? " 1\n" : " 0\n";
  }
  return out;
}

void write_plc(const std::string& path, const Netlist& nl, const Placement& p, const PlcHeader& h,
               const PlcInfo& info) {
  write_file_atomic(path, format_plc(nl, p, h, info, path));
}

Placement Placement::from_netlist(const Netlist& nl) {
  Placement p;
  p.x = nl.x;
  p.y = nl.y;
  p.orientation = nl.orientation;
  p.fixed.assign(nl.num_nodes(), 0);
  p.placed.assign(nl.num_nodes(), 1);
  return p;
}

}  // namespace rlplace
