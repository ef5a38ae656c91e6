// The build without METIS: the interface stays, and says why it cannot partition.
#include <stdexcept>

#include "cluster/partition.h"

namespace rlplace {

bool have_metis() { return false; }

std::vector<int32_t> metis_kway(const PartGraph&, int, uint64_t) {
  throw std::runtime_error("this build has no METIS (RLPLACE_WITH_METIS=OFF)");
}

}  // namespace rlplace
