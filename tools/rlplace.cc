// rlplace: macro placement with reinforcement learning. The command is a thin layer over
// the libraries; every subcommand lives in commands_*.cc.
#include <unistd.h>

#include <cstdio>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string>

#include "netlists/netlist.h"
#include "tools/commands.h"

namespace {

// The subcommands only the LibTorch build has.
[[maybe_unused]] bool needs_torch(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "train") == 0) return true;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "bench") == 0 &&
        (std::strcmp(argv[i + 1], "gnn") == 0 || std::strcmp(argv[i + 1], "train") == 0))
      return true;
    if (i + 1 < argc && std::strcmp(argv[i], "--placer") == 0 && std::strcmp(argv[i + 1], "rl") == 0) return true;
    if (std::strcmp(argv[i], "--placer=rl") == 0) return true;
  }
  return false;
}

#ifdef RLPLACE_TORCH_COMPANION
// Replaces this process with the companion binary next to it, same arguments.
int run_companion(char** argv) {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path = RLPLACE_TORCH_COMPANION;
  if (n > 0) {
    self[n] = 0;
    std::string dir(self);
    path = dir.substr(0, dir.rfind('/') + 1) + RLPLACE_TORCH_COMPANION;
  }
  execv(path.c_str(), argv);
  std::fprintf(stderr, "rlplace: error: this command needs the LibTorch build, %s: %s\n", path.c_str(),
               std::strerror(errno));
  return 1;
}
#endif

}  // namespace

int main(int argc, char** argv) {
#ifndef RLPLACE_WITH_TORCH
  if (needs_torch(argc, argv)) {
#ifdef RLPLACE_TORCH_COMPANION
    return run_companion(argv);
#else
    std::fprintf(stderr, "rlplace: error: '%s' needs LibTorch; this build has none (RLPLACE_WITH_TORCH=OFF)\n",
                 argv[1]);
    return 1;
#endif
  }
#endif
  CLI::App app{"rlplace: macro placement with reinforcement learning"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rlplace 0.1.0");
  rlplace::tools::Run chosen;  // set by the subcommand the user named
  rlplace::tools::add_eval(app, chosen);
  rlplace::tools::add_place(app, chosen);
  rlplace::tools::add_cluster(app, chosen);
  rlplace::tools::add_bench(app, chosen);
  rlplace::tools::add_compare(app, chosen);
  rlplace::tools::add_plot(app, chosen);
  rlplace::tools::add_export(app, chosen);
#ifdef RLPLACE_WITH_TORCH
  rlplace::tools::add_bench_gnn(app, chosen);
  rlplace::tools::add_bench_train(app, chosen);
  rlplace::tools::add_train(app, chosen);
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
