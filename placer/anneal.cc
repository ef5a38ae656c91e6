#include "placer/anneal.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "placer/search.h"

namespace rlplace {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

AnnealChain::AnnealChain(const Netlist& nl, const CostParams& params, const Placement& start, const AnnealOptions& o,
                         uint64_t seed)
    : nl_(nl), params_(params), o_(o), ev_(nl, params), board_(nl, params, start, o.spacing), rng_(seed) {
  ev_.reset(start);
  cur_ = ev_.costs().proxy_cost;
  best_ = cur_;
  best_p_ = start;
  const double w[kActions] = {o.w_swap, o.w_shift, o.w_flip, o.w_move, o.w_window, o.w_shuffle, o.w_soft};
  double total = 0;
  for (int a = 0; a < kActions; ++a) total += std::max(0.0, w[a]);
  if (!(total > 0)) throw std::invalid_argument("anneal: every action weight is zero");
  double acc = 0;
  for (int a = 0; a < kActions; ++a) cdf_[a] = (acc += std::max(0.0, w[a]) / total);
  for (int32_t m : nl.soft_macros)
    if (start.placed[m] && !start.fixed[m]) soft_.push_back(m);
}

void AnnealChain::adopt(const Placement& p, double cost) {
  ev_.reset(p);
  board_ = MacroBoard(nl_, params_, p, o_.spacing);
  cur_ = cost;
}

bool AnnealChain::propose(double radius) {
  const int n = static_cast<int>(board_.movable().size());
  n_ = 0;
  if (n == 0) return false;
  const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  int a = 0;
  while (a < kActions - 1 && u >= cdf_[a]) ++a;
  return propose(static_cast<Action>(a), radius);
}

bool AnnealChain::propose(Action a, double radius) {
  const int n = static_cast<int>(board_.movable().size());
  n_ = 0;
  soft_moved_ = -1;
  if (a == kSoft && !soft_.empty()) {
    const int32_t m = soft_[std::uniform_int_distribution<size_t>(0, soft_.size() - 1)(rng_)];
    std::uniform_real_distribution<double> u(-1, 1);
    soft_x_ = ev_.placement().x[m];
    soft_y_ = ev_.placement().y[m];
    const double x = keep_on_canvas(soft_x_ + u(rng_) * o_.soft_radius * radius * params_.cell_width(), nl_.width[m] / 2, params_.width);
    const double y = keep_on_canvas(soft_y_ + u(rng_) * o_.soft_radius * radius * params_.cell_height(), nl_.height[m] / 2, params_.height);
    ev_.move(m, x, y);
    soft_moved_ = m;
    return true;
  }
  if (a == kSoft) a = kShift;
  if (n == 0) return false;
  if ((a == kSwap && n < 2) || (a == kShuffle && n < 3)) a = kShift;
  std::uniform_int_distribution<int> pick(0, n - 1);
  const int i = pick(rng_);
  const int32_t mi = board_.movable()[i];
  const Orientation oi = ev_.placement().orientation[mi];
  switch (a) {
    case kSwap: {
      int j = pick(rng_);
      if (j == i) j = (j + 1) % n;
      add(i, board_.x(j), board_.y(j), oi);
      add(j, board_.x(i), board_.y(i), ev_.placement().orientation[board_.movable()[j]]);
      break;
    }
    case kShuffle: {
      int j = pick(rng_), k = pick(rng_);
      if (j == i || k == i || j == k) return false;
      add(i, board_.x(j), board_.y(j), oi);
      add(j, board_.x(k), board_.y(k), ev_.placement().orientation[board_.movable()[j]]);
      add(k, board_.x(i), board_.y(i), ev_.placement().orientation[board_.movable()[k]]);
      break;
    }
    case kShift: {
      const int d = std::uniform_int_distribution<int>(0, 3)(rng_);
      const int c = board_.col_of(board_.x(i)) + (d == 0) - (d == 1);
      const int r = board_.row_of(board_.y(i)) + (d == 2) - (d == 3);
      if (c < 0 || r < 0 || c >= board_.cols() || r >= board_.rows()) return false;
      add(i, board_.cell_x(c), board_.cell_y(r), oi);
      break;
    }
    case kFlip: {
      int k = 0;
      while (k < 4 && kFootprintOrientations[k] != oi) ++k;
      // From one of the four, any other; from a rotated orientation, any of the four.
      int nk = std::uniform_int_distribution<int>(0, k < 4 ? 2 : 3)(rng_);
      if (k < 4 && nk >= k) ++nk;
      add(i, board_.x(i), board_.y(i), kFootprintOrientations[nk]);
      break;
    }
    case kMove: {
      const int c = std::uniform_int_distribution<int>(0, board_.cols() - 1)(rng_);
      const int r = std::uniform_int_distribution<int>(0, board_.rows() - 1)(rng_);
      add(i, board_.cell_x(c), board_.cell_y(r), oi);
      break;
    }
    default: {  // kWindow
      const int rad = std::max(1, static_cast<int>(radius));
      const int c = board_.col_of(board_.x(i)) + std::uniform_int_distribution<int>(-rad, rad)(rng_);
      const int r = board_.row_of(board_.y(i)) + std::uniform_int_distribution<int>(-rad, rad)(rng_);
      if (c < 0 || r < 0 || c >= board_.cols() || r >= board_.rows()) return false;
      add(i, board_.cell_x(c), board_.cell_y(r), oi);
      break;
    }
  }
  // Legality on the board first: every moved macro at its new place, the others where
  // they are (so the macros of a swap are tested against each other's new places).
  for (int k = 0; k < n_; ++k) board_.set(new_[k].i, new_[k].x, new_[k].y);
  bool ok = true;
  for (int k = 0; k < n_ && ok; ++k)
    if (new_[k].x != old_[k].x || new_[k].y != old_[k].y) ok = board_.legal(new_[k].i);
  if (!ok) {
    for (int k = 0; k < n_; ++k) board_.set(old_[k].i, old_[k].x, old_[k].y);
    n_ = 0;
    return false;
  }
  for (int k = 0; k < n_; ++k) apply(new_[k], old_[k]);
  return true;
}

// Takes back the last applied action, in reverse order.
void AnnealChain::undo() {
  if (soft_moved_ >= 0) ev_.move(soft_moved_, soft_x_, soft_y_);
  soft_moved_ = -1;
  for (int k = n_ - 1; k >= 0; --k) {
    apply(old_[k], new_[k]);
    board_.set(old_[k].i, old_[k].x, old_[k].y);
  }
  n_ = 0;
}

// One Metropolis step at temperature t. Returns 0 illegal, 1 rejected, 2 accepted.
int AnnealChain::step(double t, double radius) {
  if (!propose(radius)) return 0;
  const double c = ev_.costs().proxy_cost;
  const double d = c - cur_;
  if (d <= 0 || std::uniform_real_distribution<double>(0, 1)(rng_) < std::exp(-d / t)) {
    cur_ = c;
    return 2;
  }
  undo();
  return 1;
}

void AnnealChain::note_best() {
  if (cur_ < best_) {
    best_ = cur_;
    best_p_ = ev_.placement();
  }
}

void AnnealChain::soft(const FdOptions& fd, SoftStats& stats, double polish_seconds) {
  cur_ = replace_soft(nl_, params_, ev_, fd, o_.fd_warm, o_.fd_cold, stats);
  if (o_.polish_with_fd) cur_ = polish_soft(nl_, params_, ev_, 1, polish_seconds);
}

void AnnealChain::add(int i, double x, double y, Orientation o) {
  const int32_t m = board_.movable()[i];
  old_[n_] = {i, board_.x(i), board_.y(i), ev_.placement().orientation[m]};
  new_[n_] = {i, x, y, o};
  ++n_;
}
void AnnealChain::apply(const Change& to, const Change& from) {
  const int32_t m = board_.movable()[to.i];
  if (to.x != from.x || to.y != from.y) ev_.move(m, to.x, to.y);
  if (to.o != from.o) ev_.set_orientation(m, to.o);
}

namespace {

// The mean cost increase of uphill actions from the start, from a fixed number of tries
// (each undone), for setting the temperatures.
double mean_uphill(AnnealChain& c, int tries, double radius) {
  double sum = 0;
  int up = 0;
  for (int k = 0; k < tries; ++k) {
    if (!c.propose(radius)) continue;
    const double d = c.evaluator().costs().proxy_cost - c.cur();
    c.undo();
    if (d > 0) {
      sum += d;
      ++up;
    }
  }
  return up ? sum / up : 1e-3;
}

}  // namespace

AnnealOptions refine_anneal_options(AnnealOptions o) {
  o.accept_start = 0.01;
  o.end_ratio = 1e-2;
  o.w_move = 0.02;
  o.w_swap = 0.1;
  o.w_shuffle = 0.02;
  o.w_window = 0.3;
  o.initial_fd = false;
  return o;
}

AnnealResult anneal(const Netlist& nl, const CostParams& params, const Placement& start, const AnnealOptions& o) {
  const auto t0 = Clock::now();
  const int threads = std::max(1, o.threads);
  if (o.sharing != "restart" && o.sharing != "tempering" && o.sharing != "none")
    throw std::invalid_argument(fmt::format("anneal: unknown sharing '{}' (known: restart, tempering, none)", o.sharing));
  if (!(o.accept_start > 0 && o.accept_start < 1) || !(o.end_ratio > 0))
    throw std::invalid_argument("anneal: accept_start must lie in (0, 1) and end_ratio be positive");
  if (o.moves <= 0 && !(o.seconds > 0)) throw std::invalid_argument("anneal: give moves or seconds");
  const bool tempering = o.sharing == "tempering";
  {
    MacroBoard board(nl, params, start, o.spacing);
    for (int i = 0; i < static_cast<int>(board.movable().size()); ++i)
      if (!board.legal(i))
        throw std::invalid_argument(
            fmt::format("anneal: hard macro '{}' does not start legally", nl.name[board.movable()[i]]));
  }
  FdOptions fd = o.fd_set ? o.fd : default_fd_options(nl);
  // One solver thread per chain: the chains are the parallelism, and OpenMP's spinning
  // workers cost more than they save at this size, badly so on a loaded machine.
  fd.threads = 1;

  AnnealResult res;
  Placement first = start;
  if (o.initial_fd) {
    Evaluator ev(nl, params);
    ev.reset(start);
    res.start_cost = ev.costs().proxy_cost;
    const auto tf = Clock::now();
    FdOptions cold = fd;
    cold.use_current_loc = false;
    place_soft(nl, params, first, cold);
    res.fd_runs += 1;
    res.fd_kept_cold += 1;
    res.fd_seconds += seconds_since(tf);
  }
  std::vector<std::unique_ptr<AnnealChain>> chains;
  for (int k = 0; k < threads; ++k) {
    chains.push_back(std::make_unique<AnnealChain>(nl, params, first, o, o.seed * 0x9E3779B97F4A7C15ULL + k));
    chains.back()->level = k;
  }
  if (!o.initial_fd) res.start_cost = chains[0]->cur();
  const int span = std::max(params.cols, params.rows);
  const double up = mean_uphill(*chains[0], 300, span / 2.0);
  const double t_start = -up / std::log(o.accept_start), t_end = t_start * o.end_ratio;
  res.t_start = t_start;
  res.t_end = t_end;
  std::mt19937_64 master(o.seed ^ 0xA5A5A5A5ULL);

  const bool by_moves = o.moves > 0;
  const int64_t epoch = std::max<int64_t>(1, o.sync_every);
  // Under a --seconds budget the chains stop early enough for the final solver pair (a warm and
  // a cold run, each timed as the initial one), at most half the budget: on a flat netlist a
  // solver run takes seconds. The final polish (its share at most) still comes after.
  const double solver_run = res.fd_seconds;  // the initial run's, 0 without one
  double reserve = 0;
  if (!by_moves && o.final_fd) reserve = 2 * solver_run;
  const double chain_seconds = o.seconds - std::min(reserve, o.seconds / 2);
  auto progress_at = [&](int64_t actions) {
    return by_moves ? static_cast<double>(actions) / o.moves : std::min(1.0, seconds_since(t0) / chain_seconds);
  };

  auto run_epoch = [&](AnnealChain& c, int64_t until) {
    double p = progress_at(c.actions);
    while (c.actions < until) {
      if ((c.actions & 63) == 0) {
        p = progress_at(c.actions);
        if (!by_moves && p >= 1) break;
        c.note_best();
      }
      double t = t_start * std::pow(t_end / t_start, p);
      if (tempering) t *= std::pow(o.ladder, c.level);
      const double radius = 1 + (span / 2.0 - 1) * (1 - p);
      const int r = c.step(t, radius);
      c.illegal += r == 0;
      c.accepted += r == 2;
      ++c.actions;
      if (o.fd_every > 0 && ++c.since_fd >= o.fd_every) {
        c.since_fd = 0;
        // A solver run that would end past the chains' time is skipped (timed as the last).
        const double run = c.soft_stats.tried ? c.soft_stats.seconds / c.soft_stats.tried : solver_run;
        if (by_moves || seconds_since(t0) + run < chain_seconds) {
          c.note_best();
          c.soft(fd, c.soft_stats, by_moves ? 0 : o.polish.share * o.seconds);
        }
      }
    }
    c.note_best();
  };

  for (int64_t target = epoch;; target += epoch) {
    const int64_t until = by_moves ? std::min(target, o.moves) : target;
    if (threads == 1) {
      run_epoch(*chains[0], until);
    } else {
      std::vector<std::thread> pool;
      for (int k = 0; k < threads; ++k) pool.emplace_back([&, k] { run_epoch(*chains[k], until); });
      for (auto& th : pool) th.join();
    }
    double best_now = chains[0]->best();
    for (const auto& c : chains) best_now = std::min(best_now, c->best());
    res.trace.emplace_back(seconds_since(t0), best_now);
    const bool done = by_moves ? until >= o.moves : seconds_since(t0) >= chain_seconds;
    if (done) break;
    if (threads > 1 && o.sharing == "restart") {
      int b = 0;
      for (int k = 1; k < threads; ++k)
        if (chains[k]->best() < chains[b]->best()) b = k;
      // Chains whose current state is worse than the best ever met start again from it;
      // the chain that met it keeps going from wherever it went since.
      for (int k = 0; k < threads; ++k)
        if (k != b && chains[k]->cur() > chains[b]->best())
          chains[k]->adopt(chains[b]->best_placement(), chains[b]->best());
    } else if (threads > 1 && tempering) {
      // Chains by rung; neighbours swap rungs by the replica-exchange test.
      std::vector<int> at(threads);
      for (int k = 0; k < threads; ++k) at[chains[k]->level] = k;
      const double p = progress_at(chains[0]->actions);
      const double t = t_start * std::pow(t_end / t_start, p);
      for (int l = 0; l + 1 < threads; ++l) {
        AnnealChain& a = *chains[at[l]];
        AnnealChain& b = *chains[at[l + 1]];
        const double ta = t * std::pow(o.ladder, l), tb = t * std::pow(o.ladder, l + 1);
        const double x = (a.cur() - b.cur()) * (1 / ta - 1 / tb);
        if (x >= 0 || std::uniform_real_distribution<double>(0, 1)(master) < std::exp(x)) {
          std::swap(a.level, b.level);
          std::swap(at[l], at[l + 1]);
        }
      }
    }
  }

  int b = 0;
  for (int k = 0; k < threads; ++k) {
    const AnnealChain& c = *chains[k];
    res.actions += c.actions;
    res.accepted += c.accepted;
    res.illegal += c.illegal;
    res.fd_runs += c.soft_stats.tried;
    res.fd_kept_warm += c.soft_stats.kept_warm;
    res.fd_kept_cold += c.soft_stats.kept_cold;
    res.fd_seconds += c.soft_stats.seconds;
    if (c.best() < chains[b]->best()) b = k;
  }
  Evaluator ev(nl, params);
  ev.reset(chains[b]->best_placement());
  if (o.final_fd) {
    SoftStats s;
    replace_soft(nl, params, ev, fd, true, true, s);
    res.fd_runs += s.tried;
    res.fd_kept_warm += s.kept_warm;
    res.fd_kept_cold += s.kept_cold;
    res.fd_seconds += s.seconds;
    if (o.polish.passes > 0)
      polish_soft(nl, params, ev, o.polish.passes, by_moves ? 0 : o.polish.share * o.seconds, &res.polish);
  }
  if (!ev.legality().legal()) throw std::logic_error("anneal: the result is not legal (a bug)");
  res.placement = ev.placement();
  res.costs = ev.costs();
  res.seconds = seconds_since(t0);
  res.trace.emplace_back(res.seconds, res.costs.proxy_cost);
  return res;
}

}  // namespace rlplace
