// Masks, the placement environment, the legalizer and the baseline placers (`rlplace place`:
// tests/cli/test_cli_place.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/error.h"
#include "netlists/netlist_reader.h"
#include "placer/bench.h"
#include "placer/env.h"
#include "placer/legalizer.h"
#include "placer/mask.h"
#include "placer/placers.h"
#include "tests/test_util.h"

namespace rlplace {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;
using test::stdcell_node;

using test::square_params;

int count(const std::vector<uint8_t>& mask) {
  int n = 0;
  for (uint8_t m : mask) n += m;
  return n;
}

Design ariane() {
  return load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                     test::data("netlists/data/ariane133_ng45/legalized.plc"));
}

TEST(Mask, ObstacleRulesOutCellsWhoseMacroWouldOverlapIt) {
  CellMask cells(square_params());
  std::vector<uint8_t> mask;
  EXPECT_EQ(cells.compute(5, 5, mask), 100);
  cells.add_obstacle(50, 50, 10, 10);
  // A 10 x 10 macro centred at 45 or 55 overlaps [40, 60]; at 35 it only touches.
  EXPECT_EQ(cells.compute(5, 5, mask), 96);
  for (int r : {4, 5})
    for (int c : {4, 5}) EXPECT_EQ(mask[r * 10 + c], 0);
  EXPECT_EQ(mask[3 * 10 + 4], 1);
}

TEST(Mask, SpacingWidensTheClearance) {
  CellMask cells(square_params(), 1.0);
  cells.add_obstacle(50, 50, 10, 10);
  std::vector<uint8_t> mask;
  EXPECT_EQ(cells.compute(5, 5, mask), 84);  // columns and rows 3..6 ruled out
}

TEST(Mask, MacroMustFitInsideTheCanvas) {
  CellMask cells(square_params());
  std::vector<uint8_t> mask;
  // 30 x 30: centres 15 .. 85 fit, so columns and rows 1 .. 8.
  EXPECT_EQ(cells.compute(15, 15, mask), 64);
  EXPECT_EQ(mask[0], 0);
  EXPECT_EQ(mask[1 * 10 + 1], 1);
  // Larger than the canvas: nothing.
  EXPECT_EQ(cells.compute(60, 5, mask), 0);
}

TEST(Mask, BlockagesOfRateOneOnly) {
  CostParams p = square_params();
  p.blockages = {{0, 0, 30, 30, 1.0}, {70, 70, 100, 100, 0.5}};
  CellMask cells(p);
  std::vector<uint8_t> mask;
  // A 10 x 10 macro overlaps [0,30]^2 when its centre is below 35 in both axes: 3 x 3 cells.
  EXPECT_EQ(cells.compute(5, 5, mask), 91);
  EXPECT_EQ(mask[2 * 10 + 2], 0);
  EXPECT_EQ(mask[3 * 10 + 3], 1);
  EXPECT_EQ(mask[9 * 10 + 9], 1);  // rate 0.5 leaves room for macros
}

TEST(Env, OrderIsLargestAreaFirstStableOnTies) {
  Netlist nl = parse_netlist("o.pb.txt", macro_node("a", 10, 10, 5, 5) + macro_node("b", 20, 10, 5, 5) +
                                             macro_node("c", 10, 10, 5, 5) + macro_node("d", 10, 20, 5, 5) +
                                             macro_node("Grp_1", 50, 50, 5, 5));
  Placement p = Placement::from_netlist(nl);
  EXPECT_EQ(placement_order(nl, p), (std::vector<int32_t>{1, 3, 0, 2}));
  p.fixed[1] = 1;
  EXPECT_EQ(placement_order(nl, p), (std::vector<int32_t>{3, 0, 2}));
}

