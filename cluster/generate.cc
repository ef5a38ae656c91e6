#include "cluster/generate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/grid.h"
#include "netlists/io.h"
#include "netlists/netlist_writer.h"
#include "netlists/plc.h"

namespace rlplace {

namespace {

// splitmix64: its own generator, so that a seed gives the same chip with every standard
// library (std:: distributions differ between implementations).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int below(int n) { return n <= 1 ? 0 : static_cast<int>(next() % static_cast<uint64_t>(n)); }
  // Failures before a success: mean m.
  int geometric(double m) {
    if (m <= 0) return 0;
    const double u = 1.0 - uniform();  // (0, 1]
    return static_cast<int>(std::floor(std::log(u) / std::log(m / (1.0 + m))));
  }
};

// Sizes and positions are written to the nanometre, which keeps the files short.
double nm(double v) { return std::round(v * 1000.0) / 1000.0; }

constexpr std::array<GenField, kGenFieldCount> kFields = {{
    {"hard_macros", "hard macros", true, 1, 5000, false},
    {"macro_types", "distinct macro shapes, each with its own pins", true, 1, 1000, false},
    {"macro_area", "hard-macro area / canvas area", false, 0.001, 0.8, false},
    {"macro_aspect", "largest width/height of a macro shape", false, 1, 10, false},
    {"macro_spread", "largest area ratio between two macro shapes", false, 1, 1000, true},
    {"macro_pins", "mean pins per macro shape", false, 1, 2000, false},
    {"macro_out", "fraction of hard-macro pins that drive a net", false, 0, 1, false},
    {"soft_macros", "soft macros (clusters)", true, 1, 20000, false},
    {"utilisation", "(hard + soft macro area) / canvas area", false, 0.01, 1, false},
    {"ports", "ports", true, 0, 20000, false},
    {"port_sides", "canvas sides that carry ports", true, 1, 4, false},
    {"port_out", "fraction of ports that are outputs", false, 0, 1, false},
    {"net_degree", "mean pins of a net a hard-macro pin or input port drives", false, 2, 200, false},
    {"big_nets", "input ports driving a global net (clock, reset)", true, 0, 100, false},
    {"big_share", "fraction of the soft macros a global net reaches", false, 0, 1, false},
    {"soft_fanout", "mean nets a soft macro drives (one target each)", false, 0, 1000, false},
    {"soft_weight", "mean weight of a soft macro's net", false, 1, 1000, false},
    {"rent", "Rent exponent of the wire lengths (lower: more local)", false, 0.05, 1.45, false},
    {"width", "canvas width, microns", false, 1, 1e5, true},
    {"aspect", "canvas height / width", false, 0.2, 5, false},
    {"h_routes_per_micron", "horizontal routes per micron", false, 0.01, 1e4, false},
    {"v_routes_per_micron", "vertical routes per micron", false, 0.01, 1e4, false},
    {"h_macro_alloc", "horizontal routes a macro uses, per micron", false, 0, 1e4, false},
    {"v_macro_alloc", "vertical routes a macro uses, per micron", false, 0, 1e4, false},
    {"smoothing", "congestion smoothing range", false, 0, 10, false},
}};

GenRange at(double v) { return {v, v}; }
GenRange span(double lo, double hi) { return {lo, hi}; }

// The routing header of the bundled chips (TILOS's NanGate45 values, which rlplace's
// clustered chips of every technology carry).
void tilos_routing(GenSpec& s) {
  s.range[kGenHRoutes] = at(57.031);
  s.range[kGenVRoutes] = at(56.818);
  s.range[kGenHAlloc] = at(39.583);
  s.range[kGenVAlloc] = at(30.303);
  s.range[kGenSmoothing] = at(0);
}

int find_field(std::string_view key) {
  for (int i = 0; i < kGenFieldCount; ++i)
    if (kFields[i].key == key) return i;
  return -1;
}

}  // namespace

const std::array<GenField, kGenFieldCount>& gen_fields() { return kFields; }

std::vector<std::string> gen_preset_names() { return {"small", "medium", "ariane-like", "mempool-like"}; }

GenSpec gen_preset(std::string_view name) {
  GenSpec s;
  s.preset = name;
  tilos_routing(s);
  auto& r = s.range;
  // Values fitted to the bundled clustered chips (docs/corpus.md has the table): Ariane
  // has 133-136 macros of a few SRAM shapes, 43-59 pins each (27% of them outputs), macro
  // area 0.33-0.52, utilisation 0.68-0.87, 654-720 clusters driving ~35 nets each of mean
  // weight ~2.6, 495 ports (55% outputs) mostly on one side, nets of hard-macro pins ~2.4
  // pins, one port net reaching nearly every cluster; MemPool 20 macros of ~126 pins,
  // area 0.24, utilisation 0.96, 616 clusters of ~29 nets (weight ~4), 1,272 ports.
  r[kGenMacroAspect] = span(1, 3);
  r[kGenMacroOut] = span(0.25, 0.32);
  r[kGenPortSides] = span(1, 4);
  r[kGenPortOut] = span(0.5, 0.6);
  r[kGenNetDegree] = span(2.2, 3);
  r[kGenBigNets] = span(0, 2);
  r[kGenBigShare] = span(0.7, 1);
  r[kGenSoftWeight] = span(2.4, 4.2);
  r[kGenRent] = span(0.55, 0.75);
  r[kGenAspect] = span(0.8, 1.25);
  r[kGenWidth] = span(200, 3800);
  if (name == "small") {
    r[kGenHardMacros] = span(4, 40);
    r[kGenMacroTypes] = span(1, 4);
    r[kGenMacroArea] = span(0.2, 0.5);
    r[kGenMacroSpread] = span(1, 4);
    r[kGenMacroPins] = span(10, 60);
    r[kGenSoftMacros] = span(50, 300);
    r[kGenUtilisation] = span(0.65, 0.9);
    r[kGenPorts] = span(20, 300);
    r[kGenSoftFanout] = span(10, 30);
  } else if (name == "medium") {
    r[kGenHardMacros] = span(40, 100);
    r[kGenMacroTypes] = span(2, 6);
    r[kGenMacroArea] = span(0.25, 0.5);
    r[kGenMacroSpread] = span(1, 6);
    r[kGenMacroPins] = span(30, 100);
    r[kGenSoftMacros] = span(300, 600);
    r[kGenUtilisation] = span(0.65, 0.9);
    r[kGenPorts] = span(200, 800);
    r[kGenSoftFanout] = span(20, 35);
  } else if (name == "ariane-like") {
    r[kGenHardMacros] = span(130, 140);
    r[kGenMacroTypes] = span(2, 4);
    r[kGenMacroArea] = span(0.33, 0.52);
    r[kGenMacroSpread] = span(1, 4);
    r[kGenMacroPins] = span(43, 60);
    r[kGenSoftMacros] = span(650, 720);
    r[kGenUtilisation] = span(0.68, 0.87);
    r[kGenPorts] = at(495);
    r[kGenPortSides] = span(1, 2);
    r[kGenBigNets] = at(1);
    r[kGenBigShare] = span(0.95, 1);
    r[kGenSoftFanout] = span(33, 37);
    r[kGenWidth] = span(240, 3760);
    r[kGenAspect] = at(1);
  } else if (name == "mempool-like") {
    r[kGenHardMacros] = span(18, 22);
    r[kGenMacroTypes] = span(1, 3);
    r[kGenMacroArea] = span(0.2, 0.3);
    r[kGenMacroSpread] = span(1, 3);
    r[kGenMacroPins] = span(100, 130);
    r[kGenSoftMacros] = span(580, 660);
    r[kGenUtilisation] = span(0.85, 0.96);
    r[kGenPorts] = span(1200, 1350);
    r[kGenPortSides] = at(1);
    r[kGenBigNets] = at(1);
    r[kGenSoftFanout] = span(27, 31);
    r[kGenSoftWeight] = span(3.6, 4.4);
    r[kGenWidth] = span(800, 1000);
    r[kGenAspect] = at(1);
  } else {
    throw InputError(fmt::format("unknown generator preset '{}' (known: small, medium, ariane-like, mempool-like)",
                                 name));
  }
  return s;
}

