// rlplace compare, plot and export: the reports agree with eval, the pictures put the
// macros where the .plc says, the exports match hand-computed lines, bad input fails in one
// line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "cost/evaluator.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "netlists/plc.h"
#include "report/compare.h"
#include "report/export.h"
#include "report/footprint.h"
#include "report/heatmap.h"
#include "report/plot.h"
#include "tests/test_util.h"

#ifdef RLPLACE_WITH_CAIRO
#include <cairo.h>
#endif

namespace rlplace {

// For gtest's messages; found by argument-dependent lookup, so outside the anonymous namespace.
std::ostream& operator<<(std::ostream& os, Rgb c) {
  return os << "rgb(" << int(c.r) << "," << int(c.g) << "," << int(c.b) << ")";
}

namespace {

using test::macro_node;
using test::pin_node;
using test::port_node;
using test::lines_of;
using test::Small;
using test::small_design;

const std::string kNetlist = test::data("netlists/data/ariane133_ng45/netlist.pb.txt.gz");
const std::string kInitial = test::data("netlists/data/ariane133_ng45/initial.plc");
const std::string kLegalized = test::data("netlists/data/ariane133_ng45/legalized.plc");


// The command failed with status 1 and one line that holds every part.
void expect_one_line_error(const std::string& args, const std::vector<std::string>& parts) {
  std::string output;
  EXPECT_EQ(test::run_rlplace(args, output), 1) << output;
  EXPECT_EQ(output.rfind("rlplace: error: ", 0), 0u) << output;
  EXPECT_EQ(output.find('\n'), output.size() - 1) << output;
  for (const auto& p : parts) EXPECT_NE(output.find(p), std::string::npos) << "missing '" << p << "' in: " << output;
}





TEST(Export, EachFormatMatchesHandComputedLines) {
  const Small s = small_design("export_lines");
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"innovus", {"placeInstance a 25.25 60.5 R270 -fixed", "placeInstance {blk/b[0]} 62 26 MX -fixed"}},
      {"icc2",
       {"set_cell_location -coordinates {25.25 60.5} -orientation R270 -fixed a",
        "set_cell_location -coordinates {62 26} -orientation MX -fixed {blk/b[0]}"}},
      {"openroad",
       {"place_macro -macro_name a -location {25.25 60.5} -orientation R270",
        "place_macro -macro_name {blk/b[0]} -location {62 26} -orientation MX"}},
  };
  for (const auto& [format, expected] : cases) {
    const std::string out = s.dir + "/" + format + ".tcl";
    std::string output;
    ASSERT_EQ(test::run_rlplace("export --netlist " + s.netlist + " --plc " + s.plc + " --format " + format +
                                    " --out " + out,
                                output),
              0)
        << output;
    std::vector<std::string> lines = lines_of(read_file(out));
    ASSERT_EQ(lines.size(), 3u) << format;
    EXPECT_EQ(lines[0].rfind("# ", 0), 0u);
    EXPECT_EQ(lines[1], expected[0]);
    EXPECT_EQ(lines[2], expected[1]);
  }
}

TEST(Export, DefComponentsInDatabaseUnits) {
  const Small s = small_design("export_def");
  const std::string out = s.dir + "/macros.def";
  std::string output;
  ASSERT_EQ(test::run_rlplace("export --netlist " + s.netlist + " --plc " + s.plc +
                                  " --format def --dbu 2000 --design chip --out " + out,
                              output),
            0)
      << output;
  EXPECT_EQ(read_file(out),
            "VERSION 5.8 ;\nDIVIDERCHAR \"/\" ;\nBUSBITCHARS \"[]\" ;\nDESIGN chip ;\nUNITS DISTANCE MICRONS 2000 ;\n"
            "DIEAREA ( 0 0 ) ( 200000 200000 ) ;\n\nCOMPONENTS 2 ;\n"
            "- a HM_20x10 + FIXED ( 50500 121000 ) E ;\n"
            "- blk/b[0] HM_16x8 + FIXED ( 124000 52000 ) FS ;\n"
            "END COMPONENTS\n\nEND DESIGN\n");
}

