// Local search over the hard macros: annealing actions, coordinate descent, and their
// registry entries.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>


#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/netlist_reader.h"
#include "placer/anneal.h"
#include "placer/coord_descent.h"
#include "placer/local_search.h"
#include "placer/registry.h"
#include "placer/search.h"
#include "tests/test_util.h"

namespace rlplace {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;
using test::stdcell_node;

Design ariane() {
  return load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                     test::data("netlists/data/ariane133_ng45/legalized.plc"));
}

Design tiny3() {
  return load_design(test::data("tests/data/tiny3/netlist.pb.txt"), test::data("tests/data/tiny3/initial.plc"));
}

double fresh_cost(const Netlist& nl, const CostParams& params, const Placement& p) {
  Evaluator ev(nl, params);
  ev.reset(p);
  return ev.costs().proxy_cost;
}

// Three macros with pins off their centres (so flips matter) between two ports, on a
// 4 x 4 grid of a 40 x 40 canvas.
Design oriented3() {
  Design d;
  const std::string text = port_node("P0", 0, 35, {"A/in"}) + port_node("P1", 40, 5) +
                           macro_node("A", 9, 9, 20, 20) + pin_node("A/in", "A", -4, 3) +
                           pin_node("A/out", "A", 4, -3, {"B/in"}) + macro_node("B", 8, 8, 20, 20) +
                           pin_node("B/in", "B", 3, 3) + pin_node("B/out", "B", -3, -3, {"C/in"}) +
                           macro_node("C", 7, 7, 20, 20) + pin_node("C/in", "C", -3, 0) +
                           pin_node("C/out", "C", 3, 2, {"P1"});
  d.netlist = parse_netlist("oriented3.pb.txt", text);
  d.placement = Placement::from_netlist(d.netlist);
  d.params = test::square_params(40, 4);
  return d;
}

// The cheapest legal placement of every movable hard macro over all cells and the four
// footprint-keeping orientations, by brute force.
double exhaustive_optimum(const Design& d) {
  const Netlist& nl = d.netlist;
  Evaluator ev(nl, d.params);
  Placement p = d.placement;
  std::vector<int32_t> ms(nl.hard_macros.begin(), nl.hard_macros.end());
  for (int32_t m : ms) p.placed[m] = 0;
  ev.reset(p);
  MacroBoard board(nl, d.params, p);  // nothing placed: tests only the canvas
  const int cells = d.params.cols * d.params.rows;
  double best = std::numeric_limits<double>::infinity();
  std::vector<int> at(ms.size());
  std::function<void(size_t)> go = [&](size_t k) {
    if (k == ms.size()) {
      best = std::min(best, ev.costs().proxy_cost);
      return;
    }
    const int32_t m = ms[k];
    for (int cell = 0; cell < cells; ++cell) {
      const double x = (cell % d.params.cols + 0.5) * d.params.cell_width();
      const double y = (cell / d.params.cols + 0.5) * d.params.cell_height();
      bool ok = x - nl.width[m] / 2 >= 0 && x + nl.width[m] / 2 <= d.params.width &&
                y - nl.height[m] / 2 >= 0 && y + nl.height[m] / 2 <= d.params.height;
      for (size_t j = 0; j < k && ok; ++j) {
        const int32_t o = ms[j];
        ok = !(nl.width[m] / 2 + nl.width[o] / 2 - std::abs(x - ev.placement().x[o]) > 0 &&
               nl.height[m] / 2 + nl.height[o] / 2 - std::abs(y - ev.placement().y[o]) > 0);
      }
      if (!ok) continue;
      ev.place(m, x, y);
      for (Orientation o : kFootprintOrientations) {
        ev.set_orientation(m, o);
        go(k + 1);
      }
      ev.set_orientation(m, Orientation::N);
      ev.unplace(m);
    }
  };
  go(0);
  return best;
}

