#include "report/export.h"

#include <cmath>

#include <fmt/format.h>

#include "report/footprint.h"

namespace rlplace {

std::optional<ExportFormat> parse_export_format(std::string_view s) {
  if (s == "innovus") return ExportFormat::kInnovus;
  if (s == "icc2") return ExportFormat::kIcc2;
  if (s == "openroad") return ExportFormat::kOpenroad;
  if (s == "def") return ExportFormat::kDef;
  return std::nullopt;
}

std::string_view tool_orientation(Orientation o, ExportFormat f) {
  if (f == ExportFormat::kDef) return to_string(o);
  // DEF's FE is a mirror in Y then a quarter turn anticlockwise (OpenDB reads DEF FE as
  // MYR90), which is also how orient_offset turns pins.
  switch (o) {
    case Orientation::N: return "R0";
    case Orientation::S: return "R180";
    case Orientation::E: return "R270";
    case Orientation::W: return "R90";
    case Orientation::FN: return "MY";
    case Orientation::FS: return "MX";
    case Orientation::FE: return f == ExportFormat::kInnovus ? "MY90" : "MYR90";
    case Orientation::FW: return f == ExportFormat::kInnovus ? "MX90" : "MXR90";
  }
  return "R0";
}

std::string tcl_word(std::string_view name) {
  bool special = name.empty(), braces = false;
  for (char ch : name) {
    if (ch == '{' || ch == '}' || ch == '\\') braces = true;
    if (ch == '[' || ch == ']' || ch == '$' || ch == '"' || ch == ';' || ch == '#' || ch == ' ' || ch == '\t' ||
        ch == '\n')
      special = true;
  }
  if (braces) {
    std::string s;
    for (char ch : name) {
      if (std::string_view("[]${}\\\"; \t#").find(ch) != std::string_view::npos) s += '\\';
      s += ch;
    }
    return s;
  }
  std::string s;
  if (special) s += '{';
  s += name;
  if (special) s += '}';
  return s;
}

namespace {

// Fixed 4 decimals (0.1 nm, below any manufacturing grid) without trailing zeros.
std::string microns(double v) {
  std::string s = fmt::format("{:.4f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

// The netlist names no masters, so DEF gets a stand-in per macro size, for the user to map.
std::string def_master(double w, double h) {
  std::string s = "HM_" + microns(w) + "x" + microns(h);
  for (char& ch : s)
    if (ch == '.') ch = 'p';
  return s;
}

}  // namespace

std::string export_macros(const Netlist& nl, const Placement& p, const CostParams& params, ExportFormat f,
                          const ExportOptions& options) {
  std::string out;
  int placed = 0;
  for (int32_t m : nl.hard_macros) placed += p.placed[m] != 0;
  const auto dbu = [&](double v) { return static_cast<long long>(std::llround(v * options.dbu)); };
  switch (f) {
    case ExportFormat::kInnovus: out += "# Innovus: hard-macro placement written by rlplace export\n"; break;
    case ExportFormat::kIcc2: out += "# IC Compiler II: hard-macro placement written by rlplace export\n"; break;
    case ExportFormat::kOpenroad: out += "# OpenROAD: hard-macro placement written by rlplace export\n"; break;
    case ExportFormat::kDef:
      out += "VERSION 5.8 ;\nDIVIDERCHAR \"/\" ;\nBUSBITCHARS \"[]\" ;\n";
      out += fmt::format("DESIGN {} ;\nUNITS DISTANCE MICRONS {} ;\n", options.design, options.dbu);
      out += fmt::format("DIEAREA ( 0 0 ) ( {} {} ) ;\n\n", dbu(params.width), dbu(params.height));
      out += fmt::format("COMPONENTS {} ;\n", placed);
      break;
  }
  for (int32_t m : nl.hard_macros) {
    if (!p.placed[m]) continue;
    const Footprint fp = footprint(nl, p, m);
    const std::string_view o = tool_orientation(p.orientation[m], f);
    switch (f) {
      case ExportFormat::kInnovus:
        out += fmt::format("placeInstance {} {} {} {} -fixed\n", tcl_word(nl.name[m]), microns(fp.llx),
                           microns(fp.lly), o);
        break;
      case ExportFormat::kIcc2:
        out += fmt::format("set_cell_location -coordinates {{{} {}}} -orientation {} -fixed {}\n", microns(fp.llx),
                           microns(fp.lly), o, tcl_word(nl.name[m]));
        break;
      case ExportFormat::kOpenroad:
        out += fmt::format("place_macro -macro_name {} -location {{{} {}}} -orientation {}\n", tcl_word(nl.name[m]),
                           microns(fp.llx), microns(fp.lly), o);
        break;
      case ExportFormat::kDef:
        out += fmt::format("- {} {} + FIXED ( {} {} ) {} ;\n", nl.name[m], def_master(nl.width[m], nl.height[m]),
                           dbu(fp.llx), dbu(fp.lly), o);
        break;
    }
  }
  if (f == ExportFormat::kDef) out += "END COMPONENTS\n\nEND DESIGN\n";
  return out;
}

}  // namespace rlplace
