// Pictures of placements (PNG or SVG, by the file's extension) drawn with cairo. Built
// without cairo, plot_available() is false and the drawing functions throw InputError.
//
// The canvas fills the top `width` x round(width * H / W) pixels: a point (x, y) in microns
// lies at pixel (x * s, (H - y) * s), s = width / W. A strip below it carries the title and
// the heatmap's colour bar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cost/evaluator.h"
#include "report/heatmap.h"

namespace rlplace {

struct Rgb {
  uint8_t r, g, b;
  bool operator==(const Rgb&) const = default;
};

// Fixed colours, so that a picture can be checked by reading pixels back.
inline constexpr Rgb kBackgroundColour{255, 255, 255};
inline constexpr Rgb kHardMacroColour{230, 126, 34};  // opaque fill
inline constexpr Rgb kHardMacroEdgeColour{94, 47, 8};  // outline and orientation mark
inline constexpr Rgb kSoftMacroColour{46, 160, 67};    // drawn at kSoftMacroAlpha
inline constexpr double kSoftMacroAlpha = 0.35;
inline constexpr Rgb kPortColour{214, 39, 40};
inline constexpr Rgb kGridColour{180, 180, 180};
inline constexpr Rgb kNetColour{200, 0, 160};
inline constexpr int kFooterPixels = 40;

struct PlotOptions {
  int width = 800;  // pixels of the canvas (of each panel in an overview)
  Heatmap heatmap = Heatmap::kNone;
  // The heatmap's colour scale; unset: the map's own minimum and maximum.
  std::optional<double> heat_min, heat_max;
  int32_t nets_of = -1;  // a macro whose nets are drawn, -1 for none
  std::string title;
};

bool plot_available();

// Canvas height in pixels for `width`.
int canvas_pixels_high(const CostParams& params, int width);

// Writes the placement the evaluator holds. Throws InputError for an extension other than
// .png / .svg, and std::runtime_error when the file cannot be written.
void plot_placement(const std::string& path, const Evaluator& ev, const PlotOptions& options);

// Panels side by side, one per evaluator, each `options.width` wide, all sharing the
// options' heatmap scale; titles[i] in the strip under panel i.
void plot_overview(const std::string& path, const std::vector<const Evaluator*>& evs,
                   const std::vector<std::string>& titles, const PlotOptions& options);

}  // namespace rlplace
