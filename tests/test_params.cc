// The cost parameters' one definition: every source (flags, config JSON, .plc header,
// netlist header) accepts and rejects the same values, and every writer emits only what the
// readers accept back.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "cost/params.h"
#include "netlists/netlist_reader.h"
#include "netlists/plc.h"
#include "tests/test_util.h"

namespace rlplace {
namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  const std::string msg = error_of(f);
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
}

std::string small_netlist(const std::string& dir, const std::string& header = "") {
  const std::string path = dir + "/n.pb.txt";
  test::write_text(path, header + macro_node("m", 10, 10, 50, 50) + pin_node("m/p", "m", 0, 0, {"o"}) +
                             port_node("o", 0, 0));
  return path;
}

TEST(ParamFields, ThirteenKeysEachOnceAndEveryOneInTheJson) {
  std::set<std::string> keys;
  for (const auto& f : cost_param_fields()) EXPECT_TRUE(keys.insert(std::string(f.key)).second) << f.key;
  EXPECT_EQ(keys.size(), 13u);
  const nlohmann::json j = params_to_json(test::square_params());
  for (const auto& k : keys) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j.size(), keys.size() + 1);  // and the blockages
}

// Each field at its smallest and largest value survives JSON and the .plc header exactly.
TEST(ParamFields, ExtremesRoundTripThroughJsonAndPlc) {
  const std::string dir = test::temp_dir("params_extremes");
  const Netlist nl = read_netlist(small_netlist(dir));
  for (bool high : {false, true}) {
    CostParams p = test::square_params(100, 10);
    for (const auto& f : cost_param_fields()) {
      if (f.key == "width" || f.key == "height" || f.key == "cols" || f.key == "rows") continue;
      f.set(p, high ? f.max : (f.min_open ? f.min + 1e-9 : f.min));
    }
    p.blockages = {{1, 2, 3.5, 4.25, high ? 1.0 : 0.0}};
    validate_params(p, "test");
    CostParams from_json;
    params_from_json(params_to_json(p), "json").apply_to(from_json);
    const std::string text = format_plc(nl, Placement::from_netlist(nl), to_plc_header(p));
    const PlcFile plc = parse_plc(dir + "/x.plc", text);
    CostParams from_plc = test::square_params(1, 1);
    params_from_plc(plc).apply_to(from_plc);
    for (const auto& f : cost_param_fields()) {
      EXPECT_EQ(f.get(from_json), f.get(p)) << f.key;
      // Weights are not part of Circuit Training's .plc header.
      if (f.key.find("weight") == std::string_view::npos) {
        EXPECT_EQ(f.get(from_plc), f.get(p)) << f.key;
      }
    }
    ASSERT_EQ(from_plc.blockages.size(), 1u);
    EXPECT_EQ(from_plc.blockages[0].max_y, 4.25);
  }
}

// Issue 17, cases 1, 2 and 4: values that used to crash, hang or give NaN are refused.
TEST(ParamChecks, HugeTinyAndNanValuesAreRefusedWithTheirSource) {
  CostOverrides o;
  expect_error([&] { o.set("width", 1e308, "--width"); }, {"--width: invalid canvas width 1e+308", "at most"});
  expect_error([&] { o.set("width", 1e-300, "--width"); }, {"--width", "canvas width"});
  expect_error([&] { o.set("cols", 4096, "--cols"); }, {"--cols: invalid grid columns 4096"});
  expect_error([&] { o.set("cols", 0, "--cols"); }, {"--cols: invalid grid columns 0"});
  expect_error([&] { o.set("cols", 2.7, "--cols"); }, {"--cols", "whole number"});
  expect_error([&] { o.set("overlap_threshold", std::nan(""), "--overlap-threshold"); }, {"--overlap-threshold"});
  expect_error([&] { o.set("v_macro_alloc", 1e308, "--v-macro-alloc"); }, {"--v-macro-alloc"});
  expect_error([&] { o.set("density_weight", -1, "--density-weight"); }, {"--density-weight", "at least 0"});
  expect_error([&] { o.set("h_routes_per_micron", 0, "x"); }, {"above 0"});
  EXPECT_THROW(o.set("no_such_key", 1), std::invalid_argument);
  EXPECT_FALSE(o.has("width"));
}

TEST(ParamChecks, GridCellsSmallerThanTheMinimumAreRefused) {
  CostParams p = test::square_params(0.1, 200);
  expect_error([&] { validate_params(p, "here"); }, {"here: grid cells of", "too small"});
}

