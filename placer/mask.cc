#include "placer/mask.h"

#include <algorithm>
#include <cmath>

namespace rlplace {

CellMask::CellMask(const CostParams& params, double spacing)
    : params_(params),
      spacing_(spacing),
      cols_(params.cols),
      rows_(params.rows),
      gw_(params.width / params.cols),
      gh_(params.height / params.rows),
      tol_(1e-9 * std::max(params.width, params.height)) {}

void CellMask::clear_obstacles() {
  ox_.clear();
  oy_.clear();
  ohw_.clear();
  ohh_.clear();
}

void CellMask::add_obstacle(double x, double y, double half_w, double half_h) {
  ox_.push_back(x);
  oy_.push_back(y);
  ohw_.push_back(half_w);
  ohh_.push_back(half_h);
}

int CellMask::compute(double hw, double hh, std::vector<uint8_t>& mask) const {
  mask.assign(static_cast<size_t>(cols_) * rows_, 0);
  col_ok_.assign(cols_, 0);
  row_ok_.assign(rows_, 0);
  const double W = params_.width, H = params_.height;
  for (int c = 0; c < cols_; ++c) {
    const double x = cell_x(c);
    col_ok_[c] = x - hw >= -tol_ && x + hw <= W + tol_;
  }
  for (int r = 0; r < rows_; ++r) {
    const double y = cell_y(r);
    row_ok_[r] = y - hh >= -tol_ && y + hh <= H + tol_;
  }
  for (int r = 0; r < rows_; ++r) {
    if (!row_ok_[r]) continue;
    const double y = cell_y(r);
    bool blocked_row = false;
    for (const Blockage& b : params_.blockages)
      blocked_row |= b.rate >= 1 && std::min(y + hh, b.max_y) - std::max(y - hh, b.min_y) > 0;
    for (int c = 0; c < cols_; ++c) {
      if (!col_ok_[c]) continue;
      bool ok = true;
      if (blocked_row) {
        const double x = cell_x(c);
        for (const Blockage& b : params_.blockages)
          if (b.rate >= 1 && std::min(x + hw, b.max_x) - std::max(x - hw, b.min_x) > 0 &&
              std::min(y + hh, b.max_y) - std::max(y - hh, b.min_y) > 0) {
            ok = false;
            break;
          }
      }
      mask[r * cols_ + c] = ok;
    }
  }
  // Each obstacle rules out a rectangle of cells; find its extent a cell wider than needed,
  // then apply the exact test per column and per row.
  for (size_t i = 0; i < ox_.size(); ++i) {
    const double sx = hw + ohw_[i] + spacing_, sy = hh + ohh_[i] + spacing_;
    const int c0 = std::max(0, static_cast<int>(std::floor((ox_[i] - sx) / gw_ - 0.5)) - 1);
    const int c1 = std::min(cols_ - 1, static_cast<int>(std::ceil((ox_[i] + sx) / gw_ - 0.5)) + 1);
    const int r0 = std::max(0, static_cast<int>(std::floor((oy_[i] - sy) / gh_ - 0.5)) - 1);
    const int r1 = std::min(rows_ - 1, static_cast<int>(std::ceil((oy_[i] + sy) / gh_ - 0.5)) + 1);
    if (c0 > c1 || r0 > r1) continue;
    for (int c = c0; c <= c1; ++c) col_ok_[c] = hw + ohw_[i] + spacing_ - std::abs(cell_x(c) - ox_[i]) > 0;
    for (int r = r0; r <= r1; ++r) {
      if (!(hh + ohh_[i] + spacing_ - std::abs(cell_y(r) - oy_[i]) > 0)) continue;
      uint8_t* row = mask.data() + static_cast<size_t>(r) * cols_;
      for (int c = c0; c <= c1; ++c)
        if (col_ok_[c]) row[c] = 0;
    }
  }
  int feasible = 0;
  for (uint8_t m : mask) feasible += m;
  return feasible;
}

}  // namespace rlplace
