// The metrics of a training run: the columns (fixed for the run), the history of rows kept in
// the state file, DIR/metrics.csv (rewritten whole after each iteration; row 0 is the policy
// before training) and the TensorBoard event file of this invocation
// (DIR/events.out.tfevents.*). LibTorch-free.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rl/tensorboard.h"

namespace rlplace::rl {

// (name, value) in CSV column order; NaN: no value (an empty CSV cell, JSON null).
using MetricsRow = std::vector<std::pair<std::string, double>>;

// The run's columns: the global ones, then per training netlist, then per held-out netlist.
std::vector<std::string> metric_columns(const std::vector<std::string>& train_labels,
                                        const std::vector<std::string>& eval_labels);

// The shortest text that reads back exactly; empty for NaN.
std::string csv_value(double v);

class MetricsLog {
 public:
  // Opens this invocation's event file in `dir`. `history`: the rows of earlier iterations
  // (from the state file), as JSON arrays in column order.
  MetricsLog(const std::string& dir, std::vector<std::string> columns, std::vector<nlohmann::json> history = {});

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<nlohmann::json>& history() const { return history_; }

  // `row`'s values by the run's columns (missing: NaN).
  MetricsRow ordered(const MetricsRow& row) const;
  // Appends an ordered row to the history (before the state that holds it is committed).
  void add(const MetricsRow& row);
  // After the commit: metrics.csv from the whole history, and the row's scalars as events.
  void write(int64_t iteration, const MetricsRow& row);
  std::string csv() const;

 private:
  std::string dir_;
  std::vector<std::string> columns_;
  std::vector<nlohmann::json> history_;
  EventWriter events_;
};

}  // namespace rlplace::rl
