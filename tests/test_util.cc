#include "tests/test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "netlists/plc.h"

namespace rlplace::test {

CostParams square_params(double side, int cells) {
  CostParams p;
  p.width = p.height = side;
  p.cols = p.rows = cells;
  return p;
}

std::string data(const std::string& relative) { return std::string(RLPLACE_SOURCE_DIR) + "/" + relative; }

namespace {
// Removes every directory temp_dir made when the test process ends (remove_tree: see why in
// netlists/io.h).
struct TempDirs {
  std::vector<std::string> made;
  ~TempDirs() {
    for (const auto& p : made) remove_tree(p);
  }
};
TempDirs temp_dirs;
}  // namespace

std::string temp_dir(const std::string& name) {
  // The process id keeps tests that ctest runs in parallel out of each other's files.
  std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("rlplace_test_" + name + "_" + std::to_string(getpid()));
  remove_tree(p.string());
  std::filesystem::create_directories(p);
  temp_dirs.made.push_back(p.string());
  return p.string();
}

void write_text(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

int run_rlplace(const std::string& args, std::string& output) {
  std::string cmd = std::string(RLPLACE_BINARY) + " " + args + " 2>&1";
  output.clear();
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) output.append(buf.data(), n);
  int status = pclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {
std::string attr_f(const char* key, double v) {
  return fmt::format("  attr {{ key: \"{}\" value {{ f: {} }} }}\n", key, v);
}
std::string attr_s(const char* key, const std::string& v) {
  return fmt::format("  attr {{ key: \"{}\" value {{ placeholder: \"{}\" }} }}\n", key, v);
}
std::string inputs_of(const std::vector<std::string>& inputs) {
  std::string s;
  for (const auto& i : inputs) s += fmt::format("  input: \"{}\"\n", i);
  return s;
}
}  // namespace

std::string port_node(const std::string& name, double x, double y, const std::vector<std::string>& inputs) {
  return "node {\n  name: \"" + name + "\"\n" + inputs_of(inputs) + attr_s("side", "LEFT") + attr_s("type", "PORT") +
         attr_f("x", x) + attr_f("y", y) + "}\n";
}

std::string macro_node(const std::string& name, double w, double h, double x, double y, const std::string& o) {
  return "node {\n  name: \"" + name + "\"\n" + attr_f("height", h) + attr_s("orientation", o) +
         attr_s("type", "MACRO") + attr_f("width", w) + attr_f("x", x) + attr_f("y", y) + "}\n";
}

std::string pin_node(const std::string& name, const std::string& macro, double dx, double dy,
                     const std::vector<std::string>& inputs, double weight) {
  std::string s = "node {\n  name: \"" + name + "\"\n" + inputs_of(inputs) + attr_s("macro_name", macro) +
                  attr_s("type", "MACRO_PIN");
  if (weight > 0) s += attr_f("weight", weight);
  return s + attr_f("x_offset", dx) + attr_f("y_offset", dy) + "}\n";
}

std::string stdcell_node(const std::string& name, double w, double h, double x, double y,
                         const std::vector<std::string>& inputs) {
  return "node {\n  name: \"" + name + "\"\n" + inputs_of(inputs) + attr_f("height", h) + attr_s("type", "stdcell") +
         attr_f("width", w) + attr_f("x", x) + attr_f("y", y) + "}\n";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

Small small_design(const std::string& name) {
  Small s;
  s.dir = test::temp_dir(name);
  s.netlist = s.dir + "/small.pb.txt";
  s.plc = s.dir + "/small.plc";
  test::write_text(s.netlist, port_node("p0", 0, 50, {"blk/b[0]/q"}) + macro_node("a", 20, 10, 30.25, 70.5, "E") +
                                  pin_node("a/o", "a", 5, 0, {"blk/b[0]/q", "p0"}) +
                                  macro_node("blk/b[0]", 16, 8, 70, 30, "FS") + pin_node("blk/b[0]/q", "blk/b[0]", 0, 0));
  const Netlist nl = read_netlist(s.netlist);
  const Placement p = Placement::from_netlist(nl);
  write_plc(s.plc, nl, p, to_plc_header(test::square_params(100, 10)));
  return s;
}

}  // namespace rlplace::test
