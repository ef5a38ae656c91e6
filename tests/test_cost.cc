// Hand-computed proxy-cost values on small netlists, plus the reference values on Ariane133.
//
// The fixtures use a 100 x 100 canvas on a 10 x 10 grid (cells 10 x 10 um) with routes
// per micron 0.1 and macro allocation 1, so congestion grids equal the raw demand: a cell
// (row r, col c) has centre (10c + 5, 10r + 5).
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include <nlohmann/json.hpp>
#include "tests/test_util.h"

namespace rlplace {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;
using test::stdcell_node;

using Cell = std::pair<int, int>;  // (row, col)
using Demand = std::map<Cell, double>;

CostParams unit_params(double smoothing = 0) {
  CostParams p;
  p.width = p.height = 100;
  p.cols = p.rows = 10;
  p.h_routes_per_micron = p.v_routes_per_micron = 0.1;
  p.h_macro_alloc = p.v_macro_alloc = 1;
  p.smoothing = smoothing;
  return p;
}

double cx(int col) { return 10.0 * col + 5; }
double cy(int row) { return 10.0 * row + 5; }

// A netlist of ports: the first drives all the others.
Netlist port_net(const std::vector<Cell>& cells) {
  std::string text;
  std::vector<std::string> sinks;
  for (size_t i = 1; i < cells.size(); ++i) sinks.push_back("p" + std::to_string(i));
  text += port_node("p0", cx(cells[0].second), cy(cells[0].first), sinks);
  for (size_t i = 1; i < cells.size(); ++i)
    text += port_node("p" + std::to_string(i), cx(cells[i].second), cy(cells[i].first));
  return parse_netlist("fixture.pb.txt", text);
}

void expect_grid(const std::vector<double>& grid, const Demand& expected, const char* what) {
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 10; ++c) {
      auto it = expected.find({r, c});
      const double want = it == expected.end() ? 0.0 : it->second;
      EXPECT_NEAR(grid[r * 10 + c], want, 1e-12) << what << " at row " << r << " col " << c;
    }
}

void expect_routing(const std::vector<Cell>& cells, const Demand& h, const Demand& v) {
  Netlist nl = port_net(cells);
  Evaluator ev(nl, unit_params());
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  expect_grid(gh, h, "H");
  expect_grid(gv, v, "V");
}

TEST(Routing, TwoCellsHorizontalOnSourceRowVerticalOnSinkColumn) {
  expect_routing({{1, 2}, {4, 6}}, {{{1, 2}, 1}, {{1, 3}, 1}, {{1, 4}, 1}, {{1, 5}, 1}},
                 {{{1, 6}, 1}, {{2, 6}, 1}, {{3, 6}, 1}});
  // The same two cells with source and sink swapped take the other L.
  expect_routing({{4, 6}, {1, 2}}, {{{4, 2}, 1}, {{4, 3}, 1}, {{4, 4}, 1}, {{4, 5}, 1}},
                 {{{1, 2}, 1}, {{2, 2}, 1}, {{3, 2}, 1}});
}

TEST(Routing, OneCellNetHasNoDemand) { expect_routing({{3, 3}, {3, 3}, {3, 3}}, {}, {}); }

TEST(Routing, ThreeCellsCase1LShape) {
  // Sorted by column: (1,1) (3,4) (6,8); the middle row lies strictly between the others.
  expect_routing({{3, 4}, {6, 8}, {1, 1}},
                 {{{1, 1}, 1}, {{1, 2}, 1}, {{1, 3}, 1}, {{3, 4}, 1}, {{3, 5}, 1}, {{3, 6}, 1}, {{3, 7}, 1}},
                 {{{1, 4}, 1}, {{2, 4}, 1}, {{3, 8}, 1}, {{4, 8}, 1}, {{5, 8}, 1}});
}

TEST(Routing, ThreeCellsCase2SharedRightColumnAbove) {
  // (1,1) (3,5) (6,5): the two right cells share a column above the left one's row.
  expect_routing({{6, 5}, {1, 1}, {3, 5}}, {{{1, 1}, 1}, {{1, 2}, 1}, {{1, 3}, 1}, {{1, 4}, 1}},
                 {{{1, 5}, 1}, {{2, 5}, 1}, {{3, 5}, 1}, {{4, 5}, 1}, {{5, 5}, 1}});
}

