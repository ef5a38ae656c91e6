// `rlplace place` with the search placers and refiners.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace rlplace {
namespace {

TEST(CliSearch, RefineCdLowersGreedysCostAndSaIsLegalAndScoredAsEvalScoresIt) {
  const std::string dir = test::temp_dir("search_place");
  std::string out;
  const std::string common = "place --netlist " + test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz") +
                             " --plc " + test::data("netlists/data/ariane133_ng45/legalized.plc") + " --json --threads 1";
  ASSERT_EQ(test::run_rlplace(common + " --placer greedy --out " + dir + "/g.plc", out), 0) << out;
  const auto g = nlohmann::json::parse(out.substr(out.find('{')));
  ASSERT_EQ(test::run_rlplace(common + " --placer greedy --refine cd --refine-seconds 6 --out " + dir + "/gcd.plc", out),
            0)
      << out;
  const auto r = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_TRUE(r["legal"].get<bool>());
  EXPECT_LT(r["proxy_cost"].get<double>(), g["proxy_cost"].get<double>() - 0.01);
  ASSERT_EQ(test::run_rlplace(common + " --placer sa --moves 2000 --out " + dir + "/sa.plc", out), 0) << out;
  const auto s = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_TRUE(s["legal"].get<bool>());
  ASSERT_EQ(test::run_rlplace("eval --json --netlist " + test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz") +
                                  " --plc " + dir + "/sa.plc",
                              out),
            0);
  EXPECT_NEAR(nlohmann::json::parse(out.substr(out.find('{')))["proxy_cost"].get<double>(),
              s["proxy_cost"].get<double>(), 1e-5);
}

}  // namespace
}  // namespace rlplace
