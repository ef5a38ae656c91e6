#include "cluster/partition.h"

#include <algorithm>

#include <fmt/format.h>

#include "netlists/netlist.h"

namespace rlplace {

PartGraph PartGraph::from_edges(int32_t n, std::vector<int32_t> vwgt, std::vector<std::array<int32_t, 3>>& edges) {
  PartGraph g;
  g.n = n;
  g.vwgt = std::move(vwgt);
  // Both directions, then one sort: equal (u, v) pairs become neighbours and are summed.
  const size_t m = edges.size();
  edges.reserve(2 * m);
  for (size_t i = 0; i < m; ++i) {
    auto e = edges[i];
    if (e[0] == e[1]) continue;
    edges.push_back({e[1], e[0], e[2]});
  }
  std::erase_if(edges, [](const std::array<int32_t, 3>& e) { return e[0] == e[1]; });
  std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
    return a[0] != b[0] ? a[0] < b[0] : a[1] < b[1];
  });
  g.xadj.assign(n + 1, 0);
  for (size_t i = 0; i < edges.size();) {
    size_t j = i;
    int64_t w = 0;
    while (j < edges.size() && edges[j][0] == edges[i][0] && edges[j][1] == edges[i][1]) w += edges[j++][2];
    g.adjncy.push_back(edges[i][1]);
    g.adjwgt.push_back(static_cast<int32_t>(std::min<int64_t>(w, INT32_MAX / 4)));
    ++g.xadj[edges[i][0] + 1];
    i = j;
  }
  for (int32_t v = 0; v < n; ++v) g.xadj[v + 1] += g.xadj[v];
  return g;
}

Partitioner partitioner_by_name(const std::string& name) {
  if (name == "metis") {
    if (!have_metis())
      throw InputError("this build has no METIS (configure with libmetis-dev installed and -DRLPLACE_WITH_METIS=ON)");
    return metis_kway;
  }
  throw InputError(fmt::format("unknown partitioner '{}' (known: metis)", name));
}

}  // namespace rlplace
