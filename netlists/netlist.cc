#include "netlists/netlist.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "netlists/io.h"

namespace rlplace {

namespace {
constexpr std::array<std::string_view, 8> kOrientationNames = {"N", "FN", "S", "FS",
                                                               "E", "FE", "W", "FW"};
}

std::string_view to_string(Orientation o) { return kOrientationNames[static_cast<int>(o)]; }

std::optional<Orientation> parse_orientation(std::string_view s) {
  for (size_t i = 0; i < kOrientationNames.size(); ++i) {
    const auto& n = kOrientationNames[i];
    if (n.size() == s.size() &&
        std::equal(n.begin(), n.end(), s.begin(),
                   [](char a, char b) { return a == std::toupper(static_cast<unsigned char>(b)); }))
      return static_cast<Orientation>(i);
  }
  return std::nullopt;
}

std::string_view to_string(NodeKind k) {
  switch (k) {
    case NodeKind::kHardMacro: return "hard macro";
    case NodeKind::kSoftMacro: return "soft macro";
    case NodeKind::kPort: return "port";
    case NodeKind::kStdCell: return "standard cell";
    case NodeKind::kHardMacroPin: return "hard macro pin";
    case NodeKind::kSoftMacroPin: return "soft macro pin";
  }
  return "?";
}

int32_t Netlist::find(std::string_view node_name) const {
  auto it = index.find(std::string(node_name));
  return it == index.end() ? -1 : it->second;
}

double Netlist::total_area() const {
  double area = 0;
  for (int32_t i = 0; i < num_nodes(); ++i)
    if (is_macro(kind[i]) || kind[i] == NodeKind::kStdCell) area += width[i] * height[i];
  return area;
}

double Netlist::total_net_weight() const {
  double total = 0;
  for (double w : net_weight) total += w;
  return total;
}

void Netlist::finalize(const std::vector<std::vector<int32_t>>& sinks) {
  const int32_t n = num_nodes();
  index.clear();
  index.reserve(n);
  for (int32_t i = 0; i < n; ++i) index.emplace(name[i], i);

  hard_macros.clear(); soft_macros.clear(); ports.clear(); stdcells.clear(); macros.clear();
  for (int32_t i = 0; i < n; ++i) {
    switch (kind[i]) {
      case NodeKind::kHardMacro: hard_macros.push_back(i); macros.push_back(i); break;
      case NodeKind::kSoftMacro: soft_macros.push_back(i); macros.push_back(i); break;
      case NodeKind::kPort: ports.push_back(i); break;
      case NodeKind::kStdCell: stdcells.push_back(i); break;
      default: break;
    }
  }

  // Pins per macro, in node order.
  pin_begin.assign(n + 1, 0);
  for (int32_t i = 0; i < n; ++i)
    if (owner[i] >= 0) ++pin_begin[owner[i] + 1];
  for (int32_t i = 0; i < n; ++i) pin_begin[i + 1] += pin_begin[i];
  pins.assign(pin_begin[n], -1);
  {
    std::vector<int32_t> fill(pin_begin.begin(), pin_begin.end() - 1);
    for (int32_t i = 0; i < n; ++i)
      if (owner[i] >= 0) pins[fill[owner[i]]++] = i;
  }

  // One net per driver with at least one sink; duplicate sinks dropped as Circuit
  // Training's converter does.
  net_begin.assign(1, 0);
  net_pins.clear();
  net_weight.clear();
  std::vector<int32_t> seen(n, -1);
  for (int32_t d = 0; d < n; ++d) {
    if (d >= static_cast<int32_t>(sinks.size()) || sinks[d].empty()) continue;
    const int32_t net = num_nets();
    net_pins.push_back(d);
    seen[d] = net;
    for (int32_t s : sinks[d]) {
      if (seen[s] == net) continue;
      seen[s] = net;
      net_pins.push_back(s);
    }
    net_begin.push_back(static_cast<int32_t>(net_pins.size()));
    net_weight.push_back(weight[d]);
  }
}

std::optional<Blockage> parse_blockage_line(std::string_view text, const std::string& where) {
  auto skip = [&] {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  };
  skip();
  constexpr std::string_view kKey = "Blockage";
  if (text.size() < kKey.size() || !std::equal(kKey.begin(), kKey.end(), text.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      }))
    return std::nullopt;
  text.remove_prefix(kKey.size());
  skip();
  if (text.empty() || text.front() != ':') return std::nullopt;
  text.remove_prefix(1);
  double v[5];
  for (double& x : v) {
    skip();
    size_t n = 0;
    while (n < text.size() && text[n] != ' ' && text[n] != '\t' && text[n] != '\r') ++n;
    if (!parse_number(text.substr(0, n), x) || !std::isfinite(x))
      throw InputError(fmt::format("{}: invalid blockage: expected 'x0 y0 x1 y1 rate' as finite numbers", where));
    text.remove_prefix(n);
  }
  skip();
  if (!text.empty() && text.front() != '\r')
    throw InputError(fmt::format("{}: invalid blockage: unexpected '{}' after the rate", where, text));
  Blockage b{v[0], v[1], v[2], v[3], v[4]};
  if (!(b.max_x > b.min_x) || !(b.max_y > b.min_y))
    throw InputError(fmt::format("{}: invalid blockage: empty box {} {} {} {}", where, b.min_x, b.min_y, b.max_x, b.max_y));
  if (!(b.rate >= 0 && b.rate <= 1))
    throw InputError(fmt::format("{}: invalid blockage: rate {} is outside [0, 1]", where, b.rate));
  return b;
}

PortSide nearest_side(double x, double y, double width, double height) {
  const double d[4] = {x, height - y, width - x, y};
  return static_cast<PortSide>(std::min_element(d, d + 4) - d);
}

const char* side_name(PortSide side) {
  static const char* names[4] = {"LEFT", "TOP", "RIGHT", "BOTTOM"};
  return names[side];
}

std::string format_blockage_line(const Blockage& b) {
  return fmt::format("Blockage : {} {} {} {} {}", format_double(b.min_x), format_double(b.min_y),
                     format_double(b.max_x), format_double(b.max_y), format_double(b.rate));
}

}  // namespace rlplace
