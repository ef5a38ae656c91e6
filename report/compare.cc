#include "report/compare.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "cost/costs_io.h"
#include "netlists/plc.h"

namespace rlplace {

Scores score(const Netlist& nl, const CostParams& params, const Placement& p) {
  Evaluator ev(nl, params);
  ev.reset(p);
  return {ev.costs(), ev.legality()};
}

ComparedPlacement compare_one(const Netlist& nl, const std::string& plc_path, const std::string& label,
                              const CostOverrides& overrides, const FdOptions& fd) {
  ComparedPlacement c;
  c.label = label;
  c.plc = plc_path;
  const PlcFile plc = read_plc(plc_path);
  c.given = Placement::from_netlist(nl);
  apply_plc(plc, nl, c.given);
  // A comparison of hard-macro placements needs every hard macro placed by the file; a file
  // that misses some was most likely written for another netlist.
  size_t listed = 0;
  for (const PlcEntry& e : plc.entries) listed += nl.kind[e.node] == NodeKind::kHardMacro;
  if (listed != nl.hard_macros.size())
    throw InputError(fmt::format("{}: places {} of the {} hard macros of {}; was it written for another netlist?",
                                 plc_path, listed, nl.hard_macros.size(), nl.source));
  c.params = resolve_params(nl, &plc, overrides);
  c.as_given = score(nl, c.params, c.given);

  c.replaced = c.given;
  // Every file gets the same solver, whatever its own flow pinned down.
  for (int32_t v : nl.soft_macros) c.replaced.fixed[v] = 0;
  for (int32_t v : nl.stdcells) c.replaced.fixed[v] = 0;
  FdOptions o = fd;
  o.use_current_loc = true;
  const auto t0 = std::chrono::steady_clock::now();
  place_soft(nl, c.params, c.replaced, o);
  c.fd_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  c.after_fd = score(nl, c.params, c.replaced);
  return c;
}

Displacement displacement(const Netlist& nl, const Placement& a, const Placement& b) {
  Displacement d;
  double sum = 0;
  for (int32_t m : nl.hard_macros) {
    if (!a.placed[m] || !b.placed[m]) continue;
    const double dist = std::hypot(a.x[m] - b.x[m], a.y[m] - b.y[m]);
    ++d.macros;
    sum += dist;
    d.max = std::max(d.max, dist);
    d.moved += dist > 1e-6;
    d.turned += a.orientation[m] != b.orientation[m];
  }
  d.mean = d.macros ? sum / d.macros : 0;
  return d;
}

std::vector<Displacement> all_displacements(const Netlist& nl, const std::vector<ComparedPlacement>& placements) {
  std::vector<Displacement> out;
  for (size_t i = 0; i < placements.size(); ++i)
    for (size_t j = i + 1; j < placements.size(); ++j) {
      Displacement d = displacement(nl, placements[i].given, placements[j].given);
      d.a = static_cast<int>(i);
      d.b = static_cast<int>(j);
      out.push_back(d);
    }
  return out;
}

nlohmann::json scores_json(const Scores& s) { return costs_to_json(s.costs, s.legality); }

nlohmann::json report_json(const Comparison& c) {
  nlohmann::json j;
  j["netlist"] = c.netlist;
  j["placements"] = nlohmann::json::array();
  for (const auto& p : c.placements) {
    nlohmann::json fd = scores_json(p.after_fd);
    fd["fd_ms"] = p.fd_ms;
    j["placements"].push_back({{"label", p.label},
                               {"plc", p.plc},
                               {"as_given", scores_json(p.as_given)},
                               {"soft_macros_replaced", fd},
                               {"params", params_to_json(p.params)}});
  }
  j["displacement"] = nlohmann::json::array();
  for (const auto& d : c.displacements)
    j["displacement"].push_back({{"a", c.placements[d.a].label},
                                 {"b", c.placements[d.b].label},
                                 {"hard_macros", d.macros},
                                 {"mean", d.mean},
                                 {"max", d.max},
                                 {"moved", d.moved},
                                 {"orientation_changes", d.turned}});
  j["pictures"] = c.pictures;
  if (!c.pictures_note.empty()) j["pictures_note"] = c.pictures_note;
  return j;
}

namespace {

std::string score_row_md(const std::string& label, const Scores& s) {
  const Costs& c = s.costs;
  const LegalityReport& l = s.legality;
  return fmt::format("| {} | {:.3f} | {:.6f} | {:.6f} | {:.6f} | {:.6f} | {} | {:.3f} | {} | {} |\n", label,
                     c.wirelength, c.wirelength_cost, c.density_cost, c.congestion_cost, c.proxy_cost,
                     l.overlap_count, l.overlap_area, l.out_of_canvas, l.legal() ? "yes" : "no");
}

const char* kScoreHeaderMd =
    "| placement | HPWL (um) | wirelength cost | density cost | congestion cost | proxy cost | overlapping pairs | "
    "overlap area (um2) | outside the canvas | legal |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string s = "\"";
  for (char ch : v) {
    if (ch == '"') s += '"';
    s += ch;
  }
  return s + "\"";
}

std::string score_row_csv(const ComparedPlacement& p, const char* mode, const Scores& s) {
  const Costs& c = s.costs;
  const LegalityReport& l = s.legality;
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", p.label, csv_field(p.plc), mode,
                     format_double(c.wirelength),
                     format_double(c.wirelength_cost), format_double(c.density_cost),
                     format_double(c.congestion_cost), format_double(c.proxy_cost), l.overlap_count,
                     format_double(l.overlap_area), l.out_of_canvas, l.on_blockage, l.legal() ? 1 : 0);
}

