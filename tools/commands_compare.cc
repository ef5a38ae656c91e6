// rlplace compare, plot and export: placements side by side, as pictures, and as other
// tools' commands. The work is in report/; this is the command line.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "report/compare.h"
#include "report/export.h"
#include "report/plot.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

Heatmap heatmap_flag(const std::string& s) {
  auto h = parse_heatmap(s);
  if (!h) throw InputError(fmt::format("--heatmap: unknown map '{}' (density, congestion-h, congestion-v, none)", s));
  return *h;
}

// FILE.png -> FILE.density.csv
std::string heatmap_csv_path(const std::string& picture, Heatmap h) {
  const std::filesystem::path p(picture);
  return (p.parent_path() / (p.stem().string() + "." + std::string(to_string(h)) + ".csv")).string();
}

void write_heatmap_csv(const std::string& path, const Evaluator& ev, Heatmap h) {
  const CostParams& params = ev.params();
  write_file_atomic(path, heatmap_csv(heatmap_values(ev, h), params.cols, params.rows));
}

// Labels name files in the output directory.
void check_label(const std::string& label) {
  if (label.empty()) throw InputError("--label: a label may not be empty");
  for (char ch : label)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
      throw InputError(fmt::format("--label '{}': use letters, digits, '-', '_' and '.' only (it names files)", label));
}

struct CompareOptions {
  std::string netlist, out, heatmap = "density";
  std::vector<std::string> plcs, labels;
  int width = 800, threads = 1;
  bool json = false;
  CostFlags cost;
};

int run_compare(const CompareOptions& o) {
  const Heatmap heat = heatmap_flag(o.heatmap);
  if (!o.labels.empty() && o.labels.size() != o.plcs.size())
    throw InputError(fmt::format("--label: {} labels for {} placements (give one per --plc, or none)",
                                 o.labels.size(), o.plcs.size()));
  std::vector<std::string> labels = o.labels;
  if (labels.empty())
    for (const auto& plc : o.plcs) labels.push_back(std::filesystem::path(plc).stem().string());
  std::set<std::string> seen;
  for (const auto& l : labels) {
    check_label(l);
    if (!seen.insert(l).second)
      throw InputError(fmt::format("--label: '{}' names two placements; give distinct --label values", l));
  }
  const CostOverrides overrides = o.cost.resolve();
  const Netlist nl = read_netlist(o.netlist);
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the output directory: {}", o.out, ec.message()));

  FdOptions fd = default_fd_options(nl);
  fd.threads = o.threads;
  Comparison c;
  c.netlist = o.netlist;
  for (size_t i = 0; i < o.plcs.size(); ++i) c.placements.push_back(compare_one(nl, o.plcs[i], labels[i], overrides, fd));
  c.displacements = all_displacements(nl, c.placements);

  const std::filesystem::path dir(o.out);
  std::vector<std::unique_ptr<Evaluator>> evs;
  for (const auto& p : c.placements) {
    evs.push_back(std::make_unique<Evaluator>(nl, p.params));
    evs.back()->reset(p.given);
  }
  if (heat != Heatmap::kNone)
    for (size_t i = 0; i < evs.size(); ++i)
      write_heatmap_csv((dir / (labels[i] + "." + std::string(to_string(heat)) + ".csv")).string(), *evs[i], heat);
  if (plot_available()) {
    PlotOptions po;
    po.width = o.width;
    po.heatmap = heat;
    // One colour scale for every picture, so that the same shade means the same value.
    if (heat != Heatmap::kNone) {
      double lo = 0, hi = 0;
      bool first = true;
      for (const auto& ev : evs)
        for (double v : heatmap_values(*ev, heat)) {
          lo = first ? v : std::min(lo, v);
          hi = first ? v : std::max(hi, v);
          first = false;
        }
      po.heat_min = lo;
      po.heat_max = hi;
    }
    std::vector<const Evaluator*> panels;
    std::vector<std::string> titles;
    for (size_t i = 0; i < evs.size(); ++i) {
      const auto& p = c.placements[i];
      po.title = fmt::format("{}: proxy {:.4f}", p.label, p.as_given.costs.proxy_cost);
      plot_placement((dir / (p.label + ".png")).string(), *evs[i], po);
      c.pictures.push_back(p.label + ".png");
      panels.push_back(evs[i].get());
      titles.push_back(po.title);
    }
    PlotOptions overview = po;
    overview.width = std::max(200, o.width / 2);
    plot_overview((dir / "overview.png").string(), panels, titles, overview);
    c.pictures.push_back("overview.png");
  } else {
    c.pictures_note = "No pictures: this rlplace was built without cairo (RLPLACE_WITH_CAIRO=OFF).";
  }

  write_file_atomic((dir / "report.md").string(), report_markdown(c));
  write_file_atomic((dir / "report.json").string(), report_json(c).dump(2) + "\n");
  write_file_atomic((dir / "report.csv").string(), report_csv(c));
  write_file_atomic((dir / "displacement.csv").string(), displacement_csv(c));

  if (o.json) {
    std::printf("%s\n", report_json(c).dump().c_str());
    return 0;
  }
  fmt::print("{}", report_table(c));
  fmt::print("\nwrote            {}/report.md, report.json, report.csv, displacement.csv\n", o.out);
  if (c.pictures.empty())
    fmt::print("pictures         {}\n", c.pictures_note);
  else
    fmt::print("pictures         {} in {}\n", fmt::join(c.pictures, ", "), o.out);
  return 0;
}

