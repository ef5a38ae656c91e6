// Helpers shared by the tests.
#pragma once

#include <string>
#include <vector>

#include "cost/params.h"
#include "netlists/netlist.h"

namespace rlplace::test {

// Path of a file in the source tree, e.g. data("netlists/data/ariane133_ng45/legalized.plc").
std::string data(const std::string& relative);

// A fresh empty directory under the build tree for one test's files.
std::string temp_dir(const std::string& name);

// The whole file (plain, not gunzipped).
std::string read_text(const std::string& path);

// Writes `content` to `path` (plain, not atomic: test fixtures only).
void write_text(const std::string& path, const std::string& content);

// Runs the built rlplace with `args`; returns the exit status, stdout+stderr in `output`.
int run_rlplace(const std::string& args, std::string& output);

// A square canvas of `side` microns on a `cells` x `cells` grid, default cost parameters.
CostParams square_params(double side = 100, int cells = 10);

// Text netlist builders for hand-made fixtures.
std::string port_node(const std::string& name, double x, double y, const std::vector<std::string>& inputs = {});
std::string macro_node(const std::string& name, double w, double h, double x, double y,
                       const std::string& orientation = "N");
std::string pin_node(const std::string& name, const std::string& macro, double dx, double dy,
                     const std::vector<std::string>& inputs = {}, double weight = 0);
std::string stdcell_node(const std::string& name, double w, double h, double x, double y,
                         const std::vector<std::string>& inputs = {});

// The lines of `s`, without their newlines.
std::vector<std::string> lines_of(const std::string& s);

// Two hard macros on a 100 x 100 canvas of 10 x 10 cells: `a` (20 x 10) turned E, `blk/b[0]`
// (16 x 8) flipped FS, a port and a net from a's pin to b's pin and the port; written to a
// fresh directory with its .plc.
struct Small {
  std::string dir, netlist, plc;
};
Small small_design(const std::string& name);

}  // namespace rlplace::test
