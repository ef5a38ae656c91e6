#include "gnn/model.h"

#include <malloc.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>
#include <c10/util/Exception.h>
#include <torch/version.h>

namespace rlplace::gnn {

namespace {

// The policy head starts from an 8 x 8 map and doubles it up to G x G.
constexpr int kPolicyBase = 8;
// Per-cell features the cost maps are mixed into.
constexpr int kCostMixChannels = 8;
// The greedy prior's starting weight on the proxy map (scaled to [0, 1] over the feasible
// cells): a cell a tenth of the way from the best to the worst starts e^-1 as likely.
constexpr double kPriorStart = 10.0;

// The row gathers and row sums, without autograd. On the CPU they are plain serial loops:
// LibTorch 1.13's index_add on 2-D tensors adds one row slice at a time (~30 ns a row),
// and index_put_ with accumulation takes atomics when it has two threads. For 9,576 rows
// of 8 floats the loop takes 15 us, index_add 295 us, index_put_ 51 us on one thread and
// 573 us on two; the loop also gives the same sums whatever the thread count. Other devices
// take the library's kernels (gathers through `take`, see gather_rows_raw).
bool use_loops(const torch::Tensor& src, const torch::Tensor& index) {
  return src.device().is_cpu() && src.scalar_type() == torch::kFloat32 && src.dim() == 2 &&
         index.scalar_type() == torch::kInt64 && index.dim() == 1;
}

torch::Tensor gather_rows_raw(const torch::Tensor& src, const torch::Tensor& index) {
  if (!use_loops(src, index)) {
    // On CUDA (LibTorch 2.11, H200) index_select of 4.9M rows of 8 floats takes 2.95 ms, as
    // do gather, embedding and advanced indexing; `take` of the rows' flat element indices
    // takes 0.33 ms and copies the same values.
    if (src.dim() != 2 || index.dim() != 1) return src.index_select(0, index);
    const int64_t d = src.size(1);
    return src.contiguous().view({-1}).take(index.unsqueeze(1) * d + torch::arange(d, index.options()));
  }
  const torch::Tensor s = src.contiguous(), idx = index.contiguous();
  const int64_t n = s.size(0), d = s.size(1), e = idx.size(0);
  torch::Tensor out = torch::empty({e, d}, s.options());
  const float* sp = s.data_ptr<float>();
  const int64_t* ip = idx.data_ptr<int64_t>();
  float* op = out.data_ptr<float>();
  for (int64_t i = 0; i < e; ++i) {
    const int64_t r = ip[i];
    TORCH_CHECK(r >= 0 && r < n, "gather_rows: index ", r, " out of range for ", n, " rows");
    std::memcpy(op + i * d, sp + r * d, sizeof(float) * d);
  }
  return out;
}

torch::Tensor add_rows(const torch::Tensor& src, const torch::Tensor& index, int64_t rows) {
  torch::Tensor out = torch::zeros({rows, src.size(1)}, src.options());
  if (!use_loops(src, index)) return out.index_add_(0, index, src);
  const torch::Tensor s = src.contiguous(), idx = index.contiguous();
  const int64_t d = s.size(1), e = idx.size(0);
  TORCH_CHECK(s.size(0) == e, "sum_rows: ", s.size(0), " rows for ", e, " indices");
  const float* sp = s.data_ptr<float>();
  const int64_t* ip = idx.data_ptr<int64_t>();
  float* op = out.data_ptr<float>();
  for (int64_t i = 0; i < e; ++i) {
    const int64_t r = ip[i];
    TORCH_CHECK(r >= 0 && r < rows, "sum_rows: index ", r, " out of range for ", rows, " rows");
    float* o = op + r * d;
    const float* x = sp + i * d;
    for (int64_t k = 0; k < d; ++k) o[k] += x[k];
  }
  return out;
}

// A gather's backward is a row sum and a row sum's a gather; both go through the loops
// above (the stock autograd of index_select would scatter with the slow index_add).
struct GatherRowsFn : public torch::autograd::Function<GatherRowsFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& src,
                               const torch::Tensor& index) {
    ctx->save_for_backward({index});
    ctx->saved_data["rows"] = src.size(0);
    return gather_rows_raw(src, index);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const torch::Tensor index = ctx->get_saved_variables()[0];
    return {add_rows(grad[0], index, ctx->saved_data["rows"].toInt()), torch::Tensor()};
  }
};