TEST(Env, StepsPlaceMacrosOnCellCentresAndRejectInfeasibleCells) {
  Netlist nl = parse_netlist("e.pb.txt", macro_node("a", 20, 20, 5, 5) + macro_node("b", 10, 10, 5, 5));
  PlacementEnv env(nl, square_params(), Placement::from_netlist(nl));
  EXPECT_EQ(env.current(), 0);
  EXPECT_EQ(env.feasible_count(), 64);  // a 20 x 20 macro on 10 um cells: centres 15 .. 85
  EXPECT_THROW(env.step(0), std::invalid_argument);
  env.step(4 * 10 + 4);  // centre (45, 45)
  EXPECT_DOUBLE_EQ(env.placement().x[0], 45);
  EXPECT_DOUBLE_EQ(env.placement().y[0], 45);
  EXPECT_EQ(env.current(), 1);
  EXPECT_EQ(env.feasible_count(), 100 - 9);  // b cannot sit in rows/cols 3..5
  EXPECT_THROW(env.step(4 * 10 + 4), std::invalid_argument);
  env.step(0);
  EXPECT_TRUE(env.done());
  EXPECT_FALSE(env.infeasible());
  EXPECT_EQ(env.current(), -1);
  EXPECT_EQ(count(env.mask()), 0);
  const Costs c = env.finish();
  EXPECT_TRUE(env.evaluator().legality().legal());
  EXPECT_LT(env.reward(c), 0);
  env.reset();
  EXPECT_EQ(env.step_index(), 0);
  EXPECT_FALSE(env.placement().placed[0]);
}

TEST(Env, EpisodeEndsInfeasibleWhenAMacroHasNoCell) {
  Netlist nl = parse_netlist("i.pb.txt", macro_node("a", 60, 60, 5, 5) + macro_node("b", 60, 60, 5, 5));
  PlacementEnv env(nl, square_params(), Placement::from_netlist(nl));
  env.step(5 * 10 + 5);
  EXPECT_TRUE(env.done());
  EXPECT_TRUE(env.infeasible());
  EXPECT_EQ(env.reward(Costs{}), -4.0);
  EXPECT_THROW(env.finish(), std::logic_error);
  EXPECT_THROW(run_placer("random", env), InputError);
}

TEST(Env, NothingToPlaceIsDoneWithAnAllZeroMask) {
  Netlist nl = parse_netlist("f.pb.txt", macro_node("a", 20, 20, 45, 45));
  Placement p = Placement::from_netlist(nl);
  p.fixed[0] = 1;
  PlacementEnv env(nl, square_params(), p);
  EXPECT_TRUE(env.done());
  EXPECT_FALSE(env.infeasible());
  ASSERT_EQ(env.mask().size(), 100u);
  EXPECT_EQ(count(env.mask()), 0);
}

TEST(Env, MacroLargerThanTheCanvasIsAnInputError) {
  Netlist nl = parse_netlist("big.pb.txt", macro_node("huge", 150, 10, 5, 5));
  try {
    PlacementEnv env(nl, square_params(), Placement::from_netlist(nl));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit the canvas"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("huge"), std::string::npos);
  }
}