TEST(Export, BadInput) {
  const Small s = small_design("export_bad");
  expect_one_line_error("export --netlist " + s.netlist + " --plc " + s.plc + " --format lef --out " + s.dir + "/x",
                        {"--format", "'lef'"});
  expect_one_line_error("export --netlist " + s.dir + "/missing.pb.txt --format def --out " + s.dir + "/x",
                        {s.dir + "/missing.pb.txt"});
  // Ariane's placement does not fit this netlist.
  expect_one_line_error("export --netlist " + s.netlist + " --plc " + kLegalized + " --format def --out " + s.dir + "/x",
                        {kLegalized});
}



// One comparison of Ariane133's two bundled placements and a greedy one, shared by the tests.
class ArianeCompare : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::temp_dir("compare_ariane"));
    const std::string greedy = *dir_ + "/greedy.plc";
    plcs_ = new std::vector<std::string>{kInitial, kLegalized, greedy};
    table_ = new std::string;
    std::string output;
    ASSERT_EQ(test::run_rlplace(
                  "place --netlist " + kNetlist + " --plc " + kInitial + " --placer greedy --threads 1 --out " + greedy,
                  output),
              0)
        << output;
    ASSERT_EQ(test::run_rlplace("compare --netlist " + kNetlist + " --plc " + kInitial + " --plc " + kLegalized +
                                    " --plc " + greedy + " --out " + *dir_ + "/out",
                                output),
              0)
        << output;
    *table_ = output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete plcs_;
    delete table_;
  }
  static std::string out(const std::string& name) { return *dir_ + "/out/" + name; }
  static std::string* dir_;
  static std::vector<std::string>* plcs_;
  static std::string* table_;
};
std::string* ArianeCompare::dir_ = nullptr;
std::vector<std::string>* ArianeCompare::plcs_ = nullptr;
std::string* ArianeCompare::table_ = nullptr;

TEST_F(ArianeCompare, AsGivenEqualsEvalExactly) {
  const nlohmann::json report = nlohmann::json::parse(read_file(out("report.json")));
  ASSERT_EQ(report["placements"].size(), 3u);
  const std::vector<std::string> labels = {"initial", "legalized", "greedy"};
  for (size_t i = 0; i < 3; ++i) {
    const auto& p = report["placements"][i];
    EXPECT_EQ(p["label"], labels[i]);
    std::string output;
    ASSERT_EQ(test::run_rlplace("eval --json --netlist " + kNetlist + " --plc " + (*plcs_)[i], output), 0) << output;
    const nlohmann::json eval = nlohmann::json::parse(output);
    for (const char* key : {"wirelength", "wirelength_cost", "density_cost", "congestion_cost", "proxy_cost",
                            "overlap_count", "overlap_area", "out_of_canvas", "legal"})
      EXPECT_EQ(p["as_given"][key], eval[key]) << labels[i] << " " << key;
    EXPECT_GT(p["soft_macros_replaced"]["wirelength"].get<double>(), 0);
  }
  // The solver moves only soft macros: legality, a hard-macro matter, is unchanged.
  for (const auto& p : report["placements"])
    EXPECT_EQ(p["soft_macros_replaced"]["overlap_count"], p["as_given"]["overlap_count"]);
  ASSERT_EQ(report["displacement"].size(), 3u);
  EXPECT_EQ(report["displacement"][0]["a"], "initial");
  EXPECT_EQ(report["displacement"][0]["b"], "legalized");
  EXPECT_EQ(report["displacement"][2]["a"], "legalized");
  EXPECT_EQ(report["displacement"][2]["b"], "greedy");
  for (const auto& d : report["displacement"]) {
    EXPECT_EQ(d["hard_macros"], 133);
    EXPECT_LE(d["mean"].get<double>(), d["max"].get<double>());
  }
}