void set_gen_param(GenSpec& spec, std::string_view a) {
  const size_t eq = a.find('=');
  if (eq == std::string_view::npos)
    throw InputError(fmt::format("generator parameter '{}': expected key=value or key=lo:hi", a));
  const std::string_view key = a.substr(0, eq), value = a.substr(eq + 1);
  const int i = find_field(key);
  if (i < 0) throw InputError(fmt::format("unknown generator parameter '{}' (rlplace generate --help lists them)", key));
  const GenField& f = kFields[i];
  const size_t colon = value.find(':');
  double lo = 0, hi = 0;
  const bool ok = colon == std::string_view::npos
                      ? parse_number(value, lo) && (hi = lo, true)
                      : parse_number(value.substr(0, colon), lo) && parse_number(value.substr(colon + 1), hi);
  if (!ok || !std::isfinite(lo) || !std::isfinite(hi))
    throw InputError(fmt::format("generator parameter {}: '{}' is not a number or a range lo:hi", key, value));
  for (double v : {lo, hi}) {
    if (v < f.min || v > f.max)
      throw InputError(fmt::format("generator parameter {} {} is outside [{}, {}]", key, format_double(v),
                                   format_double(f.min), format_double(f.max)));
    if (f.integral && v != std::floor(v))
      throw InputError(fmt::format("generator parameter {} {} is not a whole number", key, format_double(v)));
  }
  if (lo > hi) throw InputError(fmt::format("generator parameter {}: range {}:{} has lo > hi", key, lo, hi));
  spec.range[i] = {lo, hi};
}

void validate_gen_spec(const GenSpec& spec) {
  const auto& r = spec.range;
  if (r[kGenUtilisation].lo <= r[kGenMacroArea].hi)
    throw InputError(fmt::format("generator parameters: utilisation (from {}) must exceed macro_area (up to {}): "
                                 "the soft macros need area",
                                 format_double(r[kGenUtilisation].lo), format_double(r[kGenMacroArea].hi)));
}

GenValues draw_gen_values(const GenSpec& spec, uint64_t seed) {
  Rng rng(seed ^ 0x5eedULL);
  GenValues v{};
  for (int i = 0; i < kGenFieldCount; ++i) {
    const GenRange g = spec.range[i];
    const GenField& f = kFields[i];
    double x = g.lo;
    if (g.hi > g.lo) {
      x = f.log && g.lo > 0 ? std::exp(rng.uniform(std::log(g.lo), std::log(g.hi))) : rng.uniform(g.lo, g.hi);
      if (f.integral) x = std::min(g.hi, std::floor(x + 0.5));
    } else {
      rng.next();  // one draw per field always, so that a fixed value leaves the others as they were
    }
    v[i] = f.integral ? x : nm(x);
  }
  return v;
}

namespace {

// Nearest candidate to a point among those a predicate accepts: candidates in buckets of a
// grid over the canvas, searched ring by ring outwards.
class Nearest {
 public:
  Nearest(double w, double h, const std::vector<double>& x, const std::vector<double>& y) : x_(x), y_(y) {
    const int n = static_cast<int>(x.size());
    const double per = std::sqrt(std::max(1.0, n / 2.0));
    cols_ = std::max(1, static_cast<int>(std::ceil(per * std::sqrt(w / h))));
    rows_ = std::max(1, static_cast<int>(std::ceil(per * std::sqrt(h / w))));
    bw_ = w / cols_;
    bh_ = h / rows_;
    bucket_begin_.assign(cols_ * rows_ + 1, 0);
    std::vector<int> b(n);
    for (int i = 0; i < n; ++i) ++bucket_begin_[(b[i] = bucket(x[i], y[i])) + 1];
    for (int k = 0; k < cols_ * rows_; ++k) bucket_begin_[k + 1] += bucket_begin_[k];
    items_.resize(n);
    std::vector<int> fill(bucket_begin_.begin(), bucket_begin_.end() - 1);
    for (int i = 0; i < n; ++i) items_[fill[b[i]]++] = i;
  }

  int find(double tx, double ty, const std::function<bool(int)>& ok) const {
    const int c0 = col(tx), r0 = row(ty);
    int best = -1;
    double best_d = INFINITY;
    const double step = std::min(bw_, bh_);
    for (int ring = 0; ring <= std::max(cols_, rows_); ++ring) {
      if (best >= 0 && (ring - 1) * step > std::sqrt(best_d)) break;
      for (int r = r0 - ring; r <= r0 + ring; ++r) {
        if (r < 0 || r >= rows_) continue;
        const bool edge_row = r == r0 - ring || r == r0 + ring;
        for (int c = c0 - ring; c <= c0 + ring; c += edge_row ? 1 : 2 * std::max(ring, 1)) {
          if (c < 0 || c >= cols_) continue;
          const int k = r * cols_ + c;
          for (int j = bucket_begin_[k]; j < bucket_begin_[k + 1]; ++j) {
            const int i = items_[j];
            const double d = (x_[i] - tx) * (x_[i] - tx) + (y_[i] - ty) * (y_[i] - ty);
            if (d < best_d && ok(i)) {
              best = i;
              best_d = d;
            }
          }
        }
      }
    }
    return best;
  }