struct SumRowsFn : public torch::autograd::Function<SumRowsFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& src,
                               const torch::Tensor& index, int64_t rows) {
    ctx->save_for_backward({index});
    return add_rows(src, index, rows);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const torch::Tensor index = ctx->get_saved_variables()[0];
    return {gather_rows_raw(grad[0], index), torch::Tensor(), torch::Tensor()};
  }
};

// scatter_reduce is marked beta in LibTorch 1.13 and says so once per process, through
// glog, in the middle of a command's output. The note is used up once, quietly; the two
// uses here (amax, with and without the initial values) keep their meaning in later
// releases. The warning handler is process-global, hence the once_flag. LibTorch 2 changed
// that interface; builds against it are left as they are.
#if TORCH_VERSION_MAJOR < 2
class DropBetaNote : public c10::WarningHandler {
 public:
  explicit DropBetaNote(c10::WarningHandler* next) : next_(next) {}
  void process(const c10::SourceLocation& where, const std::string& msg, const bool verbatim) override {
    if (msg.find("scatter_reduce() is in beta") == std::string::npos) next_->process(where, msg, verbatim);
  }

 private:
  c10::WarningHandler* next_;
};
#endif

void use_up_scatter_reduce_note() {
#if TORCH_VERSION_MAJOR < 2
  static std::once_flag once;
  std::call_once(once, [] {
    DropBetaNote quiet(c10::Warning::get_warning_handler());
    c10::Warning::WarningHandlerGuard guard(&quiet);
    torch::zeros({1}).scatter_reduce(0, torch::zeros({1}, torch::kInt64), torch::ones({1}), "amax", false);
  });
#endif
}

int upsampling_layers(int grid) {
  int n = 0;
  for (int g = kPolicyBase; g < grid; g *= 2) ++n;
  return n;
}

}  // namespace

torch::Tensor gather_rows(const torch::Tensor& src, const torch::Tensor& index) {
  return GatherRowsFn::apply(src, index);
}

torch::Tensor sum_rows(const torch::Tensor& src, const torch::Tensor& index, int64_t rows) {
  return SumRowsFn::apply(src, index, rows);
}

PolicyValueNetImpl::PolicyValueNetImpl(const GnnConfig& config) : config_(config) {
  config_.validate();
  use_up_scatter_reduce_note();
  const int d = config_.node_dim;
  node_encoder_ = register_module("node_encoder", torch::nn::Linear(kNodeFeatures, d));
  metadata_encoder_ = register_module("metadata_encoder", torch::nn::Linear(kMetadataFeatures, d));
  edge_layers_ = register_module("edge_layers", torch::nn::ModuleList());
  for (int l = 0; l < config_.layers; ++l) edge_layers_->push_back(torch::nn::Linear(2 * d + 1, d));
  query_ = register_module("query", torch::nn::Linear(d, d));
  // A key bias would add q . b to every score of a graph, which its softmax cancels: it
  // could never learn anything, so there is none (likewise the output convolution's).
  key_ = register_module("key", torch::nn::Linear(torch::nn::LinearOptions(d, d).bias(false)));
  value_proj_ = register_module("value_proj", torch::nn::Linear(d, d));

  const int c0 = config_.policy_channels;
  policy_fc_ = register_module("policy_fc", torch::nn::Linear(config_.trunk_dim(), c0 * kPolicyBase * kPolicyBase));
  policy_up_ = register_module("policy_up", torch::nn::ModuleList());
  int channels = c0;
  for (int l = 0; l < upsampling_layers(config_.grid); ++l) {
    const int out = std::max(1, channels / 2);
    // Kernel 3, stride 2, padding 1 and output padding 1 doubles the size exactly.
    policy_up_->push_back(torch::nn::ConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(channels, out, 3).stride(2).padding(1).output_padding(1)));
    channels = out;
  }
  if (config_.cost_maps) {
    cost_mix_ = register_module(
        "cost_mix", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels + config_.cost_map_channels(), kCostMixChannels, 3).padding(1)));
    cost_out_ = register_module("cost_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(kCostMixChannels, 1, 1).bias(false)));
  }
  if (config_.greedy_prior) {
    prior_gate_ = register_module("prior_gate", torch::nn::Linear(config_.trunk_dim(), 1));
    // A new network is the greedy placer: no learned logits yet, the same trust on every
    // chip. Training moves both.
    torch::NoGradGuard no_grad;
    cost_out_->weight.zero_();
    prior_gate_->weight.zero_();
    prior_gate_->bias.fill_(std::log(std::expm1(kPriorStart)));  // softplus^-1
  }
  if (!config_.cost_maps) {
    policy_out_ = register_module("policy_out", torch::nn::ConvTranspose2d(
                                                    torch::nn::ConvTranspose2dOptions(channels, 1, 3).stride(1).padding(1).bias(false)));
  }

  value_layers_ = register_module("value_layers", torch::nn::ModuleList());
  int width = config_.trunk_dim();
  for (int h : config_.value_hidden) {
    value_layers_->push_back(torch::nn::Linear(width, h));
    width = h;
  }
  value_layers_->push_back(torch::nn::Linear(width, 1));
}

