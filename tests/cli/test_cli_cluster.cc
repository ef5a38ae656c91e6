// `rlplace cluster` run as a user runs it: the grid it chooses, one-line errors, and flat
// Ariane133 clustered by the command (byte-identical reruns, eval scores the result).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <set>

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

// P drives c0 and c1; macro M has output pin M/o (to c2) and input pin M/i.
// Cluster A = {c0, c1}, B = {c2, c3}.
std::string hand_flat() {
  return port_node("P", 0, 50, {"c0", "c1"}) + macro_node("M", 10, 10, 80, 80) +
         pin_node("M/o", "M", 5, 0, {"c2"}) + pin_node("M/i", "M", -5, 0) +
         stdcell_node("c0", 2, 1, 10, 10, {"c1", "c2", "M/i"}) + stdcell_node("c1", 2, 1, 20, 10, {"c0"}) +
         stdcell_node("c2", 4, 1, 30, 30, {"c3", "M/i", "c1"}) + stdcell_node("c3", 4, 1, 40, 30, {"c0", "c1"});
}

TEST(ClusterCommand, MissingFloorplanIsOneLineError) {
  std::string out;
  EXPECT_EQ(test::run_rlplace("cluster --netlist " + test::data("netlists/data/flat/ariane133_ng45/netlist.pb.txt.gz") +
                                  " --floorplan /nonexistent.plc --out " + test::temp_dir("cluster_err"),
                              out),
            1);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

#ifndef RLPLACE_WITH_METIS
TEST(ClusterCommand, WithoutMetisSaysSo) {
  std::string out;
  EXPECT_EQ(test::run_rlplace("cluster --netlist x --floorplan y --out " + test::temp_dir("cluster_nometis"), out), 1);
  EXPECT_NE(out.find("no METIS"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}
#else

TEST(ClusterCommand, FloorplanWithoutGridGetsTheChosenGrid) {
  const std::string dir = test::temp_dir("cluster_grid");
  test::write_text(dir + "/flat.pb.txt", hand_flat());
  test::write_text(dir + "/fp.plc", "# Width : 100  Height : 100\n");
  std::string out;
  ASSERT_EQ(test::run_rlplace("cluster --netlist " + dir + "/flat.pb.txt --floorplan " + dir + "/fp.plc --out " + dir +
                                  "/out",
                              out),
            0)
      << out;
  const auto g = choose_grid({10}, {10}, 100, 100);
  ASSERT_TRUE(g);
  const PlcFile plc = read_plc(dir + "/out/initial.plc");
  const CostOverrides given = params_from_plc(plc);
  EXPECT_EQ(given.get("cols"), g->cols);
  EXPECT_EQ(given.get("rows"), g->rows);
  EXPECT_EQ(given.get("width"), 100.0);
  const Netlist nl = read_netlist(dir + "/out/netlist.pb.txt.gz");
  EXPECT_EQ(nl.stdcells.size(), 0u);
  EXPECT_GE(nl.soft_macros.size(), 1u);
  // The netlist carries its canvas too, so that it reads right without the .plc.
  ASSERT_TRUE(nl.fp_width && nl.fp_height);
  EXPECT_EQ(*nl.fp_width, 100.0);
  EXPECT_EQ(*nl.fp_height, 100.0);
}

// --- Flat Ariane133 NG45 with METIS ----------------------------------------------------

const std::string kFlat = "netlists/data/flat/ariane133_ng45/";

// Clusters flat Ariane once per process, by the command, into `dir`.
const std::string& ariane_dir() {
  static const std::string dir = [] {
    const std::string d = test::temp_dir("cluster_ariane");
    std::string out;
    EXPECT_EQ(test::run_rlplace("cluster --seed 1 --netlist " + test::data(kFlat + "netlist.pb.txt.gz") +
                                    " --floorplan " + test::data(kFlat + "floorplan.plc") + " --out " + d,
                                out),
              0)
        << out;
    return d;
  }();
  return dir;
}

TEST(ClusterAriane, MacrosPinsAndPortsUnchanged) {
  const Netlist flat = read_netlist(test::data(kFlat + "netlist.pb.txt.gz"));
  const Design d = load_design(ariane_dir() + "/netlist.pb.txt.gz", ariane_dir() + "/initial.plc");
  const Netlist& nl = d.netlist;
  ASSERT_EQ(nl.hard_macros.size(), 133u);
  ASSERT_EQ(nl.ports.size(), 495u);
  EXPECT_GE(nl.soft_macros.size(), 400u);
  EXPECT_LE(nl.soft_macros.size(), 1000u);
  EXPECT_TRUE(nl.stdcells.empty());
  EXPECT_EQ(d.params.cols, 24);
  EXPECT_EQ(d.params.rows, 21);
  for (const auto* list : {&flat.hard_macros, &flat.ports}) {
    for (int32_t i : *list) {
      const int32_t j = nl.find(flat.name[i]);
      ASSERT_GE(j, 0) << flat.name[i];
      EXPECT_EQ(nl.kind[j], flat.kind[i]);
      EXPECT_EQ(d.placement.x[j], flat.x[i]);
      EXPECT_EQ(d.placement.y[j], flat.y[i]);
      EXPECT_EQ(nl.width[j], flat.width[i]);
      EXPECT_EQ(nl.height[j], flat.height[i]);
      EXPECT_EQ(nl.orientation[j], flat.orientation[i]);
      if (flat.kind[i] != NodeKind::kHardMacro) continue;
      ASSERT_EQ(nl.pin_begin[j + 1] - nl.pin_begin[j], flat.pin_begin[i + 1] - flat.pin_begin[i]);
      for (int32_t k = 0; k < flat.pin_begin[i + 1] - flat.pin_begin[i]; ++k) {
        const int32_t p = flat.pins[flat.pin_begin[i] + k], q = nl.pins[nl.pin_begin[j] + k];
        EXPECT_EQ(nl.name[q], flat.name[p]);
        EXPECT_EQ(nl.pin_dx[q], flat.pin_dx[p]);
        EXPECT_EQ(nl.pin_dy[q], flat.pin_dy[p]);
      }
    }
  }
  // Ports fixed in the .plc, as Circuit Training writes them.
  for (int32_t p : nl.ports) EXPECT_EQ(d.placement.fixed[p], 1);
}

TEST(ClusterAriane, EveryCellInOneClusterAndCutWeightsAddUp) {
  const Netlist flat = read_netlist(test::data(kFlat + "netlist.pb.txt.gz"));
  const PlcFile fp = read_plc(test::data(kFlat + "floorplan.plc"));
  const CostParams params = resolve_params(flat, &fp);
  ClusterOptions o;
  o.seed = 1;
  const Clustering cl = cluster_stdcells(flat, params, o, metis_kway);
  std::vector<int> members(cl.count, 0);
  for (int32_t i = 0; i < flat.num_nodes(); ++i) {
    if (flat.kind[i] != NodeKind::kStdCell) {
      ASSERT_EQ(cl.cluster[i], -1);
      continue;
    }
    ASSERT_GE(cl.cluster[i], 0);
    ASSERT_LT(cl.cluster[i], cl.count);
    ++members[cl.cluster[i]];
  }
  for (int m : members) EXPECT_GT(m, 0);

  // Cut connections, counted here from the flat netlist: per net a standard cell drives,
  // its distinct targets outside the driver's cluster (a pin, a port, another cluster).
  double cut = 0;
  for (int32_t net = 0; net < flat.num_nets(); ++net) {
    const int32_t d = flat.net_pins[flat.net_begin[net]];
    if (flat.kind[d] != NodeKind::kStdCell) continue;
    std::set<std::string> targets;
    for (int32_t k = flat.net_begin[net] + 1; k < flat.net_begin[net + 1]; ++k) {
      const int32_t s = flat.net_pins[k];
      if (cl.cluster[s] == cl.cluster[d]) continue;
      targets.insert(cl.cluster[s] >= 0 ? "#" + std::to_string(cl.cluster[s]) : flat.name[s]);
    }
    cut += flat.net_weight[net] * targets.size();
  }
  EXPECT_EQ(cut_connections(flat, cl.cluster), cut);

  // In the clustered netlist the soft macros' output nets carry exactly those connections;
  // the nets of ports and hard-macro pins stay, one each, with their weights.
  const Netlist nl = parse_netlist("c.pb.txt", clustered_netlist_text(flat, cl, params, 2.0));
  double soft_weight = 0;
  int other_nets = 0, flat_other_nets = 0;
  for (int32_t net = 0; net < nl.num_nets(); ++net) {
    if (nl.kind[nl.net_pins[nl.net_begin[net]]] == NodeKind::kSoftMacroPin)
      soft_weight += nl.net_weight[net];
    else
      ++other_nets;
  }
  for (int32_t net = 0; net < flat.num_nets(); ++net)
    if (flat.kind[flat.net_pins[flat.net_begin[net]]] != NodeKind::kStdCell) ++flat_other_nets;
  EXPECT_EQ(soft_weight, cut);
  EXPECT_EQ(other_nets, flat_other_nets);
  // Soft-macro area is twice the cells' area.
  double cells = 0, soft = 0;
  for (int32_t c : flat.stdcells) cells += flat.width[c] * flat.height[c];
  for (int32_t m : nl.soft_macros) soft += nl.width[m] * nl.height[m];
  EXPECT_NEAR(soft, 2 * cells, 1e-6 * cells);
}

TEST(ClusterAriane, SameSeedSameBytes) {
  const std::string again = test::temp_dir("cluster_again");
  std::string out;
  ASSERT_EQ(test::run_rlplace("cluster --seed 1 --netlist " + test::data(kFlat + "netlist.pb.txt.gz") +
                                  " --floorplan " + test::data(kFlat + "floorplan.plc") + " --out " + again,
                              out),
            0)
      << out;
  for (const char* f : {"/netlist.pb.txt.gz", "/initial.plc"}) {
    std::ifstream a(ariane_dir() + f, std::ios::binary), b(again + f, std::ios::binary);
    std::stringstream sa, sb;
    sa << a.rdbuf();
    sb << b.rdbuf();
    EXPECT_GT(sa.str().size(), 1000u);
    EXPECT_TRUE(sa.str() == sb.str()) << f;
  }
}

TEST(ClusterAriane, EvalScoresTheResult) {
  std::string out;
  ASSERT_EQ(test::run_rlplace("eval --json --netlist " + ariane_dir() + "/netlist.pb.txt.gz --plc " + ariane_dir() +
                                  "/initial.plc",
                              out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_GT(j["proxy_cost"].get<double>(), 0);
  EXPECT_LT(j["proxy_cost"].get<double>(), 2);
}

#endif  // RLPLACE_WITH_METIS

}  // namespace
}  // namespace rlplace
