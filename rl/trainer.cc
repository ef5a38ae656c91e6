#include "rl/trainer.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlists/io.h"
#include "netlists/plc.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "rl/tensorboard.h"

namespace rlplace::rl {

namespace fs = std::filesystem;
using nlohmann::json;
using Row = std::vector<std::pair<std::string, double>>;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kStateFormat = "rlplace-train-state";
constexpr int kStateVersion = 1;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string absolute(const std::string& p) { return p.empty() ? p : fs::absolute(p).lexically_normal().string(); }

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
    auto t = make_task(absolute(s.netlist), absolute(s.plc), eo);
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

std::string checkpoint_name(int64_t it) { return fmt::format("checkpoints/policy-{:06d}.pt", it); }
std::string optimizer_name(int64_t it) { return fmt::format("checkpoints/optimizer-{:06d}.pt", it); }

std::string csv_value(double v) {
  if (std::isnan(v)) return "";
  return fmt::format("{}", v);  // shortest representation that reads back exactly
}

json row_json(const Row& row) {
  json a = json::array();
  for (const auto& [k, v] : row) a.push_back(std::isnan(v) ? json(nullptr) : json(v));
  return a;
}

}  // namespace

std::string resolve_policy(const std::string& path) {
  if (!fs::is_directory(path)) {
    if (!fs::exists(path)) throw InputError(fmt::format("{}: no such policy checkpoint or training directory", path));
    return path;
  }
  const std::string state = (fs::path(path) / "state.json").string();
  if (!fs::exists(state)) throw InputError(fmt::format("{}: a directory without state.json is not a training run", path));
  json j;
  try {
    j = json::parse(read_file(state));
    return (fs::path(path) / j.at("checkpoint").get<std::string>()).string();
  } catch (const json::exception& e) {
    throw InputError(fmt::format("{}: not a training state file ({})", state, e.what()));
  }
}

