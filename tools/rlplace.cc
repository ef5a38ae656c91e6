// rlplace: macro placement with reinforcement learning. The command is a thin layer over
// the libraries; every subcommand lives in commands_*.cc.
//
// Two binaries share this file. `rlplace` has no LibTorch, so that eval and place start in
// milliseconds; what it cannot run (a subcommand or a placer it has not registered) it
// hands, same arguments, to `rlplace-torch` beside it, which has everything.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "placer/registry.h"
#include "tools/commands.h"
#ifdef RLPLACE_WITH_TORCH
#include "rl/placers.h"
#endif

namespace {

#ifdef RLPLACE_TORCH_COMPANION
// Replaces this process with the companion binary next to it; returns only on failure.
void run_companion(char** argv) {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path = RLPLACE_TORCH_COMPANION;
  if (n > 0) {
    self[n] = 0;
    std::string dir(self);
    path = dir.substr(0, dir.rfind('/') + 1) + RLPLACE_TORCH_COMPANION;
  }
  if (access(path.c_str(), X_OK) == 0) execv(path.c_str(), argv);
}
#endif

int fail(const char* what) {
  std::fprintf(stderr, "rlplace: error: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  rlplace::register_builtin_placers();
#ifdef RLPLACE_WITH_TORCH
  rlplace::rl::register_placers();
#endif
  CLI::App app{"rlplace: macro placement with reinforcement learning"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rlplace 0.1.0");
  rlplace::tools::Run chosen;  // set by the subcommand the user named
  rlplace::tools::add_commands(app, chosen);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
#ifdef RLPLACE_TORCH_COMPANION
    run_companion(argv);  // perhaps a subcommand only the LibTorch build has
#endif
    return fail(e.what());
  }
  try {
    return chosen ? chosen() : 0;
  } catch (const rlplace::UnknownPlacer& e) {
#ifdef RLPLACE_TORCH_COMPANION
    run_companion(argv);
#endif
    return fail(e.what());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
