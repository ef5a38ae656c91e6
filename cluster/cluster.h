// Clustering of a flat netlist's standard cells into soft macros, in the manner of Circuit
// Training's grouping flow: cells next to each hard macro's pins and to each run of
// nearby ports are seeded together, a graph partitioner splits the rest by connectivity,
// clusters spread wider than a quarter of the canvas side are cut up by position, and
// small clusters are merged into a close, well-connected neighbour.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/partition.h"
#include "cost/params.h"
#include "netlists/netlist.h"

namespace rlplace {

struct ClusterOptions {
  int groups = 500;            // parts asked of the partitioner, besides the seeded groups
  uint64_t seed = 1;
  int max_fanout = 500;        // nets with more sinks stay out of the graph and the seeding
  double bloating_ratio = 2.0; // soft-macro area / cell area: 1 / cell area utilisation (CT: 0.5)
  bool seed_groups = true;     // seed groups around hard macros and port runs
  double breakup = 0;          // cluster span above which it is cut up; 0: sqrt(W * H / 16)
};

struct Clustering {
  std::vector<int32_t> cluster;  // per node of the flat netlist: a standard cell's cluster, else -1
  int32_t count = 0;             // clusters, numbered 0 .. count-1 by their first cell
  // Sizes along the way, for reports.
  int seeded_groups = 0, seeded_cells = 0;
  int graph_vertices = 0;
  int64_t graph_edges = 0;
  int partitioned = 0, after_breakup = 0, after_merge = 0;
};

// Clusters every standard cell of `flat` (canvas from `params`). Throws InputError for a
// netlist with no standard cells.
Clustering cluster_stdcells(const Netlist& flat, const CostParams& params, const ClusterOptions& options,
                            const Partitioner& partitioner);

// Connections cut by a clustering: over the nets a standard cell drives, net weight times
// the number of distinct targets outside the driver's cluster, where a target is a hard-macro
// pin, a port, or another cluster (the sinks one cluster holds count once). These are
// exactly the connections the soft macros' output pins carry, so the weights of the nets
// the clustered netlist's soft-macro pins drive sum to this.
double cut_connections(const Netlist& flat, const std::vector<int32_t>& cluster);

// Circuit Training's clustered netlist text: the __metadata__ node with the bloating
// ratio, the ports and hard macros with their pins as in `flat` (nets re-targeted), then
// per cluster k a square soft macro Grp_k of side sqrt(cell area * bloating ratio) at its
// cells' area-weighted centroid, with pins at its centre: Grp_k/Pinput, the sink of every
// net entering the cluster, and one Grp_k/Poutput_single_i per target outside it whose
// weight is the number of connections it merges (net weight summed). Nets wholly inside
// one cluster vanish. `comment` lines (without '#') go into the header.
std::string clustered_netlist_text(const Netlist& flat, const Clustering& clustering, const CostParams& params,
                                   double bloating_ratio, const std::vector<std::string>& comment = {});


}  // namespace rlplace
