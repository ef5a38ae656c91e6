#include "rl/beam.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "placer/cost_map.h"

namespace rlplace::rl {

namespace {

// A kept partial placement; the beam holds them best ranked first.
struct Partial {
  std::unique_ptr<PlacementEnv> env;
  double log_prob = 0;  // summed over the choices so far
};

struct Candidate {
  int parent = 0;
  int cell = 0;
  double log_prob = 0;
  double rank = 0;  // lower is better: the partial proxy, or the negated log-probability
};

// The `k` most probable feasible actions of one row, most probable first (lowest index
// among ties, as greedy decoding picks).
std::vector<int> top_actions(const float* row, int n, int k) {
  std::vector<int> idx;
  for (int a = 0; a < n; ++a)
    if (std::isfinite(row[a])) idx.push_back(a);
  const auto better = [&](int a, int b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
  k = std::min<int>(k, static_cast<int>(idx.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), better);
  idx.resize(k);
  return idx;
}

}  // namespace

BeamResult beam_decode(const Task& task, gnn::PolicyValueNetImpl& net, torch::Device device, const BeamOptions& o) {
  if (o.width < 1 || o.expand < 1)
    throw std::invalid_argument("beam search needs a width and an expansion of at least 1");
  torch::NoGradGuard no_grad;
  const int threads = std::max(1, o.threads);
  if (device.is_cpu()) at::set_num_threads(threads);
  const int G = net.config().grid, G2 = G * G;
  const int maps = net.config().cost_map_channels();
  const gnn::PaddedGrid pg(G, task.features.rows, task.features.cols);

  BeamResult result;
  std::vector<Partial> beam(1);
  beam[0].env = std::make_unique<PlacementEnv>(task.design.netlist, task.design.params, task.design.placement,
                                               task.env_options);
  if (beam[0].env->infeasible()) {
    result.infeasible = true;
    return result;
  }
  std::vector<gnn::DynamicFeatures> states;
  while (!beam.front().env->done()) {
    const int B = static_cast<int>(beam.size());
    states.resize(B);
    parallel_for(B, threads, [&](int i) { gnn::dynamic_features(task.features, *beam[i].env, states[i], maps); });
    std::vector<gnn::StateRef> refs;
    for (int i = 0; i < B; ++i) refs.push_back({&task.features, &states[i]});
    const torch::Tensor lp =
        net.forward(gnn::make_batch(refs, G, device)).log_probs.to(torch::kCPU, torch::kFloat).contiguous();
    const float* rows = lp.data_ptr<float>();

    // Each partial placement's candidates, ranked on its own thread.
    std::vector<std::vector<Candidate>> per(B);
    parallel_for(B, threads, [&](int i) {
      const float* row = rows + static_cast<int64_t>(i) * G2;
      PlacementEnv& env = *beam[i].env;
      std::vector<int> cells;
      for (int a : top_actions(row, G2, o.expand)) cells.push_back(pg.cell_of_action(a));
      std::vector<double> proxy;
      if (o.rank == BeamRank::kProxy) {
        std::vector<uint8_t> only(env.mask().size(), 0);
        for (int c : cells) only[c] = 1;
        proxy_on_cells(env.evaluator(), env.cells(), env.current(), only, proxy);
      }
      for (size_t j = 0; j < cells.size(); ++j) {
        Candidate c;
        c.parent = i;
        c.cell = cells[j];
        c.log_prob = beam[i].log_prob + row[pg.action_of_cell(cells[j])];
        c.rank = o.rank == BeamRank::kProxy ? proxy[cells[j]] : -c.log_prob;
        per[i].push_back(c);
      }
    });
    std::vector<Candidate> all;
    for (const auto& v : per) all.insert(all.end(), v.begin(), v.end());
    result.scored += static_cast<int64_t>(all.size());
    // Ties go to the earlier parent and the more probable cell, so the decode is reproducible.
    std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.rank < b.rank; });
    if (static_cast<int>(all.size()) > o.width) all.resize(o.width);

    std::vector<Partial> next(all.size());
    parallel_for(static_cast<int>(all.size()), threads, [&](int j) {
      const Candidate& c = all[j];
      next[j].env = std::make_unique<PlacementEnv>(*beam[c.parent].env);
      next[j].env->step(c.cell);
      next[j].log_prob = c.log_prob;
    });
    // A partial placement that leaves the next macro no cell is dropped, unless all do.
    std::vector<Partial> kept;
    for (auto& p : next)
      if (!p.env->infeasible()) kept.push_back(std::move(p));
    if (kept.empty()) {
      result.infeasible = true;
      return result;
    }
    beam = std::move(kept);
  }

  const int finish = static_cast<int>(beam.size());
  std::vector<Costs> costs(finish);
  parallel_for(finish, threads, [&](int i) { costs[i] = beam[i].env->finish(); });
  int best = 0;
  for (int i = 1; i < finish; ++i)
    if (costs[i].proxy_cost < costs[best].proxy_cost) best = i;
  result.placement = beam[best].env->placement();
  result.costs = costs[best];
  result.finished = finish;
  return result;
}

}  // namespace rlplace::rl
