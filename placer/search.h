// Pieces shared by the local searches over hard macros (annealing, coordinate descent):
// a legality board that answers "may this macro sit here" in O(macros) with the same
// floating-point tests as Evaluator::legality() and CellMask, starting placements, and the
// soft-macro re-placement step that keeps whichever of the solver's results measures best.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cost/evaluator.h"
#include "placer/fd.h"

namespace rlplace {

// The hard macros as boxes. Movable macros (not fixed, placed) can be moved on the board
// and tested against everything else; fixed placed macros are obstacles.
class MacroBoard {
 public:
  MacroBoard(const Netlist& nl, const CostParams& params, const Placement& p, double spacing = 0);

  const std::vector<int32_t>& movable() const { return movable_; }
  // Index into movable() of a node, -1 if it is not movable.
  int index_of(int32_t node) const { return index_[node]; }
  double x(int i) const { return x_[i]; }
  double y(int i) const { return y_[i]; }
  void set(int i, double x, double y) {
    x_[i] = x;
    y_[i] = y;
  }
  // Movable macro i where it is now: inside the canvas, off rate-1 blockages, clear (plus
  // spacing) of every other hard macro.
  bool legal(int i) const;
  // As legal(i) but with macro i at (x, y); the board is not changed.
  bool fits(int i, double x, double y) const;

  int cols() const { return cols_; }
  int rows() const { return rows_; }
  double cell_x(int col) const { return (col + 0.5) * gw_; }
  double cell_y(int row) const { return (row + 0.5) * gh_; }
  int col_of(double x) const;
  int row_of(double y) const;

 private:
  bool inside(int i, double x, double y) const;
  CostParams params_;
  double spacing_, tol_, gw_, gh_;
  int cols_, rows_;
  std::vector<int32_t> movable_, index_;
  std::vector<double> x_, y_, hw_, hh_;          // movable
  std::vector<double> fx_, fy_, fhw_, fhh_;      // fixed obstacles
};

// Orientations that keep a macro's footprint (the legality rules use the netlist's width
// and height whatever the orientation).
inline constexpr Orientation kFootprintOrientations[4] = {Orientation::N, Orientation::FN, Orientation::S,
                                                          Orientation::FS};

// Starting hard-macro placements; soft macros and standard cells are left where `p` has
// them. All put every movable hard macro on a legal grid-cell centre, or throw InputError.
//   input   the input's positions, legalized with the least movement
//   greedy  the greedy placer (each macro, largest first, on its cheapest feasible cell)
//   spiral  largest first along the canvas edge, ring by ring inwards
void start_placement(const std::string& how, const Netlist& nl, const CostParams& params, Placement& p,
                     double spacing = 0);

// A soft macro's or cell's centre coordinate kept as the solver keeps it: the box of half side
// `half` inside [0, side], or the middle where the box is wider than the side.
inline double keep_on_canvas(double v, double half, double side) {
  return half * 2 >= side ? side / 2 : std::clamp(v, half, side - half);
}

// Soft macros re-placed by the force-directed solver from the evaluator's placement: from
// the canvas centre (cold), from their current positions (warm), or both. The evaluator
// ends on the best of {as it was, each tried result}; returns its proxy cost. `tried` and
// `kept_warm`/`kept_cold` count what happened, for reports.
struct SoftStats {
  int tried = 0, kept_warm = 0, kept_cold = 0;
  double seconds = 0;
};
double replace_soft(const Netlist& nl, const CostParams& params, Evaluator& ev, const FdOptions& fd, bool warm,
                    bool cold, SoftStats& stats);

// Each movable soft macro and standard cell, one at a time, put where the exact proxy cost is
// lowest among its place now and a few points of the box where its nets' wirelength is least
// (the weighted median of the nets' bounding-box edges in x and in y: its corners, centre, and
// its point nearest the node); at most `passes` passes over them, stopping after a pass that
// moves nothing. The solver balances springs against repulsion and lands near that box, not
// in it, and its result moves with its start: where few nodes are free this leaves cost on the
// table that annealing's random soft moves do not recover (docs/quality.md). The evaluator
// ends on the polished placement, evaluated afresh, or on the one it had where that is not
// lower; returns the proxy cost. `seconds` > 0 stops it at that wall-clock time (checked
// between nodes), for callers with a budget.
struct PolishStats {
  int passes = 0, moved = 0;
  bool stopped = false;  // by `seconds`
  double before = 0, after = 0, seconds = 0;
};
double polish_soft(const Netlist& nl, const CostParams& params, Evaluator& ev, int passes, double seconds = 0,
                   PolishStats* stats = nullptr);

// How a search ends with polish_soft: at most `passes` passes (0: none) and, under a budget of
// S seconds, at most share * S of wall clock beyond it (a pass over a flat netlist's 200K cells
// takes seconds; over a clustered one's soft macros, a fraction of one).
struct PolishOptions {
  int passes = 3;
  double share = 0.05;
};

}  // namespace rlplace