TEST(Anneal, EveryActionKeepsLegalityAndItsIncrementalCostIsExact) {
  Design d = ariane();
  Placement start = d.placement;
  start_placement("input", d.netlist, d.params, start);
  AnnealOptions o;
  AnnealChain chain(d.netlist, d.params, start, o, 7);
  int applied[AnnealChain::kActions] = {};
  for (int round = 0; round < 40; ++round)
    for (int a = 0; a < AnnealChain::kActions; ++a) {
      const Placement before = chain.placement();
      const double before_cost = chain.evaluator().costs().proxy_cost;
      if (!chain.propose(static_cast<AnnealChain::Action>(a), 3)) {
        EXPECT_EQ(chain.placement().x, before.x);
        continue;
      }
      ++applied[a];
      const Placement& now = chain.placement();
      ASSERT_TRUE(chain.evaluator().legality().legal()) << "action " << a;
      EXPECT_NEAR(chain.evaluator().costs().proxy_cost, fresh_cost(d.netlist, d.params, now), 1e-9);
      if (round % 2) continue;  // keep every other one, so later actions start elsewhere
      chain.undo();
      EXPECT_EQ(chain.placement().x, before.x);
      EXPECT_EQ(chain.placement().y, before.y);
      EXPECT_EQ(chain.placement().orientation, before.orientation);
      EXPECT_NEAR(chain.evaluator().costs().proxy_cost, before_cost, 1e-12);
    }
  for (int a = 0; a < AnnealChain::kActions; ++a) EXPECT_GT(applied[a], 0) << "action " << a << " never legal";
}

TEST(Anneal, MovesRunsAreReproducibleBitForBitAndLegal) {
  Design d = ariane();
  Placement start = d.placement;
  start_placement("spiral", d.netlist, d.params, start);  // far from good: 3000 actions improve it
  for (int threads : {1, 2}) {
    AnnealOptions o;
    o.moves = 3000;
    o.threads = threads;
    o.seed = 5;
    o.fd_every = 1000;
    o.sync_every = 1000;
    o.initial_fd = false;
    const AnnealResult a = anneal(d.netlist, d.params, start, o);
    const AnnealResult b = anneal(d.netlist, d.params, start, o);
    EXPECT_EQ(a.placement.x, b.placement.x) << threads;
    EXPECT_EQ(a.placement.y, b.placement.y) << threads;
    EXPECT_EQ(a.placement.orientation, b.placement.orientation);
    EXPECT_EQ(a.costs.proxy_cost, b.costs.proxy_cost);
    EXPECT_EQ(a.actions, 3000 * threads);
    EXPECT_LT(a.costs.proxy_cost, a.start_cost);
    Evaluator ev(d.netlist, d.params);
    ev.reset(a.placement);
    EXPECT_TRUE(ev.legality().legal());
    EXPECT_DOUBLE_EQ(ev.costs().proxy_cost, a.costs.proxy_cost);
    o.seed = 6;
    EXPECT_NE(anneal(d.netlist, d.params, start, o).placement.x, a.placement.x);
  }
}

TEST(Anneal, ReachesTheExhaustiveOptimumOfSmallNetlists) {
  for (Design d : {tiny3(), oriented3()}) {
    const double optimum = exhaustive_optimum(d);
    Placement start = d.placement;
    start_placement("spiral", d.netlist, d.params, start);
    AnnealOptions o;
    o.moves = 20000;
    o.fd_every = 0;
    const AnnealResult r = anneal(d.netlist, d.params, start, o);
    EXPECT_NEAR(r.costs.proxy_cost, optimum, 1e-12) << d.netlist.source;
    EXPECT_GT(r.start_cost, optimum + 1e-3) << "the start should not be optimal already";
  }
}

TEST(CoordDescent, ReachesTheExhaustiveOptimumOfSmallNetlists) {
  for (Design d : {tiny3(), oriented3()}) {
    const double optimum = exhaustive_optimum(d);
    Placement start = d.placement;
    start_placement("spiral", d.netlist, d.params, start);
    CoordDescentOptions o;
    const CoordDescentResult r = coord_descent(d.netlist, d.params, start, o);
    EXPECT_NEAR(r.costs.proxy_cost, optimum, 1e-12) << d.netlist.source;
  }
}

TEST(CoordDescent, NeverRaisesTheCostAndStaysLegal) {
  Design d = ariane();
  for (const char* how : {"input", "greedy"}) {
    Placement start = d.placement;
    start_placement(how, d.netlist, d.params, start);
    const double before = fresh_cost(d.netlist, d.params, start);
    CoordDescentOptions o;
    o.max_sweeps = 1;
    o.window = 2;
    const CoordDescentResult r = coord_descent(d.netlist, d.params, start, o);
    EXPECT_DOUBLE_EQ(r.start_cost, before);
    EXPECT_LT(r.costs.proxy_cost, before - 1e-3) << how;
    EXPECT_GT(r.moved, 0);
    Evaluator ev(d.netlist, d.params);
    ev.reset(r.placement);
    EXPECT_TRUE(ev.legality().legal());
    EXPECT_DOUBLE_EQ(ev.costs().proxy_cost, r.costs.proxy_cost);
  }
}

