#include "cost/params.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlists/io.h"

namespace rlplace {

namespace {

// Limits that keep every intermediate of the cost finite: canvas and routing values up to
// 1e6 (a metre of canvas, a million tracks per micron), grids up to 512 cells a side
// (Circuit Training's grids stay under 128; the greedy and search placers try every cell
// for every macro, which at 4096 x 4096 takes minutes for a handful of macros).
constexpr double kBig = 1e6;

#define RLPLACE_FIELD(name) [](const CostParams& p) { return static_cast<double>(p.name); }, \
                            [](CostParams& p, double v) { p.name = static_cast<decltype(p.name)>(v); }

const std::array<CostParamField, kCostParamCount> kFields = {{
    {"width", "canvas width, microns", false, kMinCellSize, kBig, false, RLPLACE_FIELD(width)},
    {"height", "canvas height, microns", false, kMinCellSize, kBig, false, RLPLACE_FIELD(height)},
    {"cols", "grid columns", true, 1, 512, false, RLPLACE_FIELD(cols)},
    {"rows", "grid rows", true, 1, 512, false, RLPLACE_FIELD(rows)},
    {"h_routes_per_micron", "horizontal routes per micron", false, 0, kBig, true, RLPLACE_FIELD(h_routes_per_micron)},
    {"v_routes_per_micron", "vertical routes per micron", false, 0, kBig, true, RLPLACE_FIELD(v_routes_per_micron)},
    {"h_macro_alloc", "horizontal routes used by macros per micron", false, 0, kBig, false, RLPLACE_FIELD(h_macro_alloc)},
    {"v_macro_alloc", "vertical routes used by macros per micron", false, 0, kBig, false, RLPLACE_FIELD(v_macro_alloc)},
    {"smoothing", "congestion smoothing factor (range = its floor)", false, 0, 1000, false, RLPLACE_FIELD(smoothing)},
    {"overlap_threshold", "macro overlap threshold", false, 0, kBig, false, RLPLACE_FIELD(overlap_threshold)},
    {"wirelength_weight", "weight of the wirelength cost", false, 0, kBig, false, RLPLACE_FIELD(weights.wirelength)},
    {"density_weight", "weight of the density cost", false, 0, kBig, false, RLPLACE_FIELD(weights.density)},
    {"congestion_weight", "weight of the congestion cost", false, 0, kBig, false, RLPLACE_FIELD(weights.congestion)},
}};
#undef RLPLACE_FIELD

size_t field_index(std::string_view key) {
  for (size_t i = 0; i < kFields.size(); ++i)
    if (kFields[i].key == key) return i;
  throw std::invalid_argument(fmt::format("unknown cost parameter '{}'", key));
}

// The short name of a field for messages: its help text up to a comma or parenthesis.
std::string_view name_of(const CostParamField& f) {
  std::string_view s = f.help.substr(0, f.help.find_first_of(",("));
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The .plc header lines that carry parameters, as Circuit Training writes them. A line that
// starts with one of the prefixes must match its pattern in full.
struct PlcParamLine {
  std::string_view prefix;  // lower case
  const char* pattern;
  std::array<std::string_view, 2> keys;
  const char* format;
};
const PlcParamLine kPlcLines[] = {
    {"columns", R"(^\s*Columns\s*:\s*(\S+)\s+Rows\s*:\s*(\S+)\s*$)", {"cols", "rows"}, "Columns : {}  Rows : {}"},
    {"width", R"(^\s*Width\s*:\s*(\S+)\s+Height\s*:\s*(\S+)\s*$)", {"width", "height"}, "Width : {}  Height : {}"},
    {"routes per micron", R"(^\s*Routes per micron,\s*hor\s*:\s*(\S+)\s+ver\s*:\s*(\S+)\s*$)",
     {"h_routes_per_micron", "v_routes_per_micron"}, "Routes per micron, hor : {}  ver : {}"},
    {"routes used by macros", R"(^\s*Routes used by macros,\s*hor\s*:\s*(\S+)\s+ver\s*:\s*(\S+)\s*$)",
     {"h_macro_alloc", "v_macro_alloc"}, "Routes used by macros, hor : {}  ver : {}"},
    {"smoothing factor", R"(^\s*Smoothing factor\s*:\s*(\S+)\s*$)", {"smoothing", ""}, "Smoothing factor : {}"},
    {"overlap threshold", R"(^\s*Overlap threshold\s*:\s*(\S+)\s*$)", {"overlap_threshold", ""},
     "Overlap threshold : {}"},
};

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  size_t i = text.find_first_not_of(" \t");
  if (i == std::string_view::npos) return false;
  text.remove_prefix(i);
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

std::string format_value(const CostParamField& f, double v) {
  return f.integral ? fmt::format("{}", static_cast<long long>(v)) : format_double(v);
}

}  // namespace

const std::array<CostParamField, kCostParamCount>& cost_param_fields() { return kFields; }

void check_param(const CostParamField& f, double v, const std::string& where) {
  const bool below = f.min_open ? !(v > f.min) : !(v >= f.min);
  if (!std::isfinite(v) || below || v > f.max)
    throw InputError(fmt::format("{}: invalid {} {}: must be {} {} and at most {}", where, name_of(f), v,
                                 f.min_open ? "above" : "at least", f.min, f.max));
  if (f.integral && v != std::floor(v))
    throw InputError(fmt::format("{}: invalid {} {}: must be a whole number", where, name_of(f), v));
}

CostOverrides& CostOverrides::set(std::string_view key, double value, const std::string& where) {
  const size_t i = field_index(key);
  check_param(kFields[i], value, where);
  values_[i] = value;
  return *this;
}

std::optional<double> CostOverrides::get(std::string_view key) const { return values_[field_index(key)]; }

CostOverrides& CostOverrides::fill_from(const CostOverrides& lower) {
  for (size_t i = 0; i < values_.size(); ++i)
    if (!values_[i]) values_[i] = lower.values_[i];
  if (!blockages) blockages = lower.blockages;
  return *this;
}

void CostOverrides::apply_to(CostParams& p) const {
  for (size_t i = 0; i < values_.size(); ++i)
    if (values_[i]) kFields[i].set(p, *values_[i]);
  if (blockages) p.blockages = *blockages;
}

void validate_params(const CostParams& p, const std::string& where) {
  for (const CostParamField& f : kFields) check_param(f, f.get(p), where);
  if (p.cell_width() < kMinCellSize || p.cell_height() < kMinCellSize)
    throw InputError(fmt::format("{}: grid cells of {} x {} um are too small (a {} x {} grid on a {} x {} um canvas; "
                                 "at least {} um a side)",
                                 where, p.cell_width(), p.cell_height(), p.cols, p.rows, p.width, p.height,
                                 kMinCellSize));
}

CostParams resolve_params(const Netlist& nl, const PlcFile* plc, const CostOverrides& overrides) {
  CostParams p;
  if (nl.fp_width && nl.fp_height) {
    p.width = *nl.fp_width;
    p.height = *nl.fp_height;
  }
  p.blockages = nl.blockages;
  if (plc) {
    CostOverrides from_plc = params_from_plc(*plc);
    // As in Circuit Training, the first file that has blockages wins.
    if (!p.blockages.empty()) from_plc.blockages.reset();
    from_plc.apply_to(p);
  }
  if (p.width <= 0 || p.height <= 0) p.width = p.height = std::sqrt(nl.total_area() / 0.6);
  overrides.apply_to(p);
  if (!(p.width > 0) || !(p.height > 0))
    throw InputError(fmt::format("{}: canvas size {} x {} is not positive (give --width/--height or a .plc)",
                                 nl.source, p.width, p.height));
  validate_params(p, nl.source);
  return p;
}

CostOverrides params_from_plc(const PlcFile& plc) {
  CostOverrides o;
  for (const PlcHeaderLine& line : plc.header.lines) {
    const std::string where = fmt::format("{}:{}", plc.path, line.line);
    if (auto b = parse_blockage_line(line.text, where)) {
      if (!o.blockages) o.blockages.emplace();
      o.blockages->push_back(*b);
      continue;
    }
    for (const PlcParamLine& spec : kPlcLines) {
      if (!starts_with_nocase(line.text, spec.prefix)) continue;
      const std::regex re(spec.pattern, std::regex::icase);
      std::smatch m;
      if (!std::regex_match(line.text, m, re))
        throw InputError(fmt::format("{}: invalid header line '{}': expected '{}'", where, line.text,
                                     fmt::format(fmt::runtime(spec.format), "VALUE", "VALUE")));
      for (size_t k = 0; k < spec.keys.size() && !spec.keys[k].empty(); ++k) {
        double v;
        const CostParamField& f = kFields[field_index(spec.keys[k])];
        if (!parse_number(m[k + 1].str(), v))
          throw InputError(fmt::format("{}: invalid {} '{}' in header", where, name_of(f), m[k + 1].str()));
        o.set(spec.keys[k], v, where);
      }
      break;
    }
  }
  return o;
}

PlcHeader to_plc_header(const CostParams& p, const std::string& block_name) {
  PlcHeader h;
  h.block_name = block_name;
  for (const PlcParamLine& spec : kPlcLines) {
    std::string values[2];
    for (size_t k = 0; k < spec.keys.size() && !spec.keys[k].empty(); ++k) {
      const CostParamField& f = kFields[field_index(spec.keys[k])];
      values[k] = format_value(f, f.get(p));
    }
    h.lines.push_back({0, fmt::format(fmt::runtime(spec.format), values[0], values[1])});
  }
  for (const Blockage& b : p.blockages) h.lines.push_back({0, format_blockage_line(b)});
  return h;
}

nlohmann::json params_to_json(const CostParams& p) {
  nlohmann::json j = nlohmann::json::object();
  for (const CostParamField& f : kFields) {
    if (f.integral)
      j[std::string(f.key)] = static_cast<long long>(f.get(p));
    else
      j[std::string(f.key)] = f.get(p);
  }
  nlohmann::json b = nlohmann::json::array();
  for (const Blockage& x : p.blockages) b.push_back({x.min_x, x.min_y, x.max_x, x.max_y, x.rate});
  j["blockages"] = b;
  return j;
}

CostOverrides params_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(fmt::format("{}: expected a JSON object of cost parameters", where));
  CostOverrides o;
  for (const auto& [key, value] : j.items()) {
    if (key == "blockages") {
      if (!value.is_array()) throw InputError(fmt::format("{}: 'blockages' must be an array", where));
      o.blockages.emplace();
      for (const auto& b : value) {
        if (!b.is_array() || b.size() != 5 || !std::all_of(b.begin(), b.end(), [](auto& x) { return x.is_number(); }))
          throw InputError(fmt::format("{}: each blockage must be [x0, y0, x1, y1, rate]", where));
        const Blockage x{b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>(),
                         b[4].get<double>()};
        // One check for every source of blockages: the header line's.
        o.blockages->push_back(*parse_blockage_line(format_blockage_line(x), where));
      }
      continue;
    }
    const auto f = std::find_if(kFields.begin(), kFields.end(), [&](const auto& f) { return f.key == key; });
    if (f == kFields.end()) throw InputError(fmt::format("{}: unknown cost parameter '{}'", where, key));
    if (!value.is_number()) throw InputError(fmt::format("{}: '{}' must be a number", where, key));
    o.set(key, value.get<double>(), where);
  }
  return o;
}

}  // namespace rlplace
