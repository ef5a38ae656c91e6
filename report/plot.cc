#include "report/plot.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "netlists/io.h"
#include "report/footprint.h"

namespace rlplace {

namespace {

void set_rgb(cairo_t* cr, Rgb c, double alpha = 1) {
  cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
}

// White through light to dark blue: far from the macros' orange and the soft macros' green.
Rgb heat_colour(double t) {
  static constexpr Rgb stops[] = {{255, 255, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 4;
  const int i = std::min(3, static_cast<int>(t));
  const double f = t - i;
  const auto mix = [&](uint8_t a, uint8_t b) { return static_cast<uint8_t>(std::lround(a + (b - a) * f)); };
  return {mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g), mix(stops[i].b, stops[i + 1].b)};
}

enum class Kind { kPng, kSvg };

Kind kind_of(const std::string& path) {
  const auto ends = [&](const char* e) {
    const std::string s(e);
    return path.size() > s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".png")) return Kind::kPng;
  if (ends(".svg")) return Kind::kSvg;
  throw InputError(path + ": unknown picture format (the name must end in .png or .svg)");
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

// Draws through `draw` onto a w x h picture, then writes it atomically.
template <class F>
void render(const std::string& path, int w, int h, F&& draw) {
  const Kind kind = kind_of(path);
  std::string bytes;
  SurfacePtr surface(kind == Kind::kPng ? cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h)
                                        : cairo_svg_surface_create_for_stream(append, &bytes, w, h),
                     cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(fmt::format("{}: cannot make a {} x {} picture: {}", path, w, h,
                                         cairo_status_to_string(cairo_surface_status(surface.get()))));
  {
    ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
    set_rgb(cr.get(), kBackgroundColour);
    cairo_paint(cr.get());
    draw(cr.get());
  }
  if (kind == Kind::kPng) {
    cairo_surface_flush(surface.get());
    if (cairo_surface_write_to_png_stream(surface.get(), append, &bytes) != CAIRO_STATUS_SUCCESS)
      throw std::runtime_error(path + ": cannot encode the PNG");
  } else {
    cairo_surface_finish(surface.get());
  }
  write_file_atomic(path, bytes);
}

struct Scale {
  double lo = 0, hi = 1;
};

Scale heat_scale(const std::vector<double>& values, const PlotOptions& o) {
  Scale s;
  if (!values.empty()) {
    s.lo = *std::min_element(values.begin(), values.end());
    s.hi = *std::max_element(values.begin(), values.end());
  }
  if (o.heat_min) s.lo = *o.heat_min;
  if (o.heat_max) s.hi = *o.heat_max;
  return s;
}

void text(cairo_t* cr, double x, double y, const std::string& s, double size) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s.c_str());
}

// One placement at (ox, oy): the canvas, then the strip with the title and colour bar.
void draw_panel(cairo_t* cr, const Evaluator& ev, const PlotOptions& o, double ox, double oy) {
  const Netlist& nl = ev.netlist();
  const Placement& p = ev.placement();
  const CostParams& params = ev.params();
  const double s = o.width / params.width;
  const int ch = canvas_pixels_high(params, o.width);
  const auto px = [&](double x) { return ox + x * s; };
  const auto py = [&](double y) { return oy + (params.height - y) * s; };

  cairo_save(cr);
  cairo_rectangle(cr, ox, oy, o.width, ch);
  cairo_clip(cr);
  const std::vector<double> heat = heatmap_values(ev, o.heatmap);
  const Scale scale = heat_scale(heat, o);
  const double cw = params.cell_width(), chh = params.cell_height();
  if (!heat.empty()) {
    // Cells drawn without antialiasing so that neighbours do not bleed into each other.
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int r = 0; r < params.rows; ++r)
      for (int c = 0; c < params.cols; ++c) {
        const double v = heat[static_cast<size_t>(r) * params.cols + c];
        const double t = scale.hi > scale.lo ? (v - scale.lo) / (scale.hi - scale.lo) : 0;
        set_rgb(cr, heat_colour(t));
        const double x0 = std::round(px(c * cw)), x1 = std::round(px((c + 1) * cw));
        const double y0 = std::round(py((r + 1) * chh)), y1 = std::round(py(r * chh));
        cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
        cairo_fill(cr);
      }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
  }

  set_rgb(cr, kGridColour);
  cairo_set_line_width(cr, 1);
  for (int c = 0; c <= params.cols; ++c) {
    const double x = std::round(px(c * cw)) + 0.5;
    cairo_move_to(cr, x, oy);
    cairo_line_to(cr, x, oy + ch);
  }
  for (int r = 0; r <= params.rows; ++r) {
    const double y = std::round(py(r * chh)) + 0.5;
    cairo_move_to(cr, ox, y);
    cairo_line_to(cr, ox + o.width, y);
  }
  cairo_stroke(cr);

  for (int32_t m : nl.soft_macros) {
    if (!p.placed[m]) continue;
    const Footprint f = footprint(nl, p, m);
    cairo_rectangle(cr, px(f.llx), py(f.lly + f.h), f.w * s, f.h * s);
    set_rgb(cr, kSoftMacroColour, kSoftMacroAlpha);
    cairo_fill(cr);
  }

