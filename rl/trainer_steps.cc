#include "rl/trainer_steps.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "netlists/json_number.h"
#include "netlists/io.h"
#include "netlists/plc.h"

namespace rlplace::rl {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

json specs_json(const std::vector<std::unique_ptr<Task>>& tasks) {
  json a = json::array();
  for (const auto& t : tasks) a.push_back({{"label", t->label}, {"netlist", t->netlist_path}, {"plc", t->plc_path}});
  return a;
}

// Loads every netlist; labels are made unique across training and evaluation netlists.
std::vector<std::unique_ptr<Task>> load_tasks(const std::vector<NetlistSpec>& specs, const EnvOptions& eo,
                                              std::set<std::string>& used) {
  std::vector<std::unique_ptr<Task>> tasks;
  for (const NetlistSpec& s : specs) {
    auto t = make_task(absolute_path(s.netlist), absolute_path(s.plc), eo);
    std::string label = t->label;
    if (used.count(label)) {
      // Same directory name (e.g. two clusterings of one design): add the folder above it.
      const std::string above = fs::path(s.netlist).parent_path().parent_path().filename().string();
      if (!above.empty()) label = above + "-" + t->label;
    }
    for (int k = 2; used.count(label); ++k) label = fmt::format("{}_{}", t->label, k);
    t->label = label;
    used.insert(label);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

std::vector<std::string> labels(const std::vector<std::unique_ptr<Task>>& tasks) {
  std::vector<std::string> v;
  for (const auto& t : tasks) v.push_back(t->label);
  return v;
}

std::vector<NetlistSpec> specs_of(const json& a) {
  std::vector<NetlistSpec> v;
  for (const auto& t : a) v.push_back({t.at("netlist").get<std::string>(), t.at("plc").get<std::string>()});
  return v;
}

// A kept episode's costs and final placement, for rank 0 to write (Trainer::share_best_sampled).
json placement_json(const Episode& e) {
  const Placement& p = *e.placement;
  std::vector<int> orientation;
  for (Orientation o : p.orientation) orientation.push_back(static_cast<int>(o));
  const Costs& c = e.costs;
  return {{"costs", {c.wirelength, c.wirelength_cost, c.density_cost, c.congestion_cost, c.proxy_cost}},
          {"x", p.x}, {"y", p.y}, {"orientation", orientation}, {"fixed", p.fixed}, {"placed", p.placed}};
}

Episode placement_episode(const json& j) {
  Episode e;
  const auto c = j.at("costs").get<std::vector<double>>();
  e.costs = {c.at(0), c.at(1), c.at(2), c.at(3), c.at(4)};
  auto p = std::make_shared<Placement>();
  p->x = j.at("x").get<std::vector<double>>();
  p->y = j.at("y").get<std::vector<double>>();
  for (int o : j.at("orientation").get<std::vector<int>>()) p->orientation.push_back(static_cast<Orientation>(o));
  p->fixed = j.at("fixed").get<std::vector<uint8_t>>();
  p->placed = j.at("placed").get<std::vector<uint8_t>>();
  e.placement = std::move(p);
  return e;
}

// The run's identity: the options' for a fresh run, the stored one (checked) on resume.
RunIdentity identity_of(const TrainOptions& o, const RunDir& dir, bool have_state) {
  RunIdentity given{o.config, o.seed, o.train, o.eval};
  if (!have_state) return given;
  return resume_identity(dir.read_state(), dir.state_path(), o.out, ResumeRequest{given, o.config_given});
}

}  // namespace

Trainer::Trainer(const TrainOptions& o) : o_(o) {
  if (o.dist.world > 1) comm_ = std::make_unique<Communicator>(o.dist);
  try {
    setup();
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    if (comm_ && leader()) {
      try {
        comm_->publish("run", json{{"error", e.what()}}.dump());
        comm_->await_readers("run", comm_->size() - 1);
      } catch (...) {
      }
    }
    report_failure(e.what());
    throw;
  }
}

void Trainer::setup() {
  if (leader())
    open_run();
  else
    join_run();
  if (comm_ && config_.ppo.self_imitation_coef > 0)
    throw InputError("train: self-imitation (ppo.self_imitation_coef) does not work across ranks yet");
  net_->eval();

  // The ranks on one machine share its cores.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency() / std::max(1, o_.dist.local_world));
  const int workers = o_.workers > 0 ? o_.workers : static_cast<int>(cores);
  learner_threads_ = config_.learner_threads > 0 ? config_.learner_threads : static_cast<int>(cores);
  collector_ = std::make_unique<Collector>(train_ptrs_, workers, config_.envs_per_worker, config_.central_inference());
  collector_->set_step_rewards(config_.ppo.reward_shaping != "none");
  evaluator_ = std::make_unique<Collector>(all_ptrs_, workers, config_.envs_per_worker, config_.central_inference());
  if (o_.before_episode) {
    auto hook = [f = o_.before_episode](const Collector::Job& j) { f(j.task, j.seed); };
    collector_->set_episode_hook(hook);
    evaluator_->set_episode_hook(hook);
  }
  if (leader())
    metrics_ = std::make_unique<MetricsLog>(dir_->path().string(), metric_columns(labels(train_tasks_), labels(eval_tasks_)),
                                            std::move(restored_history_));
  if (!comm_) return;
  if (leader()) share_run();
  comm_->connect(device_);
  // Rank 0's weights (initial, --init or resumed) on every rank, as DistributedDataParallel does.
  std::vector<torch::Tensor> tensors = net_->parameters();
  for (const auto& b : net_->buffers()) tensors.push_back(b);
  comm_->broadcast(tensors);
}

// Ranks as threads of one process (the tests) share LibTorch's global generator: one at a
// time, so that rank 0's initial weights are those of a single process.
void Trainer::build_learner() {
  static std::mutex one_at_a_time;
  std::lock_guard<std::mutex> lock(one_at_a_time);
  if (!o_.device.empty()) config_.device = o_.device;
  const bool cuda_per_rank = comm_ && config_.device == "cuda";
  device_ = torch::Device(cuda_per_rank ? fmt::format("cuda:{}", o_.dist.local_rank) : config_.device);
  torch::manual_seed(seed_);
  net_ = gnn::PolicyValueNet(config_.gnn);
  learner_ = std::make_unique<PpoLearner>(net_, config_.ppo, device_);
  if (comm_) learner_->set_communicator(comm_.get());
}

void Trainer::open_run() {
  const TrainOptions& o = o_;
  dir_ = std::make_unique<RunDir>(o.out);
  dir_->keep_policies_every(o.keep_every);
  resumed_ = dir_->has_state();
  if (resumed_ && !o.resume)
    throw InputError(fmt::format("{}: already holds a training run; add --resume to continue it or choose another --out",
                                 o.out));
  const RunIdentity id = identity_of(o, *dir_, resumed_);
  config_ = id.config;
  seed_ = id.seed;
  config_.validate();
  load_netlists(id);

  // --init takes what --policy takes: a checkpoint, or a training directory (its latest).
  const std::string init = o.init.empty() || resumed_ ? std::string() : resolve_policy(o.init);
  if (!init.empty()) config_.gnn = gnn::checkpoint_config(init);
  build_learner();
  if (resumed_) {
    restore(dir_->intact_state(
        [&](const json& s) {
          gnn::load_weights(dir_->file(s.at("checkpoint").get<std::string>()), *net_);
          learner_->load_optimizer(dir_->file(s.at("optimizer").get<std::string>()));
        },
        [&](const std::string& w) {
          warnings_.push_back(w);
          if (o.on_warning) o.on_warning(w);
        }));
  } else if (!init.empty()) {
    gnn::load_weights(init, *net_);
  }
}

// What the other ranks need of the run rank 0 opened: its identity and state (without the
// metrics history, which only rank 0 writes) and, resumed, Adam's moments. The weights
// follow through the process group.
void Trainer::share_run() {
  json run = state_json(iteration_);
  run.erase("columns");
  run["history"] = json::array();
  run["resumed"] = resumed_;
  run["device"] = config_.device;
  comm_->publish("run", run.dump());
  if (resumed_) comm_->publish("optimizer", learner_->optimizer_bytes());
}

void Trainer::join_run() {
  const json run = json::parse(comm_->fetch("run"));
  if (run.contains("error")) throw DistributedError(fmt::format("rank 0 failed: {}", run.at("error").get<std::string>()));
  try {
    config_ = TrainConfig::from_json(run.at("config").dump());
    seed_ = run.at("seed").get<uint64_t>();
    load_netlists(RunIdentity{config_, seed_, specs_of(run.at("train")), specs_of(run.at("eval"))});
    resumed_ = run.at("resumed").get<bool>();
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("rank {}: rank 0's run is not readable ({})", comm_->rank(), e.what()));
  }
  build_learner();
  restore(run);
  if (resumed_) learner_->load_optimizer_bytes(comm_->fetch("optimizer"), "rank 0's optimizer state");
}

Trainer::~Trainer() = default;

int Trainer::agree(int local) { return comm_ ? static_cast<int>(comm_->max({static_cast<double>(local)})[0]) : local; }

void Trainer::report_failure(const std::string& what) noexcept {
  if (comm_) comm_->report_failure(what);
}

void Trainer::load_netlists(const RunIdentity& id) {
  EnvOptions eo = config_.env;
  eo.fd.threads = 1;  // the solver runs inside the workers: one thread each
  std::set<std::string> used;
  train_tasks_ = load_tasks(id.train, eo, used);
  eval_tasks_ = load_tasks(id.eval, eo, used);
  for (const auto& t : train_tasks_) gnn::PaddedGrid(config_.gnn.grid, t->features.rows, t->features.cols);
  for (const auto& t : train_tasks_) train_ptrs_.push_back(t.get()), all_ptrs_.push_back(t.get());
  for (const auto& t : eval_tasks_) all_ptrs_.push_back(t.get());
}

void Trainer::restore(const json& state) {
  try {
    learner_->restore_state_json(state.at("learner").dump());
    iteration_ = json_number<int64_t>(state.at("iteration"));
    elapsed_ = json_number<double>(state.at("elapsed_seconds"));
    for (const auto& r : state.at("history")) restored_history_.push_back(r);
    best_ = state.at("best");
  } catch (const json::exception& e) {
    throw InputError(fmt::format("{}: corrupt training state ({})", dir_ ? dir_->state_path() : "rank 0's run", e.what()));
  } catch (const std::invalid_argument& e) {
    throw InputError(
        fmt::format("{}: corrupt training state (a number {})", dir_ ? dir_->state_path() : "rank 0's run", e.what()));
  }
}

bool Trainer::stop_requested() const { return o_.stop && o_.stop(); }

double Trainer::best_proxy(const std::string& label) const {
  return best_.contains(label) ? best_[label].at("proxy").get<double>() : std::numeric_limits<double>::infinity();
}

// Rank 0 writes the file; every rank keeps the costs (its keep_placement_below).
void Trainer::write_best(const Task& t, const Episode& e, int64_t it, const char* how) {
  const Netlist& nl = t.design.netlist;
  const std::string rel = "best/" + t.label + ".plc";
  if (leader()) {
    Placement p = *e.placement;
    for (int32_t i = 0; i < nl.num_nodes(); ++i)
      p.fixed[i] = t.design.placement.fixed[i] || nl.kind[i] == NodeKind::kPort;
    PlcInfo info = {{"Wirelength", fmt::format("{:.3f}", e.costs.wirelength)},
                    {"Wirelength cost", fmt::format("{:.6f}", e.costs.wirelength_cost)},
                    {"Congestion cost", fmt::format("{:.6f}", e.costs.congestion_cost)},
                    {"Density cost", fmt::format("{:.6f}", e.costs.density_cost)},
                    {"Proxy cost", fmt::format("{:.6f}", e.costs.proxy_cost)},
                    {"Placer", fmt::format("rlplace train, iteration {}, {} episode", it, how)}};
    write_plc(dir_->file(rel), nl, p, to_plc_header(t.design.params, nl.block_name), info);
  }
  best_[t.label] = {{"proxy", e.costs.proxy_cost},
                    {"wirelength_cost", e.costs.wirelength_cost},
                    {"density_cost", e.costs.density_cost},
                    {"congestion_cost", e.costs.congestion_cost},
                    {"iteration", it},
                    {"plc", rel}};
}

// Which rank runs each netlist's greedy episode: the largest (steps times grid cells) first,
// each to the rank with the least work so far, ties to the lower rank. Every rank computes
// the same list.
std::vector<int> Trainer::eval_owners() const {
  const int W = comm_ ? comm_->size() : 1;
  std::vector<int> owner(all_ptrs_.size(), 0);
  if (W == 1) return owner;
  std::vector<size_t> by_size(all_ptrs_.size());
  std::iota(by_size.begin(), by_size.end(), size_t{0});
  auto work = [&](size_t k) {
    const Task& t = *all_ptrs_[k];
    return static_cast<double>(t.order.size()) * t.design.params.rows * t.design.params.cols;
  };
  std::stable_sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) { return work(a) > work(b); });
  std::vector<double> load(W, 0.0);
  for (size_t k : by_size) {
    const int r = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    owner[k] = r;
    load[r] += work(k);
  }
  return owner;
}

