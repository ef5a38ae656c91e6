// rlplace: macro placement with reinforcement learning. The command is a thin layer over
// the libraries; every subcommand lives in commands_*.cc.
#include <cstdio>
#include <exception>

#include "netlists/netlist.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"rlplace: macro placement with reinforcement learning"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rlplace 0.1.0");
  rlplace::tools::Run chosen;  // set by the subcommand the user named
  rlplace::tools::add_eval(app, chosen);
  rlplace::tools::add_place(app, chosen);
  rlplace::tools::add_bench(app, chosen);
#ifdef RLPLACE_WITH_TORCH
  rlplace::tools::add_bench_gnn(app, chosen);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return chosen ? chosen() : 0;
  } catch (const rlplace::InputError& e) {
    std::fprintf(stderr, "rlplace: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rlplace: error: %s\n", e.what());
    return 1;
  }
}
