// The quality leaderboard: placers (and placer + refiner pairs) at equal wall-clock budgets
// and thread counts on a list of chips, several seeds, written as markdown, CSV and JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace rlplace {

struct QualityChip {
  std::string label, netlist, plc;
};

struct QualityOptions {
  std::vector<QualityChip> chips;
  // Placers run alone, and placer + refiner pairs (searches are not paired with themselves).
  // Empty: every registered one; refiners {"none"}: no pairs.
  std::vector<std::string> placers, refiners;
  double seconds = 60;  // budget of a run: a search's own, or a placer's plus its refiner's
  int threads = 2;
  std::vector<uint64_t> seeds = {1, 2};
};

struct QualityRow {
  std::string chip, placer, refine;
  uint64_t seed = 0;
  double proxy = 0, wirelength = 0, density = 0, congestion = 0;
  bool legal = false;
  double seconds = 0;
  std::vector<std::pair<double, double>> trace;  // (seconds, best proxy so far)
};

// Runs every combination; `progress` sees each row as it is done. Placers that give the
// same result for every seed (greedy, legalize) run once per chip.
std::vector<QualityRow> run_quality(const QualityOptions& options,
                                    const std::function<void(const QualityRow&)>& progress = {});

// Writes DIR/quality.md (best, median and worst per chip and entry), quality.csv,
// quality.json, quality_curves.csv (every run's best proxy cost against seconds) and one
// time-to-quality picture per chip, quality_CHIP.svg.
void write_quality(const std::vector<QualityRow>& rows, const QualityOptions& options, const std::string& machine,
                   const std::string& dir);

}  // namespace rlplace