 private:
  int col(double x) const { return std::clamp(static_cast<int>(x / bw_), 0, cols_ - 1); }
  int row(double y) const { return std::clamp(static_cast<int>(y / bh_), 0, rows_ - 1); }
  int bucket(double x, double y) const { return row(y) * cols_ + col(x); }
  const std::vector<double>& x_;
  const std::vector<double>& y_;
  int cols_ = 1, rows_ = 1;
  double bw_ = 1, bh_ = 1;
  std::vector<int> bucket_begin_, items_;
};

struct MacroType {
  double w = 0, h = 0;
  std::vector<double> dx, dy;
  std::vector<uint8_t> out;  // the pin drives a net
};

// Everything but the netlist model: made first, since soft macros' output pins are known
// only once every net is drawn.
struct Draft {
  double W = 0, H = 0;
  std::vector<MacroType> types;
  std::vector<int> macro_type;
  std::vector<double> mx, my;               // hard macro centres
  std::vector<double> side, sx, sy;         // soft macros
  std::vector<double> px, py;               // ports
  std::vector<uint8_t> port_out;
  // Node ids known before the soft macros: ports 0..P-1, then each hard macro and its pins.
  std::vector<int32_t> macro_node;
  // A sink: a known node id, or -(s + 1) for soft macro s's input pin.
  std::vector<std::vector<int32_t>> sinks;  // per known node
  std::vector<double> weight;               // per known node
  std::vector<std::vector<std::pair<int32_t, double>>> outs;  // per soft macro: (sink, weight)
};

// The grid and macro shapes of one draw; false when the macros pack on no grid.
bool draw_macros(const GenValues& v, Rng& rng, Draft& d, int& cols, int& rows) {
  const int nh = static_cast<int>(v[kGenHardMacros]);
  const int nt = std::min(nh, static_cast<int>(v[kGenMacroTypes]));
  d.types.assign(nt, {});
  std::vector<double> rel(nt), aspect(nt);
  for (int t = 0; t < nt; ++t) {
    rel[t] = std::exp(rng.uniform(0, std::log(v[kGenMacroSpread])));
    aspect[t] = std::exp(rng.uniform(-std::log(v[kGenMacroAspect]), std::log(v[kGenMacroAspect])));
  }
  d.macro_type.resize(nh);
  double total = 0;
  for (int m = 0; m < nh; ++m) total += rel[d.macro_type[m] = m < nt ? m : rng.below(nt)];
  const double scale = v[kGenMacroArea] * d.W * d.H / total;
  for (int t = 0; t < nt; ++t) {
    MacroType& mt = d.types[t];
    const double area = rel[t] * scale;
    mt.w = nm(std::sqrt(area * aspect[t]));
    mt.h = nm(area / std::sqrt(area * aspect[t]));
    // SRAM-like: the pins along one edge, or two facing edges for some shapes.
    const int pins = std::max(1, static_cast<int>(std::lround(v[kGenMacroPins] * rng.uniform(0.5, 1.5))));
    const int edge = rng.below(4), edges = 1 + rng.below(2);
    for (int k = 0; k < pins; ++k) {
      const int e = (edge + 2 * (k % edges)) % 4;
      const double along = rng.uniform(-0.45, 0.45);
      const bool horizontal = e % 2 == 0;  // 0 bottom, 2 top, 1 right, 3 left
      mt.dx.push_back(nm(horizontal ? along * mt.w : (e == 1 ? 0.5 : -0.5) * mt.w));
      mt.dy.push_back(nm(horizontal ? (e == 0 ? -0.5 : 0.5) * mt.h : along * mt.h));
      mt.out.push_back(rng.uniform() < v[kGenMacroOut]);
    }
  }
  std::vector<double> ws, hs;
  for (int m = 0; m < nh; ++m) {
    ws.push_back(d.types[d.macro_type[m]].w);
    hs.push_back(d.types[d.macro_type[m]].h);
  }
  const auto grid = choose_grid(ws, hs, d.W, d.H);
  if (!grid) return false;
  cols = grid->cols;
  rows = grid->rows;
  return true;
}

// Distance to a sink drawn from Donath's wire-length law for Rent exponent p: density
// l^(2p - 4) between one node spacing and the canvas half-perimeter.
double wire_length(Rng& rng, double rent, double lmin, double lmax) {
  const double a = 2 * rent - 4 + 1;
  const double lo = std::pow(lmin, a), hi = std::pow(lmax, a);
  return std::pow(lo + rng.uniform() * (hi - lo), 1 / a);
}

Design build_design(const Draft& d, const GenValues& v, int cols, int rows) {
  Netlist nl;
  auto add = [&](std::string name, NodeKind k, double w, double h, double x, double y, int32_t owner, double dx,
                 double dy, double weight) {
    nl.name.push_back(std::move(name));
    nl.kind.push_back(k);
    nl.width.push_back(w);
    nl.height.push_back(h);
    nl.x.push_back(x);
    nl.y.push_back(y);
    nl.orientation.push_back(Orientation::N);
    nl.owner.push_back(owner);
    nl.pin_dx.push_back(dx);
    nl.pin_dy.push_back(dy);
    nl.weight.push_back(weight);
    nl.line.push_back(0);
  };
  const int np = static_cast<int>(d.px.size()), nh = static_cast<int>(d.mx.size());
  for (int p = 0; p < np; ++p)
    add(fmt::format("{}_{}", d.port_out[p] ? "out" : "in", p), NodeKind::kPort, 0, 0, d.px[p], d.py[p], -1, 0, 0,
        d.weight[p]);
  for (int m = 0; m < nh; ++m) {
    const MacroType& t = d.types[d.macro_type[m]];
    const int32_t id = nl.num_nodes();
    add(fmt::format("M{}", m), NodeKind::kHardMacro, t.w, t.h, d.mx[m], d.my[m], -1, 0, 0, 1);
    for (size_t k = 0; k < t.dx.size(); ++k)
      add(fmt::format("M{}/P{}", m, k), NodeKind::kHardMacroPin, 0, 0, 0, 0, id, t.dx[k], t.dy[k],
          d.weight[nl.num_nodes()]);
  }
  const int32_t known = nl.num_nodes();
  std::vector<std::vector<int32_t>> sinks(d.sinks);
  const int ns = static_cast<int>(d.side.size());
  std::vector<int32_t> input_of(ns, -1);
  // A soft macro has an input pin only when some net enters it, as clustering makes them.
  std::vector<uint8_t> entered(ns, 0);
  for (const auto& list : d.sinks)
    for (int32_t ref : list)
      if (ref < 0) entered[-ref - 1] = 1;
  for (const auto& list : d.outs)
    for (const auto& [ref, w] : list)
      if (ref < 0) entered[-ref - 1] = 1;
  std::vector<std::pair<int32_t, int32_t>> pending;  // (driver node, sink ref) for soft inputs
  for (int s = 0; s < ns; ++s) {
    const int32_t id = nl.num_nodes();
    add(fmt::format("Grp_{}", s), NodeKind::kSoftMacro, d.side[s], d.side[s], d.sx[s], d.sy[s], -1, 0, 0, 1);
    for (size_t j = 0; j < d.outs[s].size(); ++j) {
      pending.emplace_back(nl.num_nodes(), d.outs[s][j].first);
      add(fmt::format("Grp_{}/Poutput_single_{}", s, j), NodeKind::kSoftMacroPin, 0, 0, 0, 0, id, 0, 0,
          d.outs[s][j].second);
    }
    if (!entered[s]) continue;
    input_of[s] = nl.num_nodes();
    add(fmt::format("Grp_{}/Pinput", s), NodeKind::kSoftMacroPin, 0, 0, 0, 0, id, 0, 0, 1);
  }
  sinks.resize(nl.num_nodes());
  auto resolve = [&](int32_t ref) { return ref >= 0 ? ref : input_of[-ref - 1]; };
  for (int32_t i = 0; i < known; ++i)
    for (int32_t& s : sinks[i]) s = resolve(s);
  for (auto [driver, ref] : pending) sinks[driver].push_back(resolve(ref));
  nl.fp_width = d.W;
  nl.fp_height = d.H;
  nl.block_name = "synthetic";
  nl.source = "netlist.pb.txt.gz";
  nl.finalize(sinks);

  Design out;
  out.netlist = std::move(nl);
  out.placement = Placement::from_netlist(out.netlist);
  for (int32_t p : out.netlist.ports) out.placement.fixed[p] = 1;
  CostParams& c = out.params;
  c.width = d.W;
  c.height = d.H;
  c.cols = cols;
  c.rows = rows;
  c.h_routes_per_micron = v[kGenHRoutes];
  c.v_routes_per_micron = v[kGenVRoutes];
  c.h_macro_alloc = v[kGenHAlloc];
  c.v_macro_alloc = v[kGenVAlloc];
  c.smoothing = v[kGenSmoothing];
  validate_params(c, "generated chip");
  return out;
}

Design draw_chip(const GenValues& v, Rng& rng, int cols, int rows, Draft& d) {
  const double W = d.W, H = d.H;
  const int nh = static_cast<int>(d.macro_type.size());
  // The hidden embedding, which is also the initial placement: macros anywhere inside the
  // canvas (overlaps allowed, as in a placement before legalisation), ports on the sides.
  for (int m = 0; m < nh; ++m) {
    const MacroType& t = d.types[d.macro_type[m]];
    d.mx.push_back(nm(rng.uniform(t.w / 2, std::max(t.w / 2, W - t.w / 2))));
    d.my.push_back(nm(rng.uniform(t.h / 2, std::max(t.h / 2, H - t.h / 2))));
  }
  const int ns = static_cast<int>(v[kGenSoftMacros]);
  std::vector<double> rel(ns);
  for (double& r : rel) r = std::exp(rng.uniform(0, std::log(4.0)));
  const double soft_total = std::accumulate(rel.begin(), rel.end(), 0.0);
  const double soft_area = (v[kGenUtilisation] - v[kGenMacroArea]) * W * H;
  for (int s = 0; s < ns; ++s) {
    const double side = nm(std::sqrt(rel[s] / soft_total * soft_area));
    d.side.push_back(side);
    d.sx.push_back(nm(rng.uniform(std::min(side / 2, W / 2), std::max(W / 2, W - side / 2))));
    d.sy.push_back(nm(rng.uniform(std::min(side / 2, H / 2), std::max(H / 2, H - side / 2))));
  }
  int sides[4] = {0, 1, 2, 3};
  for (int i = 3; i > 0; --i) std::swap(sides[i], sides[rng.below(i + 1)]);
  const int nsides = static_cast<int>(v[kGenPortSides]);
  const int np = static_cast<int>(v[kGenPorts]);
  for (int p = 0; p < np; ++p) {
    const int side = sides[rng.below(nsides)];
    const double along = rng.uniform();
    d.px.push_back(nm(side == 0 ? 0 : side == 2 ? W : along * W));
    d.py.push_back(nm(side == 1 ? H : side == 3 ? 0 : along * H));
    d.port_out.push_back(rng.uniform() < v[kGenPortOut]);
  }

  // Node ids of ports and hard pins; where each pin sits.
  std::vector<double> node_x(np), node_y(np);
  std::vector<int32_t> node_macro(np, -1);
  for (int p = 0; p < np; ++p) {
    node_x[p] = d.px[p];
    node_y[p] = d.py[p];
  }
  std::vector<std::vector<int32_t>> macro_inputs(nh);
  std::vector<int32_t> drivers, sinks_to_feed;  // hard output pins and input ports; hard inputs and output ports
  for (int p = 0; p < np; ++p) (d.port_out[p] ? sinks_to_feed : drivers).push_back(p);
  for (int m = 0; m < nh; ++m) {
    const MacroType& t = d.types[d.macro_type[m]];
    d.macro_node.push_back(static_cast<int32_t>(node_x.size()));
    node_x.push_back(d.mx[m]);
    node_y.push_back(d.my[m]);
    node_macro.push_back(m);
    for (size_t k = 0; k < t.dx.size(); ++k) {
      const int32_t id = static_cast<int32_t>(node_x.size());
      node_x.push_back(d.mx[m] + t.dx[k]);
      node_y.push_back(d.my[m] + t.dy[k]);
      node_macro.push_back(m);
      if (t.out[k]) {
        drivers.push_back(id);
      } else {
        sinks_to_feed.push_back(id);
        macro_inputs[m].push_back(id);
      }
    }
  }
  const int32_t known = static_cast<int32_t>(node_x.size());
  d.sinks.assign(known, {});
  d.weight.assign(known, 1.0);
  d.outs.assign(ns, {});

  // Candidate sinks: soft macros 0..ns-1, then the hard macros that have input pins.
  std::vector<double> cx(d.sx), cy(d.sy);
  std::vector<int32_t> cand_macro(ns, -1);
  for (int m = 0; m < nh; ++m)
    if (!macro_inputs[m].empty()) {
      cx.push_back(d.mx[m]);
      cy.push_back(d.my[m]);
      cand_macro.push_back(m);
    }
  const Nearest all(W, H, cx, cy);
  const Nearest soft(W, H, d.sx, d.sy);
  const double rent = v[kGenRent], lmax = W + H;
  const double lmin = std::sqrt(W * H / std::max<size_t>(1, cx.size()));
  auto toward = [&](double x, double y, double& tx, double& ty) {
    const double l = wire_length(rng, rent, lmin, lmax), a = rng.uniform(0, 2 * M_PI);
    tx = std::clamp(x + l * std::cos(a), 0.0, W);
    ty = std::clamp(y + l * std::sin(a), 0.0, H);
  };
  auto soft_weight = [&] { return 1.0 + rng.geometric(v[kGenSoftWeight] - 1); };

  // Every hard-macro input pin and output port is fed by a soft macro near it.
  for (int32_t id : sinks_to_feed) {
    double tx, ty;
    toward(node_x[id], node_y[id], tx, ty);
    const int s = soft.find(tx, ty, [](int) { return true; });
    d.outs[s].emplace_back(id, soft_weight());
  }
  // Every hard-macro output pin and input port drives a net to sinks near it.
  // The first input ports drive global nets (clock, reset) to soft macros anywhere.
  int big = static_cast<int>(v[kGenBigNets]);
  std::vector<int32_t> order(ns);
  for (int32_t id : drivers) {
    if (big == 0 || id >= np) break;
    --big;
    std::iota(order.begin(), order.end(), 0);
    const int reach = std::max(1, static_cast<int>(std::lround(v[kGenBigShare] * ns)));
    for (int k = 0; k < reach; ++k) {
      std::swap(order[k], order[k + rng.below(ns - k)]);
      d.sinks[id].push_back(-(order[k] + 1));
    }
  }
  std::vector<int32_t> stamp(cx.size(), -1);
  for (int32_t id : drivers) {
    if (!d.sinks[id].empty()) continue;  // a global net
    const int want = 1 + rng.geometric(v[kGenNetDegree] - 2);
    for (int k = 0; k < want; ++k) {
      double tx, ty;
      toward(node_x[id], node_y[id], tx, ty);
      const int c = all.find(tx, ty, [&](int i) { return stamp[i] != id && (i < ns || cand_macro[i] != node_macro[id]); });
      if (c < 0) break;
      stamp[c] = id;
      const int32_t m = cand_macro[c];
      d.sinks[id].push_back(m < 0 ? -(c + 1) : macro_inputs[m][rng.below(static_cast<int>(macro_inputs[m].size()))]);
    }
    if (d.sinks[id].empty()) d.sinks[id].push_back(id);  // a net of its driver alone, as CT writes output ports
  }
  // Soft macros drive nets of one target each (clustering merges the connections from
  // one cluster to one target into one weighted net) until they average soft_fanout.
  const double used = static_cast<double>(sinks_to_feed.size());
  const double extra_mean = std::max(0.0, v[kGenSoftFanout] - used / std::max(1, ns));
  std::vector<int32_t> target_stamp(cx.size(), -1);
  for (int s = 0; s < ns; ++s) {
    const int extra = rng.geometric(extra_mean);
    for (int k = 0; k < extra; ++k) {
      double tx, ty;
      toward(d.sx[s], d.sy[s], tx, ty);
      const int c = all.find(tx, ty, [&](int i) { return i != s && target_stamp[i] != s; });
      if (c < 0) break;
      target_stamp[c] = s;
      const int32_t m = cand_macro[c];
      d.outs[s].emplace_back(m < 0 ? -(c + 1) : macro_inputs[m][rng.below(static_cast<int>(macro_inputs[m].size()))],
                             soft_weight());
    }
  }
  return build_design(d, v, cols, rows);
}

}  // namespace

