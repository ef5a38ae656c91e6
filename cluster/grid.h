// Automatic choice of the placement grid (columns x rows) for a floorplan that gives none,
// by Circuit Training's gridding rules as the TILOS MacroPlacement study documents them.
#pragma once

#include <optional>
#include <vector>

namespace rlplace {

struct GridRules {
  int min_rows = 10, min_cols = 10;
  int max_rows = 128, max_cols = 128;  // exclusive, as in the TILOS sweep
  int min_cells = 500, max_cells = 2500;
  double max_aspect = 1.5;  // of one grid cell, either way
  double tolerance = 0.05;  // a smaller grid within this fraction of the best metric wins
};

struct GridChoice {
  int cols = 0, rows = 0;
  double metric = 0;       // of the chosen grid
  double best_metric = 0;  // of the best grid before the smaller one was preferred
};

// Packing score of one grid: the macros, largest area first (stable), each on the first
// grid-cell centre in row-major order where it lies inside the canvas and overlaps no
// macro placed before it. Returns nullopt when some macro finds no such cell; otherwise
// empty-cell ratio + (1 - horizontal waste) + (1 - vertical waste).
std::optional<double> grid_metric(const std::vector<double>& widths, const std::vector<double>& heights,
                                  double canvas_w, double canvas_h, int cols, int rows);

// The waste of laying `segments` (macro widths or heights, in the given order) side by
// side on cells of `cell`: 1 - total length / length of the cells used.
double grid_waste(const std::vector<double>& segments, double cell);

// Sweeps the grids the rules allow and returns the smallest one whose metric is within the
// tolerance of the best; nullopt when no grid packs every macro.
std::optional<GridChoice> choose_grid(const std::vector<double>& widths, const std::vector<double>& heights,
                                      double canvas_w, double canvas_h, const GridRules& rules = {});

}  // namespace rlplace
