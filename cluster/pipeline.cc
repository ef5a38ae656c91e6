#include "cluster/pipeline.h"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "cluster/grid.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "netlists/netlist_writer.h"
#include "netlists/plc.h"
#include "netlists/timing.h"

namespace rlplace {

namespace {


// The floorplan's grid, or one chosen by Circuit Training's gridding rules.
void choose_grid_if_missing(const Netlist& flat, const PlcFile& fp, CostParams& params, ClusterReport& r) {
  const CostOverrides given = params_from_plc(fp);
  if (given.has("cols") && given.has("rows")) return;
  std::vector<double> w, h;
  for (int32_t m : flat.hard_macros) {
    w.push_back(flat.width[m]);
    h.push_back(flat.height[m]);
  }
  const auto grid = choose_grid(w, h, params.width, params.height);
  if (!grid)
    throw InputError(fmt::format("{}: no grid of 500 to 2500 cells packs the {} hard macros on the {} x {} canvas",
                                 fp.path, w.size(), format_double(params.width), format_double(params.height)));
  params.cols = grid->cols;
  params.rows = grid->rows;
  r.grid_chosen = true;
}

}  // namespace

ClusterReport cluster_to_folder(const ClusterJob& job) {
  const auto t0 = Clock::now();
  ClusterReport r;
  // Before any reading, so that a build without METIS fails at once.
  const Partitioner partitioner = partitioner_by_name(job.partitioner);
  const PlcFile fp = read_plc(job.floorplan);  // small: a bad one fails before the netlist is read
  const Netlist flat = read_netlist(job.netlist);
  r.read_ms = ms_since(t0);
  CostParams params = resolve_params(flat, &fp);
  choose_grid_if_missing(flat, fp, params, r);
  const auto t1 = Clock::now();
  r.clustering = cluster_stdcells(flat, params, job.options, partitioner);
  r.cluster_ms = ms_since(t1);

  const ClusterOptions& o = job.options;
  const std::string how = fmt::format("rlplace cluster --groups {} --seed {}", o.groups, o.seed);
  const std::vector<std::string> comment = {
      fmt::format("Clustered by {}: {} standard cells into {} soft macros", how, flat.stdcells.size(),
                  r.clustering.count),
      fp_bbox_comment(params.width, params.height)};
  const std::string text = clustered_netlist_text(flat, r.clustering, params, o.bloating_ratio, comment);
  std::filesystem::create_directories(job.out);
  r.netlist_path = job.out + "/netlist.pb.txt.gz";
  r.plc_path = job.out + "/initial.plc";
  // Read back: what the reader makes of it fixes the node indices the .plc uses.
  Netlist clustered = parse_netlist(r.netlist_path, text);
  Placement p = Placement::from_netlist(clustered);
  for (int32_t i : clustered.ports) p.fixed[i] = 1;
  // Names relative to the folder and no date, so that the same input and seed give the
  // same bytes wherever the output goes.
  clustered.source = "netlist.pb.txt.gz";
  std::string plc = format_plc(clustered, p, to_plc_header(params, flat.block_name), {{"Clustered by", how}},
                               "initial.plc");
  if (const size_t d = plc.find("# Date : "); d != std::string::npos) plc.erase(d, plc.find('\n', d) + 1 - d);
  write_file_atomic(r.netlist_path, gzip_text(text));
  write_file_atomic(r.plc_path, plc);

  r.cut_connections = cut_connections(flat, r.clustering.cluster);
  r.stdcells = flat.stdcells.size();
  r.flat_nets = flat.num_nets();
  r.hard_macros = clustered.hard_macros.size();
  r.soft_macros = clustered.soft_macros.size();
  r.ports = clustered.ports.size();
  r.nets = clustered.num_nets();
  r.cols = params.cols;
  r.rows = params.rows;
  r.total_ms = ms_since(t0);
  return r;
}

}  // namespace rlplace
