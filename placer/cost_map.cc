#include "placer/cost_map.h"

#include <algorithm>
#include <limits>
#include <map>

namespace rlplace {

CostMapper::CostMapper(const Netlist& nl, const std::vector<int32_t>& macros) : nl_(nl) {
  slot_of_.assign(nl.num_nodes(), -1);
  for (size_t i = 0; i < macros.size(); ++i) slot_of_[macros[i]] = static_cast<int32_t>(i);
  // Per macro, its pins grouped by net (a pin may sit on several nets; a net may hold
  // several pins of one macro, whose offsets then all count).
  std::vector<std::map<int32_t, std::vector<int32_t>>> by_net(macros.size());
  for (int32_t n = 0; n < nl.num_nets(); ++n)
    for (int32_t j = nl.net_begin[n]; j < nl.net_begin[n + 1]; ++j) {
      const int32_t pin = nl.net_pins[j], m = nl.owner[pin];
      if (m >= 0 && slot_of_[m] >= 0) by_net[slot_of_[m]][n].push_back(pin);
    }
  begin_.push_back(0);
  for (const auto& nets : by_net) {
    for (const auto& [net, pins] : nets) {
      nets_.push_back({net, static_cast<int32_t>(pins_.size()), static_cast<int32_t>(pins_.size() + pins.size())});
      pins_.insert(pins_.end(), pins.begin(), pins.end());
    }
    begin_.push_back(static_cast<int32_t>(nets_.size()));
  }
}

namespace {

// The mean of `grid` over the cells a macro of (2 kc + 1) x (2 kr + 1) cells centred on
// each cell covers, clipped at the canvas, through a summed-area table.
void window_means(const std::vector<double>& grid, int rows, int cols, int kr, int kc, float* out) {
  std::vector<double> sat(static_cast<size_t>(rows + 1) * (cols + 1), 0.0);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      sat[(r + 1) * (cols + 1) + c + 1] = grid[r * cols + c] + sat[r * (cols + 1) + c + 1] +
                                          sat[(r + 1) * (cols + 1) + c] - sat[r * (cols + 1) + c];
  for (int r = 0; r < rows; ++r) {
    const int r0 = std::max(0, r - kr), r1 = std::min(rows - 1, r + kr);
    for (int c = 0; c < cols; ++c) {
      const int c0 = std::max(0, c - kc), c1 = std::min(cols - 1, c + kc);
      const double sum = sat[(r1 + 1) * (cols + 1) + c1 + 1] - sat[r0 * (cols + 1) + c1 + 1] -
                         sat[(r1 + 1) * (cols + 1) + c0] + sat[r0 * (cols + 1) + c0];
      const double mean = sum / ((r1 - r0 + 1) * (c1 - c0 + 1));
      out[r * cols + c] = static_cast<float>(std::clamp(mean, 0.0, 4.0));
    }
  }
}

// Min-max scaling over the feasible cells: 0 on the best, 1 on the worst and elsewhere.
void scale_feasible(const std::vector<uint8_t>& mask, int n, const auto& value, float* out) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (int i = 0; i < n; ++i)
    if (mask[i]) lo = std::min(lo, value(i)), hi = std::max(hi, value(i));
  const double span = hi > lo ? hi - lo : 1.0;
  for (int i = 0; i < n; ++i) out[i] = mask[i] ? static_cast<float>((value(i) - lo) / span) : 1.f;
}

}  // namespace

void proxy_on_cells(const Evaluator& ev, const CellMask& cells, int32_t macro, const std::vector<uint8_t>& mask,
                    std::vector<double>& out) {
  const int cols = cells.cols();
  std::vector<double> xs, ys, proxy;
  std::vector<int> at;
  for (int cell = 0; cell < static_cast<int>(mask.size()); ++cell)
    if (mask[cell]) {
      xs.push_back(cells.cell_x(cell % cols));
      ys.push_back(cells.cell_y(cell / cols));
      at.push_back(cell);
    }
  proxy.resize(at.size());
  if (!at.empty()) ev.proxy_at(macro, xs.data(), ys.data(), static_cast<int>(at.size()), proxy.data());
  out.assign(mask.size(), std::numeric_limits<double>::infinity());
  for (size_t i = 0; i < at.size(); ++i) out[at[i]] = proxy[i];
}

