// rlplace train: PPO on one or more netlists, resumable (rl/trainer.h). Flags in, rl::train,
// progress and results out.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "netlists/io.h"
#include "rl/trainer.h"
#include "tools/commands.h"

namespace rlplace::tools {

namespace {

std::atomic<int> g_signal{0};
extern "C" void on_signal(int sig) { g_signal = sig; }

struct TrainFlags {
  rl::TrainOptions options;
  std::vector<std::string> train_netlists, train_plcs, eval_netlists, eval_plcs;
  std::string pairing_error;
  std::string config_file;
  int episodes = 0;
  int log_every = 10;
  bool quiet = false;
  int nproc = 1;
  double dist_timeout = 300;
  std::string dist_bind;
};

std::string duration(double s) {
  if (!(s >= 0) || std::isinf(s)) return "?";
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t / 60) % 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// The configuration file and --episodes-per-iteration into the options.
void configure(TrainFlags& f) {
  rl::TrainOptions& o = f.options;
  if (!f.config_file.empty()) {
    o.config = rl::read_train_config(f.config_file);
    o.config_given = true;
  }
  if (f.episodes > 0) {
    o.config.episodes_per_iteration = f.episodes;
    o.config_given = true;
  }
}

// The line printed after each committed iteration.
std::string iteration_line(const TrainFlags& f, const std::vector<std::pair<std::string, double>>& row, double spent,
                           int64_t done_here) {
  const rl::TrainOptions& o = f.options;
  auto get = [&](const std::string& k) {
    for (const auto& [key, v] : row)
      if (key == k) return v;
    return std::nan("");
  };
  const int64_t it = static_cast<int64_t>(get("iteration"));
  const double per_it = done_here ? spent / done_here : 0;
  double left = -1;
  if (o.iterations > 0) left = per_it * std::max<int64_t>(0, o.iterations - it);
  if (o.minutes > 0) left = left < 0 ? o.minutes * 60 - spent : std::min(left, o.minutes * 60 - spent);
  std::string costs;
  for (const auto& [key, v] : row)
    if (key.size() > 13 && key.compare(key.size() - 13, 13, "/greedy_proxy") == 0 && !std::isnan(v))
      costs += fmt::format("  {} {:.4f}", key.substr(0, key.size() - 13), v);
  return it == 0 ? fmt::format("iteration 0 (before training):{}", costs)
                 : fmt::format("iteration {}{}  {:.1f} s/it  {:.0f} steps/s  left {}{}", it,
                               o.iterations > 0 ? fmt::format("/{}", o.iterations) : std::string(), per_it,
                               get("steps_per_s"), duration(left), costs);
}

// Progress on a terminal, a line per iteration (every --log-every without one), warnings.
void add_reporting(TrainFlags& f, bool tty, Clock::time_point t0) {
  rl::TrainOptions& o = f.options;
  auto last_line = std::make_shared<double>(-1);
  o.on_progress = [tty, t0, last_line](const char* phase, int done, int total) {
    if (!tty) return;
    const double now = ms_since(t0);
    if (done < total && now - *last_line < 200) return;
    *last_line = now;
    std::fprintf(stderr, "\r\033[K  %s %d/%d episodes", phase, done, total);
  };
  auto done_here = std::make_shared<int64_t>(0);
  o.on_iteration = [&f, tty, t0, done_here](const std::vector<std::pair<std::string, double>>& row) {
    const int64_t it = static_cast<int64_t>(row.front().second);  // "iteration" is the first column
    if (it > 0) ++*done_here;
    const std::string line = iteration_line(f, row, ms_since(t0) / 1000, *done_here);
    if (tty)
      std::fprintf(stderr, "\r\033[K%s\n", line.c_str());
    else if (!f.quiet && (it % f.log_every == 0))
      std::fprintf(stderr, "%s\n", line.c_str());
  };
  o.on_warning = [tty](const std::string& w) { std::fprintf(stderr, "%srlplace: warning: %s\n", tty ? "\r\033[K" : "", w.c_str()); };
}

// --nproc-per-node N: N ranks of this command on this machine (rl::launch_local_ranks).
int launch_ranks(const TrainFlags& f) {
  std::string failure;
  const int status = rl::launch_local_ranks(f.nproc, [] { return g_signal.load(); }, failure);
  // A rank that exited said why; one killed by a signal could not.
  if (failure.find("signal") != std::string::npos) std::fprintf(stderr, "rlplace: error: %s\n", failure.c_str());
  return status;
}

int run_train(TrainFlags& f) {
  rl::TrainOptions& o = f.options;
  configure(f);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  o.dist = rl::dist_from_environment();
  if (f.nproc > 1 && o.dist.world == 1) return launch_ranks(f);
  o.dist.timeout_s = f.dist_timeout;
  o.dist.bind = f.dist_bind;
  const bool leader = o.dist.rank == 0;  // the other ranks are silent but for errors
  rl::prepare_training_process();
  o.stop = [] { return g_signal.load() != 0; };
  const bool tty = leader && isatty(STDERR_FILENO) && !f.quiet;
  if (!leader) f.quiet = true;
  add_reporting(f, tty, Clock::now());

  const rl::TrainResult r = rl::train(o);
  if (!leader) return r.interrupted ? 128 + g_signal.load() : 0;
  if (tty) std::fprintf(stderr, "\r\033[K");
  fmt::print("trained          {} iteration{} in this run, {} in all, in {}\n", r.this_run, r.this_run == 1 ? "" : "s",
             r.iterations, o.out);
  for (const auto& [label, proxy] : r.best)
    fmt::print("best             {:<24} proxy {:.6f}  ({}/best/{}.plc)\n", label, proxy, o.out, label);
  fmt::print("policy           {}\n", r.checkpoint);
  if (r.interrupted) {
    fmt::print("stopped          by signal {}; continue with --resume\n", g_signal.load());
    return 128 + g_signal.load();
  }
  return 0;
}

}  // namespace

void add_train(CLI::App& app, Run& chosen) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand("train", "Train the placement policy with PPO on one or more netlists");
  // A --plc belongs to the --netlist before it: the options are paired by parse order.
  auto* netlist = cmd->add_option("--netlist", f->train_netlists, "Training netlist (repeat for several)")->allow_extra_args(false)->required();
  auto* plc = cmd->add_option("--plc", f->train_plcs, "Placement of the --netlist before it")->allow_extra_args(false);
  auto* eval_netlist = cmd->add_option("--eval-netlist", f->eval_netlists, "Held-out netlist, evaluated only (repeatable)")->allow_extra_args(false);
  auto* eval_plc = cmd->add_option("--eval-plc", f->eval_plcs, "Placement of the --eval-netlist before it")->allow_extra_args(false);
  cmd->add_option("--out", f->options.out, "Training directory")->required();
  cmd->add_option("--iterations", f->options.iterations, "Total iterations of the run (resumes count)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--minutes", f->options.minutes, "Time budget of this invocation")->check(CLI::PositiveNumber);
  cmd->add_option("--keep-every", f->options.keep_every,
                  "Keep the policy checkpoint of every K-th iteration besides the last two, to choose among them "
                  "(tools/select_policy.sh)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--episodes-per-iteration", f->episodes, "Episodes per netlist per iteration")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--workers", f->options.workers, "Collector threads (default: all cores)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f->options.seed, "Seed of the weights and episodes");
  cmd->add_option("--init", f->options.init, "Start from this checkpoint or training directory (its latest checkpoint): fine-tuning");
  cmd->add_flag("--resume", f->options.resume, "Continue the run in --out where it stopped");
  cmd->add_option("--config", f->config_file, "Training configuration (JSON; see docs/training.md)");
  cmd->add_option("--log-every", f->log_every, "Without a terminal, log every N iterations")->check(CLI::PositiveNumber);
  cmd->add_flag("--quiet", f->quiet, "No progress output");
  cmd->add_option("--device", f->options.device, "Device of the learner and policy (cpu, cuda, cuda:1; with several "
                                                 "ranks cuda is cuda:LOCAL_RANK); overrides the configuration's");
  cmd->add_option("--nproc-per-node", f->nproc,
                  "Start N ranks on this machine (data-parallel; see docs/distributed.md)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--dist-timeout", f->dist_timeout,
                  "Seconds a rank waits for the others before it ends the run (default 300)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--dist-bind", f->dist_bind,
                  "Address this rank's Gloo connections bind (default: loopback when MASTER_ADDR is)");
  cmd->callback([f, &chosen, cmd, netlist, plc, eval_netlist, eval_plc] {
    std::vector<const CLI::Option*> order;
    for (const CLI::Option* opt : cmd->parse_order()) order.push_back(opt);
    // Pair each --plc with the --netlist before it.
    f->options.train.clear();
    f->options.eval.clear();
    size_t next[4] = {0, 0, 0, 0};
    for (const CLI::Option* opt : order) {
      if (opt == netlist) f->options.train.push_back({f->train_netlists[next[0]++], ""});
      if (opt == eval_netlist) f->options.eval.push_back({f->eval_netlists[next[2]++], ""});
      if (opt == plc || opt == eval_plc) {
        const bool ev = opt == eval_plc;
        const std::string v = ev ? f->eval_plcs[next[3]++] : f->train_plcs[next[1]++];
        auto& list = ev ? f->options.eval : f->options.train;
        if (list.empty() || !list.back().plc.empty())
          f->pairing_error = fmt::format("--{}plc {} has no --{}netlist before it", ev ? "eval-" : "", v, ev ? "eval-" : "");
        else
          list.back().plc = v;
      }
    }
    chosen = [f] {
      if (!f->pairing_error.empty()) throw InputError(f->pairing_error);
      return run_train(*f);
    };
  });
}

}  // namespace rlplace::tools