// Greedy episodes of the current policy on every netlist; keeps improvements. With several
// ranks each runs its share (eval_owners) and the costs are summed across ranks: on a
// multi-chip set the evaluation took a third of an iteration when every rank ran all of it.
void Trainer::evaluate(int64_t it, MetricsRow& row) {
  const size_t K = all_ptrs_.size(), T = train_tasks_.size();
  const std::vector<int> owner = eval_owners();
  const int me = comm_ ? comm_->rank() : 0;
  std::vector<Collector::Job> jobs;
  for (size_t k = 0; k < K; ++k) {
    if (owner[k] != me) continue;
    Collector::Job j;
    j.task = static_cast<int>(k);
    j.greedy = true;
    j.seed = mix_seed(seed_, static_cast<uint64_t>(it), k, 0xe7a1);
    if (k < T) j.keep_placement_below = best_proxy(train_tasks_[k]->label);
    jobs.push_back(j);
  }
  auto progress = [&](int done, int total) {
    if (o_.on_progress) o_.on_progress("evaluating", done, total);
  };
  // A stop request waits for the next iteration's turn across ranks.
  Collector::StopCheck stop;
  if (!comm_) stop = [this] { return stop_requested(); };
  const std::vector<Episode> eps = evaluator_->run(*net_, device_, learner_->version(), jobs, progress, stop);
  std::vector<double> costs(4 * K, 0.0);  // proxy, wirelength, density, congestion; NaN: infeasible
  std::vector<const Episode*> kept(K, nullptr);
  for (const Episode& e : eps) {
    const size_t k = static_cast<size_t>(e.task);
    const Costs& c = e.costs;
    const std::array<double, 4> v = e.infeasible ? std::array{kNaN, kNaN, kNaN, kNaN}
                                                 : std::array{c.proxy_cost, c.wirelength_cost, c.density_cost, c.congestion_cost};
    std::copy(v.begin(), v.end(), costs.begin() + 4 * k);
    if (e.placement) kept[k] = &e;
  }
  if (comm_) costs = comm_->sum(costs);  // one owner each, the others add 0 (NaN stays NaN)
  for (size_t k = 0; k < K; ++k) {
    const std::string prefix = k < T ? all_ptrs_[k]->label + "/" : "eval:" + all_ptrs_[k]->label + "/";
    row.push_back({prefix + "greedy_proxy", costs[4 * k]});
    row.push_back({prefix + "greedy_wirelength", costs[4 * k + 1]});
    row.push_back({prefix + "greedy_density", costs[4 * k + 2]});
    row.push_back({prefix + "greedy_congestion", costs[4 * k + 3]});
  }
  // An improvement on a training netlist: its owner kept the placement (proxy below the best
  // so far, which every rank knows alike); rank 0 writes it, every rank records the costs.
  for (size_t k = 0; k < T; ++k) {
    if (!comm_) {
      if (kept[k]) write_best(*train_tasks_[k], *kept[k], it, "greedy");
      continue;
    }
    if (costs[4 * k] < best_proxy(train_tasks_[k]->label)) share_best(k, owner[k], kept[k], costs[4 * k], it, "greedy");
  }
}

