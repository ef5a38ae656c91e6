// Clustering flat netlists into soft macros (`rlplace cluster`) and the automatic grid.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cluster/cluster.h"
#include "cluster/grid.h"
#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "netlists/plc.h"
#include "tests/test_util.h"

namespace rlplace {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;
using test::stdcell_node;

// --- Automatic grid -------------------------------------------------------------------

TEST(Grid, WasteOfOneSegment) {
  // 30 on cells of 20: centred it spans 3 cells, but its spare half-cell (5) lets the
  // count drop to 2; span (2 + 1) * 20 = 60, waste 30 / 60.
  EXPECT_DOUBLE_EQ(grid_waste({30}, 20), 0.5);
  EXPECT_DOUBLE_EQ(grid_waste({30}, 25), 0.6);
  EXPECT_DOUBLE_EQ(grid_waste({30}, 50), 0.4);
  EXPECT_DOUBLE_EQ(grid_waste({}, 10), 1.0);
}

TEST(Grid, MetricOfAHandCase) {
  // One 30 x 30 macro on a 100 x 100 canvas. On 3 x 3 it sits in cell (0, 0) alone:
  // 8 empty cells of 9, waste (100/3 - 30) / (100/3) = 0.1 both ways.
  auto m = grid_metric({30}, {30}, 100, 100, 3, 3);
  ASSERT_TRUE(m);
  EXPECT_NEAR(*m, 8.0 / 9 + 0.9 + 0.9, 1e-12);
  // On 5 x 5 row 0 is too low (centre y 10 < 15): it goes to cell (1, 1) and covers 3 x 3.
  m = grid_metric({30}, {30}, 100, 100, 5, 5);
  ASSERT_TRUE(m);
  EXPECT_NEAR(*m, 16.0 / 25 + 0.5 + 0.5, 1e-12);
  // A macro wider than the canvas packs nowhere.
  EXPECT_FALSE(grid_metric({120}, {30}, 100, 100, 3, 3));
}

TEST(Grid, ChoosesTheBestThenASmallerGridWithinTheTolerance) {
  GridRules rules;
  rules.min_rows = rules.min_cols = 2;
  rules.max_rows = rules.max_cols = 6;
  rules.min_cells = 4;
  rules.max_cells = 25;
  auto g = choose_grid({30}, {30}, 100, 100, rules);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->cols, 3);
  EXPECT_EQ(g->rows, 3);
  EXPECT_NEAR(g->best_metric, 8.0 / 9 + 1.8, 1e-12);
  // 2 rows x 3 columns scores 5/6 + 0.6 + 0.9 = 2.333, within 15 % of the best and with
  // more metric per cell; it comes first in the sweep (rows outer) among its equals.
  rules.tolerance = 0.15;
  g = choose_grid({30}, {30}, 100, 100, rules);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->cols, 3);
  EXPECT_EQ(g->rows, 2);
  EXPECT_NEAR(g->metric, 5.0 / 6 + 0.6 + 0.9, 1e-12);
  EXPECT_FALSE(choose_grid({120}, {30}, 100, 100, rules));
}

TEST(Grid, DefaultRulesKeepCellCountAndAspect) {
  // No macros: every grid scores the same, so the fewest cells (500) win; on a square
  // canvas 20 rows x 25 columns is the first such grid in the sweep with cell aspect <= 1.5.
  auto g = choose_grid({}, {}, 100, 100);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->cols * g->rows, 500);
  const double gw = 100.0 / g->cols, gh = 100.0 / g->rows;
  EXPECT_LE(std::max(gw / gh, gh / gw), 1.5);
  EXPECT_EQ(g->rows, 20);
  EXPECT_EQ(g->cols, 25);
}

TEST(Grid, ReproducesTheTilosGridOfFlatAriane) {
  // The TILOS flow put Ariane133 NG45 on 24 x 21 (its floorplan.plc); the sweep over its
  // 133 hard macros on the same canvas finds the same grid.
  const Netlist flat = read_netlist(test::data("netlists/data/flat/ariane133_ng45/netlist.pb.txt.gz"));
  const PlcFile fp = read_plc(test::data("netlists/data/flat/ariane133_ng45/floorplan.plc"));
  std::vector<double> w, h;
  for (int32_t m : flat.hard_macros) {
    w.push_back(flat.width[m]);
    h.push_back(flat.height[m]);
  }
  const CostOverrides given = params_from_plc(fp);
  const auto g = choose_grid(w, h, *given.get("width"), *given.get("height"));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->cols, *given.get("cols"));
  EXPECT_EQ(g->rows, *given.get("rows"));
  EXPECT_EQ(g->cols, 24);
  EXPECT_EQ(g->rows, 21);
}