GeneratedChip generate_chip(const GenSpec& spec, uint64_t seed) {
  validate_gen_spec(spec);
  GeneratedChip chip;
  for (int attempt = 1; attempt <= 10; ++attempt) {
    chip.values = draw_gen_values(spec, seed * 31 + static_cast<uint64_t>(attempt));
    const GenValues& v = chip.values;
    Rng rng(seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(attempt));
    Draft d;
    d.W = v[kGenWidth];
    d.H = nm(v[kGenWidth] * v[kGenAspect]);
    int cols = 0, rows = 0;
    if (!draw_macros(v, rng, d, cols, rows)) continue;
    chip.design = draw_chip(v, rng, cols, rows, d);
    chip.attempts = attempt;
    return chip;
  }
  throw InputError(fmt::format("generator: no grid packs the hard macros in 10 draws (seed {}); lower macro_area "
                               "or macro_spread",
                               seed));
}

std::string chip_netlist_text(const Design& d, const std::vector<std::string>& comment) {
  Netlist nl = d.netlist;
  nl.fp_width = d.params.width;
  nl.fp_height = d.params.height;
  nl.blockages = d.params.blockages;
  return format_netlist(nl, comment);
}

std::string chip_plc_text(const Design& d, const std::string& how) {
  Netlist nl = d.netlist;
  nl.source = "netlist.pb.txt.gz";
  std::string plc = format_plc(nl, d.placement, to_plc_header(d.params, nl.block_name), {{"Made by", how}},
                               "initial.plc");
  // No date, so that equal input gives equal bytes.
  if (const size_t at = plc.find("# Date : "); at != std::string::npos) plc.erase(at, plc.find('\n', at) + 1 - at);
  return plc;
}