TEST_F(ArianeCompare, ReplacedKeepsHardMacrosAndMovesSoftOnes) {
  const Netlist nl = read_netlist(kNetlist);
  FdOptions fd = default_fd_options(nl);
  fd.threads = 1;
  const ComparedPlacement c = compare_one(nl, kLegalized, "legalized", {}, fd);
  int soft_moved = 0;
  for (int32_t m : nl.hard_macros) {
    EXPECT_EQ(c.replaced.x[m], c.given.x[m]);
    EXPECT_EQ(c.replaced.y[m], c.given.y[m]);
  }
  for (int32_t m : nl.soft_macros) soft_moved += c.replaced.x[m] != c.given.x[m] || c.replaced.y[m] != c.given.y[m];
  EXPECT_GT(soft_moved, static_cast<int>(nl.soft_macros.size()) / 2);
  const Scores again = score(nl, c.params, c.replaced);
  EXPECT_EQ(again.costs.proxy_cost, c.after_fd.costs.proxy_cost);
}

TEST_F(ArianeCompare, CsvAndMarkdownCarryEveryPlacement) {
  const std::vector<std::string> csv = lines_of(read_file(out("report.csv")));
  ASSERT_EQ(csv.size(), 7u);  // header, then given and fd for each
  EXPECT_EQ(csv[1].rfind("initial," + kInitial + ",given,", 0), 0u) << csv[1];
  EXPECT_EQ(csv[6].rfind("greedy,", 0), 0u) << csv[6];
  EXPECT_EQ(lines_of(read_file(out("displacement.csv"))).size(), 4u);
  const std::string md = read_file(out("report.md"));
  for (const char* s : {"| initial |", "| legalized |", "| greedy |", "## Hard-macro displacement"})
    EXPECT_NE(md.find(s), std::string::npos) << s;
  EXPECT_NE(table_->find("legalized"), std::string::npos);
  // Heatmap values next to the pictures, with or without cairo.
  EXPECT_EQ(lines_of(read_file(out("greedy.density.csv"))).size(), 21u);
}

TEST(CompareErrors, BadInput) {
  const Small s = small_design("compare_bad");
  const std::string base = "compare --netlist " + s.netlist + " --out " + s.dir + "/out ";
  expect_one_line_error(base + "--plc " + s.dir + "/none.plc", {s.dir + "/none.plc"});
  expect_one_line_error(base + "--plc " + kLegalized, {kLegalized});
  expect_one_line_error(base + "--plc " + s.plc + " --plc " + s.plc, {"'small'", "two placements"});
  expect_one_line_error(base + "--plc " + s.plc + " --label x --label y", {"2 labels for 1"});
  expect_one_line_error(base + "--plc " + s.plc + " --label a/b", {"'a/b'"});
  expect_one_line_error(base + "--plc " + s.plc + " --heatmap heat", {"'heat'"});
}

#ifdef RLPLACE_WITH_CAIRO