// A standard cell tied by three two-pin nets to ports at (10, 80), (90, 20) and (60, 50): with
// wirelength alone weighed, its best place is the median of the ports in x and in y, (60, 50),
// where the nets' lengths sum to 50 + 30 + 0 in x and 30 + 30 + 0 in y.
TEST(Polish, PutsACellOnTheMedianOfItsNets) {
  const std::string text = port_node("P0", 10, 80, {"S"}) + port_node("P1", 90, 20, {"S"}) + port_node("P2", 60, 50) +
                           stdcell_node("S", 1, 1, 20, 30, {"P2"});
  const Netlist nl = parse_netlist("median.pb.txt", text);
  CostParams params = test::square_params(100, 10);
  params.weights = {1, 0, 0};
  Evaluator ev(nl, params);
  ev.reset(Placement::from_netlist(nl));
  PolishStats st;
  polish_soft(nl, params, ev, 3, 0, &st);
  const int32_t s = nl.find("S");
  EXPECT_DOUBLE_EQ(ev.placement().x[s], 60);
  EXPECT_DOUBLE_EQ(ev.placement().y[s], 50);
  EXPECT_NEAR(ev.costs().wirelength, 140, 1e-9);
  EXPECT_EQ(st.moved, 1);
  EXPECT_EQ(st.passes, 2);  // the second moved nothing
  EXPECT_LT(st.after, st.before);
}

TEST(Polish, NeverRaisesTheCostMovesNoHardMacroAndEndsOnAFreshEvaluation) {
  const Design d = ariane();
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  PolishStats st;
  const double after = polish_soft(d.netlist, d.params, ev, 2, 0, &st);
  EXPECT_GT(st.moved, 0);
  EXPECT_LT(after, st.before);
  EXPECT_EQ(after, fresh_cost(d.netlist, d.params, ev.placement()));
  for (int32_t m : d.netlist.hard_macros) {
    EXPECT_EQ(ev.placement().x[m], d.placement.x[m]);
    EXPECT_EQ(ev.placement().y[m], d.placement.y[m]);
  }
  // A budget spent before the first node leaves the placement as it was.
  Evaluator ev2(d.netlist, d.params);
  ev2.reset(d.placement);
  PolishStats st2;
  polish_soft(d.netlist, d.params, ev2, 2, 1e-12, &st2);
  EXPECT_TRUE(st2.stopped);
  EXPECT_EQ(st2.moved, 0);
  EXPECT_EQ(st2.after, st2.before);
  EXPECT_EQ(ev2.placement().x, d.placement.x);
}

TEST(Search, StartsAreLegal) {
  Design d = ariane();
  for (const char* how : {"input", "greedy", "spiral"}) {
    Placement p = d.placement;
    start_placement(how, d.netlist, d.params, p);
    Evaluator ev(d.netlist, d.params);
    ev.reset(p);
    EXPECT_TRUE(ev.legality().legal()) << how;
  }
  Placement p = d.placement;
  EXPECT_THROW(start_placement("nowhere", d.netlist, d.params, p), std::invalid_argument);
}

TEST(Registry, SearchesAreRegisteredAsPlacersAndRefiners) {
  register_builtin_placers();
  for (const char* name : {"sa", "cd"}) {
    EXPECT_NE(find_placer(name), nullptr) << name;
    EXPECT_NE(find_refiner(name), nullptr) << name;
  }
  // Through the registry, as `place` runs them: greedy, then an annealing refinement with
  // an action budget (a time budget would make the gain depend on the machine's load).
  Design d = ariane();
  PlaceRequest r;
  r.design = &d;
  r.env.fd = default_fd_options(d.netlist);
  r.threads = 1;
  r.moves = 5000;
  PlaceOutcome g = placer_or_throw("greedy").place(r);
  const double before = fresh_cost(d.netlist, d.params, g.placement);
  Placement again = g.placement;
  const std::string how = refiner_or_throw("sa").refine(r, g.placement);
  EXPECT_NE(how.find("annealing refinement"), std::string::npos);
  const double after = fresh_cost(d.netlist, d.params, g.placement);
  EXPECT_LT(after, before - 0.005);
  refiner_or_throw("sa").refine(r, again);
  EXPECT_EQ(fresh_cost(d.netlist, d.params, again), after);  // reproducible
  Evaluator ev(d.netlist, d.params);
  ev.reset(g.placement);
  EXPECT_TRUE(ev.legality().legal());
}

}  // namespace
}  // namespace rlplace
