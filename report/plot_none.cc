// plot.h for a build without cairo.
#include "report/plot.h"

#include <cmath>

namespace rlplace {

namespace {
[[noreturn]] void no_cairo(const std::string& path) {
  throw InputError(path + ": cannot draw pictures: this rlplace was built without cairo (RLPLACE_WITH_CAIRO=OFF)");
}
}  // namespace

bool plot_available() { return false; }

int canvas_pixels_high(const CostParams& params, int width) {
  return static_cast<int>(std::lround(width * params.height / params.width));
}

void plot_placement(const std::string& path, const Evaluator&, const PlotOptions&) { no_cairo(path); }

void plot_overview(const std::string& path, const std::vector<const Evaluator*>&, const std::vector<std::string>&,
                   const PlotOptions&) {
  no_cairo(path);
}

}  // namespace rlplace
