// Side-by-side scores of several placements of one netlist: each as given, and with the
// soft macros re-placed by the same force-directed solver, so that only the hard macros
// differ (the fair comparison of hard-macro placers whose soft-macro steps differ).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cost/evaluator.h"
#include "cost/params.h"
#include "netlists/netlist.h"
#include "netlists/placement.h"
#include "placer/fd.h"

namespace rlplace {

struct Scores {
  Costs costs;
  LegalityReport legality;
};

Scores score(const Netlist& nl, const CostParams& params, const Placement& p);

struct ComparedPlacement {
  std::string label, plc;
  CostParams params;
  Placement given, replaced;
  Scores as_given, after_fd;
  double fd_ms = 0;
};

// Hard macros placed in both, between two placements.
struct Displacement {
  int a = 0, b = 0;  // indices into Comparison::placements
  int macros = 0;    // compared
  double mean = 0, max = 0;  // centre distance, microns
  int moved = 0;     // farther than 1e-6 um
  int turned = 0;    // orientation differs
};

struct Comparison {
  std::string netlist;
  std::vector<ComparedPlacement> placements;
  std::vector<Displacement> displacements;  // every pair a < b
  std::vector<std::string> pictures;        // file names written next to the reports
  std::string pictures_note;                // why there are none, when there are none
};

// Reads `plc_path` onto the netlist (load_design's steps, the netlist read once), scores it
// as given, then unfixes the soft macros and standard cells and runs `fd` from the file's
// positions with the hard macros where they are. Throws InputError.
ComparedPlacement compare_one(const Netlist& nl, const std::string& plc_path, const std::string& label,
                              const CostOverrides& overrides, const FdOptions& fd);

Displacement displacement(const Netlist& nl, const Placement& a, const Placement& b);
std::vector<Displacement> all_displacements(const Netlist& nl, const std::vector<ComparedPlacement>& placements);

// Keys as `rlplace eval --json` names them.
nlohmann::json scores_json(const Scores& s);
nlohmann::json report_json(const Comparison& c);
std::string report_markdown(const Comparison& c);
// One row per placement and mode ("given", "fd"); full precision.
std::string report_csv(const Comparison& c);
std::string displacement_csv(const Comparison& c);
// The table printed by `rlplace compare`.
std::string report_table(const Comparison& c);

}  // namespace rlplace