// Sampled episodes, episodes_per_iteration per training netlist.
std::vector<Episode> Trainer::collect(int64_t it, MetricsRow& row) {
  std::vector<Collector::Job> jobs;
  for (const auto& [k, e] :
       episode_order(static_cast<int>(train_tasks_.size()), config_.episodes_per_iteration, config_.envs_per_worker)) {
    Collector::Job j;
    j.task = k;
    j.seed = mix_seed(seed_, static_cast<uint64_t>(it), static_cast<uint64_t>(k), static_cast<uint64_t>(e));
    j.keep_placement_below = best_proxy(train_tasks_[k]->label);
    jobs.push_back(j);
  }
  // This rank's share: a contiguous block, so that the ranks' episodes in rank order are
  // one process's list (the learner relies on it). Seeds stay those of the (netlist, episode).
  if (comm_) {
    const size_t n = jobs.size(), r = comm_->rank(), w = comm_->size();
    jobs = std::vector<Collector::Job>(jobs.begin() + n * r / w, jobs.begin() + n * (r + 1) / w);
  }
  auto progress = [&](int done, int total) {
    if (o_.on_progress) o_.on_progress("collecting", done, total);
  };
  const auto t0 = Clock::now();
  std::vector<Episode> episodes;
  bool interrupted = false;
  try {
    episodes = collector_->run(*net_, device_, learner_->version(), jobs, progress, [this] { return stop_requested(); });
  } catch (const Collector::Interrupted&) {
    if (!comm_) throw;
    interrupted = true;
  }
  if (agree(interrupted)) throw Collector::Interrupted();  // every rank abandons the iteration
  collect_seconds_ = seconds_since(t0);
  netlist_metrics(episodes, it, row);
  return episodes;
}

