// The force-directed placer of soft macros and standard cells.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/netlist_reader.h"
#include "placer/fd.h"
#include "tests/test_util.h"

namespace rlplace {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;

using test::square_params;

// Clustered Ariane133 with legalized.plc, read once.
const Design& ariane() {
  static const Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                                      test::data("netlists/data/ariane133_ng45/legalized.plc"));
  return d;
}

Costs costs_of(const Design& d, const Placement& p) {
  Evaluator ev(d.netlist, d.params);
  ev.reset(p);
  return ev.costs();
}

// Every soft macro and standard cell at the canvas centre.
Placement at_centre(const Design& d) {
  Placement p = d.placement;
  for (int32_t v = 0; v < d.netlist.num_nodes(); ++v)
    if (d.netlist.kind[v] == NodeKind::kSoftMacro || d.netlist.kind[v] == NodeKind::kStdCell) {
      p.x[v] = d.params.width / 2;
      p.y[v] = d.params.height / 2;
    }
  return p;
}

void expect_on_canvas(const Netlist& nl, const CostParams& params, const Placement& p) {
  for (int32_t v = 0; v < nl.num_nodes(); ++v) {
    if (nl.kind[v] != NodeKind::kSoftMacro && nl.kind[v] != NodeKind::kStdCell) continue;
    EXPECT_GE(p.x[v] - nl.width[v] / 2, -1e-9) << nl.name[v];
    EXPECT_LE(p.x[v] + nl.width[v] / 2, params.width + 1e-9) << nl.name[v];
    EXPECT_GE(p.y[v] - nl.height[v] / 2, -1e-9) << nl.name[v];
    EXPECT_LE(p.y[v] + nl.height[v] / 2, params.height + 1e-9) << nl.name[v];
  }
}

TEST(Fd, SoftMacroSettlesBetweenTheTwoPortsItConnects) {
  // P1 -> Grp_1 -> P2, with the pins off the macro's centre; the pull balances at x = 50.
  const Netlist nl = parse_netlist("fd.pb.txt", port_node("P1", 10, 50, {"Grp_1/i"}) +
                                                    macro_node("Grp_1", 4, 4, 20, 80) +
                                                    pin_node("Grp_1/i", "Grp_1", -2, 1) +
                                                    pin_node("Grp_1/o", "Grp_1", 2, -1, {"P2"}) +
                                                    port_node("P2", 90, 50));
  const CostParams params = square_params();
  Placement p = Placement::from_netlist(nl);
  FdOptions o;
  o.stages = {{100, 1, 100, 0}};  // attraction only; at most 1 micron a step
  o.use_current_loc = true;
  const FdResult r = place_soft(nl, params, p, o);
  EXPECT_EQ(r.moved, 1);
  EXPECT_EQ(r.steps, 100);
  const int32_t m = nl.find("Grp_1");
  EXPECT_NEAR(p.x[m], 50, 1.0);
  EXPECT_NEAR(p.y[m], 50, 1.0);
  EXPECT_EQ(p.x[nl.find("P1")], 10);
  EXPECT_EQ(p.x[nl.find("P2")], 90);

  // From the centre it is already there.
  Placement q = Placement::from_netlist(nl);
  o.use_current_loc = false;
  place_soft(nl, params, q, o);
  EXPECT_NEAR(q.x[m], 50, 1e-9);
  EXPECT_NEAR(q.y[m], 50, 1e-9);
}

TEST(Fd, IoFactorWeighsPortsAgainstHardMacroPins) {
  // P (x = 10) -> Grp_1 <- hard macro pin (x = 90): ports pull three times as hard.
  const Netlist nl = parse_netlist("fd.pb.txt", port_node("P", 10, 50, {"Grp_1/i"}) +
                                                    macro_node("Grp_1", 4, 4, 50, 50) +
                                                    pin_node("Grp_1/i", "Grp_1", 0, 0) +
                                                    pin_node("Grp_1/j", "Grp_1", 0, 0) +
                                                    macro_node("hard", 10, 10, 85, 50) +
                                                    pin_node("hard/o", "hard", 5, 0, {"Grp_1/j"}));
  Placement p = Placement::from_netlist(nl);
  FdOptions o;
  o.stages = {{200, 1, 100, 0}};  // at most half a micron a step
  o.io_factor = 3;
  place_soft(nl, square_params(), p, o);
  EXPECT_NEAR(p.x[nl.find("Grp_1")], 30, 0.5);  // (3 * 10 + 90) / 4
  EXPECT_NEAR(p.y[nl.find("Grp_1")], 50, 1e-9);
  EXPECT_EQ(p.x[nl.find("hard")], 85);
}

