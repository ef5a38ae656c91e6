#include "rl/rollout.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <fmt/format.h>
#include <torch/cuda.h>

namespace rlplace::rl {

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(mix(seed) ^ a) ^ b) ^ c);
}

std::vector<std::pair<int, int>> episode_order(int netlists, int episodes, int block) {
  if (netlists < 0 || episodes < 0 || block < 1)
    throw std::invalid_argument(fmt::format("episode_order({}, {}, {})", netlists, episodes, block));
  std::vector<std::pair<int, int>> order;
  order.reserve(static_cast<size_t>(netlists) * episodes);
  for (int first = 0; first < episodes; first += block)
    for (int k = 0; k < netlists; ++k)
      for (int e = first; e < std::min(episodes, first + block); ++e) order.emplace_back(k, e);
  return order;
}

std::unique_ptr<Task> make_task(const std::string& netlist_path, const std::string& plc_path,
                                const EnvOptions& env_options, const std::string& label) {
  std::string name = label;
  if (name.empty()) {
    const std::filesystem::path p(netlist_path);
    name = p.parent_path().filename().string();
    if (name.empty() || name == ".") name = p.stem().string();
  }
  Design d = load_design(netlist_path, plc_path);
  if (placement_order(d.netlist, d.placement).empty())
    throw InputError(fmt::format("{}: no movable hard macro to place", netlist_path));
  auto t = make_task(std::move(d), env_options, name);
  t->netlist_path = netlist_path;
  t->plc_path = plc_path;
  return t;
}

std::unique_ptr<Task> make_task(Design design, const EnvOptions& env_options, const std::string& label) {
  auto t = std::make_unique<Task>();
  t->label = label;
  t->design = std::move(design);
  const Netlist& nl = t->design.netlist;
  t->env_options = env_options;
  // The solver's schedule suits the netlist (clustered or flat); the thread count is the caller's.
  t->env_options.fd = default_fd_options(nl);
  t->env_options.fd.threads = env_options.fd.threads;
  PlacementEnv env(nl, t->design.params, t->design.placement, t->env_options);
  t->order = env.order();
  if (t->order.empty()) throw InputError(fmt::format("{}: no movable hard macro to place", label));
  t->features = gnn::build_static_features(nl, t->design.params, t->design.placement);
  gnn::dynamic_features(t->features, env, t->reset_state);
  return t;
}

void replay_cost_maps(const Task& task, Episode& e, int channels) {
  PlacementEnv env(task.design.netlist, task.design.params, task.design.placement, task.env_options);
  env.reset();
  e.cost_maps.clear();
  std::vector<float> maps;
  for (int32_t cell : e.cells) {
    env.cost_maps(maps, channels);
    e.cost_maps.insert(e.cost_maps.end(), maps.begin(), maps.end());
    env.step(cell);
  }
}

void state_at(const Task& task, const Episode& e, int t, gnn::DynamicFeatures& out) {
  const gnn::StaticFeatures& sf = task.features;
  const size_t cells = static_cast<size_t>(sf.rows) * sf.cols;
  if (t < 0 || t >= e.steps()) throw std::out_of_range(fmt::format("state_at: step {} of {}", t, e.steps()));
  out.x = task.reset_state.x;
  out.y = task.reset_state.y;
  out.placed = task.reset_state.placed;
  for (int k = 0; k < t; ++k) {
    const int32_t g = sf.node_of[task.order[k]];
    out.x[g] = e.x[k];
    out.y[g] = e.y[k];
    out.placed[g] = 1.f;
  }
  out.current = sf.node_of[task.order[t]];
  out.mask.assign(e.masks.begin() + t * cells, e.masks.begin() + (t + 1) * cells);
  const size_t maps = kCostMapChannels * cells;
  if (e.cost_maps.empty())
    out.cost_map.clear();
  else
    out.cost_map.assign(e.cost_maps.begin() + t * maps, e.cost_maps.begin() + (t + 1) * maps);
}

