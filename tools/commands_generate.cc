// rlplace generate: a corpus of synthetic chips, or the statistics of chips (generated or
// real) as a table; rlplace augment: mirrored, tiled and rescaled copies of a chip.
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cluster/generate.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct GenerateOptions {
  GenerateJob job;
  std::string preset = "small";
  std::vector<std::string> params, stats;
  bool json = false, list = false;
};

void print_stats(const std::vector<ChipStats>& chips, bool json) {
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const ChipStats& s : chips) j.push_back(stats_to_json(s));
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::fputs(stats_table(chips).c_str(), stdout);
  }
}

int run_generate(GenerateOptions& o) {
  if (o.list) {
    fmt::print("presets: {}\n", fmt::join(gen_preset_names(), ", "));
    for (const GenField& f : gen_fields()) fmt::print("{:<20} {} [{} .. {}]\n", f.key, f.help, f.min, f.max);
    return 0;
  }
  if (!o.stats.empty()) {
    print_stats(stats_of_folders(o.stats), o.json);
    return 0;
  }
  if (o.job.out.empty()) throw InputError("generate: --out DIR is required (or --stats DIR..., --list)");
  o.job.spec = gen_preset(o.preset);
  for (const std::string& p : o.params) set_gen_param(o.job.spec, p);
  const GenerateReport r = generate_corpus(o.job);
  if (o.json) {
    print_stats(r.chips, true);
    return 0;
  }
  print_stats(r.chips, false);
  fmt::print("wrote {} chip{} under {}, and {}\n", r.chips.size(), r.chips.size() == 1 ? "" : "s", o.job.out, r.corpus_json);
  return 0;
}

struct AugmentOptions {
  AugmentJob job;
  bool json = false;
};

int run_augment(const AugmentOptions& o) {
  const AugmentReport r = augment_to_folder(o.job);
  print_stats({r.before, r.after}, o.json);
  if (!o.json) fmt::print("wrote {}/netlist.pb.txt.gz and {}/initial.plc ({})\n", o.job.out, o.job.out, r.how);
  return 0;
}

}  // namespace

void add_generate(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate synthetic chips (a training corpus), or chips' statistics");
  cmd->add_option("--out", o->job.out, "Output folder: chip_0000/..., corpus.json");
  cmd->add_option("--count", o->job.count, "Chips to generate")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->job.seed, "Seed: the same seed and parameters give the same bytes");
  cmd->add_option("--preset", o->preset, "small, medium, ariane-like or mempool-like");
  cmd->add_option("--param", o->params, "key=value or key=lo:hi over the preset (--list names the keys)");
  cmd->add_option("--stats", o->stats, "Print the statistics of chip or corpus folders instead")->expected(1, -1);
  cmd->add_flag("--list", o->list, "List the presets and parameters");
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([o, &chosen] { chosen = [o] { return run_generate(*o); }; });

  auto a = std::make_shared<AugmentOptions>();
  CLI::App* aug = app.add_subcommand("augment", "Mirrored, tiled or rescaled copy of a chip");
  aug->add_option("--netlist", a->job.netlist, "Netlist")->required();
  aug->add_option("--plc", a->job.plc, "Placement (and parameters) to carry over")->required();
  aug->add_option("--out", a->job.out, "Output folder: netlist.pb.txt.gz and initial.plc")->required();
  aug->add_option("--mirror", a->job.mirror, "x, y or xy");
  aug->add_option("--tile", a->job.tile, "NxM copies side by side (2x1, 1x2, 2x2, ...)");
  aug->add_option("--bridges", a->job.bridges, "Nets joining each pair of neighbouring tiles");
  aug->add_option("--utilisation", a->job.utilisation, "Canvas rescaled to this macro-area utilisation");
  aug->add_option("--scale", a->job.scale, "Canvas scaled by this factor on both axes, sizes kept");
  aug->add_option("--seed", a->job.seed, "Seed of the bridges");
  aug->add_flag("--json", a->json, "Print JSON");
  aug->callback([a, &chosen] { chosen = [a] { return run_augment(*a); }; });
}

}  // namespace rlplace::tools