void write_chip(const std::string& dir, const Design& d, const std::string& how) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/netlist.pb.txt.gz", gzip_text(chip_netlist_text(d, {"Made by " + how})));
  write_file_atomic(dir + "/initial.plc", chip_plc_text(d, how));
}

// --- Statistics -------------------------------------------------------------------------

namespace {

// Rent's rule on the placement: the canvas cut in two, four, ... regions alternately
// across x and y; per level the mean macros (G) and mean nets leaving a region (T) of the
// occupied regions; the slope of log T against log G over the levels.
double rent_estimate(const Netlist& nl, const Placement& p, const CostParams& c) {
  int64_t blocks = static_cast<int64_t>(nl.macros.size());
  std::vector<double> xs, ys;
  for (int level = 1; level <= 16; ++level) {
    const int cx = 1 << ((level + 1) / 2), cy = 1 << (level / 2);
    if (blocks / (cx * cy) < 2) break;
    auto region = [&](int32_t node) {
      double px, py;
      pin_position(nl, p, node, px, py);
      const int i = std::clamp(static_cast<int>(px / c.width * cx), 0, cx - 1);
      const int j = std::clamp(static_cast<int>(py / c.height * cy), 0, cy - 1);
      return j * cx + i;
    };
    std::vector<int64_t> g(cx * cy, 0), t(cx * cy, 0);
    for (int32_t m : nl.macros) ++g[region(m)];
    std::vector<int> regions;
    for (int32_t net = 0; net < nl.num_nets(); ++net) {
      regions.clear();
      for (int32_t k = nl.net_begin[net]; k < nl.net_begin[net + 1]; ++k) regions.push_back(region(nl.net_pins[k]));
      std::sort(regions.begin(), regions.end());
      regions.erase(std::unique(regions.begin(), regions.end()), regions.end());
      if (regions.size() > 1)
        for (int r : regions) ++t[r];
    }
    double sg = 0, st = 0;
    int occupied = 0;
    for (int r = 0; r < cx * cy; ++r)
      if (g[r] > 0) {
        sg += g[r];
        st += t[r];
        ++occupied;
      }
    if (occupied == 0 || st == 0) continue;
    xs.push_back(std::log(sg / occupied));
    ys.push_back(std::log(st / occupied));
  }
  if (xs.size() < 2) return 0;
  const double mx = std::accumulate(xs.begin(), xs.end(), 0.0) / xs.size();
  const double my = std::accumulate(ys.begin(), ys.end(), 0.0) / ys.size();
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) * (xs[i] - mx);
  }
  return sxx > 0 ? sxy / sxx : 0;
}

}  // namespace

