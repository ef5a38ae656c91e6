// The edge-GNN policy and value networks, and the batched graph tensors they read.
//
// A batch is the disjoint union of B graphs (one per state; states of different netlists
// mix freely): nodes and edges of all graphs are concatenated, edge endpoints are offset
// into the concatenation, and node_graph / edge_graph say which graph each row belongs
// to. Every per-graph reduction is a scatter over those indices; there are no dense
// adjacency matrices and no padding of nodes or edges.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "gnn/config.h"
#include "gnn/features.h"

namespace rlplace::gnn {

// N nodes, E undirected edges (each stored once), B graphs, G the action grid.
struct GraphBatch {
  torch::Tensor node_features;  // [N, kNodeFeatures] float
  torch::Tensor node_graph;     // [N] int64, graph of each node
  torch::Tensor node_degree;    // [N, 1] float, incident edges (at least 1)
  torch::Tensor edge_src;       // [E] int64, node index into the batch
  torch::Tensor edge_dst;       // [E] int64
  torch::Tensor edge_weight;    // [E, 1] float
  torch::Tensor edge_graph;     // [E] int64
  torch::Tensor graph_edges;    // [B, 1] float, edges per graph (at least 1)
  torch::Tensor metadata;       // [B, kMetadataFeatures] float
  torch::Tensor current;        // [B] int64, batch node index of the macro to place
  torch::Tensor mask;           // [B, G * G] bool, padded action grid, true = feasible
  // [B, kCostMapChannels, G, G] float, zero in the padding; undefined unless every state
  // brought its cost maps.
  torch::Tensor cost_maps;
  // The nodes (edges) of every graph when all graphs have as many, else 0: per-graph
  // reductions then run over a [B, n, ...] view instead of scattering by graph index. Only
  // for rows in graph order, as make_batch builds them.
  int64_t uniform_nodes = 0, uniform_edges = 0;

  int64_t num_graphs() const { return metadata.size(0); }
  GraphBatch to(torch::Device device) const;
};

struct StateRef {
  const StaticFeatures* netlist;
  const DynamicFeatures* state;
};

// `host` on `device`. Off the CPU the copy goes through pinned memory without waiting, so
// that the host can build the next batch while the device still computes the last: a plain
// copy from pageable memory waits for the device's queue to drain first.
torch::Tensor upload(const torch::Tensor& host, torch::Device device);

// Builds the tensors on the host, then moves them to `device`. Throws
// std::invalid_argument when a netlist's grid does not fit G x G or a state does not
// match its netlist.
GraphBatch make_batch(const std::vector<StateRef>& states, int grid, torch::Device device);

// The rows of a netlist's graphs that no placement state changes (node sizes and types,
// degrees, edges, metadata, and where each grid cell lies in the padded action grid), built
// once and kept on one device, so that a batch built through the cache computes and uploads
// only what the states change: positions, the current macro, masks and cost maps. Entries are
// keyed by the StaticFeatures' address, which must outlive the cache. Thread-safe.
class StaticTensorCache {
 public:
  StaticTensorCache(int grid, torch::Device device) : grid_(grid), device_(device) {}
  struct Entry {
    torch::Tensor node_static;  // [n, kStaticNodeFeatures]
    torch::Tensor degree;       // [n, 1]
    torch::Tensor edge_src, edge_dst;  // [E] int64, node indices within the graph
    torch::Tensor edge_weight;  // [E, 1]
    torch::Tensor metadata;     // [1, kMetadataFeatures]
    torch::Tensor cell_action;  // [rows * cols] int64, padded action of each env cell
    torch::Tensor map_index;    // [kCostMapChannels * rows * cols] int64, ch * G * G + action
  };
  // Throws std::invalid_argument when the netlist's grid does not fit G x G.
  const Entry& get(const StaticFeatures& sf);
  int grid() const { return grid_; }
  torch::Device device() const { return device_; }