// Per training netlist: mean and best proxy, mean reward, infeasible share (over every
// rank's episodes); keeps the best.
void Trainer::netlist_metrics(const std::vector<Episode>& episodes, int64_t it, MetricsRow& row) {
  const size_t T = train_tasks_.size();
  std::vector<double> sums(4 * T, 0.0), lowest(T, std::numeric_limits<double>::infinity());  // sums: proxy, reward, feasible, total
  std::vector<const Episode*> kept(T, nullptr);
  for (size_t k = 0; k < T; ++k) {
    double sum = 0, sum_reward = 0;
    int feasible = 0, total = 0;
    for (const Episode& e : episodes) {
      if (e.task != static_cast<int>(k)) continue;
      ++total;
      sum_reward += e.reward;
      if (e.infeasible) continue;
      ++feasible;
      sum += e.costs.proxy_cost;
      lowest[k] = std::min(lowest[k], e.costs.proxy_cost);
      if (e.placement && (!kept[k] || e.costs.proxy_cost < kept[k]->costs.proxy_cost)) kept[k] = &e;
    }
    sums[4 * k] = sum, sums[4 * k + 1] = sum_reward, sums[4 * k + 2] = feasible, sums[4 * k + 3] = total;
  }
  if (comm_) {
    sums = comm_->sum(sums);
    for (double& v : lowest) v = -v;
    lowest = comm_->max(lowest);
    for (double& v : lowest) v = -v;
  }
  for (size_t k = 0; k < T; ++k) {
    const double sum = sums[4 * k], sum_reward = sums[4 * k + 1], feasible = sums[4 * k + 2], total = sums[4 * k + 3];
    const std::string& L = train_tasks_[k]->label;
    row.push_back({L + "/mean_proxy", feasible ? sum / feasible : kNaN});
    row.push_back({L + "/best_proxy", feasible ? lowest[k] : kNaN});
    row.push_back({L + "/mean_reward", sum_reward / total});
    row.push_back({L + "/infeasible", (total - feasible) / total});
    if (!comm_ && kept[k]) write_best(*train_tasks_[k], *kept[k], it, "sampled");
  }
  if (comm_) share_best_sampled(it, kept, lowest);
}