// The wirelength map against placing the macro for real on every feasible cell; the
// density and congestion maps against the evaluator's grids averaged by hand.
TEST(CostMaps, MatchThePlacedMacrosCostsOnAriane133) {
  const Design d = ariane();
  PlacementEnv env(d.netlist, d.params, d.placement);
  env.reset();
  // Ten macros on their first feasible cells, so that nets have placed pins.
  for (int i = 0; i < 10; ++i) {
    const auto& m = env.mask();
    env.step(static_cast<int>(std::find(m.begin(), m.end(), 1) - m.begin()));
  }
  std::vector<float> maps;
  env.cost_maps(maps);
  const int cols = d.params.cols, rows = d.params.rows, n = cols * rows;
  ASSERT_EQ(maps.size(), static_cast<size_t>(kCostMapChannels * n));
  const int32_t macro = env.current();
  Evaluator ev = env.evaluator();
  const double before = ev.costs().wirelength;
  std::vector<double> delta(n, 0);
  double lo = 1e300, hi = -1e300;
  for (int c = 0; c < n; ++c) {
    if (!env.mask()[c]) continue;
    ev.place(macro, env.cells().cell_x(c % cols), env.cells().cell_y(c / cols));
    delta[c] = ev.costs().wirelength - before;
    ev.unplace(macro);
    lo = std::min(lo, delta[c]);
    hi = std::max(hi, delta[c]);
  }
  ASSERT_GT(hi, lo);
  // The proxy channel by hand: the partial placement's proxy cost on each feasible cell.
  std::vector<double> proxy(n, 0);
  double plo = 1e300, phi = -1e300;
  for (int c = 0; c < n; ++c) {
    if (!env.mask()[c]) continue;
    ev.place(macro, env.cells().cell_x(c % cols), env.cells().cell_y(c / cols));
    proxy[c] = ev.costs().proxy_cost;
    ev.unplace(macro);
    plo = std::min(plo, proxy[c]);
    phi = std::max(phi, proxy[c]);
  }
  ASSERT_GT(phi, plo);
  for (int c = 0; c < n; ++c)
    EXPECT_NEAR(maps[kProxyChannel * n + c], env.mask()[c] ? (proxy[c] - plo) / (phi - plo) : 1.0, 1e-5) << "cell " << c;
  // A network without the greedy prior asks for the maps before the proxy map only: the
  // same values (to the rounding the proxy map's moves left in the evaluator's running
  // sums), and zero where the proxy map would be.
  std::vector<float> three;
  env.cost_maps(three, kProxyChannel);
  ASSERT_EQ(three.size(), maps.size());
  for (int i = 0; i < kProxyChannel * n; ++i) ASSERT_NEAR(three[i], maps[i], 1e-6) << i;
  EXPECT_EQ(std::count(three.begin() + kProxyChannel * n, three.end(), 0.f), n);
  int feasible = 0;
  for (int c = 0; c < n; ++c) {
    if (!env.mask()[c]) {
      EXPECT_EQ(maps[c], 1.f);
      continue;
    }
    ++feasible;
    EXPECT_NEAR(maps[c], (delta[c] - lo) / (hi - lo), 1e-5) << "cell " << c;
  }
  EXPECT_GT(feasible, 100);
  const std::vector<double> density = env.evaluator().density_grid();
  std::vector<double> h, v;
  env.evaluator().congestion_grids(h, v);
  const double gw = d.params.width / cols, gh = d.params.height / rows;
  const int kc = static_cast<int>(d.netlist.width[macro] / 2 / gw), kr = static_cast<int>(d.netlist.height[macro] / 2 / gh);
  for (int cell : {0, n / 2 + cols / 2, n - 1}) {
    const int r = cell / cols, c = cell % cols;
    double ds = 0, cs = 0;
    int k = 0;
    for (int rr = std::max(0, r - kr); rr <= std::min(rows - 1, r + kr); ++rr)
      for (int cc = std::max(0, c - kc); cc <= std::min(cols - 1, c + kc); ++cc, ++k) {
        ds += density[rr * cols + cc];
        cs += 0.5 * (h[rr * cols + cc] + v[rr * cols + cc]);
      }
    EXPECT_NEAR(maps[n + cell], std::min(4.0, ds / k), 1e-5) << "cell " << cell;
    EXPECT_NEAR(maps[2 * n + cell], std::min(4.0, cs / k), 1e-5) << "cell " << cell;
  }
  // Once every macro is placed the maps are all zero.
  while (!env.done()) {
    const auto& m = env.mask();
    env.step(static_cast<int>(std::find(m.begin(), m.end(), 1) - m.begin()));
  }
  env.cost_maps(maps);
  EXPECT_EQ(std::count(maps.begin(), maps.end(), 0.f), static_cast<long>(maps.size()));
}

