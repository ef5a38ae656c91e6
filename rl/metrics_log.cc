#include "rl/metrics_log.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "netlists/io.h"

namespace rlplace::rl {

using nlohmann::json;

std::vector<std::string> metric_columns(const std::vector<std::string>& train_labels,
                                        const std::vector<std::string>& eval_labels) {
  std::vector<std::string> columns = {"iteration", "policy_version", "elapsed_s", "iteration_s", "collect_s",
                                      "learn_s", "eval_s", "episodes", "steps", "steps_per_s", "episodes_per_s",
                                      "policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction",
                                      "grad_norm", "kl_beta", "learning_rate"};
  for (const auto& label : train_labels)
    for (const char* c : {"mean_proxy", "best_proxy", "mean_reward", "infeasible", "greedy_proxy", "greedy_wirelength",
                          "greedy_density", "greedy_congestion", "best_so_far"})
      columns.push_back(label + "/" + c);
  for (const auto& label : eval_labels)
    for (const char* c : {"greedy_proxy", "greedy_wirelength", "greedy_density", "greedy_congestion"})
      columns.push_back("eval:" + label + "/" + c);
  return columns;
}

std::string csv_value(double v) {
  if (std::isnan(v)) return "";
  return fmt::format("{}", v);  // shortest representation that reads back exactly
}

MetricsLog::MetricsLog(const std::string& dir, std::vector<std::string> columns, std::vector<json> history)
    : dir_(dir), columns_(std::move(columns)), history_(std::move(history)), events_(dir) {}

MetricsRow MetricsLog::ordered(const MetricsRow& row) const {
  std::map<std::string, double> m(row.begin(), row.end());
  MetricsRow out;
  for (const auto& c : columns_) {
    auto it = m.find(c);
    out.push_back({c, it == m.end() ? std::numeric_limits<double>::quiet_NaN() : it->second});
  }
  return out;
}

void MetricsLog::add(const MetricsRow& row) {
  json a = json::array();
  for (const auto& [k, v] : row) a.push_back(std::isnan(v) ? json(nullptr) : json(v));
  history_.push_back(std::move(a));
}

std::string MetricsLog::csv() const {
  std::string csv;
  for (size_t c = 0; c < columns_.size(); ++c) csv += (c ? "," : "") + columns_[c];
  csv += "\n";
  for (const json& r : history_) {
    for (size_t c = 0; c < r.size(); ++c) csv += (c ? "," : "") + (r[c].is_null() ? std::string() : csv_value(r[c].get<double>()));
    csv += "\n";
  }
  return csv;
}

void MetricsLog::write(int64_t it, const MetricsRow& row) {
  write_file_atomic((std::filesystem::path(dir_) / "metrics.csv").string(), csv());
  MetricsRow scalars;
  for (const auto& [k, v] : row)
    if (!std::isnan(v) && k != "iteration") scalars.push_back({k, v});
  events_.scalars(it, scalars, std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace rlplace::rl