// --- The clustered netlist, from a hand-made clustering ----------------------------------

// P drives c0 and c1; macro M has output pin M/o (to c2) and input pin M/i.
// Cluster A = {c0, c1}, B = {c2, c3}.
std::string hand_flat() {
  return port_node("P", 0, 50, {"c0", "c1"}) + macro_node("M", 10, 10, 80, 80) +
         pin_node("M/o", "M", 5, 0, {"c2"}) + pin_node("M/i", "M", -5, 0) +
         stdcell_node("c0", 2, 1, 10, 10, {"c1", "c2", "M/i"}) + stdcell_node("c1", 2, 1, 20, 10, {"c0"}) +
         stdcell_node("c2", 4, 1, 30, 30, {"c3", "M/i", "c1"}) + stdcell_node("c3", 4, 1, 40, 30, {"c0", "c1"});
}

Clustering hand_clustering(const Netlist& nl) {
  Clustering cl;
  cl.cluster.assign(nl.num_nodes(), -1);
  cl.cluster[nl.find("c0")] = cl.cluster[nl.find("c1")] = 0;
  cl.cluster[nl.find("c2")] = cl.cluster[nl.find("c3")] = 1;
  cl.count = 2;
  return cl;
}

// The sinks of the net `driver` drives, by name.
std::vector<std::string> sinks(const Netlist& nl, const std::string& driver) {
  const int32_t d = nl.find(driver);
  for (int32_t net = 0; net < nl.num_nets(); ++net)
    if (nl.net_pins[nl.net_begin[net]] == d) {
      std::vector<std::string> out;
      for (int32_t k = nl.net_begin[net] + 1; k < nl.net_begin[net + 1]; ++k) out.push_back(nl.name[nl.net_pins[k]]);
      return out;
    }
  return {};
}

TEST(ClusteredNetlist, SoftMacroSizeCentroidAndPins) {
  const Netlist flat = parse_netlist("flat.pb.txt", hand_flat());
  const Clustering cl = hand_clustering(flat);
  const CostParams params = test::square_params();
  const Netlist nl = parse_netlist("c.pb.txt", clustered_netlist_text(flat, cl, params, 2.0));
  EXPECT_EQ(nl.soft_macro_area_bloating_ratio, 2.0);
  ASSERT_EQ(nl.soft_macros.size(), 2u);
  EXPECT_TRUE(nl.stdcells.empty());
  const int32_t a = nl.find("Grp_0"), b = nl.find("Grp_1");
  // Square, of twice the cells' area: A has 2 + 2, B 4 + 4.
  EXPECT_DOUBLE_EQ(nl.width[a], std::sqrt(8.0));
  EXPECT_DOUBLE_EQ(nl.height[a], std::sqrt(8.0));
  EXPECT_DOUBLE_EQ(nl.width[b], 4.0);
  EXPECT_DOUBLE_EQ(nl.height[b], 4.0);
  // Area-weighted centroids.
  EXPECT_DOUBLE_EQ(nl.x[a], 15.0);
  EXPECT_DOUBLE_EQ(nl.y[a], 10.0);
  EXPECT_DOUBLE_EQ(nl.x[b], 35.0);
  EXPECT_DOUBLE_EQ(nl.y[b], 30.0);
  // Port and hard macro unchanged; their nets now end on the clusters' input pins.
  EXPECT_EQ(nl.x[nl.find("P")], 0.0);
  EXPECT_EQ(nl.y[nl.find("P")], 50.0);
  EXPECT_EQ(nl.x[nl.find("M")], 80.0);
  EXPECT_EQ(nl.pin_dx[nl.find("M/o")], 5.0);
  EXPECT_EQ(sinks(nl, "P"), std::vector<std::string>{"Grp_0/Pinput"});
  EXPECT_EQ(sinks(nl, "M/o"), std::vector<std::string>{"Grp_1/Pinput"});
  // Output pins, one per target outside the cluster, in order of first connection. c1 -> c0
  // stays inside A and vanishes; B reaches A twice (the nets of c2 and c3), so weight 2.
  EXPECT_EQ(sinks(nl, "Grp_0/Poutput_single_0"), std::vector<std::string>{"Grp_1/Pinput"});
  EXPECT_EQ(sinks(nl, "Grp_0/Poutput_single_1"), std::vector<std::string>{"M/i"});
  EXPECT_EQ(sinks(nl, "Grp_1/Poutput_single_0"), std::vector<std::string>{"M/i"});
  EXPECT_EQ(sinks(nl, "Grp_1/Poutput_single_1"), std::vector<std::string>{"Grp_0/Pinput"});
  EXPECT_EQ(nl.weight[nl.find("Grp_0/Poutput_single_0")], 1.0);
  EXPECT_EQ(nl.weight[nl.find("Grp_1/Poutput_single_1")], 2.0);
  EXPECT_EQ(nl.num_nets(), 6);
  for (int32_t p : {nl.find("Grp_0/Pinput"), nl.find("Grp_1/Poutput_single_1")}) {
    EXPECT_EQ(nl.kind[p], NodeKind::kSoftMacroPin);
    EXPECT_EQ(nl.pin_dx[p], 0.0);
    EXPECT_EQ(nl.pin_dy[p], 0.0);
  }
  // Cut connections: c0 reaches B and M/i (2), c2 reaches M/i and A (2), c3 reaches A (1).
  EXPECT_EQ(cut_connections(flat, cl.cluster), 5.0);
}

