// rlplace compare, plot and export: placements side by side, as pictures, and as other
// tools' commands. The work is in report/; this is the command line.
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/jobs.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct CompareOptions {
  CompareJob job;
  bool json = false;
  CostFlags cost;
};

int run_compare(CompareOptions& o) {
  o.job.cost = o.cost.resolve();
  const Comparison c = compare_to_folder(o.job);
  if (o.json) {
    std::printf("%s\n", report_json(c).dump().c_str());
    return 0;
  }
  fmt::print("{}", report_table(c));
  fmt::print("\nwrote            {}/report.md, report.json, report.csv, displacement.csv\n", o.job.out);
  if (c.pictures.empty())
    fmt::print("pictures         {}\n", c.pictures_note);
  else
    fmt::print("pictures         {} in {}\n", fmt::join(c.pictures, ", "), o.job.out);
  return 0;
}

struct PlotCmdOptions {
  PlotJob job;
  CostFlags cost;
};

int run_plot(PlotCmdOptions& o) {
  o.job.cost = o.cost.resolve();
  const std::string csv = plot_to_file(o.job);
  fmt::print("wrote            {}\n", o.job.out);
  if (!csv.empty()) fmt::print("wrote            {} (the map's values, top row first)\n", csv);
  return 0;
}

struct ExportCmdOptions {
  ExportJob job;
  CostFlags cost;
};

int run_export(ExportCmdOptions& o) {
  o.job.cost = o.cost.resolve();
  const size_t n = export_to_file(o.job);
  fmt::print("wrote            {} ({} hard macros, {})\n", o.job.out, n, o.job.format);
  return 0;
}

}  // namespace

void add_compare(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd =
      app.add_subcommand("compare", "Score placements side by side, as given and with the soft macros re-placed");
  cmd->add_option("--netlist", o->job.netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--plc", o->job.plcs, "A placement (.plc); repeat for each")->required();
  cmd->add_option("--label", o->job.labels, "Name of each placement, in --plc order (default: the file's stem)");
  cmd->add_option("--out", o->job.out, "Directory for report.md, report.json, report.csv and pictures")->required();
  cmd->add_option("--heatmap", o->job.heatmap, "Map under the pictures: density, congestion-h, congestion-v, none");
  cmd->add_option("--width", o->job.width, "Picture width, pixels (the overview's panels: half)")->check(CLI::Range(16, 20000));
  // One thread: the solver takes ~0.1 s on Ariane133 that way, and OpenMP's barriers cost
  // seconds on a machine whose cores are busy.
  cmd->add_option("--threads", o->job.threads, "Threads for the solver (default 1; 0: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", o->json, "Print report.json on one line instead of the table");
  // --width is the picture's here, so cost parameters other than each file's come from a
  // config file only.
  cmd->add_option("--config", o->cost.config, "JSON file of cost parameters (beats every .plc header)");
  cmd->callback([o, &chosen] { chosen = [o] { return run_compare(*o); }; });
}

void add_plot(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<PlotCmdOptions>();
  CLI::App* cmd = app.add_subcommand("plot", "Draw a placement (PNG or SVG)");
  cmd->add_option("--netlist", o->job.netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--plc", o->job.plc, "Placement (.plc); without it, the netlist's own positions");
  cmd->add_option("--out", o->job.out, "Picture, .png or .svg (a heatmap also writes FILE.MAP.csv)")->required();
  cmd->add_option("--heatmap", o->job.heatmap, "Map under the macros: density, congestion-h, congestion-v, none");
  cmd->add_option("--nets", o->job.nets, "Draw the nets of this macro");
  cmd->add_option("--width", o->job.width, "Picture width, pixels")->check(CLI::Range(16, 20000));
  cmd->add_option("--config", o->cost.config, "JSON file of cost parameters (beats the .plc header)");
  cmd->callback([o, &chosen] { chosen = [o] { return run_plot(*o); }; });
}

void add_export(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<ExportCmdOptions>();
  CLI::App* cmd = app.add_subcommand("export", "Hard-macro placement as Innovus, ICC2, OpenROAD or DEF commands");
  cmd->add_option("--netlist", o->job.netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--plc", o->job.plc, "Placement (.plc); without it, the netlist's own positions");
  cmd->add_option("--format", o->job.format, "innovus, icc2, openroad or def")->required();
  cmd->add_option("--out", o->job.out, "Output file, written atomically")->required();
  cmd->add_option("--dbu", o->job.dbu, "DEF database units per micron")->check(CLI::Range(1, 1000000));
  cmd->add_option("--design", o->job.design, "DEF DESIGN name (default: the netlist's block name, or top)");
  o->cost.add_to(*cmd);
  cmd->callback([o, &chosen] { chosen = [o] { return run_export(*o); }; });
}

}  // namespace rlplace::tools