  for (int32_t m : nl.hard_macros) {
    if (!p.placed[m]) continue;
    const Footprint f = footprint(nl, p, m);
    const double x0 = px(f.llx), y0 = py(f.lly + f.h), w = f.w * s, h = f.h * s;
    cairo_rectangle(cr, x0, y0, w, h);
    set_rgb(cr, kHardMacroColour);
    cairo_fill_preserve(cr);
    set_rgb(cr, kHardMacroEdgeColour);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    // The mark sits in the corner that is the lower-left under N, turned with the macro as
    // its pins are.
    double cx, cy;
    orient_offset(p.orientation[m], -nl.width[m] / 2, -nl.height[m] / 2, cx, cy);
    const double kx = px(p.x[m] + cx), ky = py(p.y[m] + cy);
    const double t = std::min(10.0, 0.35 * std::min(w, h));
    const double sx = cx < 0 ? 1 : -1, sy = cy < 0 ? -1 : 1;  // inward, in pixels
    cairo_move_to(cr, kx, ky);
    cairo_line_to(cr, kx + sx * t, ky);
    cairo_line_to(cr, kx, ky + sy * t);
    cairo_close_path(cr);
    cairo_fill(cr);
  }

  set_rgb(cr, kPortColour);
  for (int32_t v : nl.ports) {
    if (!p.placed[v]) continue;
    cairo_arc(cr, px(p.x[v]), py(p.y[v]), 2.0, 0, 2 * M_PI);
    cairo_fill(cr);
  }

  if (o.nets_of >= 0) {
    const int32_t m = o.nets_of;
    set_rgb(cr, kNetColour, 0.8);
    cairo_set_line_width(cr, 1);
    for (int32_t n = 0; n < nl.num_nets(); ++n) {
      const int32_t b = nl.net_begin[n], e = nl.net_begin[n + 1];
      for (int32_t i = b; i < e; ++i) {
        const int32_t pin = nl.net_pins[i];
        if ((pin != m && nl.owner[pin] != m) || !pin_placed(nl, p, pin)) continue;
        double ax, ay;
        pin_position(nl, p, pin, ax, ay);
        for (int32_t j = b; j < e; ++j) {
          const int32_t other = nl.net_pins[j];
          if (j == i || other == m || nl.owner[other] == m || !pin_placed(nl, p, other)) continue;
          double bx, by;
          pin_position(nl, p, other, bx, by);
          cairo_move_to(cr, px(ax), py(ay));
          cairo_line_to(cr, px(bx), py(by));
        }
      }
    }
    cairo_stroke(cr);
  }
  cairo_restore(cr);

  // The strip under the canvas.
  set_rgb(cr, {40, 40, 40});
  const double ty = oy + ch + 15;
  std::string title = o.title;
  if (!heat.empty())
    title += fmt::format("{}{} {:.3g} .. {:.3g}", title.empty() ? "" : "   ", to_string(o.heatmap), scale.lo, scale.hi);
  text(cr, ox + 4, ty, title, 11);
  if (!heat.empty()) {
    const double bw = std::min(200.0, o.width - 8.0);
    for (int i = 0; i < static_cast<int>(bw); ++i) {
      set_rgb(cr, heat_colour(i / bw));
      cairo_rectangle(cr, ox + 4 + i, ty + 6, 1, 10);
      cairo_fill(cr);
    }
    set_rgb(cr, {40, 40, 40});
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, ox + 3.5, ty + 5.5, bw + 1, 11);
    cairo_stroke(cr);
  }
}

void check_width(const std::string& path, int width) {
  if (width < 16 || width > 20000) throw InputError(fmt::format("{}: picture width {} is not in 16 .. 20000", path, width));
}

}  // namespace

bool plot_available() { return true; }

int canvas_pixels_high(const CostParams& params, int width) {
  return static_cast<int>(std::lround(width * params.height / params.width));
}

void plot_placement(const std::string& path, const Evaluator& ev, const PlotOptions& options) {
  check_width(path, options.width);
  const int h = canvas_pixels_high(ev.params(), options.width) + kFooterPixels;
  render(path, options.width, h, [&](cairo_t* cr) { draw_panel(cr, ev, options, 0, 0); });
}

void plot_overview(const std::string& path, const std::vector<const Evaluator*>& evs,
                   const std::vector<std::string>& titles, const PlotOptions& options) {
  check_width(path, options.width);
  constexpr int kGap = 12;
  int h = 0;
  for (const Evaluator* ev : evs) h = std::max(h, canvas_pixels_high(ev->params(), options.width) + kFooterPixels);
  const int n = static_cast<int>(evs.size());
  const int w = n * options.width + std::max(0, n - 1) * kGap;
  render(path, std::max(w, 1), std::max(h, 1), [&](cairo_t* cr) {
    for (int i = 0; i < n; ++i) {
      PlotOptions o = options;
      if (i < static_cast<int>(titles.size())) o.title = titles[i];
      draw_panel(cr, *evs[i], o, i * (options.width + kGap), 0);
    }
  });
}

}  // namespace rlplace
