// rl::train: the single-process driver of the Trainer's steps (rl/trainer_steps.h).
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
      if (o.minutes > 0 && seconds_since(t_start) + last_iteration_s > o.minutes * 60) break;
      if (o.stop && o.stop()) {
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
  }
  trainer.report(result);
  return result;
}

}  // namespace rlplace::rl
