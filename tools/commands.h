// The subcommands of `rlplace`. Each registers its options on the app and returns the
// function that runs it.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "cost/params.h"
#include "netlists/timing.h"

namespace rlplace::tools {

using Run = std::function<int()>;


// The CPU's model name, for benchmark reports.
std::string cpu_model();

// --width, --height, --cols, ... : one flag per cost parameter, and --config FILE.json.
struct CostFlags {
  std::array<std::optional<double>, kCostParamCount> values;
  std::string config;
  void add_to(CLI::App& cmd);
  // The flags' values, checked, with the config file's filled in where no flag gave one.
  CostOverrides resolve() const;
};

// Every subcommand this binary has.
void add_commands(CLI::App& app, Run& chosen);

// Each registers a subcommand whose parse sets `chosen` to the function that runs it.
void add_eval(CLI::App& app, Run& chosen);
void add_bench(CLI::App& app, Run& chosen);
void add_place(CLI::App& app, Run& chosen);
void add_compare(CLI::App& app, Run& chosen);
void add_plot(CLI::App& app, Run& chosen);
void add_export(CLI::App& app, Run& chosen);
void add_cluster(CLI::App& app, Run& chosen);
// `generate` and `augment`: the chip corpus.
void add_generate(CLI::App& app, Run& chosen);
#ifdef RLPLACE_WITH_TORCH
// `bench gnn`, under the "bench" subcommand that add_bench registered.
void add_bench_gnn(CLI::App& app, Run& chosen);
void add_train(CLI::App& app, Run& chosen);
// `bench train`: collection and update throughput.
void add_bench_train(CLI::App& app, Run& chosen);
#endif

}  // namespace rlplace::tools