// A PNG read back with cairo.
class Png {
 public:
  explicit Png(const std::string& path) : s_(cairo_image_surface_create_from_png(path.c_str())) {}
  ~Png() { cairo_surface_destroy(s_); }
  bool ok() const { return cairo_surface_status(s_) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(s_); }
  int height() const { return cairo_image_surface_get_height(s_); }
  Rgb at(int x, int y) const {
    const unsigned char* row = cairo_image_surface_get_data(s_) + y * cairo_image_surface_get_stride(s_);
    const uint32_t v = reinterpret_cast<const uint32_t*>(row)[x];
    return {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  }

 private:
  cairo_surface_t* s_;
};


// Every hard macro whose centre no other hard macro and no port dot covers shows the hard
// fill colour there. Returns how many were checked.
int check_hard_macro_centres(const Png& png, const Design& d, double scale) {
  const Netlist& nl = d.netlist;
  const Placement& p = d.placement;
  const double H = d.params.height;
  int checked = 0;
  for (int32_t m : nl.hard_macros) {
    const int px = static_cast<int>(p.x[m] * scale), py = static_cast<int>((H - p.y[m]) * scale);
    bool clear = true;
    for (int32_t o : nl.hard_macros) {
      if (o == m) continue;
      const Footprint f = footprint(nl, p, o);
      clear &= !(p.x[m] >= f.llx - 2 / scale && p.x[m] <= f.llx + f.w + 2 / scale && p.y[m] >= f.lly - 2 / scale &&
                 p.y[m] <= f.lly + f.h + 2 / scale);
    }
    for (int32_t v : nl.ports) clear &= std::hypot(p.x[v] - p.x[m], p.y[v] - p.y[m]) * scale > 4;
    if (!clear || px < 0 || py < 0 || px >= png.width() || py >= png.height()) continue;
    EXPECT_EQ(png.at(px, py), kHardMacroColour) << nl.name[m] << " at pixel " << px << "," << py;
    ++checked;
  }
  return checked;
}

TEST_F(ArianeCompare, PicturesShowTheHardMacrosWhereThePlcSays) {
  for (const auto& [label, plc] : {std::pair{"legalized", kLegalized}, std::pair{"greedy", *dir_ + "/greedy.plc"}}) {
    const Png png(out(std::string(label) + ".png"));
    ASSERT_TRUE(png.ok()) << label;
    const Design d = load_design(kNetlist, plc);
    EXPECT_EQ(png.width(), 800);
    EXPECT_EQ(png.height(), canvas_pixels_high(d.params, 800) + kFooterPixels);
    // Legal placements: every one of the 133 macros is clear of the others.
    EXPECT_EQ(check_hard_macro_centres(png, d, 800 / d.params.width), 133) << label;
  }
  const Png overview(out("overview.png"));
  ASSERT_TRUE(overview.ok());
  EXPECT_EQ(overview.width(), 3 * 400 + 2 * 12);
}

TEST(Plot, ArianeWithoutHeatmapIsWhiteWhereNothingIs) {
  const std::string dir = test::temp_dir("plot_ariane");
  std::string output;
  ASSERT_EQ(test::run_rlplace("plot --netlist " + kNetlist + " --plc " + kLegalized + " --out " + dir + "/l.png", output),
            0)
      << output;
  const Png png(dir + "/l.png");
  ASSERT_TRUE(png.ok());
  const Design d = load_design(kNetlist, kLegalized);
  const double scale = 800 / d.params.width;
  EXPECT_EQ(check_hard_macro_centres(png, d, scale), 133);
  // Grid-cell centres (grid lines lie on cell edges) that no macro comes within 3 px of.
  int empty = 0;
  for (int r = 0; r < d.params.rows; ++r)
    for (int c = 0; c < d.params.cols; ++c) {
      const double x = (c + 0.5) * d.params.cell_width(), y = (r + 0.5) * d.params.cell_height();
      bool clear = true;
      for (int32_t m : d.netlist.macros) {
        const Footprint f = footprint(d.netlist, d.placement, m);
        const double pad = 3 / scale;
        clear &= !(x >= f.llx - pad && x <= f.llx + f.w + pad && y >= f.lly - pad && y <= f.lly + f.h + pad);
      }
      if (!clear) continue;
      EXPECT_EQ(png.at(static_cast<int>(x * scale), static_cast<int>((d.params.height - y) * scale)), kBackgroundColour);
      ++empty;
    }
  EXPECT_GT(empty, 0);
}

TEST(Plot, OrientationMarkSitsInTheTurnedCorner) {
  const Small s = small_design("plot_small");
  const std::string png_path = s.dir + "/small.png";
  std::string output;
  ASSERT_EQ(test::run_rlplace("plot --netlist " + s.netlist + " --plc " + s.plc + " --width 400 --out " + png_path, output),
            0)
      << output;
  const Png png(png_path);
  ASSERT_TRUE(png.ok());
  ASSERT_EQ(png.width(), 400);
  ASSERT_EQ(png.height(), 400 + kFooterPixels);
  // 4 px per micron, y down. a (E) spans [25.25, 35.25] x [60.5, 80.5] um.
  EXPECT_EQ(png.at(121, 118), kHardMacroColour);       // centre (30.25, 70.5)
  EXPECT_EQ(png.at(101 + 3, 78 + 3), kHardMacroEdgeColour);  // N's lower-left turned E: upper-left
  EXPECT_EQ(png.at(101 + 3, 158 - 4), kHardMacroColour);     // lower-left: no mark
  // b (FS) spans [62, 78] x [26, 34] um: the mark goes to the upper-left.
  EXPECT_EQ(png.at(280, 280), kHardMacroColour);
  EXPECT_EQ(png.at(248 + 3, 264 + 3), kHardMacroEdgeColour);
  EXPECT_EQ(png.at(248 + 3, 296 - 4), kHardMacroColour);
  EXPECT_EQ(png.at(220, 180), kBackgroundColour);  // (55, 55): nothing there
  EXPECT_EQ(png.at(0, 200), kPortColour);          // p0 at (0, 50)
}

TEST(Plot, NetsOfAMacroAndHeatmapCsv) {
  const Small s = small_design("plot_nets");
  const std::string png_path = s.dir + "/nets.png";
  std::string output;
  ASSERT_EQ(test::run_rlplace("plot --netlist " + s.netlist + " --plc " + s.plc +
                                  " --width 400 --nets a --heatmap density --out " + png_path,
                              output),
            0)
      << output;
  const Png png(png_path);
  ASSERT_TRUE(png.ok());
  // a's pin (5, 0) turned E lies at (30.25, 65.5); the net runs to b's centre (70, 30): the
  // point a quarter of the way, (40.19, 56.63) um, is px (160.75, 173.5), outside every macro.
  const Rgb c = png.at(160, 173);
  EXPECT_GT(c.r, c.g) << c;
  EXPECT_GT(c.b, c.g) << c;
  // The map's values next to the picture: the evaluator's, top row first.
  const Design d = load_design(s.netlist, s.plc);
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  EXPECT_EQ(read_file(s.dir + "/nets.density.csv"), heatmap_csv(ev.density_grid(), 10, 10));
}

TEST(Plot, SvgToo) {
  const Small s = small_design("plot_svg");
  std::string output;
  ASSERT_EQ(test::run_rlplace("plot --netlist " + s.netlist + " --plc " + s.plc + " --out " + s.dir + "/s.svg", output),
            0)
      << output;
  EXPECT_NE(read_file(s.dir + "/s.svg").find("<svg"), std::string::npos);
}

TEST(Plot, BadInput) {
  const Small s = small_design("plot_bad");
  const std::string base = "plot --netlist " + s.netlist + " --plc " + s.plc + " ";
  expect_one_line_error(base + "--out " + s.dir + "/x.jpg", {s.dir + "/x.jpg", ".png or .svg"});
  expect_one_line_error(base + "--nets nosuch --out " + s.dir + "/x.png", {s.netlist, "'nosuch'"});
  expect_one_line_error(base + "--nets p0 --out " + s.dir + "/x.png", {"'p0'"});  // a port, not a macro
  expect_one_line_error("plot --netlist " + s.netlist + " --plc " + kInitial + " --out " + s.dir + "/x.png",
                        {kInitial});
  EXPECT_FALSE(std::filesystem::exists(s.dir + "/x.png"));
}

#else  // built without cairo

TEST(Plot, WithoutCairoSaysSoInOneLine) {
  const Small s = small_design("plot_nocairo");
  expect_one_line_error("plot --netlist " + s.netlist + " --plc " + s.plc + " --out " + s.dir + "/x.png",
                        {"without cairo"});
}

TEST_F(ArianeCompare, WithoutCairoReportsSayThereAreNoPictures) {
  EXPECT_NE(read_file(out("report.md")).find("without cairo"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out("overview.png")));
}

#endif

}  // namespace
}  // namespace rlplace
