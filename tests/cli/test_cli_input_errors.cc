// Bad input never crashes: each case gives one line naming the file (and line where
// known) and, through the command, exit status 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

// Reads `path` as a netlist, expecting an InputError whose message is one line holding
// every string in `parts`.
void expect_netlist_error(const std::string& path, const std::vector<std::string>& parts) {
  try {
    read_netlist(path);
    ADD_FAILURE() << path << ": expected an InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind(path, 0), 0u) << "message should start with the file: " << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
  }
  // The command reports the same line and exits with status 1.
  std::string output;
  EXPECT_EQ(test::run_rlplace("eval --netlist " + path, output), 1) << output;
  EXPECT_EQ(output.rfind("rlplace: error: " + path, 0), 0u) << output;
  EXPECT_EQ(output.find('\n'), output.size() - 1) << output;
}

std::string write(const std::string& dir, const std::string& name, const std::string& content) {
  const std::string path = dir + "/" + name;
  test::write_text(path, content);
  return path;
}

TEST(BadNetlist, EmptyAndBlankFiles) {
  const std::string dir = test::temp_dir("empty");
  expect_netlist_error(write(dir, "empty.pb.txt", ""), {"empty"});
  expect_netlist_error(write(dir, "blank.pb.txt", "  \n\n \t\n"), {"empty"});
  expect_netlist_error(write(dir, "comments.pb.txt", "# only a header\n"), {"no nodes"});
}

TEST(BadNetlist, MissingFile) {
  expect_netlist_error("/nonexistent/netlist.pb.txt", {"cannot open"});
}