struct PlotCmdOptions {
  std::string netlist, plc, out, heatmap = "none", nets;
  int width = 800;
  CostFlags cost;
};

int run_plot(const PlotCmdOptions& o) {
  const Heatmap heat = heatmap_flag(o.heatmap);
  if (!plot_available())
    throw InputError(
        fmt::format("{}: cannot draw pictures: this rlplace was built without cairo (RLPLACE_WITH_CAIRO=OFF)", o.out));
  Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  PlotOptions po;
  po.width = o.width;
  po.heatmap = heat;
  po.title = std::filesystem::path(o.plc.empty() ? o.netlist : o.plc).filename().string();
  if (!o.nets.empty()) {
    po.nets_of = d.netlist.find(o.nets);
    if (po.nets_of < 0 || !is_macro(d.netlist.kind[po.nets_of]))
      throw InputError(fmt::format("{}: --nets: no macro named '{}'", o.netlist, o.nets));
  }
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  plot_placement(o.out, ev, po);
  fmt::print("wrote            {}\n", o.out);
  if (heat != Heatmap::kNone) {
    const std::string csv = heatmap_csv_path(o.out, heat);
    write_heatmap_csv(csv, ev, heat);
    fmt::print("wrote            {} ({} rows of {} cells, top row first)\n", csv, d.params.rows, d.params.cols);
  }
  return 0;
}

struct ExportCmdOptions {
  std::string netlist, plc, format, out, design;
  int dbu = 1000;
  CostFlags cost;
};

int run_export(const ExportCmdOptions& o) {
  const auto f = parse_export_format(o.format);
  if (!f) throw InputError(fmt::format("--format: unknown format '{}' (innovus, icc2, openroad, def)", o.format));
  Design d = load_design(o.netlist, o.plc, o.cost.resolve());
  ExportOptions eo;
  eo.dbu = o.dbu;
  eo.design = !o.design.empty() ? o.design : !d.netlist.block_name.empty() ? d.netlist.block_name : "top";
  write_file_atomic(o.out, export_macros(d.netlist, d.placement, d.params, *f, eo));
  fmt::print("wrote            {} ({} hard macros, {})\n", o.out, d.netlist.hard_macros.size(), o.format);
  return 0;
}

}  // namespace

void add_compare(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd =
      app.add_subcommand("compare", "Score placements side by side, as given and with the soft macros re-placed");
  cmd->add_option("--netlist", o->netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--plc", o->plcs, "A placement (.plc); repeat for each")->required();
  cmd->add_option("--label", o->labels, "Name of each placement, in --plc order (default: the file's stem)");
  cmd->add_option("--out", o->out, "Directory for report.md, report.json, report.csv and pictures")->required();
  cmd->add_option("--heatmap", o->heatmap, "Map under the pictures: density, congestion-h, congestion-v, none");
  cmd->add_option("--width", o->width, "Picture width, pixels (the overview's panels: half)")->check(CLI::Range(16, 20000));
  // One thread: the solver takes ~0.1 s on Ariane133 that way, and OpenMP's barriers cost
  // seconds on a machine whose cores are busy.
  cmd->add_option("--threads", o->threads, "Threads for the solver (default 1; 0: all cores)")
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
  cmd->add_option("--netlist", o->netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--plc", o->plc, "Placement (.plc); without it, the netlist's own positions");
  cmd->add_option("--out", o->out, "Picture, .png or .svg (a heatmap also writes FILE.MAP.csv)")->required();
  cmd->add_option("--heatmap", o->heatmap, "Map under the macros: density, congestion-h, congestion-v, none");
  cmd->add_option("--nets", o->nets, "Draw the nets of this macro");
  cmd->add_option("--width", o->width, "Picture width, pixels")->check(CLI::Range(16, 20000));
  cmd->add_option("--config", o->cost.config, "JSON file of cost parameters (beats the .plc header)");
  cmd->callback([o, &chosen] { chosen = [o] { return run_plot(*o); }; });
}

void add_export(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<ExportCmdOptions>();
  CLI::App* cmd = app.add_subcommand("export", "Hard-macro placement as Innovus, ICC2, OpenROAD or DEF commands");
  cmd->add_option("--netlist", o->netlist, "Netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--plc", o->plc, "Placement (.plc); without it, the netlist's own positions");
  cmd->add_option("--format", o->format, "innovus, icc2, openroad or def")->required();
  cmd->add_option("--out", o->out, "Output file, written atomically")->required();
  cmd->add_option("--dbu", o->dbu, "DEF database units per micron")->check(CLI::Range(1, 1000000));
  cmd->add_option("--design", o->design, "DEF DESIGN name (default: the netlist's block name, or top)");
  o->cost.add_to(*cmd);
  cmd->callback([o, &chosen] { chosen = [o] { return run_export(*o); }; });
}

}  // namespace rlplace::tools
