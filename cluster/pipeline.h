// `rlplace cluster` as one library call: read a flat netlist and its floorplan, choose the
// grid if the floorplan gives none, cluster, and write Circuit Training's clustered netlist
// and initial placement into a folder.
#pragma once

#include <string>

#include "cluster/cluster.h"

namespace rlplace {

struct ClusterJob {
  std::string netlist, floorplan, out;
  std::string partitioner = "metis";
  ClusterOptions options;
};

struct ClusterReport {
  Clustering clustering;
  size_t stdcells = 0, flat_nets = 0;
  size_t hard_macros = 0, soft_macros = 0, ports = 0, nets = 0;  // of the clustered netlist
  double cut_connections = 0;
  int cols = 0, rows = 0;
  bool grid_chosen = false;  // false: the floorplan's
  double read_ms = 0, cluster_ms = 0, total_ms = 0;
  std::string netlist_path, plc_path;
};

// Writes OUT/netlist.pb.txt.gz and OUT/initial.plc atomically, byte-identical for the same
// input and seed wherever OUT is. Throws InputError for bad input or a build without the
// partitioner.
ClusterReport cluster_to_folder(const ClusterJob& job);

}  // namespace rlplace
