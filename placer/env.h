// The placement environment the policy drives: hard macros, largest first, one per step,
// each onto the centre of a feasible grid cell; at the end the force-directed solver places
// the soft macros and standard cells and the episode's cost is computed.
#pragma once

#include <cstdint>
#include <vector>

#include "cost/evaluator.h"
#include "placer/cost_map.h"
#include "placer/fd.h"
#include "placer/mask.h"

namespace rlplace {

struct EnvOptions {
  double macro_spacing = 0;  // extra clearance between hard macros, microns
  bool run_fd = true;        // place soft macros and standard cells at the end
  FdOptions fd;
  // Reward = -(weighted cost), Circuit Training's training weights by default.
  CostWeights reward_weights = kTrainingRewardWeights;
  double infeasible_reward = -4.0;
};

// Hard macros that are not fixed, by area descending; ties keep node order.
std::vector<int32_t> placement_order(const Netlist& nl, const Placement& placement);

class PlacementEnv {
 public:
  // `start` supplies the positions of everything the episode does not place: fixed hard
  // macros, ports, and the soft macros and standard cells before the solver runs.
  PlacementEnv(const Netlist& nl, const CostParams& params, const Placement& start, const EnvOptions& options = {});

  // Unplaces every macro of the order and computes the first mask.
  void reset();

  const std::vector<int32_t>& order() const { return order_; }
  int step_index() const { return step_; }
  bool done() const { return step_ == static_cast<int>(order_.size()) || infeasible_; }
  // The episode ended because the current macro had no feasible cell.
  bool infeasible() const { return infeasible_; }
  // The macro to place now; -1 once done.
  int32_t current() const { return done() ? -1 : order_[step_]; }
  // Feasible cells for current(), row-major from the bottom-left; all zero once done.
  const std::vector<uint8_t>& mask() const { return mask_; }
  int feasible_count() const { return feasible_; }

  // Places current() on the centre of `cell`. Throws std::invalid_argument for a cell the
  // mask rules out.
  void step(int cell);

  // Runs the solver (if enabled) and returns the full costs of the final placement. Call
  // once done() and not infeasible().
  Costs finish();
  double reward(const Costs& c) const;

  // What placing current() on each cell would do to the cost (placer/cost_map.h):
  // kCostMapChannels maps of rows x cols, the first `channels` of them computed and the
  // rest zero; all zero once done.
  void cost_maps(std::vector<float>& out, int channels = kCostMapChannels) const;

  const CellMask& cells() const { return cells_; }
  const Placement& placement() const { return evaluator_.placement(); }
  // For placers that score candidate cells: anything changed must be undone before step().
  Evaluator& evaluator() { return evaluator_; }
  const Evaluator& evaluator() const { return evaluator_; }
  const CostParams& params() const { return params_; }

 private:
  void update_mask();

  const Netlist& nl_;
  CostParams params_;
  EnvOptions options_;
  Placement start_;
  std::vector<int32_t> order_;
  CellMask cells_;
  Evaluator evaluator_;
  CostMapper cost_mapper_;
  std::vector<uint8_t> mask_;
  int feasible_ = 0;
  int step_ = 0;
  bool infeasible_ = false;
};

}  // namespace rlplace