int64_t choose_action(const float* lp, int64_t n, bool greedy, double u) {
  const float ninf = -std::numeric_limits<float>::infinity();
  int64_t best = -1;
  if (greedy) {
    for (int64_t a = 0; a < n; ++a)
      if (lp[a] != ninf && (best < 0 || lp[a] > lp[best])) best = a;
    return best;
  }
  // The probabilities are renormalised in double so that float rounding in the softmax
  // can never make the last feasible action unreachable.
  double total = 0;
  for (int64_t a = 0; a < n; ++a)
    if (lp[a] != ninf) total += std::exp(static_cast<double>(lp[a]));
  if (total <= 0) return -1;
  const double target = u * total;
  double acc = 0;
  for (int64_t a = 0; a < n; ++a) {
    if (lp[a] == ninf) continue;
    acc += std::exp(static_cast<double>(lp[a]));
    best = a;
    if (acc > target) break;
  }
  return best;
}

struct Collector::Worker {
  // Environments by task, one per slot of the worker's group.
  std::map<int, std::vector<std::unique_ptr<PlacementEnv>>> envs;
  // Makes room for `slots` environments of the task; create() of a slot below it then touches only
  // that slot's entry, so that different slots may be created on different threads.
  void reserve(int task_index, int slots) {
    auto& v = envs[task_index];
    if (v.size() < static_cast<size_t>(slots)) v.resize(slots);
  }
  PlacementEnv& env(const Task& task, int task_index, int slot, int slots) {
    reserve(task_index, slots);
    return create(task, task_index, slot);
  }
  // The slot's environment, built on first use; the slot must be reserved.
  PlacementEnv& create(const Task& task, int task_index, int slot) {
    std::unique_ptr<PlacementEnv>& e = envs.at(task_index)[slot];
    if (!e)
      e = std::make_unique<PlacementEnv>(task.design.netlist, task.design.params, task.design.placement,
                                         task.env_options);
    return *e;
  }
};

Collector::Collector(const std::vector<const Task*>& tasks, int workers, int envs_per_worker, bool central)
    : tasks_(tasks), workers_(std::max(1, workers)), envs_per_worker_(std::max(1, envs_per_worker)), central_(central) {
  for (int w = 0; w < workers_; ++w) worker_state_.push_back(std::make_unique<Worker>());
}

Collector::~Collector() = default;

// What the workers of one run() share.
struct Collector::Run {
  Run(gnn::PolicyValueNetImpl& net, torch::Device device, int64_t version, const std::vector<Job>& jobs,
      const Progress& progress, const StopCheck& stop, std::vector<Episode>& episodes)
      : net(net), device(device), version(version), jobs(jobs), progress(progress), stop(stop), episodes(episodes) {}
  gnn::PolicyValueNetImpl& net;
  torch::Device device;
  int64_t version;
  const std::vector<Job>& jobs;
  const Progress& progress;
  const StopCheck& stop;
  std::vector<Episode>& episodes;
  // On a GPU, each netlist's static rows stay on the device between steps (on the CPU the
  // host-built batch is faster: docs/benchmarks.md).
  gnn::StaticTensorCache* cache = nullptr;
  CollectPhases* phases = nullptr;  // central inference, profiled
  int G = 0;
  int groups = 0;
  std::atomic<int> next_group{0};
  std::atomic<bool> abandon{false};
  std::mutex mu;
  int finished = 0;
  std::exception_ptr error;
};

// One episode of a worker's group in progress.
struct Collector::Slot {
  PlacementEnv* env;
  std::mt19937_64 rng;
  std::chrono::steady_clock::time_point t0;
  bool active;
};

