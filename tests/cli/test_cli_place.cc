// `rlplace place` run as a user runs it: output that eval scores identically, refusals in
// one line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace rlplace {
namespace {

using test::macro_node;
using test::pin_node;
using test::stdcell_node;

TEST(PlaceCommand, WritesALegalPlcThatEvalScoresIdentically) {
  const std::string dir = test::temp_dir("place");
  const std::string out = dir + "/greedy.plc";
  std::string output;
  ASSERT_EQ(test::run_rlplace("place --netlist " + test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz") +
                                  " --plc " + test::data("netlists/data/ariane133_ng45/legalized.plc") +
                                  " --placer random --seed 4 --json --out " + out,
                              output),
            0)
      << output;
  const auto placed = nlohmann::json::parse(output);
  EXPECT_EQ(placed["overlap_count"], 0);
  EXPECT_EQ(placed["out_of_canvas"], 0);
  EXPECT_TRUE(placed.contains("place_ms"));
  ASSERT_EQ(test::run_rlplace("eval --json --netlist " + test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz") +
                                  " --plc " + out,
                              output),
            0)
      << output;
  const auto scored = nlohmann::json::parse(output);
  for (const char* key : {"wirelength", "wirelength_cost", "density_cost", "congestion_cost", "proxy_cost"})
    EXPECT_EQ(scored[key].get<double>(), placed[key].get<double>()) << key;
  EXPECT_EQ(scored["overlap_count"], 0);
}

TEST(PlaceCommand, FlatNetlistWithoutFloorplanIsRefused) {
  const std::string dir = test::temp_dir("flat");
  test::write_text(dir + "/flat.pb.txt", macro_node("m", 10, 10, 20, 20) + pin_node("m/p", "m", 0, 0, {"s1"}) +
                                             stdcell_node("s1", 1, 1, 50, 50, {"s2"}) + stdcell_node("s2", 1, 1, 60, 60));
  std::string output;
  EXPECT_EQ(test::run_rlplace("place --netlist " + dir + "/flat.pb.txt --out " + dir + "/o.plc", output), 1);
  EXPECT_NE(output.find("needs --floorplan"), std::string::npos) << output;
  EXPECT_NE(output.find("flat.pb.txt"), std::string::npos) << output;
  // With a floorplan it places.
  test::write_text(dir + "/fp.plc", "# Columns : 10  Rows : 10\n# Width : 100  Height : 100\n");
  EXPECT_EQ(test::run_rlplace("place --netlist " + dir + "/flat.pb.txt --floorplan " + dir + "/fp.plc --out " + dir +
                                  "/o.plc",
                              output),
            0)
      << output;
}

TEST(PlaceCommand, NoFeasibleCellIsAClearError) {
  const std::string dir = test::temp_dir("nofit");
  test::write_text(dir + "/n.pb.txt", macro_node("a", 60, 60, 50, 50) + macro_node("b", 60, 60, 50, 50));
  test::write_text(dir + "/fp.plc", "# Columns : 10  Rows : 10\n# Width : 100  Height : 100\n");
  std::string output;
  EXPECT_EQ(test::run_rlplace("place --netlist " + dir + "/n.pb.txt --floorplan " + dir + "/fp.plc --placer greedy --out " +
                                  dir + "/o.plc",
                              output),
            1);
  EXPECT_NE(output.find("no feasible cell for hard macro 'b'"), std::string::npos) << output;
}

}  // namespace
}  // namespace rlplace
