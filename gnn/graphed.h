// The network's forward pass replayed from CUDA graphs. Launching the forward pass's few
// hundred kernels takes the host about 4 ms whatever the batch (docs/benchmarks.md); where the
// host bounds a step, as in central collection's lanes, one graph replay a lane gives those
// milliseconds back.
#pragma once

#include <cstdint>
#include <memory>

#include "gnn/model.h"

namespace rlplace::gnn {

class GraphedForward {
 public:
  // At most `max_graphs` captures are kept (the least recently used is dropped): each holds the
  // memory of one forward pass of its batch shape.
  explicit GraphedForward(int max_graphs = 4);
  ~GraphedForward();
  GraphedForward(const GraphedForward&) = delete;
  GraphedForward& operator=(const GraphedForward&) = delete;

  // net.forward(batch). On a CUDA device, without gradients, in a build against a CUDA
  // LibTorch: the second time a `slot` meets the same shapes and weights the pass is captured
  // into a graph, and later calls replay it. A replayed result lives in the graph's memory
  // until the slot's next call of that shape: callers that keep it copy it first. Callers give
  // concurrently live results distinct slots. Otherwise the eager pass.
  PolicyOutput operator()(PolicyValueNetImpl& net, const GraphBatch& batch, int slot);

  // Calls answered by a replay, and graphs captured, so far.
  int64_t replays() const;
  int64_t captures() const;

  // Whether this build can capture (linked against a CUDA LibTorch).
  static bool supported();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlplace::gnn