// The best sampled episode of each netlist lives on one rank: the first, in rank order,
// that kept a placement of the lowest cost (one process's first among equals). It passes
// the placement to rank 0 through the store; every rank records the cost.
void Trainer::share_best_sampled(int64_t it, const std::vector<const Episode*>& kept, const std::vector<double>& lowest) {
  const int W = comm_->size(), me = comm_->rank();
  std::vector<double> owner(kept.size(), 0.0);  // W - rank of the owner; 0: none
  for (size_t k = 0; k < kept.size(); ++k)
    if (kept[k] && kept[k]->costs.proxy_cost == lowest[k]) owner[k] = W - me;
  owner = comm_->max(owner);
  for (size_t k = 0; k < kept.size(); ++k)
    if (owner[k] != 0) share_best(k, W - static_cast<int>(owner[k]), kept[k], lowest[k], it, "sampled");
}

// Training netlist k's new best placement, episode `e` on rank `holder` (null elsewhere):
// rank 0 writes it, through the store when another rank holds it; every rank records the
// cost (its keep_placement_below).
void Trainer::share_best(size_t k, int holder, const Episode* e, double proxy, int64_t it, const char* how) {
  const int me = comm_->rank();
  const std::string key = fmt::format("best/{}/{}/{}", how, it, k);
  if (holder == me) {
    if (!e) throw std::logic_error("Trainer::share_best: the holder has no placement");
    if (me != 0) comm_->publish(key, placement_json(*e).dump());
    write_best(*train_tasks_[k], *e, it, how);
  } else if (me == 0) {
    write_best(*train_tasks_[k], placement_episode(json::parse(comm_->fetch(key, true))), it, how);
  } else {
    best_[train_tasks_[k]->label] = {{"proxy", proxy}};
  }
}