class PlcHeaderChecks : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("params_plc");
    netlist_ = small_netlist(dir_);
  }
  void expect_plc_error(const std::string& header, const std::vector<std::string>& parts) {
    const std::string plc = dir_ + "/p.plc";
    test::write_text(plc, header + "0 50 50 N 0\n");
    std::vector<std::string> all = parts;
    all.push_back(plc + ":");
    expect_error([&] { load_design(netlist_, plc); }, all);
  }
  std::string dir_, netlist_;
};

TEST_F(PlcHeaderChecks, HugeCanvasAndGrid) {
  expect_plc_error("# Width : 1e308  Height : 1e308\n", {":1:", "canvas width"});
  expect_plc_error("# Columns : 4096  Rows : 4096\n", {":1:", "grid columns 4096"});
}

TEST_F(PlcHeaderChecks, FractionalGridIsAnErrorNotIgnored) {
  expect_plc_error("# Columns : 10  Rows : 10\n# Columns : 2.7  Rows : 2\n", {":2:", "whole number"});
}

TEST_F(PlcHeaderChecks, MalformedParameterLine) {
  expect_plc_error("# Width : 100\n", {":1:", "invalid header line"});
  expect_plc_error("# Smoothing factor : two\n", {":1:", "smoothing factor 'two'"});
  expect_plc_error("# Overlap threshold : nan\n", {":1:", "overlap threshold"});
}

TEST_F(PlcHeaderChecks, EmptyFileIsAnError) {
  test::write_text(dir_ + "/empty.plc", "");
  expect_error([&] { load_design(netlist_, dir_ + "/empty.plc"); }, {"empty.plc: empty placement file"});
}

// Issue 17, case 3: both readers take blockages through one check.
TEST(Blockages, NetlistAndPlcHeadersRejectTheSameRate) {
  const std::string dir = test::temp_dir("params_blockage");
  const std::string bad = "# Blockage : 490 490 500 500 2147483648\n";
  const std::string nl_path = small_netlist(dir, bad);
  const std::string from_netlist = error_of([&] { read_netlist(nl_path); });
  const std::string plc = dir + "/p.plc";
  test::write_text(plc, bad);
  const std::string good_nl = dir + "/good.pb.txt";
  test::write_text(good_nl, macro_node("m", 10, 10, 50, 50) + pin_node("m/p", "m", 0, 0, {"o"}) + port_node("o", 0, 0));
  const std::string from_plc = error_of([&] { load_design(good_nl, plc); });
  const std::string why = "invalid blockage: rate 2147483648 is outside [0, 1]";
  EXPECT_NE(from_netlist.find(nl_path + ":1: " + why), std::string::npos) << from_netlist;
  EXPECT_NE(from_plc.find(plc + ":1: " + why), std::string::npos) << from_plc;
}

TEST(Blockages, JsonConfigUsesTheSameCheck) {
  expect_error([] { params_from_json(nlohmann::json::parse(R"({"blockages": [[0, 0, 1, 1, 2]]})"), "c.json"); },
               {"c.json: invalid blockage: rate 2"});
  expect_error([] { params_from_json(nlohmann::json::parse(R"({"colls": 3})"), "c.json"); },
               {"c.json: unknown cost parameter 'colls'"});
}

// Issue 17, case 5: a pin that drives itself.
TEST(NetlistChecks, PinListedAsItsOwnInput) {
  const std::string dir = test::temp_dir("params_selfloop");
  const std::string path = dir + "/n.pb.txt";
  test::write_text(path, macro_node("m", 10, 10, 50, 50) + pin_node("m/p", "m", 0, 0, {"m/p"}));
  expect_error([&] { read_netlist(path); }, {path, "pin 'm/p' lists itself as an input"});
}

// Costs stay finite and non-negative at the parameters' limits.
TEST(ParamChecks, CostsAtTheLimitsAreFinite) {
  const std::string dir = test::temp_dir("params_limits");
  const Netlist nl = read_netlist(small_netlist(dir));
  for (double alloc : {0.0, 1e6})
    for (double routes : {1e-9, 1e6}) {
      CostParams p = test::square_params(1e6, 512);
      p.h_macro_alloc = p.v_macro_alloc = alloc;
      p.h_routes_per_micron = p.v_routes_per_micron = routes;
      p.smoothing = 1000;
      validate_params(p, "t");
      Evaluator ev(nl, p);
      ev.reset(Placement::from_netlist(nl));
      const Costs c = ev.costs();
      for (double v : {c.wirelength_cost, c.density_cost, c.congestion_cost, c.proxy_cost}) {
        EXPECT_TRUE(std::isfinite(v)) << alloc << " " << routes;
        EXPECT_GE(v, 0);
      }
    }
}

}  // namespace
}  // namespace rlplace