void CostMapper::compute(const Evaluator& ev, const CellMask& cells, int32_t macro, const std::vector<uint8_t>& mask,
                         std::vector<float>& out, int channels) const {
  const int rows = cells.rows(), cols = cells.cols(), n = rows * cols;
  out.assign(static_cast<size_t>(kCostMapChannels) * n, 0.f);
  const int32_t slot = macro >= 0 && macro < static_cast<int32_t>(slot_of_.size()) ? slot_of_[macro] : -1;
  if (slot < 0) return;
  const Placement& p = ev.placement();

  // Wirelength: each net's box over its other placed pins is fixed, so the increase
  // splits into a part per column and a part per row.
  dx_.assign(cols, 0.0);
  dy_.assign(rows, 0.0);
  const double inf = std::numeric_limits<double>::infinity();
  for (int32_t k = begin_[slot]; k < begin_[slot + 1]; ++k) {
    const MacroNet& mn = nets_[k];
    double bx0 = inf, bx1 = -inf, by0 = inf, by1 = -inf;
    for (int32_t j = nl_.net_begin[mn.net]; j < nl_.net_begin[mn.net + 1]; ++j) {
      const int32_t pin = nl_.net_pins[j];
      if (nl_.owner[pin] == macro || !pin_placed(nl_, p, pin)) continue;
      double x, y;
      pin_position(nl_, p, pin, x, y);
      bx0 = std::min(bx0, x), bx1 = std::max(bx1, x), by0 = std::min(by0, y), by1 = std::max(by1, y);
    }
    double ox0 = inf, ox1 = -inf, oy0 = inf, oy1 = -inf;
    for (int32_t i = mn.pin_begin; i < mn.pin_end; ++i) {
      double ox, oy;
      orient_offset(p.orientation[macro], nl_.pin_dx[pins_[i]], nl_.pin_dy[pins_[i]], ox, oy);
      ox0 = std::min(ox0, ox), ox1 = std::max(ox1, ox), oy0 = std::min(oy0, oy), oy1 = std::max(oy1, oy);
    }
    if (bx0 == inf) continue;  // no other pin placed: the net's length does not depend on the cell
    const double w = nl_.net_weight[mn.net];
    for (int c = 0; c < cols; ++c) {
      const double x = cells.cell_x(c);
      dx_[c] += w * (std::max(bx1, x + ox1) - std::min(bx0, x + ox0) - (bx1 - bx0));
    }
    for (int r = 0; r < rows; ++r) {
      const double y = cells.cell_y(r);
      dy_[r] += w * (std::max(by1, y + oy1) - std::min(by0, y + oy0) - (by1 - by0));
    }
  }
  scale_feasible(mask, n, [&](int i) { return dx_[i % cols] + dy_[i / cols]; }, out.data());

  // Density and congestion under the macro's footprint: the cells whose centres it covers.
  // Width and height as given: the flips Circuit Training applies (N, FN, S, FS) keep them.
  const double gw = ev.params().width / cols, gh = ev.params().height / rows;
  const int kc = static_cast<int>(nl_.width[macro] / 2 / gw), kr = static_cast<int>(nl_.height[macro] / 2 / gh);
  window_means(ev.density_grid(), rows, cols, kr, kc, out.data() + n);
  std::vector<double> h, v;
  ev.congestion_grids(h, v);
  for (int i = 0; i < n; ++i) h[i] = 0.5 * (h[i] + v[i]);
  window_means(h, rows, cols, kr, kc, out.data() + 2 * n);

  if (channels <= kProxyChannel) return;
  proxy_on_cells(ev, cells, macro, mask, proxy_);
  scale_feasible(mask, n, [&](int i) { return proxy_[i]; }, out.data() + kProxyChannel * n);
}

}  // namespace rlplace