TEST(Routing, ThreeCellsCase3SameRowOnTheRight) {
  // (5,1) (2,3) (2,7): the two right cells share a row.
  expect_routing({{2, 7}, {5, 1}, {2, 3}},
                 {{{5, 1}, 1}, {{5, 2}, 1}, {{2, 3}, 1}, {{2, 4}, 1}, {{2, 5}, 1}, {{2, 6}, 1}},
                 {{{2, 3}, 1}, {{3, 3}, 1}, {{4, 3}, 1}});
}

TEST(Routing, ThreeCellsCase4TShape) {
  // (1,2) (5,4) (3,7): by row (1,2) (3,7) (5,4); trunk on row 3 from column 2 to 7.
  expect_routing({{1, 2}, {5, 4}, {3, 7}},
                 {{{3, 2}, 1}, {{3, 3}, 1}, {{3, 4}, 1}, {{3, 5}, 1}, {{3, 6}, 1}},
                 {{{1, 2}, 1}, {{2, 2}, 1}, {{3, 4}, 1}, {{4, 4}, 1}});
  // Two cells in one column, not on the right: also a T.
  expect_routing({{5, 3}, {1, 3}, {3, 6}}, {{{3, 3}, 1}, {{3, 4}, 1}, {{3, 5}, 1}},
                 {{{1, 3}, 1}, {{2, 3}, 1}, {{3, 3}, 1}, {{4, 3}, 1}});
}

TEST(Routing, ManyCellsStarFromTheSource) {
  // Source (2,2); sinks (5,5), (0,7), (2,0) and a second pin in (5,5).
  Demand h{{{2, 2}, 2}, {{2, 3}, 2}, {{2, 4}, 2}, {{2, 5}, 1}, {{2, 6}, 1}, {{2, 0}, 1}, {{2, 1}, 1}};
  Demand v{{{2, 5}, 1}, {{3, 5}, 1}, {{4, 5}, 1}, {{0, 7}, 1}, {{1, 7}, 1}};
  expect_routing({{2, 2}, {5, 5}, {0, 7}, {2, 0}, {5, 5}}, h, v);
}

TEST(Routing, NetWeightScalesDemandWirelengthAndNetCount) {
  // A macro pin with weight 3 drives a port; an unweighted port drives another port.
  std::string text = macro_node("m", 10, 10, cx(1), cy(1)) + pin_node("m/o", "m", 0, 0, {"q"}, 3) +
                     port_node("q", cx(4), cy(1)) + port_node("a", 0, 0, {"b"}) + port_node("b", 0, 40);
  Netlist nl = parse_netlist("weights.pb.txt", text);
  CostParams p = unit_params();
  p.h_macro_alloc = p.v_macro_alloc = 0;
  Evaluator ev(nl, p);
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  expect_grid(gh, {{{1, 1}, 3}, {{1, 2}, 3}, {{1, 3}, 3}}, "H");
  expect_grid(gv, {{{0, 0}, 1}, {{1, 0}, 1}, {{2, 0}, 1}, {{3, 0}, 1}}, "V");
  const Costs c = ev.costs();
  EXPECT_DOUBLE_EQ(c.wirelength, 3 * 30.0 + 40.0);
  EXPECT_DOUBLE_EQ(c.wirelength_cost, 130.0 / (200.0 * 4.0));
}

TEST(Smoothing, SpreadsVAlongRowsAndHAlongColumnsClippedAtEdges) {
  // V demand in column 0 (rows 1, 2), in column 9 (rows 5, 6) and column 5 (rows 7, 8);
  // H demand on row 0 (columns 4..8).
  std::string text = port_node("a", cx(0), cy(1), {"b"}) + port_node("b", cx(0), cy(3)) +
                     port_node("c", cx(9), cy(5), {"d"}) + port_node("d", cx(9), cy(7)) +
                     port_node("e", cx(5), cy(7), {"f"}) + port_node("f", cx(5), cy(9)) +
                     port_node("g", cx(4), cy(0), {"h"}) + port_node("h", cx(9), cy(0));
  Netlist nl = parse_netlist("smooth.pb.txt", text);
  Evaluator ev(nl, unit_params(2.7));  // range floor(2.7) = 2
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  Demand v, h;
  for (int r : {1, 2})
    for (int c : {0, 1, 2}) v[{r, c}] += 1.0 / 3;
  for (int r : {5, 6})
    for (int c : {7, 8, 9}) v[{r, c}] += 1.0 / 3;
  for (int r : {7, 8})
    for (int c : {3, 4, 5, 6, 7}) v[{r, c}] += 1.0 / 5;
  for (int c = 4; c <= 8; ++c)
    for (int r : {0, 1, 2}) h[{r, c}] += 1.0 / 3;
  expect_grid(gv, v, "V");
  expect_grid(gh, h, "H");
}