int64_t PolicyValueNetImpl::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

torch::Tensor PolicyValueNetImpl::trunk(const GraphBatch& b) {
  const int64_t d = config_.node_dim, B = b.num_graphs(), N = b.node_features.size(0);
  TORCH_CHECK(b.node_features.dim() == 2 && b.node_features.size(1) == kNodeFeatures, "GraphBatch: node_features must be [N, ",
              kNodeFeatures, "]");
  TORCH_CHECK(b.current.size(0) == B, "GraphBatch: current must have one entry per graph");
  auto opts = b.node_features.options();

  torch::Tensor h = torch::relu(node_encoder_->forward(b.node_features));
  torch::Tensor edge_h;
  for (const auto& module : *edge_layers_) {
    auto* fc = module->as<torch::nn::Linear>();
    // fc([h_i | h_j | w]) = A h_i + B h_j + c w + bias. Projecting the nodes first and
    // gathering the projections costs N d^2 instead of E d^2 multiply-adds. Every per-edge
    // tensor is [E, d] and contiguous: wider or strided ones cost several times more.
    const torch::Tensor& wt = fc->weight;  // [d, 2d + 1]
    torch::Tensor pa = torch::linear(h, wt.narrow(1, 0, d), fc->bias), pb = torch::linear(h, wt.narrow(1, d, d));
    torch::Tensor wc = b.edge_weight * wt.narrow(1, 2 * d, 1).t();  // [E, d]
    torch::Tensor fwd = gather_rows(pa, b.edge_src);
    fwd.add_(gather_rows(pb, b.edge_dst)).add_(wc).relu_();
    torch::Tensor bwd = gather_rows(pa, b.edge_dst);
    bwd.add_(gather_rows(pb, b.edge_src)).add_(wc).relu_();
    edge_h = torch::add(fwd, bwd).mul_(0.5);  // the same for (i, j) and (j, i)
    torch::Tensor agg = sum_rows(edge_h, b.edge_src, N) + sum_rows(edge_h, b.edge_dst, N);
    h = h + agg / b.node_degree;
  }

  // Per-graph reductions. Maxima over a [B, n, ...] view when every graph has n rows: the
  // values and the gradients (shared evenly among equal maxima) are those of the scatter,
  // which on a GPU puts all of a graph's rows on a few addresses and has a slow backward
  // (on the H200, 14 of a batch of 512's 37 ms). Sums take the view only off the CPU,
  // whose row loops fix the summation order.
  const bool cpu = b.node_features.device().is_cpu();
  const int64_t ue = b.uniform_edges, un = b.uniform_nodes;

  // Edge statistics per graph. Edge embeddings are ReLU outputs (>= 0), so a max over a
  // graph without edges may start from 0.
  const int64_t E = edge_h.size(0);
  torch::Tensor edge_mean =
      (!cpu && ue > 0 ? edge_h.view({B, ue, d}).sum(1) : sum_rows(edge_h, b.edge_graph, B)) / b.graph_edges;
  torch::Tensor edge_max =
      ue > 0 ? edge_h.view({B, ue, d}).amax(1)
             : torch::zeros({B, d}, opts).scatter_reduce(0, b.edge_graph.unsqueeze(1).expand({E, d}), edge_h, "amax", false);

  // Attention from the current macro over the nodes of its own graph: a softmax per
  // segment, shifted by each segment's max for range safety (the shift cancels, so it
  // carries no gradient).
  torch::Tensor h_cur = gather_rows(h, b.current);  // [B, d]
  torch::Tensor q = query_->forward(h_cur), k = key_->forward(h), v = value_proj_->forward(h);
  torch::Tensor score = (gather_rows(q, b.node_graph) * k).sum(1) / std::sqrt(static_cast<double>(d));  // [N]
  torch::Tensor seg_max = un > 0 ? score.detach().view({B, un}).amax(1)
                                 : torch::full({B}, -std::numeric_limits<float>::infinity(), opts)
                                       .scatter_reduce(0, b.node_graph, score.detach(), "amax", true);
  torch::Tensor ex = torch::exp(score - seg_max.index_select(0, b.node_graph));
  torch::Tensor seg_sum =
      !cpu && un > 0 ? ex.view({B, un}).sum(1) : torch::zeros({B}, opts).index_add(0, b.node_graph, ex);
  torch::Tensor alpha = ex / seg_sum.index_select(0, b.node_graph);
  torch::Tensor weighted = alpha.unsqueeze(1) * v;
  torch::Tensor attended = !cpu && un > 0 ? weighted.view({B, un, d}).sum(1) : sum_rows(weighted, b.node_graph, B);

  torch::Tensor meta = torch::relu(metadata_encoder_->forward(b.metadata));
  return torch::cat({meta, edge_mean, edge_max, attended, h_cur}, 1);
}