TEST(BadNetlist, TruncatedAndCorruptGzip) {
  const std::string dir = test::temp_dir("gzip");
  const std::string gz = test::read_text(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"));
  expect_netlist_error(write(dir, "half.pb.txt.gz", gz.substr(0, gz.size() / 2)), {"truncated gzip"});
  std::string corrupt = gz;
  for (size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  expect_netlist_error(write(dir, "corrupt.pb.txt.gz", corrupt), {"gzip"});
}

TEST(BadNetlist, SyntaxErrorNamesLine) {
  const std::string dir = test::temp_dir("syntax");
  // Line 3 holds the stray token.
  expect_netlist_error(write(dir, "s.pb.txt", "node {\n  name: \"a\"\n  oops\n}\n"), {":3:", "oops"});
  // A file cut in the middle of a node.
  std::string text = port_node("a", 1, 2) + port_node("b", 3, 4);
  expect_netlist_error(write(dir, "cut.pb.txt", text.substr(0, text.size() - 20)), {"end of file"});
  expect_netlist_error(write(dir, "str.pb.txt", "node {\n  name: \"a\n}\n"), {":2:", "unterminated string"});
}

TEST(BadNetlist, UnknownTypeNamesTheNodeLine) {
  const std::string dir = test::temp_dir("type");
  std::string text = port_node("a", 1, 2);  // lines 1..
  const int line = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  text += "node {\n  name: \"weird\"\n  attr { key: \"type\" value { placeholder: \"BLAH\" } }\n}\n";
  expect_netlist_error(write(dir, "t.pb.txt", text), {":" + std::to_string(line) + ":", "weird", "'BLAH'"});
}

TEST(BadNetlist, InputNamingAMissingNode) {
  const std::string dir = test::temp_dir("input");
  std::string text = port_node("a", 1, 2) + port_node("b", 3, 4, {"ghost"});
  const int line = static_cast<int>(std::count(text.begin(), text.begin() + text.find("name: \"b\""), '\n'));
  expect_netlist_error(write(dir, "i.pb.txt", text), {":" + std::to_string(line) + ":", "'b'", "'ghost'"});
}

TEST(BadNetlist, PinOfAMissingMacro) {
  const std::string dir = test::temp_dir("pin");
  expect_netlist_error(write(dir, "p.pb.txt", macro_node("m", 10, 10, 5, 5) + pin_node("q/p", "q", 0, 0)),
                       {"'q/p'", "macro 'q'"});
  // A pin whose "macro" is a port.
  expect_netlist_error(write(dir, "pp.pb.txt", port_node("q", 0, 0) + pin_node("q/p", "q", 0, 0)), {"port"});
}

TEST(BadNetlist, NanAndNegativeValues) {
  const std::string dir = test::temp_dir("nan");
  expect_netlist_error(write(dir, "w.pb.txt", "node {\n  name: \"m\"\n  attr { key: \"height\" value { f: 1 } }\n"
                                                 "  attr { key: \"type\" value { placeholder: \"MACRO\" } }\n"
                                                 "  attr { key: \"width\" value { f: nan } }\n}\n"),
                       {":1:", "invalid width nan"});
  expect_netlist_error(write(dir, "h.pb.txt", macro_node("m", 10, -2, 5, 5)), {"invalid height -2"});
  expect_netlist_error(write(dir, "x.pb.txt", port_node("p", 1, 2) + "node {\n  name: \"q\"\n"
                                                                      "  attr { key: \"type\" value { placeholder: \"PORT\" } }\n"
                                                                      "  attr { key: \"x\" value { f: NaN } }\n}\n"),
                       {"'q'", "invalid x nan"});
  expect_netlist_error(write(dir, "m.pb.txt", "node {\n  name: \"m\"\n  attr { key: \"type\" value { placeholder: \"MACRO\" } }\n}\n"),
                       {"no width"});
}

TEST(BadNetlist, DuplicateNames) {
  const std::string dir = test::temp_dir("dup");
  expect_netlist_error(write(dir, "d.pb.txt", port_node("a", 1, 2) + port_node("a", 3, 4)), {"duplicate node name 'a'"});
}

TEST(BadNetlist, CorruptBinary) {
  const std::string dir = test::temp_dir("binary");
  expect_netlist_error(write(dir, "b.pb", std::string("\x0a\x05\x0a\x03", 4)), {"binary"});
}

// .plc problems, each with the file and line of the offending body line.
class BadPlc : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("plc");
    netlist_ = write(dir_, "n.pb.txt", macro_node("m", 10, 10, 50, 50) + pin_node("m/p", "m", 0, 0, {"o"}) +
                                           port_node("o", 0, 0));
  }
  void expect_error(const std::string& body, const std::vector<std::string>& parts) {
    const std::string plc = write(dir_, "p.plc", "# Columns : 10  Rows : 10\n# Width : 100  Height : 100\n" + body);
    try {
      load_design(netlist_, plc);
      ADD_FAILURE() << "expected an InputError for: " << body;
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_EQ(msg.rfind(plc, 0), 0u) << msg;
      for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
    }
    std::string output;
    EXPECT_EQ(test::run_rlplace("eval --netlist " + netlist_ + " --plc " + plc, output), 1) << output;
    EXPECT_EQ(output.rfind("rlplace: error: " + plc, 0), 0u) << output;
  }
  std::string dir_, netlist_;
};

TEST_F(BadPlc, IndexBeyondTheNetlist) { expect_error("0 50 50 N 0\n7 1 1 - 1\n", {":4:", "index 7", "3 nodes"}); }
TEST_F(BadPlc, IndexOfAPin) { expect_error("1 50 50 - 0\n", {":3:", "macro pin", "'m/p'"}); }
TEST_F(BadPlc, WrongFieldCount) { expect_error("0 50 50 N\n", {":3:", "expected 'index x y orientation fixed'"}); }
TEST_F(BadPlc, NonNumericCoordinate) { expect_error("0 fifty 50 N 0\n", {":3:", "invalid coordinates"}); }
TEST_F(BadPlc, NanCoordinate) { expect_error("0 nan 50 N 0\n", {":3:", "invalid coordinates"}); }
TEST_F(BadPlc, UnknownOrientation) { expect_error("0 50 50 Q 0\n", {":3:", "unknown orientation 'Q'"}); }
TEST_F(BadPlc, BadFixedFlag) { expect_error("0 50 50 N 2\n", {":3:", "fixed flag"}); }
TEST_F(BadPlc, DuplicateIndex) { expect_error("0 50 50 N 0\n0 40 40 N 0\n", {":4:", "listed twice"}); }
TEST_F(BadPlc, CountsOfAnotherNetlist) {
  expect_error("# HARD_MACROs : 5\n0 50 50 N 0\n", {"another netlist", "5 hard macros"});
}
TEST_F(BadPlc, InvalidHeaderValue) { expect_error("# Width : 0  Height : 100\n", {":3:", "canvas width"}); }

