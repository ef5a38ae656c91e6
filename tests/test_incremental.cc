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


// Evaluator::proxy_at scores a node on many positions without moving it; each score must be
// what placing it there and evaluating gives, in every state a placer meets: macros not yet
// placed, flipped macros, positions on grid lines and past the canvas.
void check_proxy_at(Design& d, unsigned seed, double smoothing, const std::vector<int32_t>& nodes) {
  d.params.smoothing = smoothing;
  const Netlist& nl = d.netlist;
  Evaluator ev(nl, d.params);
  ev.reset(d.placement);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const double W = d.params.width, H = d.params.height;
  auto coord = [&](double size, int cells) {
    const double q = u(rng);
    if (q < 0.1) return 0.0;
    if (q < 0.2) return size;
    if (q < 0.35) return std::floor(u(rng) * cells) * (size / cells);
    return -0.05 * size + 1.1 * size * u(rng);
  };
  // Half the hard macros unplaced, as in the middle of an episode; some flipped.
  for (int32_t m : nl.hard_macros) {
    if (u(rng) < 0.3) ev.set_orientation(m, static_cast<Orientation>(std::uniform_int_distribution<int>(0, 7)(rng)));
    if (u(rng) < 0.5) ev.unplace(m);
  }
  for (int32_t node : nodes) {
    if (ev.placement().placed[node]) ev.unplace(node);
    const Costs before = ev.costs();
    std::vector<double> xs, ys, got(40);
    for (int i = 0; i < 40; ++i) xs.push_back(coord(W, d.params.cols)), ys.push_back(coord(H, d.params.rows));
    ev.proxy_at(node, xs.data(), ys.data(), 40, got.data());
    EXPECT_EQ(ev.costs().proxy_cost, before.proxy_cost) << "proxy_at changed the evaluator";
    for (int i = 0; i < 40; ++i) {
      Evaluator placed = ev;
      placed.place(node, xs[i], ys[i]);
      Evaluator full(nl, d.params);
      full.reset(placed.placement());
      ASSERT_NEAR(got[i], placed.costs().proxy_cost, 1e-12) << nl.name[node] << " at " << xs[i] << ", " << ys[i];
      ASSERT_NEAR(got[i], full.costs().proxy_cost, 1e-9) << nl.name[node] << " at " << xs[i] << ", " << ys[i];
    }
    ev.place(node, xs[0], ys[0]);
  }
}

// Whether `node` has a pin first on some net (its cell is then the route's source) and a pin
// after another's on some net.
std::pair<bool, bool> source_and_sink(const Netlist& nl, int32_t node) {
  bool source = false, sink = false;
  for (int32_t n = 0; n < nl.num_nets(); ++n)
    for (int32_t j = nl.net_begin[n]; j < nl.net_begin[n + 1]; ++j)
      if (nl.owner[nl.net_pins[j]] == node) (j == nl.net_begin[n] ? source : sink) = true;
  return {source, sink};
}

TEST(ProxyAt, MatchesPlacingTheNodeOnAriane133) {
  Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/ariane133_ng45/legalized.plc"));
  for (double smoothing : {0.0, 2.0}) {
    std::vector<int32_t> nodes;
    bool source = false, sink = false;
    for (size_t i = 0; i < d.netlist.hard_macros.size(); i += 9) {
      const int32_t m = d.netlist.hard_macros[i];
      nodes.push_back(m);
      const auto [s, k] = source_and_sink(d.netlist, m);
      source |= s, sink |= k;
    }
    for (size_t i = 0; i < d.netlist.soft_macros.size(); i += 97) nodes.push_back(d.netlist.soft_macros[i]);
    // Both kinds of net: where the node's pin is the source and where it is not.
    EXPECT_TRUE(source);
    EXPECT_TRUE(sink);
    check_proxy_at(d, 5, smoothing, nodes);
    if (HasFatalFailure()) return;
  }
}

TEST(ProxyAt, MatchesPlacingTheNodeOnOtherChips) {
  for (const char* netlist : {"clustered/mempool_tile_ng45/netlist.pb.txt.gz", "ct_samples/toy_macro_stdcell/netlist.pb.txt",
                              "ct_samples/simple_grouped_with_coords_with_blockage/netlist.pb.txt",
                              "ct_samples/macro_tiles_10x10/netlist.pb.txt"}) {
    const std::string path = std::string("netlists/data/") + netlist;
    const std::string dir = path.substr(0, path.rfind('/'));
    Design d = load_design(test::data(path), test::data(dir + "/initial.plc"));
    std::vector<int32_t> nodes(d.netlist.hard_macros.begin(),
                               d.netlist.hard_macros.begin() + std::min<size_t>(6, d.netlist.hard_macros.size()));
    if (!d.netlist.stdcells.empty()) nodes.push_back(d.netlist.stdcells.front());
    SCOPED_TRACE(netlist);
    check_proxy_at(d, 9, 2.0, nodes);
    if (HasFatalFailure()) return;
  }
}

TEST(ProxyAt, RefusesAPlacedNode) {
  Design d = load_design(test::data("netlists/data/ct_samples/macro_tiles_10x10/netlist.pb.txt"),
                         test::data("netlists/data/ct_samples/macro_tiles_10x10/initial.plc"));
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  const double x = 10, y = 10;
  double out = 0;
  EXPECT_THROW(ev.proxy_at(d.netlist.hard_macros[0], &x, &y, 1, &out), std::invalid_argument);
}

}  // namespace
}  // namespace rlplace
