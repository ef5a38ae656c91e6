#include "cluster/cluster.h"


#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "netlists/netlist_writer.h"
#include "netlists/plc.h"

namespace rlplace {

namespace {

int32_t fanout(const Netlist& nl, int32_t net) { return nl.net_begin[net + 1] - nl.net_begin[net] - 1; }

// The nets each node is on, CSR over nodes (a node appears once per net).
void node_nets(const Netlist& nl, std::vector<int32_t>& begin, std::vector<int32_t>& nets) {
  const int32_t n = nl.num_nodes();
  begin.assign(n + 1, 0);
  for (int32_t p : nl.net_pins) ++begin[p + 1];
  for (int32_t i = 0; i < n; ++i) begin[i + 1] += begin[i];
  nets.assign(begin[n], 0);
  std::vector<int32_t> fill(begin.begin(), begin.end() - 1);
  for (int32_t net = 0; net < nl.num_nets(); ++net)
    for (int32_t k = nl.net_begin[net]; k < nl.net_begin[net + 1]; ++k) nets[fill[nl.net_pins[k]]++] = net;
}

// Groups of nearby ports: per side (LEFT, TOP, RIGHT, BOTTOM), ports sorted along the
// side, a new group whenever a port lies a grid cell (height on LEFT/RIGHT, width on
// TOP/BOTTOM) or more beyond the first port of the current group.
std::vector<std::vector<int32_t>> port_groups(const Netlist& nl, const CostParams& params) {
  std::vector<std::vector<int32_t>> groups;
  for (int s = 0; s < 4; ++s) {
    std::vector<int32_t> on;
    for (int32_t p : nl.ports)
      if (nearest_side(nl.x[p], nl.y[p], params.width, params.height) == s) on.push_back(p);
    const bool vertical = s == kSideLeft || s == kSideRight;
    auto along = [&](int32_t p) { return vertical ? nl.y[p] : nl.x[p]; };
    std::stable_sort(on.begin(), on.end(), [&](int32_t a, int32_t b) { return along(a) < along(b); });
    const double step = vertical ? params.cell_height() : params.cell_width();
    double start = 0;
    for (size_t i = 0; i < on.size(); ++i) {
      if (i == 0 || along(on[i]) - start >= step) {
        groups.emplace_back();
        start = along(on[i]);
      }
      groups.back().push_back(on[i]);
    }
  }
  return groups;
}

struct Centre {
  double x = 0, y = 0, area = 0, sx = 0, sy = 0;
  int cells = 0;
  void add(double cx, double cy, double a) {
    x += cx * a;
    y += cy * a;
    area += a;
    sx += cx;
    sy += cy;
    ++cells;
  }
  void merge(const Centre& o) {
    x += o.x; y += o.y; area += o.area; sx += o.sx; sy += o.sy; cells += o.cells;
  }
  // Area-weighted; the plain mean when the cells have no area.
  double cx() const { return area > 0 ? x / area : sx / std::max(1, cells); }
  double cy() const { return area > 0 ? y / area : sy / std::max(1, cells); }
};

// Renumbers cluster ids 0.. in the order of their first cell; returns the count.
int32_t renumber(const Netlist& nl, std::vector<int32_t>& cluster) {
  std::unordered_map<int32_t, int32_t> id;
  for (int32_t c : nl.stdcells) {
    auto [it, fresh] = id.emplace(cluster[c], static_cast<int32_t>(id.size()));
    cluster[c] = it->second;
  }
  return static_cast<int32_t>(id.size());
}

std::vector<Centre> centres(const Netlist& nl, const std::vector<int32_t>& cluster, int32_t count) {
  std::vector<Centre> out(count);
  for (int32_t c : nl.stdcells) out[cluster[c]].add(nl.x[c], nl.y[c], nl.width[c] * nl.height[c]);
  return out;
}

// Cuts every cluster whose cells span more than `t` in x or y into squares of side t
// around its centroid; the centre square keeps the id.
int32_t break_up(const Netlist& nl, std::vector<int32_t>& cluster, int32_t count, double t) {
  std::vector<double> lx(count, INFINITY), ly(count, INFINITY), ux(count, -INFINITY), uy(count, -INFINITY);
  for (int32_t c : nl.stdcells) {
    const int32_t k = cluster[c];
    lx[k] = std::min(lx[k], nl.x[c]); ux[k] = std::max(ux[k], nl.x[c]);
    ly[k] = std::min(ly[k], nl.y[c]); uy[k] = std::max(uy[k], nl.y[c]);
  }
  const std::vector<Centre> cen = centres(nl, cluster, count);
  // (cluster, region x, region y) -> new id, in order of first cell.
  std::unordered_map<int64_t, int32_t> region_id;
  int32_t next = count;
  for (int32_t c : nl.stdcells) {
    const int32_t k = cluster[c];
    if (ux[k] - lx[k] <= t && uy[k] - ly[k] <= t) continue;
    const int64_t ix = static_cast<int64_t>(std::floor((nl.x[c] - cen[k].cx()) / t + 0.5));
    const int64_t iy = static_cast<int64_t>(std::floor((nl.y[c] - cen[k].cy()) / t + 0.5));
    if (ix == 0 && iy == 0) continue;
    const int64_t key = (static_cast<int64_t>(k) << 32) ^ ((ix & 0xffff) << 16) ^ (iy & 0xffff);
    auto [it, fresh] = region_id.emplace(key, next);
    if (fresh) ++next;
    cluster[c] = it->second;
  }
  return next;
}

int32_t find(std::vector<int32_t>& parent, int32_t a) {
  while (parent[a] != a) a = parent[a] = parent[parent[a]];
  return a;
}

// Merges each cluster of at most cells / clusters / 4 cells into the cluster, among those
// whose centroid is within `closeness` (Manhattan), that it shares most connections with;
// repeats while merges happen.
int32_t merge_small(const Netlist& nl, std::vector<int32_t>& cluster, int32_t count, double closeness,
                    int max_fanout) {
  const int64_t small = static_cast<int64_t>(nl.stdcells.size()) / std::max(1, count) / 4;
  std::vector<int32_t> parent(count);
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<Centre> cen = centres(nl, cluster, count);
  for (int round = 0; round < 100; ++round) {
    // Connections between clusters: one per (net, sink) whose ends lie in two clusters.
    std::unordered_map<int64_t, int32_t> adj;
    std::vector<std::vector<int32_t>> neighbours(count);
    for (int32_t net = 0; net < nl.num_nets(); ++net) {
      if (fanout(nl, net) > max_fanout) continue;
      const int32_t d = nl.net_pins[nl.net_begin[net]];
      if (cluster[d] < 0) continue;
      const int32_t a = find(parent, cluster[d]);
      for (int32_t k = nl.net_begin[net] + 1; k < nl.net_begin[net + 1]; ++k) {
        const int32_t s = nl.net_pins[k];
        if (cluster[s] < 0) continue;
        const int32_t b = find(parent, cluster[s]);
        if (a == b) continue;
        for (auto [u, v] : {std::pair{a, b}, std::pair{b, a}}) {
          auto [it, fresh] = adj.emplace((static_cast<int64_t>(u) << 32) | v, 0);
          if (fresh) neighbours[u].push_back(v);
          ++it->second;
        }
      }
    }
    std::vector<int32_t> alive;
    for (int32_t k = 0; k < count; ++k)
      if (find(parent, k) == k) alive.push_back(k);
    bool merged = false;
    for (int32_t c : alive) {
      if (find(parent, c) != c || cen[c].cells > small) continue;
      const double cx = cen[c].cx(), cy = cen[c].cy();
      int32_t best = -1;
      int64_t best_conn = -1;
      double best_dist = 0;
      for (int32_t d : alive) {
        if (d == c || find(parent, d) != d) continue;
        const double dist = std::abs(cen[d].cx() - cx) + std::abs(cen[d].cy() - cy);
        if (dist > closeness) continue;
        int64_t conn = 0;
        // Connections counted at the start of the round, to clusters since merged into d too.
        for (int32_t v : neighbours[c])
          if (find(parent, v) == d) conn += adj[(static_cast<int64_t>(c) << 32) | v];
        if (conn > best_conn || (conn == best_conn && dist < best_dist)) {
          best = d;
          best_conn = conn;
          best_dist = dist;
        }
      }
      if (best < 0) continue;
      parent[c] = best;
      cen[best].merge(cen[c]);
      merged = true;
    }
    if (!merged) break;
  }
  for (int32_t c : nl.stdcells) cluster[c] = find(parent, cluster[c]);
  return renumber(nl, cluster);
}

}  // namespace

Clustering cluster_stdcells(const Netlist& nl, const CostParams& params, const ClusterOptions& o,
                            const Partitioner& partitioner) {
  if (nl.stdcells.empty()) throw InputError(fmt::format("{}: no standard cells to cluster", nl.source));
  if (!nl.soft_macros.empty())
    throw InputError(fmt::format("{}: already clustered ({} soft macros)", nl.source, nl.soft_macros.size()));
  const int32_t n = nl.num_nodes();
  Clustering out;
  std::vector<int32_t> nb, nn;
  node_nets(nl, nb, nn);

  // Seed groups: the pins of each hard macro, then each run of nearby ports; each claims
  // the standard cells that drive it or that it drives (first claim wins).
  std::vector<std::vector<int32_t>> elements;
  if (o.seed_groups) {
    for (int32_t m : nl.hard_macros)
      if (nl.pin_begin[m + 1] > nl.pin_begin[m])
        elements.emplace_back(nl.pins.begin() + nl.pin_begin[m], nl.pins.begin() + nl.pin_begin[m + 1]);
    for (auto& g : port_groups(nl, params)) elements.push_back(std::move(g));
  }
  const int32_t groups = static_cast<int32_t>(elements.size());
  std::vector<int32_t> vertex(n, -1);
  std::vector<int32_t> vwgt(groups, 0);
  for (int32_t g = 0; g < groups; ++g)
    for (int32_t e : elements[g]) vertex[e] = g;
  for (int32_t g = 0; g < groups; ++g) {
    for (int32_t e : elements[g]) {
      for (int32_t k = nb[e]; k < nb[e + 1]; ++k) {
        const int32_t net = nn[k];
        if (fanout(nl, net) > o.max_fanout) continue;
        const int32_t d = nl.net_pins[nl.net_begin[net]];
        auto claim = [&](int32_t c) {
          if (nl.kind[c] != NodeKind::kStdCell || vertex[c] >= 0) return;
          vertex[c] = g;
          ++vwgt[g];
          ++out.seeded_cells;
        };
        if (d == e)
          for (int32_t j = nl.net_begin[net] + 1; j < nl.net_begin[net + 1]; ++j) claim(nl.net_pins[j]);
        else
          claim(d);
      }
    }
  }
  out.seeded_groups = groups;
  for (int32_t g = 0; g < groups; ++g) vwgt[g] = std::max(1, vwgt[g]);
  int32_t nv = groups;
  for (int32_t c : nl.stdcells)
    if (vertex[c] < 0) {
      vertex[c] = nv++;
      vwgt.push_back(1);
    }

  // Clique edges for small nets, a star from the driver for larger ones; weights share a
  // fixed budget per net so that big nets do not dominate.
  std::vector<std::array<int32_t, 3>> edges;
  std::vector<int32_t> stamp(nv, -1), vs;
  for (int32_t net = 0; net < nl.num_nets(); ++net) {
    if (fanout(nl, net) > o.max_fanout) continue;
    vs.clear();
    for (int32_t k = nl.net_begin[net]; k < nl.net_begin[net + 1]; ++k) {
      const int32_t v = vertex[nl.net_pins[k]];
      if (v < 0 || stamp[v] == net) continue;
      stamp[v] = net;
      vs.push_back(v);
    }
    const int p = static_cast<int>(vs.size());
    if (p < 2) continue;
    if (p <= 8) {
      const int32_t w = std::max(1, static_cast<int32_t>(std::lround(64.0 / (p - 1))));
      for (int i = 0; i < p; ++i)
        for (int j = i + 1; j < p; ++j) edges.push_back({vs[i], vs[j], w});
    } else {
      const int32_t w = std::max(1, static_cast<int32_t>(std::lround(128.0 / p)));
      for (int i = 1; i < p; ++i) edges.push_back({vs[0], vs[i], w});
    }
  }
  const PartGraph graph = PartGraph::from_edges(nv, std::move(vwgt), edges);
  edges = {};
  out.graph_vertices = graph.n;
  out.graph_edges = static_cast<int64_t>(graph.adjncy.size()) / 2;
  const std::vector<int32_t> part = partitioner(graph, o.groups + groups, o.seed);

  out.cluster.assign(n, -1);
  for (int32_t c : nl.stdcells) out.cluster[c] = part[vertex[c]];
  int32_t count = renumber(nl, out.cluster);
  out.partitioned = count;

  const double t = o.breakup > 0 ? o.breakup : std::sqrt(params.width * params.height / 16);
  count = break_up(nl, out.cluster, count, t);
  count = renumber(nl, out.cluster);
  out.after_breakup = count;
  count = merge_small(nl, out.cluster, count, t / 2, o.max_fanout);
  out.after_merge = count;
  out.count = count;
  return out;
}

double cut_connections(const Netlist& nl, const std::vector<int32_t>& cluster) {
  const int32_t n = nl.num_nodes();
  // Targets: nodes by index, clusters as n + k.
  std::unordered_map<int64_t, int32_t> seen;
  double total = 0;
  for (int32_t net = 0; net < nl.num_nets(); ++net) {
    const int32_t d = nl.net_pins[nl.net_begin[net]];
    if (nl.kind[d] != NodeKind::kStdCell) continue;
    seen.clear();
    for (int32_t k = nl.net_begin[net] + 1; k < nl.net_begin[net + 1]; ++k) {
      const int32_t s = nl.net_pins[k];
      const int64_t target = cluster[s] >= 0 ? int64_t{n} + cluster[s] : s;
      if (target == int64_t{n} + cluster[d]) continue;
      if (seen.emplace(target, 0).second) total += nl.net_weight[net];
    }
  }
  return total;
}

std::string clustered_netlist_text(const Netlist& nl, const Clustering& cl, const CostParams& params,
                                   double bloating_ratio, const std::vector<std::string>& comment) {
  const int32_t n = nl.num_nodes(), K = cl.count;
  const int64_t span = int64_t{n} + K;
  auto target_of = [&](int32_t s) -> int64_t { return cl.cluster[s] >= 0 ? int64_t{n} + cl.cluster[s] : s; };
  auto pinput = [](int32_t k) { return fmt::format("Grp_{}/Pinput", k); };
  std::vector<uint8_t> pinput_used(K, 0);
  std::vector<int32_t> driven(n, -1);
  for (int32_t net = 0; net < nl.num_nets(); ++net) driven[nl.net_pins[nl.net_begin[net]]] = net;

  // Output pins of each cluster: (target, merged weight), in order of first connection.
  std::vector<std::vector<std::pair<int64_t, double>>> outs(K);
  std::unordered_map<int64_t, int32_t> out_index;
  std::unordered_map<int64_t, int32_t> seen;
  for (int32_t net = 0; net < nl.num_nets(); ++net) {
    const int32_t d = nl.net_pins[nl.net_begin[net]];
    if (nl.kind[d] != NodeKind::kStdCell) continue;
    const int32_t k = cl.cluster[d];
    seen.clear();
    for (int32_t j = nl.net_begin[net] + 1; j < nl.net_begin[net + 1]; ++j) {
      const int64_t t = target_of(nl.net_pins[j]);
      if (t == int64_t{n} + k || !seen.emplace(t, 0).second) continue;
      if (t >= n) pinput_used[t - n] = 1;
      auto [it, fresh] = out_index.emplace(int64_t{k} * span + t, static_cast<int32_t>(outs[k].size()));
      if (fresh) outs[k].push_back({t, 0.0});
      outs[k][it->second].second += nl.net_weight[net];
    }
  }
  std::vector<Centre> cen(K);
  for (int32_t c : nl.stdcells) cen[cl.cluster[c]].add(nl.x[c], nl.y[c], nl.width[c] * nl.height[c]);

  NetlistTextWriter w;
  w.out.reserve(static_cast<size_t>(n) * 64 + 4096);
  for (const std::string& line : comment) w.comment(line);
  w.begin("__metadata__");
  w.f("soft_macro_area_bloating_ratio", bloating_ratio);
  w.end();
  auto target_name = [&](int64_t t) { return t >= n ? pinput(static_cast<int32_t>(t - n)) : nl.name[t]; };
  auto inputs_of = [&](int32_t i) {
    if (driven[i] < 0) return;
    const int32_t net = driven[i];
    // A net of its driver alone was a node listing itself as input: kept as it was.
    if (nl.net_begin[net + 1] - nl.net_begin[net] == 1) w.input(nl.name[i]);
    seen.clear();
    for (int32_t j = nl.net_begin[net] + 1; j < nl.net_begin[net + 1]; ++j) {
      const int64_t t = target_of(nl.net_pins[j]);
      if (!seen.emplace(t, 0).second) continue;
      if (t >= n) pinput_used[t - n] = 1;
      w.input(target_name(t));
    }
  };
  for (int32_t i = 0; i < n; ++i) {
    switch (nl.kind[i]) {
      case NodeKind::kPort:
        w.begin(nl.name[i]);
        inputs_of(i);
        w.s("side", side_name(nearest_side(nl.x[i], nl.y[i], params.width, params.height)));
        w.s("type", "PORT");
        if (nl.weight[i] != 1.0) w.f("weight", nl.weight[i]);
        w.f("x", nl.x[i]);
        w.f("y", nl.y[i]);
        w.end();
        break;
      case NodeKind::kHardMacro:
        w.begin(nl.name[i]);
        w.f("height", nl.height[i]);
        w.s("orientation", std::string(to_string(nl.orientation[i])));
        w.s("type", "MACRO");
        w.f("width", nl.width[i]);
        w.f("x", nl.x[i]);
        w.f("y", nl.y[i]);
        w.end();
        break;
      case NodeKind::kHardMacroPin: {
        const int32_t m = nl.owner[i];
        double ox, oy;
        orient_offset(nl.orientation[m], nl.pin_dx[i], nl.pin_dy[i], ox, oy);
        w.begin(nl.name[i]);
        inputs_of(i);
        w.s("macro_name", nl.name[m]);
        w.s("type", "MACRO_PIN");
        if (nl.weight[i] != 1.0) w.f("weight", nl.weight[i]);
        w.f("x", nl.x[m] + ox);
        w.f("x_offset", nl.pin_dx[i]);
        w.f("y", nl.y[m] + oy);
        w.f("y_offset", nl.pin_dy[i]);
        w.end();
        break;
      }
      default:
        break;
    }
  }
  for (int32_t k = 0; k < K; ++k) {
    const std::string macro = fmt::format("Grp_{}", k);
    const double side = std::sqrt(cen[k].area * bloating_ratio);
    const double x = cen[k].cx(), y = cen[k].cy();
    w.begin(macro);
    w.f("height", side);
    w.s("type", "macro");
    w.f("width", side);
    w.f("x", x);
    w.f("y", y);
    w.end();
    auto pin = [&](double weight) {
      w.s("macro_name", macro);
      w.s("type", "macro_pin");
      if (weight > 0) w.f("weight", weight);
      w.f("x", x);
      w.f("x_offset", 0);
      w.f("y", y);
      w.f("y_offset", 0);
      w.end();
    };
    for (size_t i = 0; i < outs[k].size(); ++i) {
      w.begin(fmt::format("{}/Poutput_single_{}", macro, i));
      w.input(target_name(outs[k][i].first));
      pin(outs[k][i].second);
    }
    if (pinput_used[k]) {
      w.begin(pinput(k));
      pin(0);
    }
  }
  return std::move(w.out);
}


}  // namespace rlplace