std::vector<Episode> Collector::run(gnn::PolicyValueNetImpl& net, torch::Device device, int64_t version,
                                    const std::vector<Job>& jobs, const Progress& progress, const StopCheck& stop) {
  for (const Job& j : jobs)
    if (j.task < 0 || j.task >= static_cast<int>(tasks_.size()))
      throw std::invalid_argument(fmt::format("Collector::run: task {} of {}", j.task, tasks_.size()));
  std::vector<Episode> episodes(jobs.size());
  Run r(net, device, version, jobs, progress, stop, episodes);
  r.G = net.config().grid;
  if (!device.is_cpu()) {
    if (!cache_ || cache_->device() != device || cache_->grid() != r.G)
      cache_ = std::make_unique<gnn::StaticTensorCache>(r.G, device);
    r.cache = cache_.get();
  }
  r.groups = static_cast<int>((jobs.size() + envs_per_worker_ - 1) / envs_per_worker_);
  const int threads = std::min(workers_, std::max(1, r.groups));
  if (central_ || threads == 1) {
    // In the calling thread: its LibTorch thread setting must come back afterwards.
    const struct Restore {
      int saved = at::get_num_threads();
      ~Restore() { at::set_num_threads(saved); }
    } restore;
    r.phases = central_ ? phases_ : nullptr;
    if (central_)
      run_central(r);
    else
      work(r, 0);
  } else {
    std::vector<std::thread> pool;
    for (int w = 0; w < threads; ++w) pool.emplace_back([this, &r, w] { work(r, w); });
    for (auto& t : pool) t.join();
  }
  if (r.error) std::rethrow_exception(r.error);
  if (r.abandon) throw Interrupted();
  return episodes;
}

// A worker thread: groups of envs_per_worker jobs until none is left. Whatever it throws
// is kept for run() to rethrow, and makes every worker stop.
void Collector::work(Run& r, int w) {
  try {
    // One LibTorch thread per worker: the workers are the parallelism (on the CPU the
    // setting is per thread under OpenMP).
    at::set_num_threads(1);
    torch::NoGradGuard no_grad;
    std::vector<gnn::DynamicFeatures> states(envs_per_worker_);
    for (int group; (group = r.next_group.fetch_add(1)) < r.groups;)
      if (!run_group(r, *worker_state_[w], group, states)) return;
  } catch (...) {
    std::lock_guard<std::mutex> lock(r.mu);
    if (!r.error) r.error = std::current_exception();
    r.abandon = true;
  }
}

// Job `index` begins in `slot`: the test hook, the episode's labels, a fresh environment.
void Collector::start_episode(Run& r, int index, Slot& slot) {
  const Job& job = r.jobs[index];
  if (hook_) hook_(job);
  Episode& e = r.episodes[index];
  e.task = job.task;
  e.policy_version = r.version;
  e.seed = job.seed;
  slot.env->reset();
  slot.t0 = std::chrono::steady_clock::now();
}

// The episodes of one group, stepped together; false when the run is abandoned.
bool Collector::run_group(Run& r, Worker& ws, int group, std::vector<gnn::DynamicFeatures>& states) {
  const int first = group * envs_per_worker_;
  const int count = std::min<int>(envs_per_worker_, static_cast<int>(r.jobs.size()) - first);
  std::vector<Slot> slots;
  for (int s = 0; s < count; ++s) {
    const Job& job = r.jobs[first + s];
    slots.push_back({&ws.env(*tasks_[job.task], job.task, s, envs_per_worker_), std::mt19937_64(job.seed),
                     std::chrono::steady_clock::now(), true});
    start_episode(r, first + s, slots.back());
  }
  for (int s = 0; s < count; ++s)
    if (slots[s].env->done()) finish(r, first + s, slots[s]);
  std::vector<gnn::StateRef> refs;
  for (;;) {
    if (r.abandon.load() || (r.stop && r.stop())) {
      r.abandon = true;
      return false;
    }
    refs.clear();
    std::vector<int> rows;
    for (int s = 0; s < count; ++s) {
      if (!slots[s].active) continue;
      const Task& task = *tasks_[r.jobs[first + s].task];
      gnn::dynamic_features(task.features, *slots[s].env, states[s], r.net.config().cost_map_channels());
      refs.push_back({&task.features, &states[s]});
      rows.push_back(s);
    }
    if (rows.empty()) return true;
    step(r, first, slots, rows, refs, 1);
  }
}