ChipStats chip_stats(const Design& d, const std::string& name) {
  const Netlist& nl = d.netlist;
  const CostParams& c = d.params;
  ChipStats s;
  s.name = name;
  s.hard_macros = static_cast<int>(nl.hard_macros.size());
  s.soft_macros = static_cast<int>(nl.soft_macros.size());
  s.ports = static_cast<int>(nl.ports.size());
  s.nets = nl.num_nets();
  for (int32_t i = 0; i < nl.num_nodes(); ++i) s.hard_macro_pins += nl.kind[i] == NodeKind::kHardMacroPin;
  s.width = c.width;
  s.aspect = c.height / c.width;
  s.cols = c.cols;
  s.rows = c.rows;
  const double canvas = c.width * c.height;
  double hard = 0, soft = 0;
  for (int32_t m : nl.hard_macros) hard += nl.width[m] * nl.height[m];
  for (int32_t m : nl.soft_macros) soft += nl.width[m] * nl.height[m];
  s.macro_area = hard / canvas;
  s.utilisation = (hard + soft) / canvas;
  bool side[4] = {false, false, false, false};
  for (int32_t p : nl.ports) side[nearest_side(d.placement.x[p], d.placement.y[p], c.width, c.height)] = true;
  s.port_sides = side[0] + side[1] + side[2] + side[3];
  std::vector<double> degree;
  double hp = 0, w = 0;
  for (int32_t net = 0; net < nl.num_nets(); ++net) {
    degree.push_back(nl.net_begin[net + 1] - nl.net_begin[net]);
    w += nl.net_weight[net];
    double lx = INFINITY, ly = INFINITY, ux = -INFINITY, uy = -INFINITY;
    for (int32_t k = nl.net_begin[net]; k < nl.net_begin[net + 1]; ++k) {
      double px, py;
      pin_position(nl, d.placement, nl.net_pins[k], px, py);
      lx = std::min(lx, px); ux = std::max(ux, px);
      ly = std::min(ly, py); uy = std::max(uy, py);
    }
    hp += (ux - lx) + (uy - ly);
  }
  if (!degree.empty()) {
    const double nets = static_cast<double>(degree.size());
    s.degree_mean = std::accumulate(degree.begin(), degree.end(), 0.0) / nets;
    std::sort(degree.begin(), degree.end());
    auto q = [&](double f) { return degree[static_cast<size_t>(f * (degree.size() - 1))]; };
    s.degree_p50 = q(0.5);
    s.degree_p90 = q(0.9);
    s.degree_p99 = q(0.99);
    s.degree_max = degree.back();
    s.weight_mean = w / nets;
    s.hpwl_ratio = hp / nets / (c.width + c.height);
  }
  s.rent = rent_estimate(nl, d.placement, c);
  return s;
}

nlohmann::json stats_to_json(const ChipStats& s) {
  return {{"name", s.name},
          {"hard_macros", s.hard_macros},
          {"soft_macros", s.soft_macros},
          {"ports", s.ports},
          {"port_sides", s.port_sides},
          {"nets", s.nets},
          {"hard_macro_pins", s.hard_macro_pins},
          {"width", s.width},
          {"aspect", s.aspect},
          {"macro_area", s.macro_area},
          {"utilisation", s.utilisation},
          {"degree_mean", s.degree_mean},
          {"degree_p50", s.degree_p50},
          {"degree_p90", s.degree_p90},
          {"degree_p99", s.degree_p99},
          {"degree_max", s.degree_max},
          {"weight_mean", s.weight_mean},
          {"hpwl_ratio", s.hpwl_ratio},
          {"rent", s.rent},
          {"cols", s.cols},
          {"rows", s.rows}};
}

std::string stats_table(const std::vector<ChipStats>& rows) {
  std::string t =
      "| chip | hard macros | pins/macro | macro area | soft macros | utilisation | ports (sides) | nets | degree "
      "mean / p50 / p90 / max | weight mean | HPWL / half-perimeter | Rent | width, aspect | grid |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const ChipStats& s : rows)
    t += fmt::format("| {} | {} | {:.1f} | {:.2f} | {} | {:.2f} | {} ({}) | {} | {:.2f} / {} / {} / {} | {:.2f} | "
                     "{:.3f} | {:.2f} | {:.0f}, {:.2f} | {}x{} |\n",
                     s.name, s.hard_macros, s.hard_macros ? double(s.hard_macro_pins) / s.hard_macros : 0.0,
                     s.macro_area, s.soft_macros, s.utilisation, s.ports, s.port_sides, s.nets, s.degree_mean,
                     s.degree_p50, s.degree_p90, s.degree_max, s.weight_mean, s.hpwl_ratio, s.rent, s.width,
                     s.aspect, s.cols, s.rows);
  return t;
}

