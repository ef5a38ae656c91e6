// Graph partitioning behind a small interface, so that partitioners other than METIS can
// be plugged into the clustering.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rlplace {

// An undirected weighted graph in CSR form, each edge stored in both directions.
struct PartGraph {
  int32_t n = 0;
  std::vector<int32_t> xadj{0}, adjncy, adjwgt;
  std::vector<int32_t> vwgt;  // one per vertex

  // Builds the CSR from (u, v, w) edges; parallel edges are summed, self loops dropped.
  static PartGraph from_edges(int32_t n, std::vector<int32_t> vwgt, std::vector<std::array<int32_t, 3>>& edges);
};

// Splits the vertices into `parts` parts (fewer if the partitioner leaves some empty);
// returns the part of each vertex. The same graph, parts and seed give the same result.
using Partitioner = std::function<std::vector<int32_t>(const PartGraph& g, int parts, uint64_t seed)>;

// Whether this build has METIS (configure option RLPLACE_WITH_METIS).
bool have_metis();

// METIS_PartGraphKway, edge-cut objective, seeded. Throws std::runtime_error without METIS
// or when METIS fails.
std::vector<int32_t> metis_kway(const PartGraph& g, int parts, uint64_t seed);

// The partitioner a name selects ("metis"); throws InputError for one this build lacks.
Partitioner partitioner_by_name(const std::string& name);

}  // namespace rlplace
