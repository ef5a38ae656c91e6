// `rlplace compare`, `plot` and `export` as one library call each: read, score, draw and
// write; the commands only parse flags and print what these return.
#pragma once

#include <string>
#include <vector>

#include "report/compare.h"
#include "report/export.h"

namespace rlplace {

struct CompareJob {
  std::string netlist, out, heatmap = "density";
  std::vector<std::string> plcs, labels;  // labels: one per plc, or none (the files' stems)
  int width = 800, threads = 1;
  CostOverrides cost;
};

// Scores every placement (compare_one), writes OUT/report.{md,json,csv}, displacement.csv,
// the heatmap CSVs and, with cairo, one picture per placement and an overview, all with one
// colour scale. Throws InputError.
Comparison compare_to_folder(const CompareJob& job);

struct PlotJob {
  std::string netlist, plc, out, heatmap = "none", nets;
  int width = 800;
  CostOverrides cost;
};

// Draws the placement to OUT (PNG or SVG) and, with a heatmap, writes its values next to
// it; returns the CSV's path, empty without a heatmap. Throws InputError, also in a build
// without cairo.
std::string plot_to_file(const PlotJob& job);

struct ExportJob {
  std::string netlist, plc, format, out, design;
  int dbu = 1000;
  CostOverrides cost;
};

// Writes the hard macros in the named format; returns how many.
size_t export_to_file(const ExportJob& job);

}  // namespace rlplace
