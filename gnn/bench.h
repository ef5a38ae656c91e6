// The speed of the policy/value network on a real netlist (`rlplace bench gnn`): static
// features once, one state (features, batch, forward), a batch of states along random
// episodes (build, forward, forward + backward). Free of LibTorch: commands call it and print.
#pragma once

#include <cstdint>
#include <string>

#include "cost/params.h"
#include "gnn/config.h"

namespace rlplace::gnn {

struct BenchOptions {
  std::string netlist, plc, device = "cpu";
  CostOverrides cost;
  int batch = 64, threads = 1;   // states per batch, LibTorch intra-op threads
  double seconds = 1;            // time to spend
  unsigned seed = 1;             // weights and the random episode
  bool keep_freed_memory = true;  // see keep_freed_host_memory (gnn/model.h)
  // When set: one more forward + backward of the batch under LibTorch's profiler, its
  // operations written there as a Chrome trace (with CUDA_LAUNCH_BLOCKING=1 a GPU
  // operation's span is its kernel time).
  std::string trace;
  GnnConfig config;
};

struct BenchResult {
  int64_t parameters = 0;
  int32_t graph_nodes = 0, hard_macros = 0, soft_macros = 0, port_clusters = 0, edges = 0;
  double static_features_ms = 0, single_features_ms = 0, single_forward_ms = 0;
  double batch_build_ms = 0, batch_forward_ms = 0, batch_forward_backward_ms = 0;
  double batch_build_cached_ms = 0;  // the same batch through a StaticTensorCache
  double batch_trunk_ms = 0, batch_trunk_backward_ms = 0;  // the graph network alone (both heads left out)
  double checksum = 0;  // of the outputs, so that nothing is optimised away
};

// Throws InputError for bad files or a netlist without movable hard macros.
BenchResult bench(const BenchOptions& options);

}  // namespace rlplace::gnn