TEST(ClusteredNetlist, GzipReadsBack) {
  const Netlist flat = parse_netlist("flat.pb.txt", hand_flat());
  const std::string text = clustered_netlist_text(flat, hand_clustering(flat), test::square_params(), 2.0, {"hi"});
  const std::string dir = test::temp_dir("cluster_gz");
  write_file_atomic(dir + "/n.pb.txt.gz", gzip_text(text));
  EXPECT_EQ(read_file(dir + "/n.pb.txt.gz"), text);
  EXPECT_EQ(gzip_text(text), gzip_text(text));
}

// A partitioner that needs no METIS: vertices in index order, `parts` equal runs.
std::vector<int32_t> runs(const PartGraph& g, int parts, uint64_t) {
  std::vector<int32_t> part(g.n);
  for (int32_t v = 0; v < g.n; ++v) part[v] = static_cast<int32_t>(int64_t{v} * parts / g.n);
  return part;
}

TEST(Cluster, EveryCellInOneClusterWithAnyPartitioner) {
  const Netlist flat = parse_netlist("flat.pb.txt", hand_flat());
  ClusterOptions o;
  o.groups = 2;
  const Clustering cl = cluster_stdcells(flat, test::square_params(), o, runs);
  ASSERT_GE(cl.count, 1);
  for (int32_t i = 0; i < flat.num_nodes(); ++i) {
    if (flat.kind[i] == NodeKind::kStdCell) {
      EXPECT_GE(cl.cluster[i], 0);
      EXPECT_LT(cl.cluster[i], cl.count);
    } else {
      EXPECT_EQ(cl.cluster[i], -1);
    }
  }
  // The port's group claims c0 and c1, the macro's group c0 (taken) and c2 (M/o drives it,
  // M/i is driven by c0 and c2): 3 seeded cells in 2 seed groups.
  EXPECT_EQ(cl.seeded_groups, 2);
  EXPECT_EQ(cl.seeded_cells, 3);
}

TEST(Cluster, RejectsClusteredAndEmptyNetlists) {
  ClusterOptions o;
  const Netlist clustered = read_netlist(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"));
  EXPECT_THROW(cluster_stdcells(clustered, test::square_params(), o, runs), InputError);
  const Netlist macros_only = parse_netlist("m.pb.txt", macro_node("M", 10, 10, 50, 50));
  EXPECT_THROW(cluster_stdcells(macros_only, test::square_params(), o, runs), InputError);
}

}  // namespace
}  // namespace rlplace
