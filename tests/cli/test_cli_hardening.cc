// The failures a mutation fuzz found (issue 17, cases 1 to 6), run as the user ran them:
// each must end with one line naming the culprit and exit status 1, never a crash, a hang,
// exit 0 with nonsense, or an output rlplace cannot read back.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace rlplace {
namespace {

const std::string kSample = test::data("netlists/data/ct_samples/sample_clustered/netlist.pb.txt");
const std::string kSamplePlc = test::data("netlists/data/ct_samples/sample_clustered/initial.plc");

void expect_one_line_error(const std::string& args, const std::vector<std::string>& parts) {
  std::string output;
  EXPECT_EQ(test::run_rlplace(args, output), 1) << args << "\n" << output;
  EXPECT_EQ(output.rfind("rlplace: error: ", 0), 0u) << output;
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  for (const auto& p : parts) EXPECT_NE(output.find(p), std::string::npos) << "missing '" << p << "' in: " << output;
}

std::string place(const std::string& extra, const std::string& out) {
  return "place --netlist " + kSample + " --plc " + kSamplePlc + " --out " + out + " " + extra;
}

// Case 1: a huge canvas crashed random and legalize and broke greedy.
TEST(Hardening, HugeCanvasIsRefusedByEveryPlacer) {
  const std::string dir = test::temp_dir("hard_canvas");
  for (const char* placer : {"random", "legalize", "greedy"})
    expect_one_line_error(place(std::string("--width 1e308 --height 1e308 --placer ") + placer, dir + "/o.plc"),
                          {"--width", "canvas width"});
  test::write_text(dir + "/big.plc", "# Width : 1e308  Height : 1e308\n");
  expect_one_line_error("place --netlist " + kSample + " --plc " + dir + "/big.plc --out " + dir + "/o.plc",
                        {dir + "/big.plc:1:", "canvas width"});
}

// Case 2: a 4096 x 4096 grid made greedy run for minutes.
TEST(Hardening, HugeGridIsRefusedAtOnce) {
  const std::string dir = test::temp_dir("hard_grid");
  test::write_text(dir + "/g.plc", "# Columns : 4096  Rows : 4096\n");
  const auto t0 = std::chrono::steady_clock::now();
  expect_one_line_error("place --placer greedy --netlist " + kSample + " --plc " + dir + "/g.plc --out " + dir + "/o.plc",
                        {dir + "/g.plc:1:", "grid columns 4096"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
}

// Case 3: what place writes, eval reads back; values that could not be read back are refused.
TEST(Hardening, NothingIsWrittenThatCannotBeReadBack) {
  const std::string dir = test::temp_dir("hard_readback");
  expect_one_line_error(place("--overlap-threshold nan", dir + "/o.plc"), {"--overlap-threshold"});
  std::string output;
  ASSERT_EQ(test::run_rlplace(place("--placer random --overlap-threshold 1e6 --smoothing 1000 --v-macro-alloc 1e6 --json",
                                    dir + "/edge.plc"),
                              output),
            0)
      << output;
  const double placed = nlohmann::json::parse(output)["proxy_cost"];
  ASSERT_EQ(test::run_rlplace("eval --json --netlist " + kSample + " --plc " + dir + "/edge.plc", output), 0) << output;
  EXPECT_EQ(nlohmann::json::parse(output)["proxy_cost"].get<double>(), placed);
}

// Case 4: nonsense that exited 0.
TEST(Hardening, ValuesThatGaveNanOrNegativeCostsAreRefused) {
  const std::string dir = test::temp_dir("hard_nan");
  test::write_text(dir + "/tiny.plc", "# Width : 1e-300  Height : 1e-300\n");
  expect_one_line_error("eval --netlist " + kSample + " --plc " + dir + "/tiny.plc", {dir + "/tiny.plc:1:"});
  expect_one_line_error("eval --netlist " + kSample + " --v-macro-alloc 1e308", {"--v-macro-alloc"});
  expect_one_line_error("eval --netlist " + kSample + " --density-weight -1", {"--density-weight"});
}

// Case 5: bad input that was accepted.
TEST(Hardening, BadInputThatWasAcceptedIsRefused) {
  const std::string dir = test::temp_dir("hard_accepted");
  test::write_text(dir + "/frac.plc", "# Columns : 2.7  Rows : 2\n");
  expect_one_line_error("eval --netlist " + kSample + " --plc " + dir + "/frac.plc", {dir + "/frac.plc:1:", "whole"});
  test::write_text(dir + "/empty.plc", "");
  expect_one_line_error("eval --netlist " + kSample + " --plc " + dir + "/empty.plc", {"empty placement file"});
  // A placement without a counts header that places none of the hard macros (as another
  // netlist's would), in compare: it would be scored on the wrong macros.
  std::string ports_only;
  for (const std::string& line : test::lines_of(test::read_text(kSamplePlc)))
    if (!line.empty() && line[0] != '#' && line.find(" - ") != std::string::npos) ports_only += line + "\n";
  ASSERT_FALSE(ports_only.empty());
  test::write_text(dir + "/other.plc", ports_only);
  expect_one_line_error("compare --netlist " + kSample + " --plc " + dir + "/other.plc --out " + dir + "/cmp",
                        {dir + "/other.plc", "places 0 of the 2 hard macros", "another netlist"});
}

// Case 6: flag errors went out through CLI11's own exit codes, in two lines.
TEST(Hardening, FlagErrorsAreOneLineAndExitOne) {
  expect_one_line_error("eval --netlist " + kSample + " --cols 0", {"--cols", "grid columns 0"});
  expect_one_line_error("eval --netlist " + kSample + " --no-such-flag", {"--no-such-flag"});
  expect_one_line_error("eval", {"--netlist"});
  expect_one_line_error("place --netlist " + kSample + " --out /tmp/x.plc --placer nosuch", {"unknown placer 'nosuch'"});
  std::string output;
  EXPECT_EQ(test::run_rlplace("--help", output), 0);
  EXPECT_NE(output.find("place"), std::string::npos);
}

}  // namespace
}  // namespace rlplace