TEST(Fd, RepulsionSeparatesOverlappingSoftMacros) {
  const Netlist nl =
      parse_netlist("fd.pb.txt", macro_node("Grp_a", 10, 10, 48, 50) + macro_node("Grp_b", 10, 10, 52, 50));
  Placement p = Placement::from_netlist(nl);
  FdOptions o;
  o.stages = {{100, 1, 0, 1}};  // repulsion only
  o.use_current_loc = true;
  place_soft(nl, square_params(), p, o);
  const int32_t a = nl.find("Grp_a"), b = nl.find("Grp_b");
  EXPECT_GE(p.x[b] - p.x[a], 10 - 1e-3);  // apart along the line of their centres
  EXPECT_NEAR(p.x[a] + p.x[b], 100, 1e-9);
  EXPECT_EQ(p.y[a], 50);
  EXPECT_EQ(p.y[b], 50);
}

TEST(Fd, CoincidentSoftMacrosSplitLowerLeftAndUpperRight) {
  const Netlist nl =
      parse_netlist("fd.pb.txt", macro_node("Grp_a", 10, 10, 50, 50) + macro_node("Grp_b", 10, 10, 50, 50));
  Placement p = Placement::from_netlist(nl);
  FdOptions o;
  o.stages = {{100, 1, 0, 1}};
  place_soft(nl, square_params(), p, o);
  const int32_t a = nl.find("Grp_a"), b = nl.find("Grp_b");
  EXPECT_LT(p.x[a], p.x[b]);
  EXPECT_LT(p.y[a], p.y[b]);
  EXPECT_GE(std::max(p.x[b] - p.x[a], p.y[b] - p.y[a]), 10 - 1e-3);
}

TEST(Fd, HardMacroPushesSoftMacroOutAndStays) {
  const Netlist nl = parse_netlist("fd.pb.txt", macro_node("hard", 30, 30, 50, 50) + macro_node("Grp_s", 6, 6, 55, 52));
  Placement p = Placement::from_netlist(nl);
  FdOptions o;
  o.stages = {{100, 1, 0, 1}};
  o.use_current_loc = true;
  place_soft(nl, square_params(), p, o);
  const int32_t h = nl.find("hard"), s = nl.find("Grp_s");
  EXPECT_EQ(p.x[h], 50);
  EXPECT_EQ(p.y[h], 50);
  EXPECT_TRUE(std::abs(p.x[s] - 50) >= 18 - 1e-3 || std::abs(p.y[s] - 50) >= 18 - 1e-3)
      << p.x[s] << ", " << p.y[s];
  EXPECT_GT(p.x[s], 55);  // away from the hard macro's centre
  EXPECT_GT(p.y[s], 52);
}

TEST(Fd, StaysOnTheCanvas) {
  // Pulled towards a port beyond the corner, pushed by a neighbour: boxes stay inside.
  const Netlist nl = parse_netlist("fd.pb.txt", port_node("P", 150, 150, {"Grp_a/i", "Grp_b/i"}) +
                                                    macro_node("Grp_a", 10, 10, 80, 80) +
                                                    pin_node("Grp_a/i", "Grp_a", 0, 0) +
                                                    macro_node("Grp_b", 10, 10, 90, 90) +
                                                    pin_node("Grp_b/i", "Grp_b", 0, 0));
  const CostParams params = square_params();
  Placement p = Placement::from_netlist(nl);
  FdOptions o;
  o.stages = {{100, 1, 100, 0}, {100, 1, 1e-3, 1e6}};
  o.use_current_loc = true;
  place_soft(nl, params, p, o);
  expect_on_canvas(nl, params, p);
  EXPECT_NEAR(p.x[nl.find("Grp_b")], 95, 1e-9);  // in the corner
}