// The environment benchmark computes the cost maps before every step and times them apart.
TEST(Bench, EnvTimesTheCostMapsOfEveryStepApart) {
  Design d = load_design(test::data("netlists/data/ct_samples/macro_tiles_10x10/netlist.pb.txt"),
                         test::data("netlists/data/ct_samples/macro_tiles_10x10/initial.plc"));
  const EnvBench b = bench_env(d, 0.0, 1);
  EXPECT_EQ(b.episodes, 3);
  EXPECT_EQ(b.steps_per_episode, d.netlist.hard_macros.size());
  EXPECT_EQ(b.steps, 3 * static_cast<long>(b.steps_per_episode));
  EXPECT_GT(b.maps_us, 0);
  EXPECT_GT(b.step_us, 0);
}

TEST(Placers, RandomIsLegalAndSeeded) {
  Design d = ariane();
  EnvOptions o;
  o.run_fd = false;
  PlacementEnv env(d.netlist, d.params, d.placement, o);
  std::vector<double> xs;
  for (uint64_t seed : {1, 2, 3}) {
    run_placer("random", env, {seed});
    ASSERT_TRUE(env.done());
    const LegalityReport l = env.evaluator().legality();
    EXPECT_EQ(l.overlap_count, 0) << "seed " << seed;
    EXPECT_EQ(l.out_of_canvas, 0) << "seed " << seed;
    xs.push_back(env.placement().x[env.order()[0]]);
  }
  run_placer("random", env, {1});
  EXPECT_EQ(env.placement().x[env.order()[0]], xs[0]);
  EXPECT_FALSE(xs[0] == xs[1] && xs[1] == xs[2]);
}

// Two 60 x 40 macros on a 100 x 100 canvas: a third of the first macro's cells (the two
// middle rows) leave the second no room. The random placer draws again (from the same seeded
// stream) until an episode places both; three such macros fit nowhere, and it says so.
TEST(Placers, RandomDrawsAgainWhenAnEpisodeDeadEnds) {
  const std::string two = macro_node("a", 60, 40, 50, 50) + macro_node("b", 60, 40, 50, 50);
  Netlist nl = parse_netlist("r.pb.txt", two);
  PlacementEnv env(nl, square_params(), Placement::from_netlist(nl));
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    run_placer("random", env, {seed});
    ASSERT_TRUE(env.done()) << "seed " << seed;
    EXPECT_FALSE(env.infeasible()) << "seed " << seed;
    EXPECT_TRUE(env.evaluator().legality().legal()) << "seed " << seed;
  }
  Netlist three = parse_netlist("r.pb.txt", two + macro_node("c", 60, 40, 50, 50));
  PlacementEnv none(three, square_params(), Placement::from_netlist(three));
  try {
    run_placer("random", none, {1});
    ADD_FAILURE() << "three 60 x 40 macros were placed on a 100 x 100 canvas";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("r.pb.txt: placer 'random' found no feasible cell for hard macro 'c'"),
              std::string::npos)
        << e.what();
  }
}

TEST(Placers, GreedyBeatsRandomOnAriane133) {
  Design d = ariane();
  PlacementEnv env(d.netlist, d.params, d.placement);
  run_placer("greedy", env);
  const Costs greedy = env.finish();
  EXPECT_TRUE(env.evaluator().legality().legal());
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    run_placer("random", env, {seed});
    const Costs random = env.finish();
    EXPECT_TRUE(env.evaluator().legality().legal());
    EXPECT_LT(greedy.proxy_cost, random.proxy_cost) << "seed " << seed;
  }
}

TEST(Placers, UnknownNameIsRejected) {
  Design d = ariane();
  PlacementEnv env(d.netlist, d.params, d.placement);
  EXPECT_THROW(run_placer("annealing", env), std::invalid_argument);
}

TEST(Legalizer, MakesTheCommercialPlacementLegalAndIsIdempotent) {
  Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/ariane133_ng45/initial.plc"));
  const LegalizeResult r = legalize_hard_macros(d.netlist, d.params, d.placement);
  EXPECT_GT(r.moved, 0);
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  EXPECT_TRUE(ev.legality().legal());
  // Legal macros on cell centres stay where they are.
  const LegalizeResult again = legalize_hard_macros(d.netlist, d.params, d.placement);
  EXPECT_EQ(again.moved, 0);
  EXPECT_EQ(again.max_displacement, 0);
}