UpdateStats Trainer::learn(int64_t it, const std::vector<Episode>& episodes) {
  at::set_num_threads(learner_threads_);
  const int64_t horizon = config_.ppo.schedule_iterations;
  const double fraction = horizon > 0 ? static_cast<double>(it - 1) / std::max<int64_t>(1, horizon - 1) : -1.0;
  return learner_->update(train_ptrs_, episodes, mix_seed(seed_, static_cast<uint64_t>(it), 0x1ea2), fraction);
}

json Trainer::state_json(int64_t it) const {
  return {{"format", kStateFormat},
          {"version", kStateVersion},
          {"iteration", it},
          {"seed", seed_},
          {"config", json::parse(config_.to_json())},
          {"train", specs_json(train_tasks_)},
          {"eval", specs_json(eval_tasks_)},
          {"learner", json::parse(learner_->state_json())},
          {"checkpoint", checkpoint_name(it)},
          {"optimizer", optimizer_name(it)},
          {"elapsed_seconds", elapsed_},
          {"best", best_},
          {"columns", metrics_->columns()},
          {"history", metrics_->history()}};
}

void Trainer::commit(int64_t it, const MetricsRow& unordered) {
  iteration_ = it;
  if (!leader()) return;
  const MetricsRow row = metrics_->ordered(unordered);
  metrics_->add(row);
  dir_->commit(it, state_json(it), [&](const std::string& policy, const std::string& optimizer) {
    gnn::save_checkpoint(policy, *net_);
    learner_->save_optimizer(optimizer);
  });
  metrics_->write(it, row);
  if (o_.on_iteration) o_.on_iteration(row);
}

void Trainer::commit_initial() {
  const auto t0 = Clock::now();
  MetricsRow row = {{"iteration", 0}, {"policy_version", static_cast<double>(learner_->version())}};
  evaluate(0, row);
  row.push_back({"eval_s", seconds_since(t0)});
  for (const auto& t : train_tasks_) row.push_back({t->label + "/best_so_far", best_proxy(t->label)});
  elapsed_ += seconds_since(t0);
  row.push_back({"elapsed_s", elapsed_});
  commit(0, row);
}

std::optional<double> Trainer::run_iteration() {
  const int64_t it = iteration_ + 1;
  const auto t0 = Clock::now();
  MetricsRow row = {{"iteration", static_cast<double>(it)}};
  const std::vector<Episode> episodes = collect(it, row);
  double collect_s = collect_seconds_;
  double steps = 0, n = static_cast<double>(episodes.size());
  for (const Episode& e : episodes) steps += e.steps();
  if (comm_) {  // over every rank; collection takes as long as the slowest
    const std::vector<double> total = comm_->sum({steps, n});
    steps = total[0], n = total[1];
    collect_s = comm_->max({collect_s})[0];
  }
  const auto tl = Clock::now();
  const UpdateStats u = learn(it, episodes);
  const double learn_s = seconds_since(tl);
  if (agree(stop_requested())) return std::nullopt;

  const auto te = Clock::now();
  row.push_back({"policy_version", static_cast<double>(learner_->version())});
  if (it % config_.eval_every == 0) evaluate(it, row);
  const double eval_s = seconds_since(te);
  for (const auto& t : train_tasks_) row.push_back({t->label + "/best_so_far", best_proxy(t->label)});
  const double iteration_s = seconds_since(t0);
  elapsed_ += iteration_s;
  row.insert(row.end(), {{"elapsed_s", elapsed_},          {"iteration_s", iteration_s},
                         {"collect_s", collect_s},         {"learn_s", learn_s},
                         {"eval_s", eval_s},               {"episodes", n},
                         {"steps", steps}, {"steps_per_s", steps / collect_s},
                         {"episodes_per_s", n / collect_s}, {"policy_loss", u.policy_loss},
                         {"value_loss", u.value_loss},     {"entropy", u.entropy},
                         {"approx_kl", u.approx_kl},       {"clip_fraction", u.clip_fraction},
                         {"grad_norm", u.grad_norm},       {"kl_beta", u.kl_beta},
                         {"learning_rate", u.learning_rate}});
  commit(it, row);
  return iteration_s;
}

void Trainer::report(TrainResult& result) const {
  result.iterations = iteration_;
  // The other ranks name rank 0's file, which may be on another machine.
  result.checkpoint = dir_ ? dir_->file(checkpoint_name(iteration_)) : (fs::path(o_.out) / checkpoint_name(iteration_)).string();
  for (const auto& t : train_tasks_) result.best.push_back({t->label, best_proxy(t->label)});
  result.warnings = warnings_;
}

}  // namespace rlplace::rl