TEST(Fd, FixedAndUnplacedNodesStay) {
  const Netlist nl = parse_netlist("fd.pb.txt", port_node("P", 10, 10, {"Grp_a/i", "Grp_b/i", "Grp_c/i"}) +
                                                    macro_node("Grp_a", 4, 4, 80, 80) +
                                                    pin_node("Grp_a/i", "Grp_a", 0, 0) +
                                                    macro_node("Grp_b", 4, 4, 70, 70) +
                                                    pin_node("Grp_b/i", "Grp_b", 0, 0) +
                                                    macro_node("Grp_c", 4, 4, 60, 60) +
                                                    pin_node("Grp_c/i", "Grp_c", 0, 0));
  Placement p = Placement::from_netlist(nl);
  p.fixed[nl.find("Grp_b")] = 1;
  p.placed[nl.find("Grp_c")] = 0;
  FdOptions o;
  o.stages = {{100, 1, 100, 0}};
  o.use_current_loc = true;
  EXPECT_EQ(place_soft(nl, square_params(), p, o).moved, 1);
  EXPECT_LT(p.x[nl.find("Grp_a")], 20);
  EXPECT_EQ(p.x[nl.find("Grp_b")], 70);
  EXPECT_EQ(p.x[nl.find("Grp_c")], 60);
}

TEST(Fd, HighFanoutNetsDoNotPull) {
  const Netlist nl = parse_netlist("fd.pb.txt", port_node("P", 10, 10, {"Grp_a/i", "Grp_b/i", "Grp_c/i"}) +
                                                    macro_node("Grp_a", 4, 4, 80, 80) +
                                                    pin_node("Grp_a/i", "Grp_a", 0, 0) +
                                                    macro_node("Grp_b", 4, 4, 70, 70) +
                                                    pin_node("Grp_b/i", "Grp_b", 0, 0) +
                                                    macro_node("Grp_c", 4, 4, 60, 60) +
                                                    pin_node("Grp_c/i", "Grp_c", 0, 0));
  FdOptions o;
  o.stages = {{100, 1, 100, 0}};
  o.use_current_loc = true;
  o.max_fanout = 2;
  Placement p = Placement::from_netlist(nl);
  place_soft(nl, square_params(), p, o);
  EXPECT_EQ(p.x[nl.find("Grp_a")], 80);
  o.max_fanout = 3;
  place_soft(nl, square_params(), p, o);
  EXPECT_LT(p.x[nl.find("Grp_a")], 20);
}

TEST(FdAriane, FromTheCentreBeatsTheCentreAndTilos) {
  const Design& d = ariane();
  Placement p = d.placement;
  const FdResult r = place_soft(d.netlist, d.params, p);
  EXPECT_EQ(r.moved, static_cast<int>(d.netlist.soft_macros.size()));
  EXPECT_EQ(r.steps, 300);
  expect_on_canvas(d.netlist, d.params, p);
  for (int32_t v : d.netlist.hard_macros) {
    EXPECT_EQ(p.x[v], d.placement.x[v]);
    EXPECT_EQ(p.y[v], d.placement.y[v]);
  }
  for (int32_t v : d.netlist.ports) {
    EXPECT_EQ(p.x[v], d.placement.x[v]);
    EXPECT_EQ(p.y[v], d.placement.y[v]);
  }
  const Costs centre = costs_of(d, at_centre(d));  // proxy 1.197: density 1.524
  const Costs fd = costs_of(d, p);
  EXPECT_LT(fd.proxy_cost, centre.proxy_cost - 0.3);
  EXPECT_LT(fd.density_cost, centre.density_cost - 0.6);
  // TILOS's FD reaches 0.8498 from the same start. The wirelength cost rises from the
  // centre's 0.044 (where every soft-to-soft net has length zero) to about 0.09, as in TILOS.
  EXPECT_LT(fd.proxy_cost, 0.85);
  EXPECT_LT(fd.wirelength_cost, 0.1);
}