TEST(MacroBlockage, MacroEndingOnGridLinesCoversWholeCells) {
  // [10,30] x [10,30]: the top row and right column it touches get nothing.
  Netlist nl = parse_netlist("m.pb.txt", macro_node("m", 20, 20, 20, 20));
  Evaluator ev(nl, unit_params());
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  Demand full{{{1, 1}, 10}, {{1, 2}, 10}, {{2, 1}, 10}, {{2, 2}, 10}};
  expect_grid(gv, full, "V");
  expect_grid(gh, full, "H");
}

TEST(MacroBlockage, PartialOverlapDropsTopRowVAndRightColumnH) {
  // [15,35] x [12,28]: rows 1-2 covered 8 um each, columns 1 and 3 covered 5 um.
  Netlist nl = parse_netlist("m.pb.txt", macro_node("m", 20, 16, 25, 20));
  Evaluator ev(nl, unit_params());
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  expect_grid(gv, {{{1, 1}, 5}, {{1, 2}, 10}, {{1, 3}, 5}}, "V");
  expect_grid(gh, {{{1, 1}, 8}, {{1, 2}, 8}, {{2, 1}, 8}, {{2, 2}, 8}}, "H");
}

TEST(MacroBlockage, SingleRowMacroKeepsItsV) {
  // [15,35] x [12,18]: one row, so only the H rule applies.
  Netlist nl = parse_netlist("m.pb.txt", macro_node("m", 20, 6, 25, 15));
  Evaluator ev(nl, unit_params());
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  expect_grid(gv, {{{1, 1}, 5}, {{1, 2}, 10}, {{1, 3}, 5}}, "V");
  expect_grid(gh, {{{1, 1}, 6}, {{1, 2}, 6}}, "H");
}

TEST(MacroBlockage, SoftMacrosAndStdCellsDoNotBlockRouting) {
  Netlist nl = parse_netlist("m.pb.txt", macro_node("Grp_1", 20, 16, 25, 20) + stdcell_node("s", 4, 4, 55, 55));
  Evaluator ev(nl, unit_params());
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  expect_grid(gv, {}, "V");
  expect_grid(gh, {}, "H");
  // ... but they do count in density: 320 um2 over cells of 100 um2, plus 16 for the cell.
  std::vector<double> d = ev.density_grid();
  expect_grid(d, {{{1, 1}, 0.4}, {{1, 2}, 0.8}, {{1, 3}, 0.4}, {{2, 1}, 0.4}, {{2, 2}, 0.8}, {{2, 3}, 0.4},
                  {{5, 5}, 0.16}},
              "density");
  // Top 10 of 100 cells: (0.8 * 2 + 0.4 * 4 + 0.16) / 10, halved.
  EXPECT_NEAR(ev.costs().density_cost, 0.5 * 3.36 / 10, 1e-15);
}

TEST(Density, OnlyThePartInsideTheCanvasCounts) {
  Netlist nl = parse_netlist("m.pb.txt", macro_node("m", 10, 10, 0, 100));
  Evaluator ev(nl, unit_params());
  expect_grid(ev.density_grid(), {{{9, 0}, 0.25}}, "density");
  EXPECT_NEAR(ev.costs().density_cost, 0.5 * 0.25 / 10, 1e-15);
  EXPECT_EQ(ev.legality().out_of_canvas, 1);
}

TEST(Density, FewerThanTenCellsUsesTheLargestCell) {
  Netlist nl = parse_netlist("m.pb.txt", macro_node("m", 30, 30, 35, 35) + macro_node("n", 10, 10, 90, 90));
  CostParams p = unit_params();
  p.cols = p.rows = 3;  // cells of 33.3 um; k = max(1, floor(0.9)) = 1
  Evaluator ev(nl, p);
  const double cell = (100.0 / 3) * (100.0 / 3);
  // Macro m covers [20,50]^2: 13.33 x 13.33 um in cell (0,0) ... the centre cell holds 16.67^2.
  const double best = (50 - 100.0 / 3) * (50 - 100.0 / 3) / cell;
  std::vector<double> d = ev.density_grid();
  EXPECT_NEAR(d[4], best, 1e-12);
  EXPECT_NEAR(ev.costs().density_cost, 0.5 * std::max({d[0], d[1], d[3], d[4], d[8]}), 1e-15);
}

