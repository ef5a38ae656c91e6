#include "report/heatmap.h"

#include "netlists/plc.h"

namespace rlplace {

std::optional<Heatmap> parse_heatmap(std::string_view s) {
  if (s == "none") return Heatmap::kNone;
  if (s == "density") return Heatmap::kDensity;
  if (s == "congestion-h") return Heatmap::kCongestionH;
  if (s == "congestion-v") return Heatmap::kCongestionV;
  return std::nullopt;
}

std::string_view to_string(Heatmap h) {
  switch (h) {
    case Heatmap::kNone: return "none";
    case Heatmap::kDensity: return "density";
    case Heatmap::kCongestionH: return "congestion-h";
    case Heatmap::kCongestionV: return "congestion-v";
  }
  return "none";
}

std::vector<double> heatmap_values(const Evaluator& ev, Heatmap h) {
  if (h == Heatmap::kDensity) return ev.density_grid();
  if (h == Heatmap::kNone) return {};
  std::vector<double> hv, vv;
  ev.congestion_grids(hv, vv);
  return h == Heatmap::kCongestionH ? hv : vv;
}

std::string heatmap_csv(const std::vector<double>& values, int cols, int rows) {
  std::string s;
  for (int r = rows - 1; r >= 0; --r) {
    for (int c = 0; c < cols; ++c) {
      if (c) s += ',';
      s += format_double(values[static_cast<size_t>(r) * cols + c]);
    }
    s += '\n';
  }
  return s;
}

}  // namespace rlplace
