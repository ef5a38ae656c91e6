#include "tools/commands.h"

namespace rlplace::tools {

void add_commands(CLI::App& app, Run& chosen) {
  add_eval(app, chosen);
  add_place(app, chosen);
  add_cluster(app, chosen);
  add_generate(app, chosen);
  add_bench(app, chosen);
  add_compare(app, chosen);
  add_plot(app, chosen);
  add_export(app, chosen);
#ifdef RLPLACE_WITH_TORCH
  add_bench_gnn(app, chosen);
  add_bench_train(app, chosen);
  add_train(app, chosen);
#endif
}

}  // namespace rlplace::tools
