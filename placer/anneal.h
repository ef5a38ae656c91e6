// Simulated annealing over the hard macros on the exact incremental proxy cost.
//
// Every action moves one to three movable hard macros between grid-cell centres (or flips
// one), is checked against the legality rules first (an illegal proposal is counted and
// dropped, the placement never leaves legality), is scored by the evaluator's incremental
// update, and is undone exactly when the Metropolis test rejects it. The soft macros are
// re-placed by the force-directed solver every `fd_every` actions, keeping the solver's
// result only where it lowers the cost, so the cost the chain sees is always the proxy
// cost of a whole placement and the best one met is what is returned.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cost/evaluator.h"
#include <array>
#include <random>

#include "placer/fd.h"
#include "placer/search.h"

namespace rlplace {

struct AnnealOptions {
  // Budget: `moves` actions per chain when > 0 (reproducible bit for bit for a seed and a
  // thread count), else `seconds` of wall clock.
  int64_t moves = 0;
  double seconds = 10;
  int threads = 1;  // chains run in parallel
  uint64_t seed = 1;
  double spacing = 0;

  // Relative weights of the actions.
  double w_swap = 0.15, w_shift = 0.3, w_flip = 0.05, w_move = 0.05, w_window = 0.4, w_shuffle = 0.05;
  // A soft macro moved by up to the window radius (no legality to keep: soft macros may
  // overlap anything), between the solver's calls. On Ariane133 (1M actions, one chain)
  // weight 0 gave 0.672 to 0.679, 0.3 gave 0.651, 1 gave 0.646, 3 gave 0.648.
  double w_soft = 1;
  double soft_radius = 0.2;  // times the hard macros' window radius; 1M actions: 1 gave 0.646, 0.3 0.644, 0.1 0.642

  // Temperature: the first is set so that an average uphill step of the first actions is
  // accepted with probability `accept_start`; the last is `end_ratio` times the first;
  // geometric between. (Uphill steps shrink as the placement improves and the moves get
  // shorter, so an end set by the starting steps' acceptance would stay far too hot.)
  double accept_start = 0.3, end_ratio = 1e-3;

  // Soft macros: the solver every `fd_every` actions (0: never); warm tries it from the
  // current positions, cold from the canvas centre; each kept only where it lowers the cost.
  int64_t fd_every = 20000;
  bool fd_warm = true, fd_cold = false;  // on Ariane133 a cold restart was never kept after the first
  // After each of those solver calls, one pass of polish_soft (placer/search.h; under a
  // `seconds` budget at most `polish.share` of it, as the final one), so that the
  // chain weighs the hard macros' moves against soft macros near their best places. Tuning
  // chips (docs/quality.md): lower on 8 of 8 seed-chip pairs of two Ariane chips at 10 s, 5 of
  // 9 on three generated ones, 1 of 2 on Ariane133 at 60 s; about -0.4%, -0.2% and 0 on the mean.
  bool polish_with_fd = true;

  // At the start the soft macros are re-placed from the canvas centre by the solver, even
  // where that costs more: on Ariane133 a chain kept on the input's (commercial) soft-macro
  // positions stays stuck near them (0.6855 after 1M actions) where one on the solver's own
  // positions reaches 0.672. Refinement keeps the given positions instead.
  bool initial_fd = true;
  bool final_fd = true;    // a last solver call on the best state
  PolishOptions polish;    // then polish_soft on it; only when final_fd is
  FdOptions fd;          // its schedule (default_fd_options when left as constructed)
  bool fd_set = false;   // whether `fd` was set by the caller

  // Chains share the best state every `sync_every` actions: "restart" puts every chain
  // worse than the best back on the best state; "tempering" runs the chains at a ladder of
  // temperatures and swaps neighbours' states by the replica-exchange test.
  int64_t sync_every = 20000;
  std::string sharing = "restart";  // or "tempering", or "none" (independent chains)
  double ladder = 2.0;  // temperature ratio between neighbouring chains in tempering
};

struct AnnealResult {
  Placement placement;  // legal, the best met
  Costs costs;
  double start_cost = 0;
  int64_t actions = 0, accepted = 0, illegal = 0;  // over all chains
  int fd_runs = 0, fd_kept_warm = 0, fd_kept_cold = 0;
  PolishStats polish;  // the final polish_soft's, when it ran
  double seconds = 0, fd_seconds = 0;
  double t_start = 0, t_end = 0;
  // (seconds since the start, best proxy cost met so far) at every sharing point, for
  // time-to-quality curves.
  std::vector<std::pair<double, double>> trace;
};

// Anneals from `start`, whose movable hard macros must be placed legally on grid-cell
// centres (start_placement() gives such placements). Throws std::invalid_argument when they
// are not.
AnnealResult anneal(const Netlist& nl, const CostParams& params, const Placement& start, const AnnealOptions& options);

// One annealing chain: its evaluator, legality board and random stream. Public for the
// tests, which drive single actions.
class AnnealChain {
 public:
  enum Action { kSwap, kShift, kFlip, kMove, kWindow, kShuffle, kSoft, kActions };

  AnnealChain(const Netlist& nl, const CostParams& params, const Placement& start, const AnnealOptions& o,
              uint64_t seed);
  // Restarts this chain from another's state.
  void adopt(const Placement& p, double cost);
  // Proposes one action (drawn by the weights, or the one named) and applies it when
  // legal. `radius`: half the side, in cells, of the window of kWindow. Returns false, with
  // nothing changed, for an illegal proposal.
  bool propose(double radius);
  bool propose(Action a, double radius);
  // Takes back the last applied action exactly (positions and orientations).
  void undo();
  // One Metropolis step at temperature t: 0 illegal, 1 rejected (undone), 2 accepted.
  int step(double t, double radius);
  void note_best();  // snapshots the current state if it is the best met
  // The solver's re-placement, then (polish_with_fd) a polish pass stopped after
  // `polish_seconds` when > 0.
  void soft(const FdOptions& fd, SoftStats& stats, double polish_seconds = 0);

  double cur() const { return cur_; }
  double best() const { return best_; }
  const Placement& best_placement() const { return best_p_; }
  const Placement& placement() const { return ev_.placement(); }
  Evaluator& evaluator() { return ev_; }
  const MacroBoard& board() const { return board_; }

  int level = 0;  // rung of the tempering ladder
  int64_t actions = 0, accepted = 0, illegal = 0, since_fd = 0;
  SoftStats soft_stats;

 private:
  struct Change {
    int i;  // board index
    double x, y;
    Orientation o;
  };
  void add(int i, double x, double y, Orientation o);
  void apply(const Change& to, const Change& from);

  const Netlist& nl_;
  const CostParams& params_;
  const AnnealOptions& o_;
  Evaluator ev_;
  MacroBoard board_;
  std::mt19937_64 rng_;
  double cur_, best_;
  Placement best_p_;
  double cdf_[kActions];
  std::array<Change, 3> old_{}, new_{};
  int n_ = 0;
  std::vector<int32_t> soft_;  // movable soft macros
  int32_t soft_moved_ = -1;    // the soft macro the last action moved, -1 if none
  double soft_x_ = 0, soft_y_ = 0;
};

// The low-temperature variant used to refine another placer's result.
AnnealOptions refine_anneal_options(AnnealOptions o);

}  // namespace rlplace
