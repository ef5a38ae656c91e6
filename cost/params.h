// The parameters of the proxy cost: their one definition, their valid ranges, where each
// comes from, and their JSON and .plc forms. Every reader, flag and writer goes through
// the field table below, so a value one accepts the others accept too.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "netlists/netlist.h"
#include "netlists/plc.h"

namespace rlplace {

// How the three costs combine into one number. The proxy cost uses Google's flow's and the
// TILOS studies' weights; Circuit Training's training reward counts density fully.
struct CostWeights {
  double wirelength = 1.0, density = 0.5, congestion = 0.5;
  double combine(double wirelength_cost, double density_cost, double congestion_cost) const {
    return wirelength * wirelength_cost + density * density_cost + congestion * congestion_cost;
  }
  bool operator==(const CostWeights&) const = default;
};
inline constexpr CostWeights kProxyWeights{1.0, 0.5, 0.5};
inline constexpr CostWeights kTrainingRewardWeights{1.0, 1.0, 0.5};

struct CostParams {
  double width = 0, height = 0;  // canvas, microns
  int cols = 10, rows = 10;      // placement grid
  double h_routes_per_micron = 70.33, v_routes_per_micron = 74.51;
  double h_macro_alloc = 51.79, v_macro_alloc = 51.79;
  double smoothing = 2;  // range k = floor(smoothing)
  double overlap_threshold = 0.004;
  CostWeights weights = kProxyWeights;
  std::vector<Blockage> blockages;

  int smoothing_range() const { return static_cast<int>(smoothing); }
  double cell_width() const { return width / cols; }
  double cell_height() const { return height / rows; }
};

// One scalar parameter: its key (in JSON and config files; the flag is --key with '-' for
// '_'), its meaning, and the values it may take. The limits keep every cost finite:
// docs/formats.md states them.
struct CostParamField {
  std::string_view key;
  std::string_view help;
  bool integral;
  double min, max;  // inclusive, except that a positive quantity (min_open) excludes min
  bool min_open;
  double (*get)(const CostParams&);
  void (*set)(CostParams&, double);
};
inline constexpr size_t kCostParamCount = 13;
const std::array<CostParamField, kCostParamCount>& cost_param_fields();

// Throws InputError "WHERE: KEY VALUE is ..." unless `value` is valid for `field`.
void check_param(const CostParamField& field, double value, const std::string& where);

// The values one source gives (flags, a config file, a .plc header); the rest unset.
class CostOverrides {
 public:
  // Checks the value (check_param) and sets it. Throws std::invalid_argument for an
  // unknown key.
  CostOverrides& set(std::string_view key, double value, const std::string& where = "override");
  std::optional<double> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  std::optional<std::vector<Blockage>> blockages;
  // Takes from `lower` what this one does not give.
  CostOverrides& fill_from(const CostOverrides& lower);
  void apply_to(CostParams& params) const;

 private:
  std::array<std::optional<double>, kCostParamCount> values_;
};

// Precedence: overrides, then the .plc header, then the netlist header, then defaults
// (canvas: a square of 60% utilisation). Throws InputError for values that make no sense,
// alone or together (validate_params).
CostParams resolve_params(const Netlist& nl, const PlcFile* plc, const CostOverrides& overrides = {});
// Every field in range and a grid of cells no smaller than kMinCellSize. `where` names the
// source in the message.
void validate_params(const CostParams& params, const std::string& where);
inline constexpr double kMinCellSize = 1e-3;  // microns

// The parameters a .plc header gives, read from its lines; InputError names the file and
// line of a parameter line that does not parse or is out of range.
CostOverrides params_from_plc(const PlcFile& plc);
// The header that records `params` in a .plc file, read back exactly by params_from_plc.
PlcHeader to_plc_header(const CostParams& params, const std::string& block_name = "");

// Every field by its key, and the blockages; params_from_json reads this back.
nlohmann::json params_to_json(const CostParams& params);
// A JSON object of any of the keys (unknown keys are errors); `where` names the file.
CostOverrides params_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace rlplace