TEST(GoodInput, GzipDetectedByContentNotName) {
  // A plain text file named .gz and a gzip file named .txt both read.
  const std::string dir = test::temp_dir("names");
  const std::string text = port_node("a", 1, 2, {"b"}) + port_node("b", 3, 4);
  const Netlist plain = read_netlist(write(dir, "plain.pb.txt.gz", text));
  EXPECT_EQ(plain.num_nodes(), 2);
  const std::string gz = test::read_text(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"));
  const Netlist zipped = read_netlist(write(dir, "zipped.pb.txt", gz));
  EXPECT_EQ(zipped.hard_macros.size(), 133u);
}

TEST(GoodInput, AtomicWriteLeavesNoTemporaryFile) {
  const std::string dir = test::temp_dir("atomic");
  write_file_atomic(dir + "/out.txt", "first");
  write_file_atomic(dir + "/out.txt", "second");
  EXPECT_EQ(test::read_text(dir + "/out.txt"), "second");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  EXPECT_THROW(write_file_atomic("/nonexistent/dir/out.txt", "x"), std::runtime_error);
}

// remove_tree: the whole tree, depth first; a link inside is removed, not what it points to;
// a missing path is no error.
TEST(GoodInput, RemoveTreeRemovesEverythingUnderItButNotWhatLinksPointTo) {
  const std::string dir = test::temp_dir("remove_tree");
  const std::string outside = dir + "/outside";
  std::filesystem::create_directories(outside);
  write_file_atomic(outside + "/keep.txt", "kept");
  const std::string tree = dir + "/tree";
  std::filesystem::create_directories(tree + "/a/b/c");
  write_file_atomic(tree + "/top.txt", "x");
  write_file_atomic(tree + "/a/b/c/deep.txt", "y");
  std::filesystem::create_directory_symlink(outside, tree + "/a/link");
  remove_tree(tree);
  EXPECT_FALSE(std::filesystem::exists(tree));
  EXPECT_EQ(test::read_text(outside + "/keep.txt"), "kept");
  EXPECT_NO_THROW(remove_tree(tree));
  EXPECT_NO_THROW(remove_tree(dir + "/never/made"));
}

TEST(GoodInput, PlcRoundTripGivesTheSamePlacement) {
  Design d = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"),
                         test::data("netlists/data/ariane133_ng45/legalized.plc"));
  // Values whose decimal forms are long, to exercise the shortest round-trip writer.
  d.placement.x[d.netlist.hard_macros[0]] = 0.1 + 0.2;
  d.placement.y[d.netlist.hard_macros[0]] = 1e-7;
  d.placement.x[d.netlist.soft_macros[0]] = 123456.789012345;
  d.placement.orientation[d.netlist.hard_macros[1]] = Orientation::FW;
  const std::string path = test::temp_dir("roundtrip") + "/out.plc";
  write_plc(path, d.netlist, d.placement, to_plc_header(d.params));
  Design back = load_design(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"), path);
  for (int32_t i = 0; i < d.netlist.num_nodes(); ++i) {
    if (!is_placeable(d.netlist.kind[i])) continue;
    ASSERT_EQ(back.placement.x[i], d.placement.x[i]) << i;
    ASSERT_EQ(back.placement.y[i], d.placement.y[i]) << i;
    ASSERT_EQ(back.placement.orientation[i], d.placement.orientation[i]) << i;
    ASSERT_EQ(back.placement.fixed[i], d.placement.fixed[i]) << i;
  }
  EXPECT_EQ(back.params.cols, d.params.cols);
  EXPECT_EQ(back.params.rows, d.params.rows);
  EXPECT_EQ(back.params.width, d.params.width);
  EXPECT_EQ(back.params.h_routes_per_micron, d.params.h_routes_per_micron);
  EXPECT_EQ(back.params.v_macro_alloc, d.params.v_macro_alloc);
  EXPECT_EQ(back.params.smoothing, d.params.smoothing);
  EXPECT_EQ(back.params.overlap_threshold, d.params.overlap_threshold);
}

TEST(GoodInput, NetlistModelOfAriane133) {
  const Netlist nl = read_netlist(test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"));
  EXPECT_EQ(nl.hard_macros.size(), 133u);
  EXPECT_EQ(nl.soft_macros.size(), 782u);
  EXPECT_EQ(nl.ports.size(), 495u);
  EXPECT_EQ(nl.stdcells.size(), 0u);
  EXPECT_EQ(nl.num_nets(), 12422);
  EXPECT_EQ(nl.name[0], "clk_i");  // __metadata__ takes no index
  EXPECT_EQ(nl.soft_macro_area_bloating_ratio, 2.0);
  for (int32_t m : nl.soft_macros) EXPECT_EQ(nl.name[m].rfind("Grp_", 0), 0u);
  for (int32_t i = 0; i < nl.num_nodes(); ++i)
    if (nl.kind[i] == NodeKind::kHardMacroPin) {
      ASSERT_EQ(nl.kind[nl.owner[i]], NodeKind::kHardMacro);
    }
  // Lower-case type strings.
  const Netlist toy = read_netlist(test::data("netlists/data/ct_samples/toy_macro_stdcell/netlist.pb.txt"));
  EXPECT_EQ(toy.stdcells.size(), 12u);
}

TEST(GoodInput, FpBboxSetsTheCanvas) {
  const std::string dir = test::temp_dir("fpbbox");
  const std::string path =
      write(dir, "n.pb.txt", "# FP bbox: {0 0} {300.5 200.25}\n" + port_node("a", 1, 2, {"b"}) + port_node("b", 3, 4));
  Design d = load_design(path, "");
  EXPECT_EQ(d.params.width, 300.5);
  EXPECT_EQ(d.params.height, 200.25);
}

}  // namespace
}  // namespace rlplace

