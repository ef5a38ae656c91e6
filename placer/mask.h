// Which grid cells can take a hard macro's centre: inside the canvas, clear of placed and
// fixed hard macros (plus a spacing), and off blockages of rate 1. The tests are the same
// floating-point expressions as Evaluator::legality(), so a macro placed on a feasible cell
// is never reported as overlapping.
#pragma once

#include <cstdint>
#include <vector>

#include "cost/params.h"

namespace rlplace {

class CellMask {
 public:
  CellMask(const CostParams& params, double spacing = 0);

  int cols() const { return cols_; }
  int rows() const { return rows_; }
  double cell_x(int col) const { return (col + 0.5) * gw_; }
  double cell_y(int row) const { return (row + 0.5) * gh_; }

  void clear_obstacles();
  // A hard macro already on the canvas, by centre and half sizes.
  void add_obstacle(double x, double y, double half_w, double half_h);

  // mask[row * cols + col] = 1 where a macro of half sizes (half_w, half_h) centred on the
  // cell is legal. Returns the number of feasible cells.
  int compute(double half_w, double half_h, std::vector<uint8_t>& mask) const;

 private:
  CostParams params_;
  double spacing_;
  int cols_, rows_;
  double gw_, gh_, tol_;
  std::vector<double> ox_, oy_, ohw_, ohh_;
  mutable std::vector<uint8_t> col_ok_, row_ok_;
};

}  // namespace rlplace