std::vector<ChipStats> stats_of_folders(const std::vector<std::string>& dirs) {
  namespace fs = std::filesystem;
  std::vector<ChipStats> out;
  // Circuit Training's samples are plain text; chips rlplace writes are gzipped.
  auto netlist_in = [](const fs::path& dir) {
    return fs::exists(dir / "netlist.pb.txt.gz") ? dir / "netlist.pb.txt.gz" : dir / "netlist.pb.txt";
  };
  auto one = [&](const fs::path& dir, const std::string& name) {
    const Design d = load_design(netlist_in(dir).string(), (dir / "initial.plc").string());
    out.push_back(chip_stats(d, name));
  };
  for (const std::string& dir : dirs) {
    const fs::path p(dir);
    if (fs::exists(netlist_in(p)) && fs::exists(p / "initial.plc")) {
      one(p, p.filename().empty() ? p.parent_path().filename().string() : p.filename().string());
      continue;
    }
    std::vector<fs::path> chips;
    if (fs::is_directory(p))
      for (const auto& e : fs::directory_iterator(p))
        if (e.is_directory() && e.path().filename().string().starts_with("chip_")) chips.push_back(e.path());
    if (chips.empty())
      throw InputError(fmt::format("{}: neither a chip folder (netlist.pb.txt[.gz], initial.plc) nor a corpus (chip_*)",
                                   dir));
    std::sort(chips.begin(), chips.end());
    const std::string corpus = (p.filename().empty() ? p.parent_path().filename() : p.filename()).string();
    for (const fs::path& c : chips) one(c, corpus + "/" + c.filename().string());
  }
  return out;
}

GenerateReport generate_corpus(const GenerateJob& job) {
  if (job.count < 1) throw InputError(fmt::format("generate: --count {} must be at least 1", job.count));
  validate_gen_spec(job.spec);
  GenerateReport r;
  nlohmann::json ranges = nlohmann::json::object();
  for (int i = 0; i < kGenFieldCount; ++i)
    ranges[std::string(kFields[i].key)] = {job.spec.range[i].lo, job.spec.range[i].hi};
  nlohmann::json chips = nlohmann::json::array();
  for (int i = 0; i < job.count; ++i) {
    const uint64_t seed = job.seed * 1000003ULL + static_cast<uint64_t>(i);
    const GeneratedChip chip = generate_chip(job.spec, seed);
    const std::string name = fmt::format("chip_{:04d}", i);
    const std::string how = fmt::format("rlplace generate (preset {}, chip seed {})", job.spec.preset, seed);
    write_chip(job.out + "/" + name, chip.design, how);
    r.chips.push_back(chip_stats(chip.design, name));
    nlohmann::json values = nlohmann::json::object();
    for (int k = 0; k < kGenFieldCount; ++k) values[std::string(kFields[k].key)] = chip.values[k];
    chips.push_back({{"name", name},
                     {"seed", seed},
                     {"attempts", chip.attempts},
                     {"values", values},
                     {"stats", stats_to_json(r.chips.back())}});
  }
  const nlohmann::json corpus = {{"generator", "rlplace generate"}, {"seed", job.seed}, {"count", job.count},
                                 {"preset", job.spec.preset},        {"ranges", ranges}, {"chips", chips}};
  r.corpus_json = job.out + "/corpus.json";
  write_file_atomic(r.corpus_json, corpus.dump(1) + "\n");
  return r;
}

// --- Augmentation -----------------------------------------------------------------------

Design mirror_design(const Design& in, bool mirror_x, bool mirror_y) {
  Design d = in;
  Netlist& nl = d.netlist;
  Placement& p = d.placement;
  const double W = d.params.width, H = d.params.height;
  for (int32_t i = 0; i < nl.num_nodes(); ++i) {
    if (is_pin(nl.kind[i])) {
      // The offset mirrored in the macro's frame: an orientation that keeps the axes
      // (N, FN, S, FS) mirrors the same axis, one that swaps them (E, FE, W, FW) the other.
      const Orientation o = p.orientation[nl.owner[i]];
      const bool swaps = o == Orientation::E || o == Orientation::FE || o == Orientation::W || o == Orientation::FW;
      if (mirror_x) (swaps ? nl.pin_dy[i] : nl.pin_dx[i]) *= -1;
      if (mirror_y) (swaps ? nl.pin_dx[i] : nl.pin_dy[i]) *= -1;
      continue;
    }
    if (mirror_x) {
      p.x[i] = W - p.x[i];
      nl.x[i] = W - nl.x[i];
    }
    if (mirror_y) {
      p.y[i] = H - p.y[i];
      nl.y[i] = H - nl.y[i];
    }
  }
  for (Blockage& b : d.params.blockages) {
    if (mirror_x) b = {W - b.max_x, b.min_y, W - b.min_x, b.max_y, b.rate};
    if (mirror_y) b = {b.min_x, H - b.max_y, b.max_x, H - b.min_y, b.rate};
  }
  nl.blockages = d.params.blockages;
  return d;
}

