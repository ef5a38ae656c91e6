// What putting the macro of the current step on each grid cell would do to the cost, as
// maps a policy can read beside the graph (in the spirit of MaskPlace's and WireMask-BBO's
// wire masks). With them the policy ranks visible consequences instead of recalling where
// a chip's macros went, which is also what can carry over to a chip it never saw.
//
// Channels, each rows x cols, row-major from the bottom-left, channel after channel:
//   0  wirelength: the increase of the weighted HPWL of the macro's nets (over their pins
//      already placed) with the macro's centre on the cell, scaled to [0, 1] over the
//      feasible cells (0: the best feasible cell, 1: the worst and every infeasible cell);
//   1  density: the mean density of the grid cells the macro would cover;
//   2  congestion: the mean of the H and V routing congestion over those cells;
//   3  proxy: the exact proxy cost of the partial placement with the macro on the cell,
//      scaled like channel 0 (0 on the greedy placer's cell). Channels 0-2 are cheap parts
//      of it; this one is what the greedy placer ranks by, so that a policy adding it to
//      its logits starts out as the greedy placer and learns where to depart from it.
// Density and congestion are the evaluator's own per-cell values, clipped to [0, 4].
#pragma once

#include <cstdint>
#include <vector>

#include "cost/evaluator.h"
#include "placer/mask.h"

namespace rlplace {

inline constexpr int kCostMapChannels = 4;
inline constexpr int kProxyChannel = 3;

// The proxy cost of the evaluator's placement with `macro` (not placed) on the centre of each
// feasible cell (+infinity elsewhere), through Evaluator::proxy_at.
void proxy_on_cells(const Evaluator& ev, const CellMask& cells, int32_t macro, const std::vector<uint8_t>& mask,
                    std::vector<double>& out);

class CostMapper {
 public:
  // Precomputes the nets of each macro in `macros` and its pins' offsets on them.
  CostMapper(const Netlist& nl, const std::vector<int32_t>& macros);

  // The maps for `macro` (one of the constructor's) from the evaluator's placement, with
  // `mask` the macro's feasible cells. `out` is resized to kCostMapChannels * cells.
  // Computes the first `channels` maps and leaves the others zero: the proxy map costs
  // Evaluator::proxy_at over the feasible cells (the greedy placer's step), the others a pass
  // over the macro's nets.
  void compute(const Evaluator& ev, const CellMask& cells, int32_t macro, const std::vector<uint8_t>& mask,
               std::vector<float>& out, int channels = kCostMapChannels) const;

 private:
  struct MacroNet {
    int32_t net;
    int32_t pin_begin, pin_end;  // the macro's pins on the net, in pins_
  };
  const Netlist& nl_;
  std::vector<int32_t> slot_of_;  // netlist node -> index into begin_, or -1
  std::vector<int32_t> begin_;    // CSR over the constructor's macros into nets_
  std::vector<MacroNet> nets_;
  std::vector<int32_t> pins_;
  mutable std::vector<double> dx_, dy_, proxy_;
};

}  // namespace rlplace
