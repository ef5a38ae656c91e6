// rlplace cluster: a flat netlist's standard cells clustered into soft macros, written as
// Circuit Training's clustered netlist with its initial placement.
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/cluster.h"
#include "cluster/grid.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "netlists/plc.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct ClusterCmdOptions {
  std::string netlist, floorplan, out, partitioner = "metis";
  ClusterOptions cluster;
  bool json = false;
};

int run_cluster(const ClusterCmdOptions& o) {
  const auto t0 = Clock::now();
  // Before any reading, so that a build without METIS fails at once.
  const Partitioner partitioner = partitioner_by_name(o.partitioner);
  const PlcFile fp = read_plc(o.floorplan);  // small: a bad one fails before the netlist is read
  const Netlist flat = read_netlist(o.netlist);
  const double read_ms = ms_since(t0);
  CostParams params = resolve_params(flat, &fp.header);
  std::string grid_source = "floorplan";
  if (!fp.header.cols || !fp.header.rows) {
    std::vector<double> w, h;
    for (int32_t m : flat.hard_macros) {
      w.push_back(flat.width[m]);
      h.push_back(flat.height[m]);
    }
    const auto grid = choose_grid(w, h, params.width, params.height);
    if (!grid)
      throw InputError(fmt::format("{}: no grid of 500 to 2500 cells packs the {} hard macros on the {} x {} canvas",
                                   o.floorplan, w.size(), format_double(params.width), format_double(params.height)));
    params.cols = grid->cols;
    params.rows = grid->rows;
    grid_source = "chosen";
  }
  const auto t1 = Clock::now();
  const Clustering cl = cluster_stdcells(flat, params, o.cluster, partitioner);
  const double cluster_ms = ms_since(t1);

  const std::vector<std::string> comment = {
      fmt::format("Clustered by rlplace cluster --groups {} --seed {}: {} standard cells into {} soft macros",
                  o.cluster.groups, o.cluster.seed, flat.stdcells.size(), cl.count),
      fmt::format("FP bbox: {{0.0 0.0 {} {}}}", format_double(params.width), format_double(params.height))};
  const std::string text = clustered_netlist_text(flat, cl, params, o.cluster.bloating_ratio, comment);
  std::filesystem::create_directories(o.out);
  const std::string netlist_path = o.out + "/netlist.pb.txt.gz", plc_path = o.out + "/initial.plc";
  // Read back: what the reader makes of it fixes the node indices the .plc uses.
  Netlist clustered = parse_netlist(netlist_path, text);
  Placement p = Placement::from_netlist(clustered);
  for (int32_t i : clustered.ports) p.fixed[i] = 1;
  PlcHeader header = to_plc_header(params, flat.block_name);
  // Names relative to the folder and no date, so that the same input and seed give the
  // same bytes wherever the output goes.
  clustered.source = "netlist.pb.txt.gz";
  std::string plc = format_plc(clustered, p, header,
                               {{"Clustered by", fmt::format("rlplace cluster --groups {} --seed {}",
                                                             o.cluster.groups, o.cluster.seed)}},
                               "initial.plc");
  if (const size_t d = plc.find("# Date : "); d != std::string::npos) plc.erase(d, plc.find('\n', d) + 1 - d);
  write_file_atomic(netlist_path, gzip_text(text));
  write_file_atomic(plc_path, plc);
  const double cut = cut_connections(flat, cl.cluster);
  const double total_ms = ms_since(t0);

  if (o.json) {
    nlohmann::json j = {{"stdcells", flat.stdcells.size()},   {"hard_macros", clustered.hard_macros.size()},
                        {"soft_macros", clustered.soft_macros.size()}, {"ports", clustered.ports.size()},
                        {"nets", clustered.num_nets()},           {"flat_nets", flat.num_nets()},
                        {"cut_connections", cut},                 {"cols", params.cols},
                        {"rows", params.rows},                    {"grid", grid_source},
                        {"seeded_groups", cl.seeded_groups},      {"seeded_cells", cl.seeded_cells},
                        {"graph_vertices", cl.graph_vertices},    {"graph_edges", cl.graph_edges},
                        {"partitioned", cl.partitioned},          {"after_breakup", cl.after_breakup},
                        {"read_ms", read_ms},                     {"cluster_ms", cluster_ms},
                        {"total_ms", total_ms},                   {"out", o.out}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    fmt::print("clustered        {} standard cells of {} into {} soft macros\n", flat.stdcells.size(), o.netlist,
               cl.count);
    fmt::print("stages           {} seed groups claiming {} cells; graph {} vertices, {} edges; {} parts, {} after "
               "break-up, {} after merging\n",
               cl.seeded_groups, cl.seeded_cells, cl.graph_vertices, cl.graph_edges, cl.partitioned, cl.after_breakup,
               cl.after_merge);
    fmt::print("netlist          {} hard macros, {} soft macros, {} ports, {} nets ({} flat), {} cut connections\n",
               clustered.hard_macros.size(), clustered.soft_macros.size(), clustered.ports.size(),
               clustered.num_nets(), flat.num_nets(), cut);
    fmt::print("grid             {} x {} ({})\n", params.cols, params.rows, grid_source);
    fmt::print("time             {:.0f} ms to read, {:.0f} ms to cluster, {:.0f} ms in all\nwrote            {}, {}\n",
               read_ms, cluster_ms, total_ms, netlist_path, plc_path);
  }
  return 0;
}

}  // namespace

void add_cluster(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<ClusterCmdOptions>();
  CLI::App* cmd = app.add_subcommand("cluster", "Cluster a flat netlist's standard cells into soft macros");
  cmd->add_option("--netlist", o->netlist, "Flat netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--floorplan", o->floorplan, "Canvas, grid and routing parameters (.plc header)")->required();
  cmd->add_option("--out", o->out, "Output folder: netlist.pb.txt.gz and initial.plc, written atomically")->required();
  cmd->add_option("--groups", o->cluster.groups, "Parts asked of the partitioner besides the seed groups")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->cluster.seed, "Partitioner seed");
  cmd->add_option("--max-fanout", o->cluster.max_fanout, "Nets with more sinks stay out of the graph")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bloating-ratio", o->cluster.bloating_ratio, "Soft-macro area over cell area (1 / utilisation)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--partitioner", o->partitioner, "Graph partitioner (metis)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &chosen] { chosen = [o] { return run_cluster(*o); }; });
}

}  // namespace rlplace::tools