bool same_params(const CostParams& a, const CostParams& b) {
  for (const CostParamField& f : cost_param_fields())
    if (f.get(a) != f.get(b)) return false;
  return true;
}

}  // namespace

std::string report_markdown(const Comparison& c) {
  std::string s = fmt::format("# Placement comparison\n\nNetlist: `{}`\n\n", c.netlist);
  s += "| placement | file |\n|---|---|\n";
  for (const auto& p : c.placements) s += fmt::format("| {} | `{}` |\n", p.label, p.plc);
  for (size_t i = 1; i < c.placements.size(); ++i)
    if (!same_params(c.placements[i].params, c.placements[0].params)) {
      s += fmt::format("\nNote: `{}` and `{}` carry different cost parameters in their headers; each is scored "
                       "with its own.\n",
                       c.placements[0].label, c.placements[i].label);
      break;
    }
  s += "\n## As given\n\n";
  s += kScoreHeaderMd;
  for (const auto& p : c.placements) s += score_row_md(p.label, p.as_given);
  s += "\n## Soft macros re-placed by the force-directed solver\n\n"
       "Hard macros as given; soft macros and standard cells unfixed and moved by the same solver from "
       "each file's positions, so that only the hard-macro placements differ.\n\n";
  s += kScoreHeaderMd;
  for (const auto& p : c.placements) s += score_row_md(p.label, p.after_fd);
  if (!c.displacements.empty()) {
    s += "\n## Hard-macro displacement\n\nCentre distance between the placements, hard macros placed in both.\n\n"
         "| A | B | macros | mean (um) | max (um) | moved | orientation changes |\n"
         "|---|---|---:|---:|---:|---:|---:|\n";
    for (const auto& d : c.displacements)
      s += fmt::format("| {} | {} | {} | {:.3f} | {:.3f} | {} | {} |\n", c.placements[d.a].label,
                       c.placements[d.b].label, d.macros, d.mean, d.max, d.moved, d.turned);
  }
  s += "\n## Pictures\n\n";
  if (c.pictures.empty()) s += c.pictures_note + "\n";
  for (const auto& pic : c.pictures) s += fmt::format("![{}]({})\n", pic, pic);
  return s;
}

std::string report_csv(const Comparison& c) {
  std::string s =
      "label,plc,mode,wirelength,wirelength_cost,density_cost,congestion_cost,proxy_cost,overlap_count,"
      "overlap_area,out_of_canvas,on_blockage,legal\n";
  for (const auto& p : c.placements) {
    s += score_row_csv(p, "given", p.as_given);
    s += score_row_csv(p, "fd", p.after_fd);
  }
  return s;
}

std::string displacement_csv(const Comparison& c) {
  std::string s = "a,b,hard_macros,mean,max,moved,orientation_changes\n";
  for (const auto& d : c.displacements)
    s += fmt::format("{},{},{},{},{},{},{}\n", c.placements[d.a].label, c.placements[d.b].label, d.macros,
                     format_double(d.mean), format_double(d.max), d.moved, d.turned);
  return s;
}

std::string report_table(const Comparison& c) {
  size_t w = 9;
  for (const auto& p : c.placements) w = std::max(w, p.label.size());
  std::string s = fmt::format("{:<{}}  {:<5}  {:>14}  {:>9}  {:>9}  {:>10}  {:>9}  {:>8}  {:>12}\n", "placement", w,
                              "mode", "HPWL (um)", "wl cost", "density", "congestion", "proxy", "overlaps",
                              "overlap um2");
  for (const auto& p : c.placements)
    for (int fd = 0; fd < 2; ++fd) {
      const Scores& sc = fd ? p.after_fd : p.as_given;
      s += fmt::format("{:<{}}  {:<5}  {:>14.3f}  {:>9.6f}  {:>9.6f}  {:>10.6f}  {:>9.6f}  {:>8}  {:>12.3f}\n",
                       p.label, w, fd ? "fd" : "given", sc.costs.wirelength, sc.costs.wirelength_cost,
                       sc.costs.density_cost, sc.costs.congestion_cost, sc.costs.proxy_cost,
                       sc.legality.overlap_count, sc.legality.overlap_area);
    }
  if (!c.displacements.empty()) {
    s += "\nhard-macro displacement (um)\n";
    for (const auto& d : c.displacements)
      s += fmt::format("  {} -> {}: mean {:.3f}, max {:.3f}, {} of {} moved, {} turned\n", c.placements[d.a].label,
                       c.placements[d.b].label, d.mean, d.max, d.moved, d.macros, d.turned);
  }
  return s;
}

}  // namespace rlplace