TEST(Legalizer, OverlappingMacrosMoveToTheNearestFreeCell) {
  // Two 20 x 20 macros on the same spot; the first (node order on ties) keeps the nearest cell.
  Netlist nl = parse_netlist("l.pb.txt", macro_node("a", 20, 20, 46, 44) + macro_node("b", 20, 20, 46, 44));
  Placement p = Placement::from_netlist(nl);
  legalize_hard_macros(nl, square_params(), p);
  EXPECT_DOUBLE_EQ(p.x[0], 45);
  EXPECT_DOUBLE_EQ(p.y[0], 45);
  // b: nearest centre at distance >= 20 in x or y from (45,45): (45,65)/(45,25)/(65,45)/(25,45)...
  // nearest to (46,44) among those is (65,45) or (45,25)/(45,65)/(25,45); (46,44) -> (45,25):
  // 1 + 361 = 362, (65,45): 361 + 1 = 362, (45,65): 1 + 441, (25,45): 441 + 1; the tie goes to
  // the lower cell index, row 2 col 4 = (45, 25).
  EXPECT_DOUBLE_EQ(p.x[1], 45);
  EXPECT_DOUBLE_EQ(p.y[1], 25);
  Evaluator ev(nl, square_params());
  ev.reset(p);
  EXPECT_TRUE(ev.legality().legal());
}

// Two 60 x 40 macros meeting in the middle of a 100 x 100 canvas: the first takes the cell
// nearest the middle, (45, 45), and leaves the second no row above or below it, so the
// legalizer packs both from the bottom-left instead; a third has no room either way.
TEST(Legalizer, PacksTheMacrosWhenTheNearestCellsLeaveOneWithoutRoom) {
  const std::string two = macro_node("a", 60, 40, 50, 50) + macro_node("b", 60, 40, 50, 50);
  Netlist nl = parse_netlist("l.pb.txt", two);
  Placement p = Placement::from_netlist(nl);
  const LegalizeResult r = legalize_hard_macros(nl, square_params(), p);
  EXPECT_TRUE(r.packed);
  // a: the lowest cell whose centre keeps it on the canvas, (35, 25); b: the lowest free
  // row above it, y = 65 (a spans y 5..45, b 45..85).
  EXPECT_DOUBLE_EQ(p.x[0], 35);
  EXPECT_DOUBLE_EQ(p.y[0], 25);
  EXPECT_DOUBLE_EQ(p.x[1], 35);
  EXPECT_DOUBLE_EQ(p.y[1], 65);
  EXPECT_EQ(r.moved, 2);
  EXPECT_DOUBLE_EQ(r.max_displacement, std::hypot(15.0, 25.0));
  Evaluator ev(nl, square_params());
  ev.reset(p);
  EXPECT_TRUE(ev.legality().legal());
  // Placements the nearest cells can make are not packed.
  Netlist apart = parse_netlist("l.pb.txt", macro_node("a", 60, 40, 50, 25) + macro_node("b", 60, 40, 50, 75));
  Placement q = Placement::from_netlist(apart);
  EXPECT_FALSE(legalize_hard_macros(apart, square_params(), q).packed);
  EXPECT_DOUBLE_EQ(q.y[0], 25);
  EXPECT_DOUBLE_EQ(q.y[1], 75);
  // Three such macros fit neither way: the error names the one left over.
  Netlist three = parse_netlist("l.pb.txt", two + macro_node("c", 60, 40, 50, 50));
  Placement t = Placement::from_netlist(three);
  try {
    legalize_hard_macros(three, square_params(), t);
    ADD_FAILURE() << "three 60 x 40 macros were legalized on a 100 x 100 canvas";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("l.pb.txt: no legal cell left for hard macro 'c'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace rlplace
