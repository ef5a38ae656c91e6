// `rlplace generate` and `rlplace augment` run as a user runs them: the same seed gives the
// same bytes, a generated chip places legally with `place --placer greedy`, statistics of
// real chips print, and bad parameters are one-line errors with a non-zero exit.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace rlplace {
namespace {

TEST(GenerateCommand, SameSeedSameBytesAndTheChipPlacesLegally) {
  const std::string a = test::temp_dir("cli_gen_a"), b = test::temp_dir("cli_gen_b");
  std::string out;
  ASSERT_EQ(test::run_rlplace("generate --out " + a + " --count 2 --seed 9 --preset small", out), 0) << out;
  ASSERT_EQ(test::run_rlplace("generate --out " + b + " --count 2 --seed 9 --preset small", out), 0) << out;
  for (const char* f : {"chip_0000/netlist.pb.txt.gz", "chip_0000/initial.plc", "chip_0001/netlist.pb.txt.gz",
                        "corpus.json"})
    EXPECT_EQ(test::read_text(a + "/" + f), test::read_text(b + "/" + f)) << f;
  const nlohmann::json corpus = nlohmann::json::parse(test::read_text(a + "/corpus.json"));
  ASSERT_EQ(corpus["chips"].size(), 2u);
  EXPECT_EQ(corpus["chips"][0]["stats"]["hard_macros"], corpus["chips"][0]["values"]["hard_macros"]);
  const std::string chip = a + "/chip_0001";
  ASSERT_EQ(test::run_rlplace("place --placer greedy --netlist " + chip + "/netlist.pb.txt.gz --plc " + chip +
                                  "/initial.plc --out " + a + "/placed.plc",
                              out),
            0)
      << out;
  EXPECT_NE(out.find(": legal"), std::string::npos) << out;
}

TEST(GenerateCommand, StatsOfRealChipsAndMirroredCopy) {
  const std::string dir = test::data("netlists/data/clustered/ariane133_ng45");
  std::string out;
  ASSERT_EQ(test::run_rlplace("generate --json --stats " + dir, out), 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j[0]["hard_macros"], 133);
  EXPECT_EQ(j[0]["soft_macros"], 684);
  const std::string m = test::temp_dir("cli_mirror");
  ASSERT_EQ(test::run_rlplace("augment --mirror xy --netlist " + dir + "/netlist.pb.txt.gz --plc " + dir +
                                  "/initial.plc --out " + m + " --json",
                              out),
            0)
      << out;
  ASSERT_EQ(test::run_rlplace("eval --json --netlist " + m + "/netlist.pb.txt.gz --plc " + m + "/initial.plc", out), 0)
      << out;
  std::string orig;
  ASSERT_EQ(test::run_rlplace("eval --json --netlist " + dir + "/netlist.pb.txt.gz --plc " + dir + "/initial.plc", orig),
            0);
  const nlohmann::json a = nlohmann::json::parse(out), b = nlohmann::json::parse(orig);
  EXPECT_NEAR(a["wirelength"].get<double>(), b["wirelength"].get<double>(), 1e-9 * b["wirelength"].get<double>());
}

TEST(GenerateCommand, BadParametersAreOneLineErrors) {
  const std::string d = test::temp_dir("cli_gen_bad");
  for (const char* args : {"--param hard_macros=-3", "--param utilisation=1.5", "--param nosuch=1",
                           "--preset huge", "--count 0"}) {
    std::string out;
    EXPECT_NE(test::run_rlplace("generate --out " + d + " " + args, out), 0) << args;
    EXPECT_EQ(test::lines_of(out).size(), 1u) << args << ": " << out;
  }
  std::string out;
  EXPECT_EQ(test::run_rlplace("augment --netlist x --plc y --out " + d, out), 1);
  EXPECT_NE(out.find("nothing to do"), std::string::npos) << out;
}

}  // namespace
}  // namespace rlplace