torch::Tensor PolicyValueNetImpl::policy_logits(const torch::Tensor& t, const GraphBatch& b) {
  const int64_t B = t.size(0);
  torch::Tensor x = torch::relu(policy_fc_->forward(t)).view({B, config_.policy_channels, kPolicyBase, kPolicyBase});
  for (const auto& module : *policy_up_) x = torch::relu(module->as<torch::nn::ConvTranspose2d>()->forward(x));
  if (config_.cost_maps) {
    TORCH_CHECK(b.cost_maps.defined(), "GraphBatch: this network reads cost maps and the batch has none");
    TORCH_CHECK(b.cost_maps.size(0) == B && b.cost_maps.size(2) == config_.grid, "GraphBatch: cost_maps must be [B, ",
                kCostMapChannels, ", ", config_.grid, ", ", config_.grid, "]");
    const torch::Tensor maps = b.cost_maps.narrow(1, 0, config_.cost_map_channels());
    x = cost_out_->forward(torch::relu(cost_mix_->forward(torch::cat({x, maps}, 1))));  // [B, 1, G, G]
    if (config_.greedy_prior) {
      const torch::Tensor trust = torch::softplus(prior_gate_->forward(t)).view({B, 1, 1, 1});
      x = x - trust * b.cost_maps.narrow(1, kProxyChannel, 1);
    }
  } else {
    x = policy_out_->forward(x);  // [B, 1, G, G]
  }
  return x.view({B, static_cast<int64_t>(config_.grid) * config_.grid});
}

PolicyOutput PolicyValueNetImpl::forward(const GraphBatch& b) {
  torch::Tensor t = trunk(b);
  PolicyOutput out;

  torch::Tensor raw = policy_logits(t, b);
  TORCH_CHECK(b.mask.sizes() == raw.sizes(), "GraphBatch: mask must be [B, ", config_.grid * config_.grid,
              "] for a network of grid ", config_.grid);
  const float inf = std::numeric_limits<float>::infinity();
  out.logits = raw.masked_fill(b.mask.logical_not(), -inf);
  // log_softmax of a row that is all -inf is NaN; give such rows finite scores for the
  // softmax and mask the result, so they come out all -inf without NaN in either pass.
  torch::Tensor any = b.mask.any(1, true);
  torch::Tensor safe = torch::where(any, out.logits, torch::zeros_like(raw));
  out.log_probs = torch::log_softmax(safe, 1).masked_fill(b.mask.logical_not(), -inf);

  torch::Tensor v = t;
  const auto& layers = *value_layers_;
  for (size_t i = 0; i < layers.size(); ++i) {
    v = layers[i]->as<torch::nn::Linear>()->forward(v);
    if (i + 1 < layers.size()) v = torch::relu(v);
  }
  out.value = v.squeeze(1);
  return out;
}

void keep_freed_host_memory() {
  // No block is mmap'ed on its own (glibc caps the mmap threshold at 32 MB, less than one
  // per-edge tensor of a batch of 64 at width 16), and the heap is only trimmed once 1 GB
  // of it is free.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

torch::Tensor entropy(const torch::Tensor& log_probs) {
  torch::Tensor p = torch::exp(log_probs);
  // Infeasible actions contribute 0, not 0 * -inf = NaN; the -inf is replaced before the
  // product so that the backward pass has no NaN to multiply by zero either.
  return -(p * torch::where(p > 0, log_probs, torch::zeros_like(log_probs))).sum(1);
}

}  // namespace rlplace::gnn
