// The per-cell maps a picture can show under the macros, and their CSV form.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cost/evaluator.h"

namespace rlplace {

enum class Heatmap { kNone, kDensity, kCongestionH, kCongestionV };

// "none", "density", "congestion-h", "congestion-v".
std::optional<Heatmap> parse_heatmap(std::string_view s);
std::string_view to_string(Heatmap h);

// Per grid cell, row-major from the bottom-left as the evaluator keeps them; empty for kNone.
std::vector<double> heatmap_values(const Evaluator& ev, Heatmap h);

// One line per grid row, the TOP row first (as the picture reads), `cols` values each, in
// shortest round-trip form.
std::string heatmap_csv(const std::vector<double>& values, int cols, int rows);

}  // namespace rlplace
