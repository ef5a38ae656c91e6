#include "report/jobs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "report/heatmap.h"
#include "report/plot.h"

namespace rlplace {

namespace {

Heatmap heatmap_named(const std::string& s) {
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

std::vector<std::string> labels_of(const CompareJob& job) {
  if (!job.labels.empty() && job.labels.size() != job.plcs.size())
    throw InputError(fmt::format("--label: {} labels for {} placements (give one per --plc, or none)",
                                 job.labels.size(), job.plcs.size()));
  std::vector<std::string> labels = job.labels;
  if (labels.empty())
    for (const auto& plc : job.plcs) labels.push_back(std::filesystem::path(plc).stem().string());
  std::set<std::string> seen;
  for (const auto& l : labels) {
    check_label(l);
    if (!seen.insert(l).second)
      throw InputError(fmt::format("--label: '{}' names two placements; give distinct --label values", l));
  }
  return labels;
}

// One picture per placement and an overview, on one colour scale so that the same shade
// means the same value.
void draw_comparison(const std::filesystem::path& dir, Comparison& c,
                     const std::vector<std::unique_ptr<Evaluator>>& evs, Heatmap heat, int width) {
  PlotOptions po;
  po.width = width;
  po.heatmap = heat;
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
  overview.width = std::max(200, width / 2);
  plot_overview((dir / "overview.png").string(), panels, titles, overview);
  c.pictures.push_back("overview.png");
}

}  // namespace

Comparison compare_to_folder(const CompareJob& job) {
  const Heatmap heat = heatmap_named(job.heatmap);
  const std::vector<std::string> labels = labels_of(job);
  const Netlist nl = read_netlist(job.netlist);
  std::error_code ec;
  std::filesystem::create_directories(job.out, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the output directory: {}", job.out, ec.message()));

  FdOptions fd = default_fd_options(nl);
  fd.threads = job.threads;
  Comparison c;
  c.netlist = job.netlist;
  for (size_t i = 0; i < job.plcs.size(); ++i)
    c.placements.push_back(compare_one(nl, job.plcs[i], labels[i], job.cost, fd));
  c.displacements = all_displacements(nl, c.placements);

  const std::filesystem::path dir(job.out);
  std::vector<std::unique_ptr<Evaluator>> evs;
  for (const auto& p : c.placements) {
    evs.push_back(std::make_unique<Evaluator>(nl, p.params));
    evs.back()->reset(p.given);
  }
  if (heat != Heatmap::kNone)
    for (size_t i = 0; i < evs.size(); ++i)
      write_heatmap_csv((dir / (labels[i] + "." + std::string(to_string(heat)) + ".csv")).string(), *evs[i], heat);
  if (plot_available())
    draw_comparison(dir, c, evs, heat, job.width);
  else
    c.pictures_note = "No pictures: this rlplace was built without cairo (RLPLACE_WITH_CAIRO=OFF).";

  write_file_atomic((dir / "report.md").string(), report_markdown(c));
  write_file_atomic((dir / "report.json").string(), report_json(c).dump(2) + "\n");
  write_file_atomic((dir / "report.csv").string(), report_csv(c));
  write_file_atomic((dir / "displacement.csv").string(), displacement_csv(c));
  return c;
}

std::string plot_to_file(const PlotJob& job) {
  const Heatmap heat = heatmap_named(job.heatmap);
  if (!plot_available())
    throw InputError(
        fmt::format("{}: cannot draw pictures: this rlplace was built without cairo (RLPLACE_WITH_CAIRO=OFF)", job.out));
  const Design d = load_design(job.netlist, job.plc, job.cost);
  PlotOptions po;
  po.width = job.width;
  po.heatmap = heat;
  po.title = std::filesystem::path(job.plc.empty() ? job.netlist : job.plc).filename().string();
  if (!job.nets.empty()) {
    po.nets_of = d.netlist.find(job.nets);
    if (po.nets_of < 0 || !is_macro(d.netlist.kind[po.nets_of]))
      throw InputError(fmt::format("{}: --nets: no macro named '{}'", job.netlist, job.nets));
  }
  Evaluator ev(d.netlist, d.params);
  ev.reset(d.placement);
  plot_placement(job.out, ev, po);
  if (heat == Heatmap::kNone) return "";
  const std::string csv = heatmap_csv_path(job.out, heat);
  write_heatmap_csv(csv, ev, heat);
  return csv;
}

size_t export_to_file(const ExportJob& job) {
  const auto f = parse_export_format(job.format);
  if (!f) throw InputError(fmt::format("--format: unknown format '{}' (innovus, icc2, openroad, def)", job.format));
  const Design d = load_design(job.netlist, job.plc, job.cost);
  ExportOptions eo;
  eo.dbu = job.dbu;
  eo.design = !job.design.empty() ? job.design : !d.netlist.block_name.empty() ? d.netlist.block_name : "top";
  write_file_atomic(job.out, export_macros(d.netlist, d.placement, d.params, *f, eo));
  return d.netlist.hard_macros.size();
}

}  // namespace rlplace
