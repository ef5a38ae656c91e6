// METIS behind the Partitioner interface; without METIS the build compiles no_metis.cc.
#include <metis.h>

#include <stdexcept>

#include <fmt/format.h>

#include "cluster/partition.h"

namespace rlplace {

static_assert(sizeof(idx_t) == sizeof(int32_t), "rlplace passes 32-bit arrays to METIS");

bool have_metis() { return true; }

std::vector<int32_t> metis_kway(const PartGraph& g, int parts, uint64_t seed) {
  std::vector<int32_t> part(g.n, 0);
  if (g.n == 0 || parts <= 1) return part;
  if (parts >= g.n) {
    for (int32_t v = 0; v < g.n; ++v) part[v] = v;
    return part;
  }
  idx_t options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(options);
  options[METIS_OPTION_SEED] = static_cast<idx_t>(seed % 1000000007ULL);
  options[METIS_OPTION_OBJTYPE] = METIS_OBJTYPE_CUT;
  options[METIS_OPTION_NUMBERING] = 0;
  idx_t nv = g.n, ncon = 1, np = parts, objval = 0;
  // METIS takes non-const pointers but does not write the graph.
  auto* xadj = const_cast<idx_t*>(g.xadj.data());
  auto* adjncy = const_cast<idx_t*>(g.adjncy.data());
  auto* adjwgt = g.adjwgt.empty() ? nullptr : const_cast<idx_t*>(g.adjwgt.data());
  auto* vwgt = g.vwgt.empty() ? nullptr : const_cast<idx_t*>(g.vwgt.data());
  const int rc = METIS_PartGraphKway(&nv, &ncon, xadj, adjncy, vwgt, nullptr, adjwgt, &np, nullptr, nullptr, options,
                                     &objval, part.data());
  if (rc != METIS_OK) throw std::runtime_error(fmt::format("METIS_PartGraphKway failed (status {})", rc));
  return part;
}

}  // namespace rlplace
