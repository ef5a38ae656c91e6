// Incremental updates must always agree with a full evaluation of the same placement.
#include <gtest/gtest.h>

#include <random>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "tests/test_util.h"

namespace rlplace {
namespace {

void expect_same(const Evaluator& inc, const Design& d, int step) {
  Evaluator full(d.netlist, d.params);
  full.reset(inc.placement());
  const Costs a = inc.costs(), b = full.costs();
  ASSERT_NEAR(a.wirelength_cost, b.wirelength_cost, 1e-9) << "step " << step;
  ASSERT_NEAR(a.density_cost, b.density_cost, 1e-9) << "step " << step;
  ASSERT_NEAR(a.congestion_cost, b.congestion_cost, 1e-9) << "step " << step;
  ASSERT_NEAR(a.proxy_cost, b.proxy_cost, 1e-9) << "step " << step;
  ASSERT_NEAR(a.wirelength, b.wirelength, 1e-6 * b.wirelength + 1e-9) << "step " << step;
}

void random_walk(Design& d, unsigned seed, int steps, double smoothing) {
  d.params.smoothing = smoothing;
  const Netlist& nl = d.netlist;
  Evaluator ev(nl, d.params);
  ev.reset(d.placement);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const double W = d.params.width, H = d.params.height;
  auto pick = [&](const std::vector<int32_t>& v) { return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)]; };
  for (int step = 0; step < steps; ++step) {
    const double r = u(rng);
    // Positions reach a little past the canvas, and sometimes land exactly on its edge
    // or on grid lines, where cell lookups and overlap clipping have their corner cases.
    auto coord = [&](double size, int cells) {
      const double q = u(rng);
      if (q < 0.1) return 0.0;
      if (q < 0.2) return size;
      if (q < 0.35) return std::floor(u(rng) * cells) * (size / cells);
      return -0.05 * size + 1.1 * size * u(rng);
    };
    if (r < 0.55) {
      ev.move(pick(nl.hard_macros), coord(W, d.params.cols), coord(H, d.params.rows));
    } else if (r < 0.75) {
      ev.move(pick(nl.soft_macros), coord(W, d.params.cols), coord(H, d.params.rows));
    } else if (r < 0.82) {
      ev.move(pick(nl.ports), coord(W, d.params.cols), coord(H, d.params.rows));
    } else if (r < 0.9) {
      ev.set_orientation(pick(nl.hard_macros), static_cast<Orientation>(std::uniform_int_distribution<int>(0, 7)(rng)));
    } else {
      const int32_t m = pick(nl.hard_macros);
      if (ev.placement().placed[m]) ev.unplace(m);
      else ev.place(m, coord(W, d.params.cols), coord(H, d.params.rows));
    }
    if (step % 5 == 0 || step == steps - 1) expect_same(ev, d, step);
    if (testing::Test::HasFatalFailure()) return;
  }
}

TEST(Incremental, RandomMovesOnAriane133MatchFullEvaluation) {
  Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/ariane133_ng45/legalized.plc"));
  random_walk(d, 7, 3000, 0);
}

TEST(Incremental, RandomMovesWithSmoothingMatchFullEvaluation) {
  Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/ariane133_ng45/legalized.plc"));
  random_walk(d, 11, 1500, 2);
}

TEST(Incremental, RandomMovesWithStdCellsMatchFullEvaluation) {
  Design d = load_design(test::data("netlists/data/ct_samples/toy_macro_stdcell/netlist.pb.txt"),
                         test::data("netlists/data/ct_samples/toy_macro_stdcell/initial.plc"));
  // Standard cells move through the same path as macros.
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> ux(0, d.params.width), uy(0, d.params.height);
  for (int step = 0; step < 500; ++step) {
    const auto& pool = step % 2 ? d.netlist.stdcells : d.netlist.hard_macros;
    ev.move(pool[step % pool.size()], ux(rng), uy(rng));
    expect_same(ev, d, step);
    if (HasFatalFailure()) return;
  }
}

TEST(Incremental, MovingBackRestoresTheExactCosts) {
  Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/ariane133_ng45/legalized.plc"));
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  const Costs before = ev.costs();
  const int32_t m = d.netlist.hard_macros[17];
  const double x = ev.placement().x[m], y = ev.placement().y[m];
  ev.move(m, 100, 200);
  EXPECT_NE(ev.costs().proxy_cost, before.proxy_cost);
  ev.move(m, x, y);
  const Costs after = ev.costs();
  // Density and congestion come back exactly; wirelength to rounding.
  EXPECT_EQ(after.density_cost, before.density_cost);
  EXPECT_EQ(after.congestion_cost, before.congestion_cost);
  EXPECT_NEAR(after.wirelength, before.wirelength, 1e-6);
}

}  // namespace
}  // namespace rlplace
