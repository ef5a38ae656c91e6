#include "netlists/plc.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "netlists/io.h"

namespace rlplace {

namespace {

const char* kNum = R"(([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)))";

std::regex header_re(const std::string& body) {
  return std::regex(R"(^#\s*)" + body, std::regex::icase);
}

double to_double(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

bool parse_int(std::string_view s, long long& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_num(std::string_view s, double& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// libstdc++'s std::regex matches recursively, a stack frame or more per character, so a
// header line of 40,000 characters overflowed the stack (under AddressSanitizer).
// No header line rlplace or Circuit Training writes comes near this.
constexpr size_t kMaxHeaderLine = 4096;

void parse_header_line(const std::string& path, int line_no, const std::string& line, PlcHeader& h) {
  if (line.size() > kMaxHeaderLine)
    throw InputError(fmt::format("{}:{}: header line longer than {} characters", path, line_no, kMaxHeaderLine));
  static const std::string num = kNum;
  static const std::regex grid = header_re(R"(Columns\s*:\s*(\d+)\s+Rows\s*:\s*(\d+))");
  static const std::regex size = header_re(R"(Width\s*:\s*)" + num + R"(\s+Height\s*:\s*)" + num);
  static const std::regex routes = header_re(R"(Routes per micron,\s*hor\s*:\s*)" + num + R"(\s+ver\s*:\s*)" + num);
  static const std::regex alloc = header_re(R"(Routes used by macros,\s*hor\s*:\s*)" + num + R"(\s+ver\s*:\s*)" + num);
  static const std::regex smooth = header_re(R"(Smoothing factor\s*:\s*)" + num);
  static const std::regex overlap = header_re(R"(Overlap threshold\s*:\s*)" + num);
  static const std::regex blockage = header_re(R"(Blockage\s*:\s*)" + num + R"(\s+)" + num + R"(\s+)" + num + R"(\s+)" + num + R"(\s+)" + num);
  static const std::regex block = header_re(R"(Block\s*:\s*(\S+))");
  static const std::regex count = header_re(R"((HARD_MACROs|SOFT_MACROs|PORTs|STDCELLs)\s*:\s*(\d+))");
  std::smatch m;
  auto bad = [&](const char* what) {
    throw InputError(fmt::format("{}:{}: invalid {} in header", path, line_no, what));
  };
  auto positive = [&](double v, const char* what) {
    if (!std::isfinite(v) || v <= 0) bad(what);
    return v;
  };
  auto nonneg = [&](double v, const char* what) {
    if (!std::isfinite(v) || v < 0) bad(what);
    return v;
  };
  if (std::regex_search(line, m, grid)) {
    // from_chars, not stoll: twenty digits threw std::out_of_range, not InputError.
    long long c = 0, r = 0;
    if (!parse_int(m[1].str(), c) || !parse_int(m[2].str(), r) || c <= 0 || r <= 0 || c > 100000 || r > 100000)
      bad("grid size");
    h.cols = static_cast<int>(c);
    h.rows = static_cast<int>(r);
  } else if (std::regex_search(line, m, size)) {
    h.width = positive(to_double(m[1]), "canvas width");
    h.height = positive(to_double(m[2]), "canvas height");
  } else if (std::regex_search(line, m, routes)) {
    h.h_routes_per_micron = positive(to_double(m[1]), "routes per micron");
    h.v_routes_per_micron = positive(to_double(m[2]), "routes per micron");
  } else if (std::regex_search(line, m, alloc)) {
    h.h_macro_alloc = nonneg(to_double(m[1]), "macro routing allocation");
    h.v_macro_alloc = nonneg(to_double(m[2]), "macro routing allocation");
  } else if (std::regex_search(line, m, smooth)) {
    h.smoothing = nonneg(to_double(m[1]), "smoothing factor");
  } else if (std::regex_search(line, m, overlap)) {
    h.overlap_threshold = nonneg(to_double(m[1]), "overlap threshold");
  } else if (std::regex_search(line, m, blockage)) {
    Blockage b{to_double(m[1]), to_double(m[2]), to_double(m[3]), to_double(m[4]), to_double(m[5])};
    if (!std::isfinite(b.min_x) || !std::isfinite(b.min_y) || !(b.max_x > b.min_x) ||
        !(b.max_y > b.min_y) || !std::isfinite(b.rate) || b.rate < 0 || b.rate > 1)
      bad("blockage");
    h.blockages.push_back(b);
  } else if (std::regex_search(line, m, block)) {
    h.block_name = m[1].str();
  } else if (std::regex_search(line, m, count)) {
    long long count = 0;
    if (!parse_int(m[2].str(), count) || count > INT32_MAX) bad("node count");
    const int v = static_cast<int>(count);
    std::string key = m[1].str();
    if (key == "HARD_MACROs") h.count_hard_macros = v;
    else if (key == "SOFT_MACROs") h.count_soft_macros = v;
    else if (key == "PORTs") h.count_ports = v;
    else h.count_stdcells = v;
  }
}

}  // namespace

PlcFile parse_plc(const std::string& path, const std::string& content) {
  PlcFile plc;
  plc.path = path;
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
      parse_header_line(path, line_no, std::string(line), plc.header);
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
    if (!parse_int(tok[0], idx) || idx < 0 || idx > INT32_MAX)
      throw InputError(fmt::format("{}:{}: invalid node index '{}'", path, line_no, tok[0]));
    e.node = static_cast<int32_t>(idx);
    if (!parse_num(tok[1], e.x) || !parse_num(tok[2], e.y) || !std::isfinite(e.x) || !std::isfinite(e.y))
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

std::string format_double(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
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
  if (h.cols && h.rows) line(fmt::format("Columns : {}  Rows : {}", *h.cols, *h.rows));
  if (h.width && h.height)
    line(fmt::format("Width : {}  Height : {}", format_double(*h.width), format_double(*h.height)));
  line(fmt::format("Area (stdcell+macros) : {}", format_double(nl.total_area())));
  for (const auto& [k, v] : info) line(k + " : " + v);
  line("Project : rlplace");
  line("Block : " + (h.block_name.empty() ? std::string("unset_block") : h.block_name));
  if (h.h_routes_per_micron && h.v_routes_per_micron)
    line(fmt::format("Routes per micron, hor : {}  ver : {}", format_double(*h.h_routes_per_micron),
                     format_double(*h.v_routes_per_micron)));
  if (h.h_macro_alloc && h.v_macro_alloc)
    line(fmt::format("Routes used by macros, hor : {}  ver : {}", format_double(*h.h_macro_alloc),
                     format_double(*h.v_macro_alloc)));
  if (h.smoothing) line("Smoothing factor : " + format_double(*h.smoothing));
  if (h.overlap_threshold) line("Overlap threshold : " + format_double(*h.overlap_threshold));
  for (const Blockage& b : h.blockages)
    line(fmt::format("Blockage : {} {} {} {} {}", format_double(b.min_x), format_double(b.min_y),
                     format_double(b.max_x), format_double(b.max_y), format_double(b.rate)));
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
