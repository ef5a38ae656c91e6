#include "cost/params.h"

#include <cmath>

#include <fmt/format.h>

namespace rlplace {

CostParams resolve_params(const Netlist& nl, const PlcHeader* plc, const CostOverrides& o) {
  CostParams p;
  if (nl.fp_width && nl.fp_height) {
    p.width = *nl.fp_width;
    p.height = *nl.fp_height;
  }
  p.blockages = nl.blockages;
  if (plc) {
    if (plc->width && plc->height) {
      p.width = *plc->width;
      p.height = *plc->height;
    }
    if (plc->cols && plc->rows) {
      p.cols = *plc->cols;
      p.rows = *plc->rows;
    }
    if (plc->h_routes_per_micron) p.h_routes_per_micron = *plc->h_routes_per_micron;
    if (plc->v_routes_per_micron) p.v_routes_per_micron = *plc->v_routes_per_micron;
    if (plc->h_macro_alloc) p.h_macro_alloc = *plc->h_macro_alloc;
    if (plc->v_macro_alloc) p.v_macro_alloc = *plc->v_macro_alloc;
    if (plc->smoothing) p.smoothing = *plc->smoothing;
    if (plc->overlap_threshold) p.overlap_threshold = *plc->overlap_threshold;
    // As in Circuit Training, the first file that has blockages wins.
    if (p.blockages.empty()) p.blockages = plc->blockages;
  }
  if (p.width <= 0 || p.height <= 0) {
    double side = std::sqrt(nl.total_area() / 0.6);
    p.width = p.height = side;
  }
  if (o.width) p.width = *o.width;
  if (o.height) p.height = *o.height;
  if (o.cols) p.cols = *o.cols;
  if (o.rows) p.rows = *o.rows;
  if (o.h_routes_per_micron) p.h_routes_per_micron = *o.h_routes_per_micron;
  if (o.v_routes_per_micron) p.v_routes_per_micron = *o.v_routes_per_micron;
  if (o.h_macro_alloc) p.h_macro_alloc = *o.h_macro_alloc;
  if (o.v_macro_alloc) p.v_macro_alloc = *o.v_macro_alloc;
  if (o.smoothing) p.smoothing = *o.smoothing;
  if (o.overlap_threshold) p.overlap_threshold = *o.overlap_threshold;
  if (o.wirelength_weight) p.wirelength_weight = *o.wirelength_weight;
  if (o.density_weight) p.density_weight = *o.density_weight;
  if (o.congestion_weight) p.congestion_weight = *o.congestion_weight;

  auto bad = [&](const std::string& what) {
    throw InputError(fmt::format("{}: {}", nl.source, what));
  };
  if (!std::isfinite(p.width) || !std::isfinite(p.height) || p.width <= 0 || p.height <= 0)
    bad(fmt::format("canvas size {} x {} is not positive (give --width/--height or a .plc)", p.width, p.height));
  if (p.cols <= 0 || p.rows <= 0 || p.cols > 4096 || p.rows > 4096)
    bad(fmt::format("grid {} x {} is out of range (1 to 4096 each)", p.cols, p.rows));
  if (!(p.h_routes_per_micron > 0) || !(p.v_routes_per_micron > 0) || !std::isfinite(p.h_routes_per_micron) ||
      !std::isfinite(p.v_routes_per_micron))
    bad("routes per micron must be positive");
  if (!(p.h_macro_alloc >= 0) || !(p.v_macro_alloc >= 0) || !std::isfinite(p.h_macro_alloc) ||
      !std::isfinite(p.v_macro_alloc))
    bad("macro routing allocation must be non-negative");
  if (!(p.smoothing >= 0) || p.smoothing > 1000) bad("smoothing factor must be between 0 and 1000");
  return p;
}

PlcHeader to_plc_header(const CostParams& p, const std::string& block_name) {
  PlcHeader h;
  h.cols = p.cols;
  h.rows = p.rows;
  h.width = p.width;
  h.height = p.height;
  h.h_routes_per_micron = p.h_routes_per_micron;
  h.v_routes_per_micron = p.v_routes_per_micron;
  h.h_macro_alloc = p.h_macro_alloc;
  h.v_macro_alloc = p.v_macro_alloc;
  h.smoothing = p.smoothing;
  h.overlap_threshold = p.overlap_threshold;
  h.blockages = p.blockages;
  h.block_name = block_name;
  return h;
}

}  // namespace rlplace