#include "rlplace_graph.pb.h"

namespace rlplace {
namespace {

// A binary GraphDef, as TensorFlow writes it, reads to the same netlist as its text form
// (values rounded to float32, which is what the binary format stores).
TEST(GoodInput, BinaryGraphDefMatchesText) {
  pb::GraphDef g;
  auto add = [&](const std::string& name, const std::string& type, std::vector<std::pair<std::string, float>> nums,
                 std::vector<std::string> inputs, std::string macro = "") {
    pb::NodeDef* n = g.add_node();
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    (*n->mutable_attr())["type"].set_placeholder(type);
    for (auto& [k, v] : nums) (*n->mutable_attr())[k].set_f(v);
    if (!macro.empty()) (*n->mutable_attr())["macro_name"].set_placeholder(macro);
  };
  pb::NodeDef* meta = g.add_node();
  meta->set_name("__metadata__");
  add("p", "PORT", {{"x", 0.1f}, {"y", 7.3f}}, {"m/i"});
  add("m", "MACRO", {{"width", 20.5f}, {"height", 10.25f}, {"x", 40.1f}, {"y", 30.7f}}, {});
  add("m/i", "MACRO_PIN", {{"x_offset", 1.1f}, {"y_offset", -2.2f}}, {}, "m");
  add("m/o", "MACRO_PIN", {{"x_offset", -3.3f}, {"y_offset", 4.4f}, {"weight", 2.0f}}, {"p"}, "m");
  const std::string dir = test::temp_dir("binary_ok");
  std::string bytes;
  ASSERT_TRUE(g.SerializeToString(&bytes));
  const Netlist nl = read_netlist(write(dir, "n.pb", bytes));
  ASSERT_EQ(nl.num_nodes(), 4);
  EXPECT_EQ(nl.name[0], "p");
  EXPECT_EQ(nl.kind[1], NodeKind::kHardMacro);
  EXPECT_EQ(nl.kind[3], NodeKind::kHardMacroPin);
  EXPECT_EQ(nl.owner[3], 1);
  EXPECT_EQ(nl.x[1], static_cast<double>(40.1f));
  EXPECT_EQ(nl.pin_dy[2], static_cast<double>(-2.2f));
  ASSERT_EQ(nl.num_nets(), 2);
  EXPECT_EQ(nl.net_weight[1], 2.0);
  EXPECT_EQ(nl.net_pins[nl.net_begin[1]], 3);
  EXPECT_EQ(nl.net_pins[nl.net_begin[1] + 1], 0);
}

}  // namespace
}  // namespace rlplace