namespace {

// Seconds since the last lap (or the start), once `device` has done what it was given.
struct Lap {
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  double next(torch::Device device) {
    if (device.is_cuda()) torch::cuda::synchronize();
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - t).count();
    t = now;
    return s;
  }
};

}  // namespace

void parallel_for(int n, int threads, const std::function<void(int)>& f) {
  threads = std::min(threads, n);
  if (threads <= 1) {
    for (int i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex mu;
  auto body = [&] {
    try {
      for (int i; (i = next.fetch_add(1)) < n;) f(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      next = n;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(body);
  body();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

// The part of the padded action grid that holds every state's real cells (the grids are
// centred, the padding around them infeasible): only it is copied back and searched.
struct Collector::Box {
  int r0 = 0, c0 = 0, rows = 0, cols = 0;
  int64_t size() const { return static_cast<int64_t>(rows) * cols; }
};

// One evaluation of a central batch, launched on the device and not yet read back.
struct Collector::Flight {
  std::vector<int> rows;
  std::vector<gnn::StateRef> refs;
  Box box;
  torch::Tensor log_probs, value;  // on the device: [rows, box.rows, box.cols] and [rows]
};

// Builds the batch of the active slots `rows` and queues the network on it. On a GPU this
// returns before the device is done, so that the host can step other slots meanwhile.
Collector::Flight Collector::launch(Run& r, std::vector<int> rows, std::vector<gnn::StateRef> refs) {
  Lap lap;
  Flight f;
  int r1 = 0, c1 = 0;
  f.box.r0 = f.box.c0 = r.G;
  for (const gnn::StateRef& ref : refs) {
    const gnn::PaddedGrid pg(r.G, ref.netlist->rows, ref.netlist->cols);
    f.box.r0 = std::min(f.box.r0, pg.row_pad);
    f.box.c0 = std::min(f.box.c0, pg.col_pad);
    r1 = std::max(r1, pg.row_pad + pg.rows);
    c1 = std::max(c1, pg.col_pad + pg.cols);
  }
  f.box.rows = r1 - f.box.r0;
  f.box.cols = c1 - f.box.c0;
  gnn::GraphBatch batch = r.cache ? gnn::make_batch(refs, *r.cache) : gnn::make_batch(refs, r.G, r.device);
  if (r.phases) r.phases->batch += lap.next(r.device);
  gnn::PolicyOutput out = r.net.forward(batch);
  f.log_probs = out.log_probs.view({-1, r.G, r.G})
                    .narrow(1, f.box.r0, f.box.rows)
                    .narrow(2, f.box.c0, f.box.cols)
                    .contiguous();
  f.value = out.value;
  if (r.phases) r.phases->forward += lap.next(r.device);
  f.rows = std::move(rows);
  f.refs = std::move(refs);
  return f;
}

// Reads a flight's outputs back (waiting for the device) and steps each of its slots, on
// up to `threads` threads.
void Collector::land(Run& r, int first, std::vector<Slot>& slots, Flight& f, int threads) {
  Lap lap;
  const torch::Tensor lp = f.log_probs.to(torch::kCPU).contiguous();
  const torch::Tensor v = f.value.to(torch::kCPU).contiguous();
  if (r.phases) r.phases->copy_back += lap.next(r.device);
  parallel_for(static_cast<int>(f.rows.size()), threads, [&](int i) {
    step_slot(r, first + f.rows[i], slots[f.rows[i]], *f.refs[i].state, lp.data_ptr<float>() + i * f.box.size(), f.box,
              v.data_ptr<float>()[i]);
  });
  if (r.phases) {
    r.phases->step += lap.next(torch::kCPU);  // the actions, and the episodes they end
    ++r.phases->steps;
  }
}

void Collector::step(Run& r, int first, std::vector<Slot>& slots, const std::vector<int>& rows,
                     const std::vector<gnn::StateRef>& refs, int threads) {
  Flight f = launch(r, rows, refs);
  land(r, first, slots, f, threads);
}

// Episode `index` takes one action from its row of log-probabilities (the batch's box of
// the action grid).
void Collector::step_slot(Run& r, int index, Slot& slot, const gnn::DynamicFeatures& state, const float* row,
                          const Box& box, float value) {
  const Job& job = r.jobs[index];
  const Task& task = *tasks_[job.task];
  Episode& e = r.episodes[index];
  PlacementEnv& env = *slot.env;
  const double u = std::uniform_real_distribution<double>(0, 1)(slot.rng);
  // The box keeps the grid's row-major order, so this is the choice over the whole grid.
  const int64_t in_box = choose_action(row, box.size(), job.greedy, u);
  const int64_t action =
      in_box < 0 ? -1 : static_cast<int64_t>(box.r0 + in_box / box.cols) * r.G + box.c0 + in_box % box.cols;
  const gnn::PaddedGrid pg(r.G, task.features.rows, task.features.cols);
  const int cell = action < 0 ? -1 : pg.cell_of_action(static_cast<int>(action));
  if (cell < 0) throw std::logic_error(fmt::format("policy chose action {} outside the feasible cells", action));
  e.cells.push_back(cell);
  e.actions.push_back(static_cast<int32_t>(action));
  e.masks.insert(e.masks.end(), env.mask().begin(), env.mask().end());
  if (r.net.config().cost_maps) e.cost_maps.insert(e.cost_maps.end(), state.cost_map.begin(), state.cost_map.end());
  e.log_probs.push_back(row[in_box]);
  e.values.push_back(value);
  const int32_t macro = env.current();
  env.step(cell);
  // The potential after this step, kept in step_rewards until finish() turns the list into
  // differences (a step that leaves the next macro without a cell earns the final reward).
  if (step_rewards_ && !env.infeasible()) e.step_rewards.push_back(env.reward(env.evaluator().costs()));
  const double scale = 1.0 / (task.features.width + task.features.height);
  e.x.push_back(static_cast<float>(env.placement().x[macro] * scale));
  e.y.push_back(static_cast<float>(env.placement().y[macro] * scale));
  if (env.done()) finish(r, index, slot);
}

int default_lanes(torch::Device device, int states) {
  // Measured on an H100 (docs/benchmarks.md): two lanes of 256 states each are 6-9% faster
  // than one batch of 512; two of 64 were 29% slower than one of 128 and three of 171 17-22%
  // slower than one of 512 (each lane pays a batch's fixed host costs again; not measured apart).
  return !device.is_cpu() && states >= 512 ? 2 : 1;
}

void Collector::run_central(Run& r) {
  // The one evaluation per step may use every core when it runs on the CPU.
  at::set_num_threads(workers_);
  torch::NoGradGuard no_grad;
  Worker& ws = *worker_state_[0];
  const int total = static_cast<int>(r.jobs.size());
  for (int first = 0; first < total; first += kCentralBatch) {
    const int count = std::min(kCentralBatch, total - first);
    std::vector<Slot> slots(count);
    std::vector<gnn::DynamicFeatures> states(count);
    // One environment per slot and task, built in parallel: building one takes milliseconds
    // (3.6 ms for Ariane133 on the VM of docs/benchmarks.md, 13-16 ms where its memory is touched
    // for the first time), and a central batch holds hundreds.
    for (int s = 0; s < count; ++s) ws.reserve(r.jobs[first + s].task, count);
    parallel_for(count, workers_, [&](int s) { ws.create(*tasks_[r.jobs[first + s].task], r.jobs[first + s].task, s); });
    for (int s = 0; s < count; ++s) {
      const Job& job = r.jobs[first + s];
      slots[s] = {&ws.create(*tasks_[job.task], job.task, s), std::mt19937_64(job.seed),
                  std::chrono::steady_clock::now(), true};
    }
    parallel_for(count, workers_, [&](int s) {
      start_episode(r, first + s, slots[s]);
      if (slots[s].env->done()) finish(r, first + s, slots[s]);
    });
    const int maps = r.net.config().cost_map_channels();
    // Lane l holds the slots [count * l / lanes, count * (l + 1) / lanes). With two, the host
    // steps one lane's environments while the device evaluates the other's states.
    const int lanes = std::min(count, lanes_ > 0 ? lanes_ : default_lanes(r.device, count));
    std::vector<c10::Stream> streams;
    if (lanes > 1 && !r.device.is_cpu()) {
      // Each lane on its own stream, so that reading one lane's outputs back waits for its
      // own evaluation only.
      const c10::impl::VirtualGuardImpl impl(r.device.type());
      for (int l = 0; l < lanes; ++l) streams.push_back(impl.getStreamFromGlobalPool(r.device));
    }
    std::vector<std::optional<Flight>> flights(lanes);
    for (bool busy = true; busy;) {
      if (r.stop && r.stop()) {
        r.abandon = true;
        return;
      }
      busy = false;
      for (int l = 0; l < lanes; ++l) {
        std::optional<c10::StreamGuard> on_stream;
        if (!streams.empty()) on_stream.emplace(streams[l]);
        if (flights[l]) {
          land(r, first, slots, *flights[l], workers_);
          flights[l].reset();
        }
        std::vector<int> rows;
        for (int s = count * l / lanes; s < count * (l + 1) / lanes; ++s)
          if (slots[s].active) rows.push_back(s);
        if (rows.empty()) continue;
        busy = true;
        Lap lap;
        parallel_for(static_cast<int>(rows.size()), workers_, [&](int i) {
          const int s = rows[i];
          gnn::dynamic_features(tasks_[r.jobs[first + s].task]->features, *slots[s].env, states[s], maps);
        });
        if (r.phases) r.phases->features += lap.next(torch::kCPU);
        std::vector<gnn::StateRef> refs;
        for (int s : rows) refs.push_back({&tasks_[r.jobs[first + s].task]->features, &states[s]});
        flights[l] = launch(r, std::move(rows), std::move(refs));
      }
    }
  }
}

// Episode `index` is over: its costs, reward and (when asked for) placement.
void Collector::finish(Run& r, int index, Slot& slot) {
  const Job& job = r.jobs[index];
  Episode& e = r.episodes[index];
  PlacementEnv& env = *slot.env;
  slot.active = false;
  if (env.infeasible()) {
    e.infeasible = true;
    e.reward = env.reward(Costs{});
  } else {
    e.costs = env.finish();
    e.reward = env.reward(e.costs);
    if (e.costs.proxy_cost < job.keep_placement_below) e.placement = std::make_shared<Placement>(env.placement());
  }
  if (step_rewards_) {
    std::vector<double>& sr = e.step_rewards;
    sr.resize(e.steps());  // the last potential, or the missing one of an infeasible last step
    double previous = 0, sum = 0;
    for (int t = 0; t + 1 < e.steps(); ++t) {
      const double potential = sr[t];
      sr[t] = potential - previous;
      previous = potential;
      sum += sr[t];
    }
    // The top-up: the final reward (after the soft macros, or the infeasible reward) minus
    // what the earlier steps earned, so the sum is the reward Circuit Training gives.
    if (!sr.empty()) sr.back() = e.reward - sum;
  }
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - slot.t0).count();
  std::lock_guard<std::mutex> lock(r.mu);
  ++r.finished;
  if (r.progress) r.progress(r.finished, static_cast<int>(r.jobs.size()));
}

}  // namespace rlplace::rl
