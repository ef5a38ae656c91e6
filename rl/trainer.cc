// rl::train: the driver of the Trainer's steps (rl/trainer_steps.h), in one process or in
// every rank of a data-parallel run.
#include "rl/trainer.h"

#include <chrono>

#include <fmt/format.h>

#include "gnn/model.h"
#include "netlists/io.h"
#include "rl/trainer_steps.h"

namespace rlplace::rl {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void check_request(const TrainOptions& o) {
  if (o.train.empty()) throw InputError("train: give at least one --netlist");
  if (o.out.empty()) throw InputError("train: --out DIR is required");
  if (o.iterations <= 0 && o.minutes <= 0) throw InputError("train: give --iterations N or --minutes M");
  if (o.dist.world < 1 || o.dist.rank < 0 || o.dist.rank >= o.dist.world)
    throw InputError(fmt::format("train: rank {} of a world of {}", o.dist.rank, o.dist.world));
  if (!(o.dist.timeout_s > 0)) throw InputError("train: the distributed timeout must be positive");
}

}  // namespace

TrainConfig read_train_config(const std::string& path) {
  try {
    return TrainConfig::from_json(read_file(path));
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
}

void prepare_training_process() { gnn::keep_freed_host_memory(); }

TrainResult train(const TrainOptions& o) {
  check_request(o);
  Trainer trainer(o);
  TrainResult result;
  const auto t_start = std::chrono::steady_clock::now();
  try {
    if (!trainer.resumed()) trainer.commit_initial();
    double last_iteration_s = 0;
    for (;;) {
      if (o.iterations > 0 && trainer.iteration() >= o.iterations) break;
      // Ranks agree, so that all stop at the same iteration: 1 the budget, 2 a stop request.
      const bool out_of_time = o.minutes > 0 && seconds_since(t_start) + last_iteration_s > o.minutes * 60;
      const int why = trainer.agree(out_of_time ? 1 : o.stop && o.stop() ? 2 : 0);
      if (why == 1) break;
      if (why == 2) {
        result.interrupted = true;
        break;
      }
      const std::optional<double> seconds = trainer.run_iteration();
      if (!seconds) {
        result.interrupted = true;
        break;
      }
      ++result.this_run;
      last_iteration_s = *seconds;
    }
  } catch (const Collector::Interrupted&) {
    result.interrupted = true;
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    trainer.report_failure(e.what());
    throw;
  }
  trainer.report(result);
  return result;
}

}  // namespace rlplace::rl