TEST(FdAriane, LowersWirelengthFromAScatteredStart) {
  // Soft macros strewn over the canvas (a fixed pattern) are pulled back towards their nets.
  const Design& d = ariane();
  Placement p = d.placement;
  int k = 0;
  for (int32_t v : d.netlist.soft_macros) {
    p.x[v] = d.params.width * (0.05 + 0.9 * ((k * 37) % 101) / 100.0);
    p.y[v] = d.params.height * (0.05 + 0.9 * ((k * 53) % 97) / 96.0);
    ++k;
  }
  const Costs start = costs_of(d, p);
  FdOptions o;
  o.use_current_loc = true;
  Placement attracted = p;
  o.stages.resize(1);
  place_soft(d.netlist, d.params, attracted, o);
  EXPECT_LT(costs_of(d, attracted).wirelength_cost, 0.6 * start.wirelength_cost);
  o = FdOptions{};
  o.use_current_loc = true;
  place_soft(d.netlist, d.params, p, o);
  const Costs fd = costs_of(d, p);
  EXPECT_LT(fd.wirelength_cost, start.wirelength_cost);
  EXPECT_LT(fd.proxy_cost, start.proxy_cost);
  expect_on_canvas(d.netlist, d.params, p);
}

TEST(FdAriane, FromLegalizedPositionsDoesNotBlowUp) {
  const Design& d = ariane();
  const Costs start = costs_of(d, d.placement);  // proxy 0.686, wirelength 0.074
  Placement p = d.placement;
  FdOptions o;
  o.use_current_loc = true;
  place_soft(d.netlist, d.params, p, o);
  const Costs fd = costs_of(d, p);
  EXPECT_LT(fd.wirelength_cost, 1.25 * start.wirelength_cost);
  EXPECT_LT(fd.proxy_cost, start.proxy_cost + 0.1);
  expect_on_canvas(d.netlist, d.params, p);
}

TEST(FdAriane, DeterministicWhateverTheThreadCount) {
  const Design& d = ariane();
  FdOptions o;
  o.threads = 2;
  Placement a = d.placement, b = d.placement, c = d.placement;
  place_soft(d.netlist, d.params, a, o);
  place_soft(d.netlist, d.params, b, o);
  o.threads = 1;
  place_soft(d.netlist, d.params, c, o);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, b.y);
  EXPECT_EQ(a.x, c.x);  // forces are gathered per node, in the same order on any thread
  EXPECT_EQ(a.y, c.y);
}

// Flat Ariane133 (88,411 standard cells) with its floorplan, cells scattered at random:
// the flat schedule pulls them back together and keeps them on the canvas.
TEST(FdFlat, Ariane133ScatteredStartWirelengthDrops) {
  Design d = load_design(test::data("netlists/data/flat/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/flat/ariane133_ng45/floorplan.plc"));
  ASSERT_EQ(d.netlist.stdcells.size(), 88411u);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> ux(0, d.params.width), uy(0, d.params.height);
  for (int32_t c : d.netlist.stdcells) {
    d.placement.x[c] = ux(rng);
    d.placement.y[c] = uy(rng);
  }
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  const double before = ev.costs().wirelength_cost;
  FdOptions o = default_fd_options(d.netlist);
  o.use_current_loc = true;
  Placement p = d.placement;
  place_soft(d.netlist, d.params, p, o);
  ev.reset(p);
  const double after = ev.costs().wirelength_cost;
  EXPECT_LT(after, 0.5 * before) << "before " << before << " after " << after;
  std::printf("flat wirelength cost: scattered %.6f, after the solver %.6f\n", before, after);
  for (int32_t c : d.netlist.stdcells) {
    ASSERT_GE(p.x[c], 0);
    ASSERT_LE(p.x[c], d.params.width);
    ASSERT_GE(p.y[c], 0);
    ASSERT_LE(p.y[c], d.params.height);
  }
  for (int32_t m : d.netlist.hard_macros) ASSERT_EQ(p.x[m], d.placement.x[m]);
}

}  // namespace
}  // namespace rlplace