TrainResult train(const TrainOptions& o) {
  if (o.train.empty()) throw InputError("train: give at least one --netlist");
  if (o.out.empty()) throw InputError("train: --out DIR is required");
  if (o.iterations <= 0 && o.minutes <= 0) throw InputError("train: give --iterations N or --minutes M");
  const fs::path dir(o.out);
  const fs::path state_path = dir / "state.json";
  const bool have_state = fs::exists(state_path);
  if (have_state && !o.resume)
    throw InputError(fmt::format("{}: already holds a training run; add --resume to continue it or choose another --out",
                                 o.out));

  // The run's identity: configuration, seed and netlists come from the state on resume.
  TrainConfig config = o.config;
  uint64_t seed = o.seed;
  std::vector<NetlistSpec> train_specs = o.train, eval_specs = o.eval;
  json state;
  if (have_state) {
    try {
      state = json::parse(read_file(state_path.string()));
      if (state.at("format") != kStateFormat) throw InputError(fmt::format("{}: not a training state file", state_path.string()));
      if (state.at("version") != kStateVersion)
        throw InputError(fmt::format("{}: state version {} (this rlplace reads {})", state_path.string(),
                                     state.at("version").dump(), kStateVersion));
      const TrainConfig stored = TrainConfig::from_json(state.at("config").dump());
      if (o.config_given && stored.to_json() != config.to_json())
        throw InputError(fmt::format("{}: --config differs from the configuration of the run being resumed", o.out));
      config = stored;
      seed = state.at("seed").get<uint64_t>();
      auto specs = [&](const json& a) {
        std::vector<NetlistSpec> v;
        for (const auto& s : a) v.push_back({s.at("netlist").get<std::string>(), s.at("plc").get<std::string>()});
        return v;
      };
      auto same = [&](const std::vector<NetlistSpec>& given, const std::vector<NetlistSpec>& stored_specs) {
        if (given.size() != stored_specs.size()) return false;
        for (size_t i = 0; i < given.size(); ++i)
          if (absolute(given[i].netlist) != stored_specs[i].netlist || absolute(given[i].plc) != stored_specs[i].plc)
            return false;
        return true;
      };
      const auto stored_train = specs(state.at("train")), stored_eval = specs(state.at("eval"));
      if (!same(o.train, stored_train) || (!o.eval.empty() && !same(o.eval, stored_eval)))
        throw InputError(fmt::format("{}: the netlists differ from those of the run being resumed", o.out));
      train_specs = stored_train;
      eval_specs = stored_eval;
    } catch (const json::exception& e) {
      throw InputError(fmt::format("{}: corrupt training state ({})", state_path.string(), e.what()));
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("{}: {}", state_path.string(), e.what()));
    }
  }
  config.validate();

  EnvOptions eo;
  eo.macro_spacing = config.macro_spacing;
  eo.run_fd = config.run_fd;
  eo.reward_weights = {config.reward_wirelength_weight, config.reward_density_weight, config.reward_congestion_weight};
  eo.infeasible_reward = config.infeasible_reward;
  eo.fd.threads = 1;  // the solver runs inside the workers: one thread each
  std::set<std::string> used;
  std::vector<std::unique_ptr<Task>> train_tasks = load_tasks(train_specs, eo, used);
  std::vector<std::unique_ptr<Task>> eval_tasks = load_tasks(eval_specs, eo, used);
  for (const auto& t : train_tasks) gnn::PaddedGrid(config.gnn.grid, t->features.rows, t->features.cols);

  const torch::Device device(config.device);
  if (!o.init.empty() && !have_state) config.gnn = gnn::checkpoint_config(o.init);
  torch::manual_seed(seed);
  gnn::PolicyValueNet net(config.gnn);
  PpoLearner learner(net, config.ppo, device);
  int64_t iteration = 0;
  double elapsed = 0;
  std::vector<json> history;
  json best = json::object();
  if (have_state) {
    gnn::load_weights((dir / state.at("checkpoint").get<std::string>()).string(), *net);
    learner.load_optimizer((dir / state.at("optimizer").get<std::string>()).string());
    learner.restore_state_json(state.at("learner").dump());
    iteration = state.at("iteration").get<int64_t>();
    elapsed = state.at("elapsed_seconds").get<double>();
    for (const auto& r : state.at("history")) history.push_back(r);
    best = state.at("best");
  } else if (!o.init.empty()) {
    gnn::load_weights(o.init, *net);
  }
  net->eval();

  fs::create_directories(dir / "checkpoints");
  fs::create_directories(dir / "best");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int workers = o.workers > 0 ? o.workers : static_cast<int>(cores);
  const int learner_threads = config.learner_threads > 0 ? config.learner_threads : static_cast<int>(cores);
  std::vector<const Task*> train_ptrs, all_ptrs;
  for (const auto& t : train_tasks) train_ptrs.push_back(t.get()), all_ptrs.push_back(t.get());
  for (const auto& t : eval_tasks) all_ptrs.push_back(t.get());
  Collector collector(train_ptrs, workers, config.envs_per_worker);
  Collector evaluator(all_ptrs, workers, config.envs_per_worker);
  EventWriter events(dir.string());

  // Columns, fixed for the run.
  std::vector<std::string> columns = {"iteration", "policy_version", "elapsed_s", "iteration_s", "collect_s",
                                      "learn_s", "eval_s", "episodes", "steps", "steps_per_s", "episodes_per_s",
                                      "policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction",
                                      "grad_norm", "kl_beta", "learning_rate"};
  for (const auto& t : train_tasks)
    for (const char* c : {"mean_proxy", "best_proxy", "mean_reward", "infeasible", "greedy_proxy", "greedy_wirelength",
                          "greedy_density", "greedy_congestion", "best_so_far"})
      columns.push_back(t->label + "/" + c);
  for (const auto& t : eval_tasks)
    for (const char* c : {"greedy_proxy", "greedy_wirelength", "greedy_density", "greedy_congestion"})
      columns.push_back("eval:" + t->label + "/" + c);

  auto stop_requested = [&] { return o.stop && o.stop(); };
  auto best_proxy = [&](const std::string& label) {
    return best.contains(label) ? best[label].at("proxy").get<double>() : std::numeric_limits<double>::infinity();
  };
  auto write_best = [&](const Task& t, const Episode& e, int64_t it, const char* how) {
    const Netlist& nl = t.design.netlist;
    Placement p = *e.placement;
    for (int32_t i = 0; i < nl.num_nodes(); ++i)
      p.fixed[i] = t.design.placement.fixed[i] || nl.kind[i] == NodeKind::kPort;
    const std::string rel = "best/" + t.label + ".plc";
    PlcInfo info = {{"Wirelength", fmt::format("{:.3f}", e.costs.wirelength)},
                    {"Wirelength cost", fmt::format("{:.6f}", e.costs.wirelength_cost)},
                    {"Congestion cost", fmt::format("{:.6f}", e.costs.congestion_cost)},
                    {"Density cost", fmt::format("{:.6f}", e.costs.density_cost)},
                    {"Proxy cost", fmt::format("{:.6f}", e.costs.proxy_cost)},
                    {"Placer", fmt::format("rlplace train, iteration {}, {} episode", it, how)}};
    write_plc((dir / rel).string(), nl, p, to_plc_header(t.design.params, nl.block_name), info);
    best[t.label] = {{"proxy", e.costs.proxy_cost},
                     {"wirelength_cost", e.costs.wirelength_cost},
                     {"density_cost", e.costs.density_cost},
                     {"congestion_cost", e.costs.congestion_cost},
                     {"iteration", it},
                     {"plc", rel}};
  };

  // Greedy episodes of the current policy on every netlist; keeps improvements.
  auto evaluate = [&](int64_t it, Row& row) {
    std::vector<Collector::Job> jobs;
    for (size_t k = 0; k < all_ptrs.size(); ++k) {
      Collector::Job j;
      j.task = static_cast<int>(k);
      j.greedy = true;
      j.seed = mix_seed(seed, static_cast<uint64_t>(it), k, 0xe7a1);
      if (k < train_tasks.size()) j.keep_placement_below = best_proxy(train_tasks[k]->label);
      jobs.push_back(j);
    }
    auto progress = [&](int done, int total) {
      if (o.on_progress) o.on_progress("evaluating", done, total);
    };
    std::vector<Episode> eps = evaluator.run(*net, device, learner.version(), jobs, progress, stop_requested);
    for (size_t k = 0; k < eps.size(); ++k) {
      const Episode& e = eps[k];
      const bool ok = !e.infeasible;
      const std::string prefix = k < train_tasks.size() ? all_ptrs[k]->label + "/" : "eval:" + all_ptrs[k]->label + "/";
      row.push_back({prefix + "greedy_proxy", ok ? e.costs.proxy_cost : kNaN});
      row.push_back({prefix + "greedy_wirelength", ok ? e.costs.wirelength_cost : kNaN});
      row.push_back({prefix + "greedy_density", ok ? e.costs.density_cost : kNaN});
      row.push_back({prefix + "greedy_congestion", ok ? e.costs.congestion_cost : kNaN});
      if (k < train_tasks.size() && e.placement) write_best(*train_tasks[k], e, it, "greedy");
    }
  };

  // Orders a row's values by the run's columns (missing: NaN).
  auto ordered = [&](const Row& row) {
    std::map<std::string, double> m(row.begin(), row.end());
    Row out;
    for (const auto& c : columns) {
      auto it = m.find(c);
      out.push_back({c, it == m.end() ? kNaN : it->second});
    }
    return out;
  };

  auto commit = [&](int64_t it, const Row& row) {
    // Files first, then the state that names them: a kill in between leaves the previous
    // state, whose files are still there.
    gnn::save_checkpoint((dir / checkpoint_name(it)).string(), *net);
    learner.save_optimizer((dir / optimizer_name(it)).string());
    history.push_back(row_json(row));
    json s = {{"format", kStateFormat},
              {"version", kStateVersion},
              {"iteration", it},
              {"seed", seed},
              {"config", json::parse(config.to_json())},
              {"train", specs_json(train_tasks)},
              {"eval", specs_json(eval_tasks)},
              {"learner", json::parse(learner.state_json())},
              {"checkpoint", checkpoint_name(it)},
              {"optimizer", optimizer_name(it)},
              {"elapsed_seconds", elapsed},
              {"best", best},
              {"columns", columns},
              {"history", history}};
    write_file_atomic(state_path.string(), s.dump(1));
    std::string csv;
    for (size_t c = 0; c < columns.size(); ++c) csv += (c ? "," : "") + columns[c];
    csv += "\n";
    for (const json& r : history) {
      for (size_t c = 0; c < r.size(); ++c) csv += (c ? "," : "") + (r[c].is_null() ? std::string() : csv_value(r[c].get<double>()));
      csv += "\n";
    }
    write_file_atomic((dir / "metrics.csv").string(), csv);
    Row scalars;
    for (const auto& [k, v] : row)
      if (!std::isnan(v) && k != "iteration") scalars.push_back({k, v});
    events.scalars(it, scalars, std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    // Older checkpoints than the previous iteration's are no longer named anywhere.
    for (int64_t old = it - 2; old >= 0 && old >= it - 4; --old) {
      fs::remove(dir / checkpoint_name(old));
      fs::remove(dir / optimizer_name(old));
    }
    if (o.on_iteration) o.on_iteration(row);
  };

  TrainResult result;
  const auto t_start = Clock::now();
  try {
    if (!have_state) {
      // Row 0: the policy before any training (untrained, or the --init checkpoint).
      const auto t0 = Clock::now();
      Row row = {{"iteration", 0}, {"policy_version", static_cast<double>(learner.version())}};
      evaluate(0, row);
      row.push_back({"eval_s", seconds_since(t0)});
      for (const auto& t : train_tasks) row.push_back({t->label + "/best_so_far", best_proxy(t->label)});
      elapsed += seconds_since(t0);
      row.push_back({"elapsed_s", elapsed});
      commit(0, ordered(row));
    }
    double last_iteration_s = 0;
    for (;;) {
      if (o.iterations > 0 && iteration >= o.iterations) break;
      if (o.minutes > 0 && seconds_since(t_start) + last_iteration_s > o.minutes * 60) break;
      if (stop_requested()) {
        result.interrupted = true;
        break;
      }
      const int64_t it = iteration + 1;
      const auto t0 = Clock::now();
      Row row = {{"iteration", static_cast<double>(it)}, {"policy_version", static_cast<double>(learner.version())}};

      std::vector<Collector::Job> jobs;
      for (size_t k = 0; k < train_tasks.size(); ++k)
        for (int e = 0; e < config.episodes_per_iteration; ++e) {
          Collector::Job j;
          j.task = static_cast<int>(k);
          j.seed = mix_seed(seed, static_cast<uint64_t>(it), k, static_cast<uint64_t>(e));
          j.keep_placement_below = best_proxy(train_tasks[k]->label);
          jobs.push_back(j);
        }
      auto progress = [&](int done, int total) {
        if (o.on_progress) o.on_progress("collecting", done, total);
      };
      const auto tc = Clock::now();
      std::vector<Episode> episodes = collector.run(*net, device, learner.version(), jobs, progress, stop_requested);
      const double collect_s = seconds_since(tc);
      int64_t steps = 0;
      for (const Episode& e : episodes) steps += e.steps();
      for (size_t k = 0; k < train_tasks.size(); ++k) {
        double sum = 0, sum_reward = 0, lowest = std::numeric_limits<double>::infinity();
        int feasible = 0, total = 0;
        const Episode* kept = nullptr;
        for (const Episode& e : episodes) {
          if (e.task != static_cast<int>(k)) continue;
          ++total;
          sum_reward += e.reward;
          if (e.infeasible) continue;
          ++feasible;
          sum += e.costs.proxy_cost;
          lowest = std::min(lowest, e.costs.proxy_cost);
          if (e.placement && (!kept || e.costs.proxy_cost < kept->costs.proxy_cost)) kept = &e;
        }
        const std::string& L = train_tasks[k]->label;
        row.push_back({L + "/mean_proxy", feasible ? sum / feasible : kNaN});
        row.push_back({L + "/best_proxy", feasible ? lowest : kNaN});
        row.push_back({L + "/mean_reward", sum_reward / total});
        row.push_back({L + "/infeasible", static_cast<double>(total - feasible) / total});
        if (kept) write_best(*train_tasks[k], *kept, it, "sampled");
      }

      const auto tl = Clock::now();
      at::set_num_threads(learner_threads);
      const int64_t horizon = config.ppo.schedule_iterations;
      const double fraction = horizon > 0 ? static_cast<double>(it - 1) / std::max<int64_t>(1, horizon - 1) : -1.0;
      const UpdateStats u = learner.update(train_ptrs, episodes, mix_seed(seed, static_cast<uint64_t>(it), 0x1ea2), fraction);
      const double learn_s = seconds_since(tl);
      if (stop_requested()) {
        result.interrupted = true;
        break;
      }

      const auto te = Clock::now();
      row[1].second = static_cast<double>(learner.version());
      if (it % config.eval_every == 0) evaluate(it, row);
      const double eval_s = seconds_since(te);
      for (const auto& t : train_tasks) row.push_back({t->label + "/best_so_far", best_proxy(t->label)});

      const double iteration_s = seconds_since(t0);
      elapsed += iteration_s;
      row.insert(row.end(), {{"elapsed_s", elapsed},
                             {"iteration_s", iteration_s},
                             {"collect_s", collect_s},
                             {"learn_s", learn_s},
                             {"eval_s", eval_s},
                             {"episodes", static_cast<double>(episodes.size())},
                             {"steps", static_cast<double>(steps)},
                             {"steps_per_s", steps / collect_s},
                             {"episodes_per_s", episodes.size() / collect_s},
                             {"policy_loss", u.policy_loss},
                             {"value_loss", u.value_loss},
                             {"entropy", u.entropy},
                             {"approx_kl", u.approx_kl},
                             {"clip_fraction", u.clip_fraction},
                             {"grad_norm", u.grad_norm},
                             {"kl_beta", u.kl_beta},
                             {"learning_rate", u.learning_rate}});
      commit(it, ordered(row));
      iteration = it;
      ++result.this_run;
      last_iteration_s = iteration_s;
    }
  } catch (const Collector::Interrupted&) {
    result.interrupted = true;
  }
  result.iterations = iteration;
  result.checkpoint = (dir / checkpoint_name(iteration)).string();
  for (const auto& t : train_tasks) result.best.push_back({t->label, best_proxy(t->label)});
  return result;
}

}  // namespace rlplace::rl