TEST(PinOffsets, AllEightOrientations) {
  // Pin offset (3, 7) on a macro centred at (50, 50); a port at the origin closes the net,
  // so the wirelength is the pin's x + y.
  std::string text = macro_node("m", 20, 20, 50, 50) + pin_node("m/p", "m", 3, 7, {"o"}) + port_node("o", 0, 0);
  Netlist nl = parse_netlist("pins.pb.txt", text);
  const std::map<Orientation, std::pair<double, double>> expected = {
      {Orientation::N, {53, 57}},  {Orientation::FN, {47, 57}}, {Orientation::S, {47, 43}},
      {Orientation::FS, {53, 43}}, {Orientation::E, {57, 47}},  {Orientation::FE, {43, 47}},
      {Orientation::W, {43, 53}},  {Orientation::FW, {57, 53}}};
  Evaluator ev(nl, unit_params());
  const int32_t m = nl.find("m"), pin = nl.find("m/p");
  for (const auto& [o, xy] : expected) {
    ev.set_orientation(m, o);
    double px, py;
    pin_position(nl, ev.placement(), pin, px, py);
    EXPECT_DOUBLE_EQ(px, xy.first) << to_string(o);
    EXPECT_DOUBLE_EQ(py, xy.second) << to_string(o);
    EXPECT_DOUBLE_EQ(ev.costs().wirelength, xy.first + xy.second) << to_string(o);
  }
}

TEST(Clamping, PointsOnOrBeyondTheCanvasEdgeUseTheEdgeCells) {
  // (100, 100) lies on the top-right corner: cell (9, 9), not (10, 10).
  std::string text = port_node("a", 100, 100, {"b"}) + port_node("b", 0, 0);
  Netlist nl = parse_netlist("edge.pb.txt", text);
  Evaluator ev(nl, unit_params());
  std::vector<double> gh, gv;
  ev.congestion_grids(gh, gv);
  Demand h, v;
  for (int c = 0; c < 9; ++c) h[{9, c}] = 1;
  for (int r = 0; r < 9; ++r) v[{r, 0}] = 1;
  expect_grid(gh, h, "H");
  expect_grid(gv, v, "V");
  // Points beyond the canvas clamp the same way.
  Netlist far = parse_netlist("far.pb.txt", port_node("a", 250, -40, {"b"}) + port_node("b", -3, 130));
  Evaluator ev2(far, unit_params());
  ev2.congestion_grids(gh, gv);
  h.clear();
  v.clear();
  for (int c = 0; c < 9; ++c) h[{0, c}] = 1;
  for (int r = 0; r < 9; ++r) v[{r, 0}] = 1;
  expect_grid(gh, h, "H");
  expect_grid(gv, v, "V");
}

TEST(Congestion, CostIsTheMeanOfTheTopFivePercentOfBothGrids) {
  // 2-cell net: H on 4 cells, V on 3 cells, all 1; top 10 of 200 values = 7 / 10.
  Netlist nl = port_net({{1, 2}, {4, 6}});
  Evaluator ev(nl, unit_params());
  EXPECT_DOUBLE_EQ(ev.costs().congestion_cost, 0.7);
}

TEST(Legality, OverlapCountsPairsWithPositiveOverlapInBothAxes) {
  std::string text = macro_node("a", 20, 20, 20, 20) + macro_node("b", 20, 20, 35, 30) +  // 5 x 10 overlap
                     macro_node("c", 20, 20, 55, 20) +  // touches b's right edge only at x = 45: no
                     macro_node("Grp_s", 50, 50, 20, 20);  // soft macros never count
  Netlist nl = parse_netlist("overlap.pb.txt", text);
  Evaluator ev(nl, unit_params());
  const LegalityReport l = ev.legality();
  EXPECT_EQ(l.overlap_count, 1);
  EXPECT_DOUBLE_EQ(l.overlap_area, 50);
  EXPECT_EQ(l.out_of_canvas, 0);
  EXPECT_FALSE(l.legal());
}