Design tile_design(const Design& in, int nx, int ny, int bridges, uint64_t seed) {
  if (nx < 1 || ny < 1 || nx * ny < 2 || nx > 8 || ny > 8)
    throw InputError(fmt::format("tile {}x{}: each count must be 1 to 8, and more than one tile in all", nx, ny));
  if (bridges < 0) throw InputError(fmt::format("tile: bridges {} must not be negative", bridges));
  const Netlist& a = in.netlist;
  const int32_t n = a.num_nodes();
  const double W = in.params.width, H = in.params.height;
  Netlist nl;
  Placement p;
  std::vector<std::vector<int32_t>> sinks;
  const int tiles = nx * ny;
  for (int t = 0; t < tiles; ++t) {
    const double ox = (t % nx) * W, oy = (t / nx) * H;
    const int32_t base = t * n;
    for (int32_t i = 0; i < n; ++i) {
      const bool placed = !is_pin(a.kind[i]);
      nl.name.push_back(fmt::format("{}_t{}", a.name[i], t));
      nl.kind.push_back(a.kind[i]);
      nl.width.push_back(a.width[i]);
      nl.height.push_back(a.height[i]);
      nl.x.push_back(placed ? a.x[i] + ox : 0);
      nl.y.push_back(placed ? a.y[i] + oy : 0);
      nl.orientation.push_back(a.orientation[i]);
      nl.owner.push_back(a.owner[i] < 0 ? -1 : a.owner[i] + base);
      nl.pin_dx.push_back(a.pin_dx[i]);
      nl.pin_dy.push_back(a.pin_dy[i]);
      nl.weight.push_back(a.weight[i]);
      nl.line.push_back(0);
      p.x.push_back(placed ? in.placement.x[i] + ox : 0);
      p.y.push_back(placed ? in.placement.y[i] + oy : 0);
      p.orientation.push_back(in.placement.orientation[i]);
      p.fixed.push_back(in.placement.fixed[i]);
      p.placed.push_back(in.placement.placed[i]);
    }
    sinks.resize(nl.num_nodes());
    for (int32_t net = 0; net < a.num_nets(); ++net) {
      const int32_t dr = a.net_pins[a.net_begin[net]];
      auto& s = sinks[base + dr];
      if (a.net_begin[net + 1] - a.net_begin[net] == 1) s.push_back(base + dr);
      for (int32_t k = a.net_begin[net] + 1; k < a.net_begin[net + 1]; ++k) s.push_back(base + a.net_pins[k]);
    }
  }
  // Bridges: a net of one tile gains a sink in its neighbour, as the wires between the
  // copies of a block in a tiled design.
  std::vector<int32_t> pins_or_cells;
  for (int32_t i = 0; i < n; ++i)
    if (is_pin(a.kind[i]) || a.kind[i] == NodeKind::kStdCell) pins_or_cells.push_back(i);
  Rng rng(seed);
  if (a.num_nets() > 0 && !pins_or_cells.empty()) {
    for (int t = 0; t < tiles; ++t)
      for (int u : {t + 1, t + nx}) {
        if ((u == t + 1 && (t % nx) == nx - 1) || u >= tiles) continue;
        for (int b = 0; b < bridges; ++b) {
          const bool forward = rng.below(2) == 0;
          const int from = forward ? t : u, to = forward ? u : t;
          const int32_t net = rng.below(a.num_nets());
          const int32_t driver = from * n + a.net_pins[a.net_begin[net]];
          const int32_t sink = to * n + pins_or_cells[rng.below(static_cast<int>(pins_or_cells.size()))];
          auto& s = sinks[driver];
          if (s.size() == 1 && s[0] == driver) s.clear();  // a lone driver's net now has a sink
          s.push_back(sink);
        }
      }
  }
  nl.soft_macro_area_bloating_ratio = a.soft_macro_area_bloating_ratio;
  nl.block_name = a.block_name;
  nl.source = a.source;
  Design d;
  d.params = in.params;
  d.params.width = W * nx;
  d.params.height = H * ny;
  d.params.cols = in.params.cols * nx;
  d.params.rows = in.params.rows * ny;
  d.params.blockages.clear();
  for (int t = 0; t < tiles; ++t)
    for (Blockage b : in.params.blockages) {
      const double ox = (t % nx) * W, oy = (t / nx) * H;
      d.params.blockages.push_back({b.min_x + ox, b.min_y + oy, b.max_x + ox, b.max_y + oy, b.rate});
    }
  nl.blockages = d.params.blockages;
  nl.fp_width = d.params.width;
  nl.fp_height = d.params.height;
  validate_params(d.params, "tiled chip");
  nl.finalize(sinks);
  d.netlist = std::move(nl);
  d.placement = std::move(p);
  return d;
}

Design rescale_design(const Design& in, double sx, double sy) {
  if (!(sx > 0 && sy > 0 && std::isfinite(sx) && std::isfinite(sy)))
    throw InputError(fmt::format("rescale: factors {} x {} must be positive", sx, sy));
  Design d = in;
  Netlist& nl = d.netlist;
  for (int32_t i = 0; i < nl.num_nodes(); ++i) {
    if (is_pin(nl.kind[i])) continue;
    nl.x[i] *= sx;
    nl.y[i] *= sy;
    d.placement.x[i] *= sx;
    d.placement.y[i] *= sy;
  }
  d.params.width = in.params.width * sx;
  d.params.height = in.params.height * sy;
  for (Blockage& b : d.params.blockages) b = {b.min_x * sx, b.min_y * sy, b.max_x * sx, b.max_y * sy, b.rate};
  nl.blockages = d.params.blockages;
  nl.fp_width = d.params.width;
  nl.fp_height = d.params.height;
  std::vector<double> w, h;
  for (int32_t m : nl.hard_macros) {
    w.push_back(nl.width[m]);
    h.push_back(nl.height[m]);
  }
  const auto grid = choose_grid(w, h, d.params.width, d.params.height);
  if (!grid)
    throw InputError(fmt::format("rescale: the {} hard macros pack on no grid of the {} x {} canvas", w.size(),
                                 format_double(d.params.width), format_double(d.params.height)));
  d.params.cols = grid->cols;
  d.params.rows = grid->rows;
  validate_params(d.params, "rescaled chip");
  return d;
}

AugmentReport augment_to_folder(const AugmentJob& job) {
  if (job.mirror.empty() && job.tile.empty() && job.utilisation == 0 && job.scale == 0)
    throw InputError("augment: nothing to do: give --mirror, --tile, --utilisation or --scale");
  if (!job.mirror.empty() && job.mirror != "x" && job.mirror != "y" && job.mirror != "xy")
    throw InputError(fmt::format("augment: --mirror '{}' must be x, y or xy", job.mirror));
  if (job.utilisation != 0 && job.scale != 0) throw InputError("augment: give --utilisation or --scale, not both");
  if (job.utilisation < 0 || job.utilisation > 1 || job.scale < 0)
    throw InputError("augment: --utilisation must lie in (0, 1] and --scale be positive");
  int nx = 1, ny = 1;
  if (!job.tile.empty()) {
    const size_t x = job.tile.find('x');
    long long a = 0, b = 0;
    if (x == std::string::npos || !parse_integer(std::string_view(job.tile).substr(0, x), a) ||
        !parse_integer(std::string_view(job.tile).substr(x + 1), b) || a < 1 || b < 1 || a > 8 || b > 8)
      throw InputError(fmt::format("augment: --tile '{}' must be NxM with N and M from 1 to 8", job.tile));
    nx = static_cast<int>(a);
    ny = static_cast<int>(b);
  }
  Design d = load_design(job.netlist, job.plc);
  AugmentReport r;
  r.before = chip_stats(d, job.netlist);
  std::vector<std::string> steps;
  if (job.utilisation > 0 || job.scale > 0) {
    const double s = job.scale > 0 ? job.scale : std::sqrt(r.before.utilisation / job.utilisation);
    d = rescale_design(d, s, s);
    steps.push_back(job.scale > 0 ? fmt::format("--scale {}", job.scale)
                                  : fmt::format("--utilisation {}", job.utilisation));
  }
  if (!job.mirror.empty()) {
    d = mirror_design(d, job.mirror.find('x') != std::string::npos, job.mirror.find('y') != std::string::npos);
    steps.push_back("--mirror " + job.mirror);
  }
  if (!job.tile.empty()) {
    d = tile_design(d, nx, ny, job.bridges, job.seed);
    steps.push_back(fmt::format("--tile {} --bridges {} --seed {}", job.tile, job.bridges, job.seed));
  }
  r.how = "rlplace augment";
  for (const std::string& s : steps) r.how += " " + s;
  write_chip(job.out, d, r.how);
  r.after = chip_stats(d, job.out);
  return r;
}

}  // namespace rlplace
