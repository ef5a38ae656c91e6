#include "report/quality.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "placer/env.h"
#include "placer/legalizer.h"
#include "placer/local_search.h"
#include "placer/placers.h"

namespace rlplace {

namespace {

using Clock = std::chrono::steady_clock;

bool is_search(const std::string& p) { return p == "sa" || p == "cd"; }
bool seeded(const std::string& p) { return p != "greedy" && p != "legalize"; }

// One placer's result with the soft macros placed, as `rlplace place` computes it.
Placement run_one(const Design& d, const std::string& placer, const LocalSearchRequest& req) {
  const Netlist& nl = d.netlist;
  if (is_search(placer)) return run_search_placer(placer, nl, d.params, d.placement, req).placement;
  EnvOptions eo;
  eo.macro_spacing = req.spacing;
  eo.fd = default_fd_options(nl);
  eo.fd.threads = 1;
  Placement start = d.placement;
  if (placer == "legalize") {
    legalize_hard_macros(nl, d.params, start, req.spacing);
    for (int32_t m : nl.hard_macros) start.fixed[m] = 1;
  }
  PlacementEnv env(nl, d.params, start, eo);
  if (placer != "legalize") {
    PlacerOptions po;
    po.seed = req.seed;
    run_placer(placer, env, po);
  }
  env.finish();
  Placement p = env.placement();
  p.fixed = d.placement.fixed;
  return p;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::vector<QualityRow> run_quality(const QualityOptions& o, const std::function<void(const QualityRow&)>& progress) {
  std::vector<QualityRow> rows;
  for (const QualityChip& chip : o.chips) {
    const Design d = load_design(chip.netlist, chip.plc);
    std::vector<std::pair<std::string, std::string>> entries;
    for (const std::string& p : o.placers) {
      entries.push_back({p, ""});
      for (const std::string& r : o.refiners)
        if (!r.empty() && p != r) entries.push_back({p, r});
    }
    for (const auto& [placer, refine] : entries)
      for (uint64_t seed : o.seeds) {
        if (!seeded(placer) && refine != "sa" && seed != o.seeds.front()) continue;
        const auto t0 = Clock::now();
        LocalSearchRequest req;
        req.seconds = o.seconds;
        req.threads = o.threads;
        req.seed = seed;
        Placement p = run_one(d, placer, req);
        if (!refine.empty()) {
          const double used = std::chrono::duration<double>(Clock::now() - t0).count();
          // What the placer left of the budget; a search placer spends all of it unless it
          // converged, so its refinement gets at least a tenth more.
          req.seconds = std::max({1.0, o.seconds - used, is_search(placer) ? o.seconds / 10 : 0.0});
          p = run_refiner(refine, d.netlist, d.params, p, req).placement;
        }
        Evaluator ev(d.netlist, d.params);
        ev.reset(p);
        const Costs c = ev.costs();
        QualityRow row{chip.label, placer, refine, seed, c.proxy_cost, c.wirelength_cost, c.density_cost,
                       c.congestion_cost, ev.legality().legal(),
                       std::chrono::duration<double>(Clock::now() - t0).count()};
        rows.push_back(row);
        if (progress) progress(row);
      }
  }
  return rows;
}

void write_quality(const std::vector<QualityRow>& rows, const QualityOptions& o, const std::string& machine,
                   const std::string& dir) {
  std::filesystem::create_directories(dir);
  nlohmann::json j = {{"machine", machine}, {"seconds", o.seconds}, {"threads", o.threads}, {"runs", nlohmann::json::array()}};
  std::ofstream csv(dir + "/quality.csv");
  csv << "chip,placer,refine,seed,proxy,wirelength,density,congestion,legal,seconds\n";
  for (const QualityRow& r : rows) {
    csv << fmt::format("{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{},{:.2f}\n", r.chip, r.placer, r.refine, r.seed,
                       r.proxy, r.wirelength, r.density, r.congestion, r.legal ? 1 : 0, r.seconds);
    j["runs"].push_back({{"chip", r.chip}, {"placer", r.placer}, {"refine", r.refine}, {"seed", r.seed},
                         {"proxy", r.proxy}, {"wirelength", r.wirelength}, {"density", r.density},
                         {"congestion", r.congestion}, {"legal", r.legal}, {"seconds", r.seconds}});
  }
  std::ofstream(dir + "/quality.json") << j.dump(1) << "\n";
  std::ofstream md(dir + "/quality.md");
  md << fmt::format("Budget {} s per run, {} threads; machine: {}.\n\n", o.seconds, o.threads, machine);
  md << "| chip | placer | refine | runs | best proxy | median | worst | all legal | mean seconds |\n";
  md << "|---|---|---|---|---|---|---|---|---|\n";
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const QualityRow*>> groups;
  std::vector<std::tuple<std::string, std::string, std::string>> order;
  for (const QualityRow& r : rows) {
    auto key = std::make_tuple(r.chip, r.placer, r.refine);
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  for (const auto& key : order) {
    const auto& g = groups[key];
    std::vector<double> v;
    bool legal = true;
    double secs = 0;
    for (const QualityRow* r : g) {
      v.push_back(r->proxy);
      legal &= r->legal;
      secs += r->seconds;
    }
    md << fmt::format("| {} | {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {} | {:.1f} |\n", std::get<0>(key),
                      std::get<1>(key), std::get<2>(key).empty() ? "-" : std::get<2>(key), g.size(),
                      *std::min_element(v.begin(), v.end()), median(v), *std::max_element(v.begin(), v.end()),
                      legal ? "yes" : "NO", secs / g.size());
  }
}

}  // namespace rlplace