TEST(Legality, BlockageOfRateOneMakesAMacroIllegal) {
  Netlist nl = parse_netlist("b.pb.txt", macro_node("a", 20, 20, 20, 20));
  CostParams p = unit_params();
  p.blockages.push_back({25, 25, 40, 40, 1.0});
  EXPECT_EQ(Evaluator(nl, p).legality().on_blockage, 1);
  p.blockages[0].rate = 0.5;
  EXPECT_EQ(Evaluator(nl, p).legality().on_blockage, 0);
}

TEST(Unplaced, UnplacedNodesLeaveEveryCost) {
  std::string text = macro_node("m", 20, 20, 50, 50) + pin_node("m/p", "m", 0, 0, {"o"}) + port_node("o", 5, 5);
  Netlist nl = parse_netlist("u.pb.txt", text);
  Evaluator ev(nl, unit_params());
  ev.unplace(nl.find("m"));
  const Costs c = ev.costs();
  EXPECT_EQ(c.wirelength, 0);
  EXPECT_EQ(c.density_cost, 0);
  EXPECT_EQ(c.congestion_cost, 0);
  ev.place(nl.find("m"), 50, 50);
  EXPECT_DOUBLE_EQ(ev.costs().wirelength, 90);
}

// Reference values from the open TILOS evaluator (placement grid, weights 1/0.5/0.5).
TEST(Reference, Ariane133Legalized) {
  Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/ariane133_ng45/legalized.plc"));
  EXPECT_EQ(d.params.cols, 24);
  EXPECT_EQ(d.params.rows, 21);
  EXPECT_EQ(d.params.smoothing_range(), 0);
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  const Costs c = ev.costs();
  EXPECT_NEAR(c.wirelength, 4763107.117, 1e-3);
  EXPECT_NEAR(c.wirelength_cost, 0.073568, 1e-5);
  EXPECT_NEAR(c.density_cost, 0.498818, 1e-5);
  EXPECT_NEAR(c.congestion_cost, 0.725915, 1e-5);
  EXPECT_NEAR(c.proxy_cost, 0.685935, 1e-5);
  const LegalityReport l = ev.legality();
  EXPECT_EQ(l.overlap_count, 0);
  EXPECT_EQ(l.out_of_canvas, 0);
}

}  // namespace
}  // namespace rlplace

namespace rlplace {
namespace {

// Full-precision values from the open TILOS evaluator on Ariane133: the bundled placements,
// smoothing 1, 2 and 5, and four random perturbations with overlaps, macros on the canvas
// edge and flipped orientations (tests/data/tilos_reference.json says how they were made).
TEST(Reference, MatchesTheOpenEvaluatorToRounding) {
  const auto doc = nlohmann::json::parse(read_file(test::data("tests/data/tilos_reference.json")));
  for (const auto& c : doc["cases"]) {
    const std::string plc_path = c["plc"];
    SCOPED_TRACE(plc_path + " smoothing " + c["smoothing"].dump());
    const Netlist nl = read_netlist(test::data(c["netlist"]));
    PlcFile plc = read_plc(test::data(plc_path));
    Placement p = Placement::from_netlist(nl);
    apply_plc(plc, nl, p);
    CostOverrides o;
    if (!c["smoothing"].is_null()) o.set("smoothing", c["smoothing"].get<double>());
    Evaluator ev(nl, resolve_params(nl, &plc, o));
    ev.reset(p);
    const Costs got = ev.costs();
    EXPECT_NEAR(got.wirelength, c["wirelength"].get<double>(), 1e-6);
    EXPECT_NEAR(got.wirelength_cost, c["wirelength_cost"].get<double>(), 1e-12);
    EXPECT_NEAR(got.congestion_cost, c["congestion_cost"].get<double>(), 1e-12);
    if (c.contains("density_cost")) {
      EXPECT_NEAR(got.density_cost, c["density_cost"].get<double>(), 1e-12);
      EXPECT_NEAR(got.proxy_cost, c["proxy_cost"].get<double>(), 1e-12);
    }
    if (c.contains("overlap_count")) {
      const LegalityReport l = ev.legality();
      EXPECT_EQ(l.overlap_count, c["overlap_count"].get<int>());
      EXPECT_NEAR(l.overlap_area, c["overlap_area"].get<double>(), 1e-6);
      EXPECT_EQ(l.out_of_canvas, c["out_of_canvas"].get<int>());
    }
  }
}

}  // namespace
}  // namespace rlplace
