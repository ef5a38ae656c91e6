#include "report/quality.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "placer/local_search.h"
#include "placer/registry.h"

namespace rlplace {

namespace {

using Clock = std::chrono::steady_clock;

struct LocalSearchResult {
  Placement placement;
  std::vector<std::pair<double, double>> trace;
};

bool is_search(const std::string& p) { return p == "sa" || p == "cd"; }
bool seeded(const std::string& p) { return p != "greedy" && p != "legalize"; }

// One registered placer's result, with its time-to-quality trace (the searches record
// theirs; any other placer gives one point, its result).
LocalSearchResult run_one(const PlaceRequest& req, const std::string& placer) {
  const auto t0 = Clock::now();
  SearchStats stats;
  PlaceOutcome out = placer == "sa"   ? place_sa(req, "input", &stats)
                     : placer == "cd" ? place_cd(req, "input", &stats)
                                      : placer_or_throw(placer).place(req);
  LocalSearchResult r;
  r.placement = std::move(out.placement);
  if (is_search(placer)) {
    r.trace = std::move(stats.trace);
  } else {
    Evaluator ev(req.design->netlist, req.design->params);
    ev.reset(r.placement);
    r.trace.emplace_back(std::chrono::duration<double>(Clock::now() - t0).count(), ev.costs().proxy_cost);
  }
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Best proxy cost against seconds, one polyline per run (the first seed of each entry),
// as a self-contained SVG: no drawing library needed.
void write_curves_svg(const std::string& path, const std::string& chip, const std::vector<const QualityRow*>& runs) {
  double tmax = 1, cmin = 1e300, cmax = -1e300;
  for (const QualityRow* r : runs)
    for (const auto& [t, c] : r->trace) {
      tmax = std::max(tmax, t);
      cmin = std::min(cmin, c);
      cmax = std::max(cmax, c);
    }
  if (!(cmax > cmin)) cmax = cmin + 1e-3;
  const double W = 720, H = 440, L = 70, R = 170, T = 30, B = 50;
  auto px = [&](double t) { return L + (W - L - R) * t / tmax; };
  auto py = [&](double c) { return T + (H - T - B) * (cmax - c) / (cmax - cmin); };
  static const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::ofstream svg(path);
  svg << fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
                     "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                     W, H);
  svg << fmt::format("<text x=\"{}\" y=\"18\">{}: best proxy cost against seconds</text>\n", L, chip);
  svg << fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/><line x1=\"{0}\" y1=\"{3}\" "
                     "x2=\"{0}\" y2=\"{1}\" stroke=\"black\"/>\n",
                     L, H - B, W - R, T);
  for (int k = 0; k <= 4; ++k) {
    const double t = tmax * k / 4, c = cmin + (cmax - cmin) * k / 4;
    svg << fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.0f}</text>\n", px(t), H - B + 16, t);
    svg << fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3f}</text>\n", L - 6, py(c) + 4, c);
  }
  svg << fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds</text>\n", (L + W - R) / 2, H - 12);
  int i = 0;
  for (const QualityRow* r : runs) {
    const char* colour = colours[i % 10];
    svg << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << colour << "\" points=\"";
    double best = 1e300;
    for (const auto& [t, c] : r->trace) {
      best = std::min(best, c);
      svg << fmt::format("{:.1f},{:.1f} ", px(t), py(best));
    }
    svg << "\"/>\n";
    svg << fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}{}</text>\n", W - R + 10, T + 16 * i, colour, r->placer,
                       r->refine.empty() ? "" : " + " + r->refine);
    ++i;
  }
  svg << "</svg>\n";
}

}  // namespace

std::vector<QualityRow> run_quality(const QualityOptions& o, const std::function<void(const QualityRow&)>& progress) {
  std::vector<QualityRow> rows;
  for (const QualityChip& chip : o.chips) {
    const Design d = load_design(chip.netlist, chip.plc);
    std::vector<std::pair<std::string, std::string>> entries;
    const std::vector<std::string> placers = o.placers.empty() ? placer_names() : o.placers;
    std::vector<std::string> refiners = o.refiners.empty() ? refiner_names() : o.refiners;
    if (std::find(refiners.begin(), refiners.end(), "none") != refiners.end()) refiners.clear();
    for (const std::string& p : placers) {
      placer_or_throw(p);
      entries.push_back({p, ""});
      for (const std::string& r : refiners)
        if (!r.empty() && p != r) entries.push_back({p, r});
    }
    for (const auto& [placer, refine] : entries)
      for (uint64_t seed : o.seeds) {
        if (!seeded(placer) && refine != "sa" && seed != o.seeds.front()) continue;
        const auto t0 = Clock::now();
        PlaceRequest req;
        req.design = &d;
        req.env.fd = default_fd_options(d.netlist);
        req.env.fd.threads = o.threads;
        req.seconds = o.seconds;
        req.threads = o.threads;
        req.seed = seed;
        LocalSearchResult first = run_one(req, placer);
        Placement p = std::move(first.placement);
        std::vector<std::pair<double, double>> trace = std::move(first.trace);
        if (!refine.empty()) {
          const double used = std::chrono::duration<double>(Clock::now() - t0).count();
          // What the placer left of the budget; a search placer spends all of it unless it
          // converged, so its refinement gets at least a tenth more.
          req.seconds = std::max({1.0, o.seconds - used, is_search(placer) ? o.seconds / 10 : 0.0});
          SearchStats stats;
          if (refine == "sa")
            refine_sa(req, p, &stats);
          else if (refine == "cd")
            refine_cd(req, p, &stats);
          else
            refiner_or_throw(refine).refine(req, p);
          const double best_before = trace.empty() ? stats.start_cost : trace.back().second;
          for (const auto& [t, c] : stats.trace) trace.emplace_back(used + t, std::min(best_before, c));
        }
        Evaluator ev(d.netlist, d.params);
        ev.reset(p);
        const Costs c = ev.costs();
        QualityRow row{chip.label, placer, refine, seed, c.proxy_cost, c.wirelength_cost, c.density_cost,
                       c.congestion_cost, ev.legality().legal(),
                       std::chrono::duration<double>(Clock::now() - t0).count(), std::move(trace)};
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
  std::ofstream curves(dir + "/quality_curves.csv");
  curves << "chip,placer,refine,seed,seconds,best_proxy\n";
  std::map<std::string, std::vector<const QualityRow*>> per_chip;
  std::map<std::tuple<std::string, std::string, std::string>, bool> drawn;
  for (const QualityRow& r : rows) {
    for (const auto& [t, c] : r.trace)
      curves << fmt::format("{},{},{},{},{:.3f},{:.6f}\n", r.chip, r.placer, r.refine, r.seed, t, c);
    if (!drawn[{r.chip, r.placer, r.refine}]) {
      drawn[{r.chip, r.placer, r.refine}] = true;
      per_chip[r.chip].push_back(&r);
    }
  }
  for (const auto& [chip, runs] : per_chip) write_curves_svg(dir + "/quality_" + chip + ".svg", chip, runs);
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
