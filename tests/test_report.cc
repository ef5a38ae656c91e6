// Exports, displacements and heatmaps of report/, as library calls (the commands:
// tests/cli/test_cli_report.cc).
#include <gtest/gtest.h>

#include <sstream>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/netlist_reader.h"
#include "netlists/plc.h"
#include "report/compare.h"
#include "report/export.h"
#include "report/footprint.h"
#include "report/heatmap.h"
#include "tests/test_util.h"

namespace rlplace {

namespace {

using test::lines_of;
using test::Small;
using test::small_design;



TEST(Export, FootprintTurnsWithTheOrientation) {
  const Small s = small_design("export_footprint");
  const Design d = load_design(s.netlist, s.plc);
  const Footprint a = footprint(d.netlist, d.placement, d.netlist.find("a"));
  EXPECT_DOUBLE_EQ(a.w, 10);  // E: a quarter turn
  EXPECT_DOUBLE_EQ(a.h, 20);
  EXPECT_DOUBLE_EQ(a.llx, 25.25);
  EXPECT_DOUBLE_EQ(a.lly, 60.5);
  const Footprint b = footprint(d.netlist, d.placement, d.netlist.find("blk/b[0]"));
  EXPECT_DOUBLE_EQ(b.w, 16);  // FS: a mirror keeps the sides
  EXPECT_DOUBLE_EQ(b.h, 8);
  EXPECT_DOUBLE_EQ(b.llx, 62);
  EXPECT_DOUBLE_EQ(b.lly, 26);
}

TEST(Export, OrientationNamesPerTool) {
  EXPECT_EQ(tool_orientation(Orientation::E, ExportFormat::kInnovus), "R270");
  EXPECT_EQ(tool_orientation(Orientation::W, ExportFormat::kOpenroad), "R90");
  EXPECT_EQ(tool_orientation(Orientation::FE, ExportFormat::kInnovus), "MY90");
  EXPECT_EQ(tool_orientation(Orientation::FE, ExportFormat::kIcc2), "MYR90");
  EXPECT_EQ(tool_orientation(Orientation::FW, ExportFormat::kOpenroad), "MXR90");
  EXPECT_EQ(tool_orientation(Orientation::FN, ExportFormat::kIcc2), "MY");
  EXPECT_EQ(tool_orientation(Orientation::FS, ExportFormat::kIcc2), "MX");
  EXPECT_EQ(tool_orientation(Orientation::FW, ExportFormat::kDef), "FW");
  // The same turn as the pins take: DEF FE (OpenDB's MYR90) sends (1, 0) to (0, -1).
  double ox, oy;
  orient_offset(Orientation::FE, 1, 0, ox, oy);
  EXPECT_EQ(ox, 0);
  EXPECT_EQ(oy, -1);
}

TEST(Export, TclWordsQuoteBusIndices) {
  EXPECT_EQ(tcl_word("u0/ram"), "u0/ram");
  EXPECT_EQ(tcl_word("u0/ram[3]"), "{u0/ram[3]}");
  EXPECT_EQ(tcl_word("a{b}[1]"), "a\\{b\\}\\[1\\]");
}

TEST(Displacement, MeanMaxMovedTurned) {
  const Small s = small_design("displacement");
  const Design d = load_design(s.netlist, s.plc);
  Placement b = d.placement;
  const int32_t a = d.netlist.find("a");
  b.x[a] += 3;
  b.y[a] += 4;
  b.orientation[a] = Orientation::N;
  const Displacement disp = displacement(d.netlist, d.placement, b);
  EXPECT_EQ(disp.macros, 2);
  EXPECT_DOUBLE_EQ(disp.max, 5);
  EXPECT_DOUBLE_EQ(disp.mean, 2.5);
  EXPECT_EQ(disp.moved, 1);
  EXPECT_EQ(disp.turned, 1);
}

TEST(Heatmap, CsvRowsTopFirst) {
  const Small s = small_design("heatmap_csv");
  const Design d = load_design(s.netlist, s.plc);
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  const std::vector<double> density = heatmap_values(ev, Heatmap::kDensity);
  const std::vector<std::string> rows = lines_of(heatmap_csv(density, 10, 10));
  ASSERT_EQ(rows.size(), 10u);
  // b covers [62, 78] x [26, 34]: 8 x 4 um of cell (column 7, row 2), the 8th line from the top.
  std::vector<std::string> cells;
  std::stringstream line(rows[7]);
  for (std::string c; std::getline(line, c, ',');) cells.push_back(c);
  ASSERT_EQ(cells.size(), 10u);
  EXPECT_NEAR(std::stod(cells[7]), 0.32, 1e-12);
  EXPECT_EQ(cells[0], "0");
  EXPECT_EQ(parse_heatmap("congestion-v"), Heatmap::kCongestionV);
  EXPECT_FALSE(parse_heatmap("heat"));
}

}  // namespace
}  // namespace rlplace
