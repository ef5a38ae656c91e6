// rlplace cluster: a flat netlist's standard cells clustered into soft macros, written as
// Circuit Training's clustered netlist with its initial placement.
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/pipeline.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

struct ClusterCmdOptions {
  ClusterJob job;
  bool json = false;
};

int run_cluster(const ClusterCmdOptions& o) {
  const ClusterReport r = cluster_to_folder(o.job);
  const Clustering& cl = r.clustering;
  const char* grid = r.grid_chosen ? "chosen" : "floorplan";
  if (o.json) {
    nlohmann::json j = {{"stdcells", r.stdcells},           {"hard_macros", r.hard_macros},
                        {"soft_macros", r.soft_macros},     {"ports", r.ports},
                        {"nets", r.nets},                   {"flat_nets", r.flat_nets},
                        {"cut_connections", r.cut_connections}, {"cols", r.cols},
                        {"rows", r.rows},                   {"grid", grid},
                        {"seeded_groups", cl.seeded_groups}, {"seeded_cells", cl.seeded_cells},
                        {"graph_vertices", cl.graph_vertices}, {"graph_edges", cl.graph_edges},
                        {"partitioned", cl.partitioned},    {"after_breakup", cl.after_breakup},
                        {"read_ms", r.read_ms},             {"cluster_ms", r.cluster_ms},
                        {"total_ms", r.total_ms},           {"out", o.job.out}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  fmt::print("clustered        {} standard cells of {} into {} soft macros\n", r.stdcells, o.job.netlist, cl.count);
  fmt::print("stages           {} seed groups claiming {} cells; graph {} vertices, {} edges; {} parts, {} after "
             "break-up, {} after merging\n",
             cl.seeded_groups, cl.seeded_cells, cl.graph_vertices, cl.graph_edges, cl.partitioned, cl.after_breakup,
             cl.after_merge);
  fmt::print("netlist          {} hard macros, {} soft macros, {} ports, {} nets ({} flat), {} cut connections\n",
             r.hard_macros, r.soft_macros, r.ports, r.nets, r.flat_nets, r.cut_connections);
  fmt::print("grid             {} x {} ({})\n", r.cols, r.rows, grid);
  fmt::print("time             {:.0f} ms to read, {:.0f} ms to cluster, {:.0f} ms in all\nwrote            {}, {}\n",
             r.read_ms, r.cluster_ms, r.total_ms, r.netlist_path, r.plc_path);
  return 0;
}

}  // namespace

void add_cluster(CLI::App& app, Run& chosen) {
  auto o = std::make_shared<ClusterCmdOptions>();
  CLI::App* cmd = app.add_subcommand("cluster", "Cluster a flat netlist's standard cells into soft macros");
  cmd->add_option("--netlist", o->job.netlist, "Flat netlist (.pb.txt, .pb.txt.gz or binary .pb)")->required();
  cmd->add_option("--floorplan", o->job.floorplan, "Canvas, grid and routing parameters (.plc header)")->required();
  cmd->add_option("--out", o->job.out, "Output folder: netlist.pb.txt.gz and initial.plc, written atomically")->required();
  cmd->add_option("--groups", o->job.options.groups, "Parts asked of the partitioner besides the seed groups")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->job.options.seed, "Partitioner seed");
  cmd->add_option("--max-fanout", o->job.options.max_fanout, "Nets with more sinks stay out of the graph")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bloating-ratio", o->job.options.bloating_ratio, "Soft-macro area over cell area (1 / utilisation)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--partitioner", o->job.partitioner, "Graph partitioner (metis)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &chosen] { chosen = [o] { return run_cluster(*o); }; });
}

}  // namespace rlplace::tools