 private:
  int grid_;
  torch::Device device_;
  std::mutex mu_;
  std::map<const StaticFeatures*, std::unique_ptr<Entry>> entries_;
};

// The same batch as make_batch(states, cache.grid(), cache.device()), value for value, its
// static rows taken from the cache.
GraphBatch make_batch(const std::vector<StateRef>& states, StaticTensorCache& cache);

struct PolicyOutput {
  // [B, G * G]: raw scores with infeasible actions set to -inf.
  torch::Tensor logits;
  // [B, G * G]: log-probabilities; -inf (probability exactly 0) for infeasible actions. A
  // state with no feasible action (episode over) has every entry -inf: do not sample it.
  torch::Tensor log_probs;
  torch::Tensor value;  // [B]
};

class PolicyValueNetImpl : public torch::nn::Module {
 public:
  explicit PolicyValueNetImpl(const GnnConfig& config);

  PolicyOutput forward(const GraphBatch& batch);
  // [B, trunk_dim()]: the shared embedding both heads read.
  torch::Tensor trunk(const GraphBatch& batch);

  const GnnConfig& config() const { return config_; }
  int64_t parameter_count() const;

 private:
  torch::Tensor policy_logits(const torch::Tensor& trunk, const GraphBatch& batch);

  GnnConfig config_;
  torch::nn::Linear node_encoder_{nullptr}, metadata_encoder_{nullptr};
  torch::nn::ModuleList edge_layers_;  // Linear(2d + 1, d) each
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_proj_{nullptr};
  torch::nn::Linear policy_fc_{nullptr};
  torch::nn::ModuleList policy_up_;  // ConvTranspose2d, stride 2
  torch::nn::ConvTranspose2d policy_out_{nullptr};
  // With cost maps: the upsampled map and the cost maps, mixed into per-cell features
  // (3 x 3), then scored (1 x 1).
  torch::nn::Conv2d cost_mix_{nullptr}, cost_out_{nullptr};
  torch::nn::Linear prior_gate_{nullptr};  // greedy_prior: the trunk's trust in the proxy map
  torch::nn::ModuleList value_layers_;
};
TORCH_MODULE(PolicyValueNet);

// Row gather src[index] ([E, d] from [N, d]) and row sum out[index[i]] += src[i] ([rows, d]
// from [E, d]), the two scatter primitives of the network, with backward passes that stay
// fast on the CPU (see model.cc).
torch::Tensor gather_rows(const torch::Tensor& src, const torch::Tensor& index);
torch::Tensor sum_rows(const torch::Tensor& src, const torch::Tensor& index, int64_t rows);

// Asks glibc to keep freed memory for reuse instead of handing each large block back to
// the OS. LibTorch's CPU allocator frees every operation's output as soon as it is dead;
// for batches whose per-edge tensors are megabytes, returning and refaulting those pages
// made a batch of 64 Ariane133 states 3x slower on the VM of docs/benchmarks.md.
// Process-wide, so programs (benchmarks, training) call it, never the library itself.
void keep_freed_host_memory();

// Minus the sum over actions of p * log p, 0 for states with no feasible action. [B]
torch::Tensor entropy(const torch::Tensor& log_probs);

// Checkpoints: a torch archive holding a format tag, a format version, the configuration
// as JSON, a checksum of the parameters and the parameters, written atomically. Readers
// throw std::runtime_error (one line) naming the file for a missing, corrupt or foreign
// file, another format version, non-finite weights, weights that do not match the recorded
// checksum (files without one, written before it existed, are not checked), or (for
// load_weights) a configuration other than the network's.
inline constexpr int64_t kCheckpointVersion = 1;
void save_checkpoint(const std::string& path, const PolicyValueNetImpl& net);
// A network built from the configuration the file records.
PolicyValueNet load_checkpoint(const std::string& path, torch::Device device);
// Into an existing network, which keeps its device.
void load_weights(const std::string& path, PolicyValueNetImpl& net);
// The configuration a checkpoint records, without its weights.
GnnConfig checkpoint_config(const std::string& path);
// The checksum a checkpoint of `net` records (16 hex digits).
std::string parameter_checksum(const PolicyValueNetImpl& net);

}  // namespace rlplace::gnn
