#include "gnn/graphed.h"

#include <algorithm>
#include <list>
#include <vector>

#include <torch/autograd.h>

#ifdef RLPLACE_TORCH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace rlplace::gnn {

#ifdef RLPLACE_TORCH_CUDA
namespace {

// Every tensor of a batch, in one list, so that keys, clones and copies cannot miss one.
constexpr torch::Tensor GraphBatch::*kTensors[] = {
    &GraphBatch::node_features, &GraphBatch::node_graph, &GraphBatch::node_degree, &GraphBatch::edge_src,
    &GraphBatch::edge_dst,      &GraphBatch::edge_weight, &GraphBatch::edge_graph, &GraphBatch::graph_edges,
    &GraphBatch::metadata,      &GraphBatch::current,     &GraphBatch::mask,       &GraphBatch::cost_maps};

// What a capture depends on: the slot, the weights' storage (a capture reads the parameters
// where they were; a network moved or reloaded elsewhere needs a new one), and every shape.
std::vector<int64_t> key_of(const PolicyValueNetImpl& net, const GraphBatch& b, int slot) {
  std::vector<int64_t> key = {slot, b.uniform_nodes, b.uniform_edges};
  for (const auto& p : net.parameters()) key.push_back(reinterpret_cast<int64_t>(p.data_ptr()));
  for (auto member : kTensors) {
    const torch::Tensor& t = b.*member;
    key.push_back(t.defined() ? t.dim() : -1);
    if (!t.defined()) continue;
    key.push_back(static_cast<int64_t>(t.scalar_type()));
    for (int64_t n : t.sizes()) key.push_back(n);
  }
  return key;
}

}  // namespace
#endif  // RLPLACE_TORCH_CUDA

struct GraphedForward::Impl {
  struct Entry {
    std::vector<int64_t> key;
    int64_t used = 0;  // the clock at its last call
#ifdef RLPLACE_TORCH_CUDA
    std::unique_ptr<at::cuda::CUDAGraph> graph;  // null until the shape's second call
#endif
    GraphBatch in;  // the captured pass's inputs: each replay's batch is copied into them
    PolicyOutput out;
    bool captured() const {
#ifdef RLPLACE_TORCH_CUDA
      return graph != nullptr;
#else
      return false;
#endif
    }
  };
  int max_graphs;
  int64_t clock = 0, replays = 0, captures = 0;
  // A list: trimming erases other entries than the one in use (it is the most recent), and
  // a list's erase leaves the others where they are.
  std::list<Entry> entries;

  // Keeps at most `max_graphs` captures and as many shapes seen once, dropping the least
  // recently used of the kind that is over.
  void trim() {
    for (bool captured : {true, false}) {
      for (;;) {
        int n = 0;
        auto oldest = entries.end();
        for (auto it = entries.begin(); it != entries.end(); ++it) {
          if (it->captured() != captured) continue;
          ++n;
          if (oldest == entries.end() || it->used < oldest->used) oldest = it;
        }
        if (n <= max_graphs) break;
        entries.erase(oldest);
      }
    }
  }
};

GraphedForward::GraphedForward(int max_graphs) : impl_(std::make_unique<Impl>()) {
  impl_->max_graphs = std::max(1, max_graphs);
}
GraphedForward::~GraphedForward() = default;

int64_t GraphedForward::replays() const { return impl_->replays; }
int64_t GraphedForward::captures() const { return impl_->captures; }

bool GraphedForward::supported() {
#ifdef RLPLACE_TORCH_CUDA
  return true;
#else
  return false;
#endif
}

PolicyOutput GraphedForward::operator()(PolicyValueNetImpl& net, const GraphBatch& batch, int slot) {
#ifdef RLPLACE_TORCH_CUDA
  const torch::Device device = batch.node_features.device();
  if (!device.is_cuda() || torch::GradMode::is_enabled()) return net.forward(batch);
  Impl& s = *impl_;
  const std::vector<int64_t> key = key_of(net, batch, slot);
  auto it = std::find_if(s.entries.begin(), s.entries.end(), [&](const Impl::Entry& e) { return e.key == key; });
  if (it == s.entries.end()) {
    // The first call of a shape runs eagerly: it is also the warm-up a capture needs (cuDNN's
    // and cuBLAS's lazy set-up cannot be recorded), and a shape met once is not worth a graph.
    s.entries.push_back({key, ++s.clock});
    s.trim();
    return net.forward(batch);
  }
  it->used = ++s.clock;
  const c10::cuda::CUDAStream current = c10::cuda::getCurrentCUDAStream(device.index());
  if (!it->captured()) {
    it->in = batch;
    for (auto member : kTensors)
      if ((it->in.*member).defined()) it->in.*member = (it->in.*member).clone();
    // A capture must run on a stream of its own; it waits for the inputs' clones first.
    const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, device.index());
    at::cuda::CUDAEvent inputs_ready;
    inputs_ready.record(current);
    inputs_ready.block(side);
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    {
      const c10::cuda::CUDAStreamGuard on_side(side);
      graph->capture_begin();
      try {
        it->out = net.forward(it->in);
      } catch (...) {
        graph->capture_end();  // leaves the stream usable; the capture is dropped with `graph`
        throw;
      }
      graph->capture_end();
    }
    at::cuda::CUDAEvent captured;
    captured.record(side);
    captured.block(current);
    it->graph = std::move(graph);
    ++s.captures;
    s.trim();
  } else {
    for (auto member : kTensors)
      if ((batch.*member).defined()) (it->in.*member).copy_(batch.*member, /*non_blocking=*/true);
  }
  it->graph->replay();
  ++s.replays;
  return it->out;
#else
  (void)slot;
  return net.forward(batch);
#endif
}

}  // namespace rlplace::gnn
